"""Shared by the bench scripts: time a whole command in a fresh process, with its peak memory."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

#: The reference scans beside the checkout, and the installed command the benches time.
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "scans"
AFOFIT = Path(sys.executable).with_name("afofit")

_CHILD = (
    "import resource, subprocess, sys, time\n"
    "t = time.perf_counter()\n"
    "r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)\n"
    "w = time.perf_counter() - t\n"
    "m = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024\n"
    "print(w, m, r.returncode)\n"
)


def run(args: list[str], ok_codes: tuple[int, ...] = (0,)) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one command, run in a child process; an exit
    code not in ``ok_codes`` stops the bench."""
    res = subprocess.run(
        [sys.executable, "-c", _CHILD, *args], capture_output=True, text=True, check=True
    )
    wall, mem, code = res.stdout.split()
    if int(code) not in ok_codes:
        raise SystemExit(f"{' '.join(args)} failed with exit code {code}")
    return float(wall), float(mem)
