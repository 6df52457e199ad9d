"""Benchmark `afofit stiffness`: wall time and peak memory of the whole command per design,
by FE and by the fast model.

Budget (issue 11): FE <= 90 s and <= 3 GB per design on this 2-core machine. Each shell is
fitted first (not timed), then the installed `afofit stiffness` runs once in a fresh
process per method (imports, remesh, tetrahedra, assembly, solve, stresses; or the fast
model's midsurface and shell elements; the fast model's own time, without Python's start,
is in bench/calibration/fast_model.md).

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
    print(f"{'case':30} {'method':6} {'k guided':>9} {'k free':>8} {'elements':>8} {'wall s':>7} "
          f"{'peak MB':>8}  FE budget {BUDGET_S:.0f} s / {BUDGET_MB:.0f} MB")  # fmt: skip
    for label, scan, options in cases:
        out = tmp / label.replace(" ", "_").replace(",", "")
        subprocess.run([str(AFOFIT), "fit", str(scan), "-o", str(out), *options], check=True,
                       stdout=subprocess.DEVNULL)  # fmt: skip
        for method in ("fe", "fast"):
            result = out / f"stiffness-{method}.json"  # written by the timed command itself
            command = f"'{AFOFIT}' stiffness '{out}' --method {method} --json > '{result}'"
            wall, mem = run(["sh", "-c", command])
            leg = json.loads(result.read_text())["legs"][0]
            model = leg["model"]
            elements = model["tets"] if method == "fe" else model["triangles"]
            ok = "ok" if wall <= BUDGET_S and mem <= BUDGET_MB else "OVER"
            print(f"{label:30} {method:6} {leg['predicted_nm_per_deg']:>9.3f} "
                  f"{leg['lower_bound_nm_per_deg']:>8.3f} {elements:>8} {wall:>7.1f} {mem:>8.0f}  "
                  f"{ok}", flush=True)  # fmt: skip
    print(f"machine: {os.cpu_count()} cores, python {sys.version.split()[0]}")


if __name__ == "__main__":
    main()
