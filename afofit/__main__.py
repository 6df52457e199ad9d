"""``python -m afofit`` runs the command line."""

from afofit.cli import run

if __name__ == "__main__":
    run()
