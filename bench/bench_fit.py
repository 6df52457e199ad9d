"""Benchmark `afofit fit` on ~400k-face scans: wall time and peak memory of the whole command.

Budget (issue 3): <= 15 s wall and <= 3 GB peak memory on the 2-core CI machine.
Each case runs the installed `afofit fit` once in a fresh process (imports, anatomy,
shell, checks, report and writing included).

    python bench/bench_fit.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from timing import AFOFIT, SHARED, run

BUDGET_S, BUDGET_MB = 15.0, 3072.0


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="afofit-bench-"))
    phantom = tmp / "phantom_400k.stl"
    t = time.perf_counter()
    make = [str(AFOFIT), "phantom", str(phantom), "--faces", "400000", "--seed", "3"]
    make += ["--noise", "0.25", "--holes", "4"]
    subprocess.run(make, check=True, stdout=subprocess.DEVNULL)
    print(f"built the 400k-face phantom in {time.perf_counter() - t:.1f} s")
    cases = [("phantom 400k, pls", phantom, "pls"), ("phantom 400k, solid", phantom, "solid")]
    if (SHARED / "anny_male_right.stl").exists():
        cases.append(("anny_male_right (373k), pls", SHARED / "anny_male_right.stl", "pls"))
    print(f"{'case':30} {'faces':>8} {'wall s':>7} {'peak MB':>8} {'checks':>8}  "
          f"budget {BUDGET_S} s / {BUDGET_MB:.0f} MB")  # fmt: skip
    for label, path, design in cases:
        out = tmp / label.replace(" ", "_").replace(",", "")
        wall, mem = run([str(AFOFIT), "fit", str(path), "-o", str(out), "--design", design])
        data = json.loads((out / "fitting.json").read_text())
        passed = sum(c["passed"] for c in data["checks"])
        ok = "ok" if wall <= BUDGET_S and mem <= BUDGET_MB else "OVER"
        print(f"{label:30} {data['inputs']['faces']:>8} {wall:>7.1f} {mem:>8.0f} "
              f"{passed:>3}/{len(data['checks']):<3}  {ok}")  # fmt: skip
    print(f"machine: {os.cpu_count()} cores, python {sys.version.split()[0]}")


if __name__ == "__main__":
    main()
