"""Tuning to a target stiffness, judged by FE (issue 11): pls at 0.5, 1.0 and 2.0 N·m/deg and
solid at 3 and 5, on the shared scans, with `--stiffness-method fe` (the fast model steers,
FE judges the tuned shell and sends the search back once if it reads more than 10 % off).

Each row: the FE stiffness of the shell afofit would write, its error against the target,
the thickness (and PLS strut width) chosen, the shells built, whether FE sent the search
back, and the wall time; or the refusal and the range it names.

    python bench/bench_tuning.py [--scan male|female ...] [--target solid:5 ...]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from timing import SHARED

from afofit.errors import FitError
from afofit.fitting import fit
from afofit.request import FitRequest

SCANS = {"male": "anny_male_right.stl", "female": "anny_female_left.ply"}
TARGETS = [("pls", 0.5), ("pls", 1.0), ("pls", 2.0), ("solid", 3.0), ("solid", 5.0)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scan", action="append", choices=list(SCANS))
    parser.add_argument("--target", action="append", metavar="DESIGN:K",
                        help="only these targets, e.g. solid:5 (default: all five)")  # fmt: skip
    args = parser.parse_args()
    targets = TARGETS
    if args.target:
        targets = [(d, float(k)) for d, k in (t.split(":") for t in args.target)]
    print(f"{'scan':7} {'design':6} {'target':>6} {'FE k':>7} {'error':>7} {'t mm':>5} "
          f"{'strut':>6} {'shells':>6} {'FE back':>7} {'wall s':>7}")  # fmt: skip
    for scan in args.scan or list(SCANS):
        path = SHARED / SCANS[scan]
        if not path.exists():
            print(f"{scan}: {path} is missing, skipped")
            continue
        for design, target in targets:
            request = FitRequest(
                path, design=design, stiffness_nm_per_deg=(target, target), stiffness_method="fe"
            )
            t0 = time.perf_counter()
            try:
                result = fit(request)
            except FitError as exc:
                print(f"{scan:7} {design:6} {target:6.2f} refused ({time.perf_counter() - t0:.0f} s): "
                      f"{exc}", flush=True)  # fmt: skip
                continue
            wall = time.perf_counter() - t0
            stiffness = result.legs[0].stiffness
            assert stiffness is not None and stiffness.tuning is not None
            k = stiffness.result.sagittal_nm_per_deg
            strut = stiffness.tuning.steps[-1].strut_width_mm
            print(
                f"{scan:7} {design:6} {target:6.2f} {k:7.3f} {k / target - 1:+7.1%} "
                f"{result.legs[0].params.thickness_mm:5.2f} "
                f"{'-' if strut is None else f'{strut:.0f}':>6} {len(stiffness.tuning.steps):6d} "
                f"{'yes' if stiffness.fe_correction else 'no':>7} {wall:7.0f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
