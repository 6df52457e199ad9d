"""Benchmark `afofit compare` with three candidates against one `afofit fit` (issue 14).

Budget: a three-candidate compare (pls, semi-rigid, solid; fast method) takes <= 2.2 x the
time of one fit of the same scan, since the scan is read once. Each command runs in a
fresh process, on both shared scans, with and without the demo gait: the fit and the
compare one after the other, ROUNDS times (3; AFOFIT_BENCH_ROUNDS sets it), and the ratio
is the median of each round's compare over its fit (this machine's speed drifts by 10-30 %
within an hour: a pair run together sees the same machine). The bench also checks
what the issue's "done" asks of each comparison: stiffness ordered pls < semi-rigid < solid,
swing drop the other way, comparison.json valid against its schema, comparison.html
self-contained (nothing it would fetch). The fit it is measured against has the same
options (with the gait when the compare has it).

    python bench/bench_compare.py
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import jsonschema
from timing import AFOFIT, ROUNDS, SHARED, run

from afofit.profiles import load_design
from afofit.report.comparison import COMPARISON_SCHEMA
from afofit.report.html import external_references

BUDGET_RATIO = 2.2
PLS_MM = load_design("pls").thickness_mm
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SCANS = {"anny male (right)": "anny_male_right.stl", "anny female (left)": "anny_female_left.ply"}


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="afofit-bench-compare-"))
    gait = EXAMPLES / "demo_gait_fatigued.csv"
    print(f"{'scan':20} {'gait':5} {'fit s':>6} {'compare s':>9} {'ratio':>6} {'peak MB':>8}  "
          f"k pls/semi/solid (N·m/deg)  drop (deg)  ordered schema self-contained")  # fmt: skip
    for label, name in SCANS.items():
        scan = SHARED / name
        if not scan.exists():
            print(f"{label}: {scan} is absent, skipped")
            continue
        for with_gait in (False, True):
            # One fit with the same options: the gait adds its reading and plots to both.
            extra = ["--gait", str(gait)] if with_gait else []
            # Its design's own thickness, as the untuned candidate: the gait does not tune it.
            fit_out = tmp / f"{name}-fit-{with_gait}"
            fit_args = [str(AFOFIT), "fit", str(scan), "-o", str(fit_out),
                        "--design", "pls", "--thickness", str(PLS_MM), *extra]  # fmt: skip
            out = tmp / f"{name}-cmp-{with_gait}"
            args = [str(AFOFIT), "compare", str(scan), "-o", str(out), "--design", "pls",
                    "--design", "semi-rigid", "--design", "solid"]  # fmt: skip
            args += extra
            fits, compares, ratios, mem = [], [], [], 0.0
            for _ in range(ROUNDS):
                # Each into a new folder (the last round's compare is checked below).
                shutil.rmtree(fit_out, ignore_errors=True)
                one, _ = run(fit_args)
                shutil.rmtree(out, ignore_errors=True)
                wall, peak = run(args, ok_codes=(0, 7))
                fits.append(one)
                compares.append(wall)
                ratios.append(wall / one)
                mem = max(mem, peak)
            one, wall, ratio = (statistics.median(v) for v in (fits, compares, ratios))
            data = json.loads((out / "comparison.json").read_text())
            jsonschema.validate(data, COMPARISON_SCHEMA)
            k = [c["stiffness"]["predicted_nm_per_deg"] for c in data["candidates"]]
            drop = [c["swing_drop_deg"] for c in data["candidates"]]
            ordered = k[0] < k[1] < k[2] and drop[0] > drop[1] > drop[2]
            outside = external_references((out / "comparison.html").read_text())
            flag = "ok" if ratio <= BUDGET_RATIO else "OVER"
            print(f"{label:20} {'yes' if with_gait else 'no':5} {one:>6.1f} {wall:>9.1f} "
                  f"{ratio:>5.2f}{'' if flag == 'ok' else '!'} {mem:>8.0f}  "
                  f"{'/'.join(f'{v:.2f}' for v in k):26} {'/'.join(f'{v:.1f}' for v in drop):11} "
                  f"{ordered!s:7} valid  {not outside}")  # fmt: skip
            rx = data["prescription"]
            if rx is not None:
                print(f"{'':27}prescription {rx['stiffness_nm_per_deg']} ({rx['source']}); "
                      f"meets: {[c['name'] for c in data['candidates'] if c['meets_prescription']]}")  # fmt: skip
            print(f"{'':27}rounds: fit {' '.join(f'{v:.1f}' for v in fits)} s, compare "
                  f"{' '.join(f'{v:.1f}' for v in compares)} s, ratio "
                  f"{' '.join(f'{v:.2f}' for v in ratios)} (medians above)")  # fmt: skip
    print(
        f"budget: compare <= {BUDGET_RATIO} x fit (median of {ROUNDS} paired rounds); "
        f"machine: {os.cpu_count()} cores"
    )


if __name__ == "__main__":
    main()
