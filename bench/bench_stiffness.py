"""Benchmark `afofit stiffness` (FE): wall time and peak memory of the whole command per design.

Budget (issue 11): <= 90 s and <= 3 GB per design on this 2-core machine. Each shell is
fitted first (not timed), then the installed `afofit stiffness` runs once in a fresh
process (imports, remesh, tetrahedra, assembly, solve, stresses).

    python bench/bench_stiffness.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from timing import AFOFIT, SHARED, run

BUDGET_S, BUDGET_MB = 90.0, 3072.0


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="afofit-bench-stiffness-"))
    phantom = tmp / "phantom.stl"
    subprocess.run([str(AFOFIT), "phantom", str(phantom), "--seed", "3"], check=True,
                   stdout=subprocess.DEVNULL)  # fmt: skip
    cases = [("phantom, pls 3 mm", phantom, ["--design", "pls", "--thickness", "3"]),
             ("phantom, solid 4.5 mm", phantom, ["--design", "solid", "--thickness", "4.5"])]  # fmt: skip
    if (SHARED / "anny_male_right.stl").exists():
        cases.append(
            ("anny_male_right, pls 3.5 mm", SHARED / "anny_male_right.stl", ["--design", "pls"])
        )
    print(f"{'case':30} {'k guided':>9} {'k free':>8} {'tets':>7} {'wall s':>7} {'peak MB':>8}  "
          f"budget {BUDGET_S:.0f} s / {BUDGET_MB:.0f} MB")  # fmt: skip
    for label, scan, options in cases:
        out = tmp / label.replace(" ", "_").replace(",", "")
        subprocess.run([str(AFOFIT), "fit", str(scan), "-o", str(out), *options], check=True,
                       stdout=subprocess.DEVNULL)  # fmt: skip
        result = out / "stiffness.json"  # written by the timed command itself
        wall, mem = run(["sh", "-c", f"'{AFOFIT}' stiffness '{out}' --json > '{result}'"])
        data = result.read_text()
        leg = json.loads(data)["legs"][0]
        ok = "ok" if wall <= BUDGET_S and mem <= BUDGET_MB else "OVER"
        print(f"{label:30} {leg['predicted_nm_per_deg']:>9.3f} {leg['lower_bound_nm_per_deg']:>8.3f} "
              f"{leg['mesh']['tets']:>7} {wall:>7.1f} {mem:>8.0f}  {ok}", flush=True)  # fmt: skip
    print(f"machine: {os.cpu_count()} cores, python {sys.version.split()[0]}")


if __name__ == "__main__":
    main()
