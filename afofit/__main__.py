"""``python -m afofit`` runs the command line."""

from afofit.cli import app

app(prog_name="afofit")
