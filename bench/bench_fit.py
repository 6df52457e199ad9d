"""Benchmark `afofit fit` on ~400k-face scans and a 2M-face one: wall time and peak memory
of the whole command.

Budgets: issue 3, <= 15 s and <= 3 GB for 400k faces; issue 15, <= 8 s (median of 3) and
<= 1.2 GB for 400k faces, <= 20 s and <= 1.5 GB for 2M faces (a scanner's dense mesh, read
simplified to 400k). Each case runs the installed `afofit fit` in a fresh process (imports,
anatomy, shell, checks, report and writing included); the 400k pls case three times.

    python bench/bench_fit.py
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from timing import AFOFIT, SHARED, run

BUDGET_S, BUDGET_MB = 8.0, 1200.0
DENSE_BUDGET_S, DENSE_BUDGET_MB = 20.0, 1536.0


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="afofit-bench-"))
    phantom = tmp / "phantom_400k.stl"
    t = time.perf_counter()
    make = [str(AFOFIT), "phantom", str(phantom), "--faces", "400000", "--seed", "3"]
    make += ["--noise", "0.25", "--holes", "4"]
    subprocess.run(make, check=True, stdout=subprocess.DEVNULL)
    print(f"built the 400k-face phantom in {time.perf_counter() - t:.1f} s")
    dense = tmp / "phantom_2m.stl"
    make = [str(AFOFIT), "phantom", str(dense), "--faces", "2000000", "--seed", "3"]
    subprocess.run(
        [*make, "--noise", "0.25", "--holes", "4"], check=True, stdout=subprocess.DEVNULL
    )
    # (label, scan, design, runs, budget: the cases have one; the others are shown
    # beside them for reference, a heavier design and a real scan of the same size)
    budget, dense_budget = (BUDGET_S, BUDGET_MB), (DENSE_BUDGET_S, DENSE_BUDGET_MB)
    cases = [
        ("phantom 400k, pls", phantom, "pls", 3, budget),
        ("phantom 400k, solid", phantom, "solid", 1, None),
    ]
    if (SHARED / "anny_male_right.stl").exists():
        cases.append(
            ("anny_male_right (373k), pls", SHARED / "anny_male_right.stl", "pls", 1, None)
        )
    cases.append(("phantom 2M, pls", dense, "pls", 1, dense_budget))
    print(f"{'case':30} {'faces':>8} {'wall s':>7} {'peak MB':>8} {'checks':>8}  "
          f"budget {BUDGET_S} s / {BUDGET_MB:.0f} MB (2M: {DENSE_BUDGET_S} s / "
          f"{DENSE_BUDGET_MB:.0f} MB)")  # fmt: skip
    for label, path, design, repeats, limits in cases:
        out = tmp / label.replace(" ", "_").replace(",", "")
        runs = [
            run([str(AFOFIT), "fit", str(path), "-o", str(out), "--design", design])
            for _ in range(repeats)
        ]
        wall = statistics.median(w for w, _ in runs)
        mem = max(m for _, m in runs)
        data = json.loads((out / "fitting.json").read_text())
        passed = sum(c["passed"] for c in data["checks"])
        if limits is None:
            ok = "(reference: no budget of its own)"
        else:
            ok = "ok" if wall <= limits[0] and mem <= limits[1] else "OVER"
        every = f" (runs {', '.join(f'{w:.1f}' for w, _ in runs)})" if repeats > 1 else ""
        print(f"{label:30} {data['inputs']['faces']:>8} {wall:>7.1f} {mem:>8.0f} "
              f"{passed:>3}/{len(data['checks']):<3}  {ok}{every}")  # fmt: skip
    print(f"machine: {os.cpu_count()} cores, python {sys.version.split()[0]}")


if __name__ == "__main__":
    main()
