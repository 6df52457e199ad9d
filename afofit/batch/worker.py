"""One case in a fresh interpreter: ``python -m afofit.batch.worker`` reads a pickled
``(case, out_dir, command)`` on stdin and writes the pickled
:class:`~afofit.batch.run.CaseOutcome` on stdout. A Dask task runs each case so (its own
process: a crash or a kill fails that case alone, and the worker lives on), in the
working folder the case's relative paths start from."""

from __future__ import annotations

import pickle
import sys

from afofit.batch.run import fit_case


def main() -> None:
    """Run the case given on stdin; its outcome on stdout."""
    case, out_dir, command = pickle.load(sys.stdin.buffer)
    outcome = fit_case(case, out_dir, command)
    sys.stdout.buffer.write(pickle.dumps(outcome))
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    main()
