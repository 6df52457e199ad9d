"""Shared by the bench scripts: time a whole command in a fresh process, with its peak memory.

Memory is the larger of two measures: the largest single process's peak resident set
(``ru_maxrss`` of the command and its children), and the peak of the whole process tree's
summed resident sets, sampled every 0.1 s from ``/proc/PID/statm`` (cheap to read, unlike
``smaps``, whose page walk slowed the command measured). A command with helper or worker
processes holds their memory at once: the sum is what the machine must have, a little
over (pages shared between the processes, such as the libraries', count once for each).
Off Linux, the first measure alone.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

#: The reference scans beside the checkout, and the installed command the benches time.
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "scans"
AFOFIT = Path(sys.executable).with_name("afofit")
#: How many paired rounds a ratio is the median of (AFOFIT_BENCH_ROUNDS sets it): the
#: machine's speed drifts within an hour, so the two runs of a pair go one after the other.
ROUNDS = int(os.environ.get("AFOFIT_BENCH_ROUNDS", "3"))

_CHILD = (
    "import resource, subprocess, sys, time\n"
    "t = time.perf_counter()\n"
    "r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)\n"
    "w = time.perf_counter() - t\n"
    "m = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024\n"
    "print(w, m, r.returncode)\n"
)


def _tree(pid: int) -> list[int]:
    """``pid`` and all its descendants (Linux)."""
    found = [pid]
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                for child in f.read().split():
                    found += _tree(int(child))
    except OSError:
        pass
    return found


_PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024 if hasattr(os, "sysconf") else 4


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * _PAGE_KB
    except (OSError, IndexError, ValueError):
        return 0


def run(args: list[str], ok_codes: tuple[int, ...] = (0,)) -> tuple[float, float]:
    """Wall seconds and peak memory (MB, as the module says) of one command, run in a child
    process; an exit code not in ``ok_codes`` stops the bench."""
    proc = subprocess.Popen(
        [sys.executable, "-c", _CHILD, *args], stdout=subprocess.PIPE, text=True
    )
    peak_kb = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak_kb
        while not done.wait(0.1):
            # The timing process itself (a few MB of Python) is left out.
            kb = sum(_rss_kb(pid) for pid in _tree(proc.pid)[1:])
            peak_kb = max(peak_kb, kb)

    sampler = threading.Thread(target=sample, daemon=True)
    if Path("/proc/self/statm").exists():
        sampler.start()
    out, _ = proc.communicate()
    done.set()
    if proc.returncode:
        raise SystemExit(f"timing {' '.join(args)} failed ({proc.returncode})")
    wall, mem, code = out.split()
    if int(code) not in ok_codes:
        raise SystemExit(f"{' '.join(args)} failed with exit code {code}")
    return float(wall), max(float(mem), peak_kb / 1024)
