"""Issue 13's ankle measurements: how far the detected ankle axis centre lies from the truth.

Three sets: the shared Anny scans (when ``../shared/data`` is there), random phantoms whose
malleoli hardly show (``malleoli="smooth"``) and random phantoms with clear bumps; random
side, size, pose, units, noise, holes, open sole. For each case: the error (mm) and its
components in the leg's local frame (x lateral, y anterior, z up), the ankle's confidence
and the cues the detector used. Prints one row per case and each set's median and max.

    python bench/ankle_accuracy.py [N_PHANTOMS_PER_SET]   # default 24
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from timing import SHARED

from afofit.export import write_phantom
from afofit.fitting import analyse_scan
from afofit.phantom import random_specs


def _row(path: Path, truth: dict) -> dict:
    leg = analyse_scan(path).legs[0]
    true = np.asarray(truth["ankle_joint_centre_mm"], dtype=float)  # mm, the file's frame
    found = leg.landmarks_mm["ankle_axis_centre"]
    local = leg.frame.to_local(np.vstack([found, true]))
    return {
        "case": path.name,
        "error": float(np.linalg.norm(found - true)),
        "xyz": local[0] - local[1],
        "confidence": leg.confidence["ankle_axis_centre"],
        # Each cue's height less the true centre's, and its own uncertainty.
        "cues": [(c.name, c.height_mm - local[1][2], c.sd_mm) for c in leg.ankle_estimate.cues]
        if leg.ankle_estimate
        else [],
    }


def _print(title: str, rows: list[dict]) -> None:
    print(f"\n{title}")
    print(f"{'case':34} {'error':>6} {'dx':>6} {'dy':>6} {'dz':>6}  conf  cues (height error ± sd)")
    for r in rows:
        dx, dy, dz = r["xyz"]
        print(
            f"{r['case']:34} {r['error']:6.1f} {dx:6.1f} {dy:6.1f} {dz:6.1f}  "
            f"{r['confidence']:.2f}  "
            + ", ".join(f"{name} {dz:+.1f}±{sd:.1f}" for name, dz, sd in r["cues"])
        )
    errors = [r["error"] for r in rows]
    if errors:
        print(
            f"{title}: median {np.median(errors):.1f} mm, max {np.max(errors):.1f} mm, n={len(rows)}"
        )


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 24
    sets: dict[str, list[dict]] = {}
    shared = [SHARED / "anny_male_right.stl", SHARED / "anny_female_left.ply"]
    if all(p.exists() for p in shared):
        sets["shared scans"] = [
            _row(p, json.loads(p.with_name(p.name.rsplit(".", 1)[0] + ".truth.json").read_text()))
            for p in shared
        ]
    else:
        print(f"(no shared scans at {SHARED}: skipped)")
    with tempfile.TemporaryDirectory(prefix="afofit-ankle-") as tmp:
        for name, malleoli, seed in (("smooth malleoli", "smooth", 13), ("bumps", "bumps", 31)):
            rows = []
            for i, (spec, suffix) in enumerate(random_specs(n, seed, malleoli)):
                path = Path(tmp) / f"{malleoli}{i:02d}_{spec.side}_{spec.units}.{suffix}"
                write_phantom(spec, path)
                rows.append(_row(path, json.loads(path.with_suffix(".truth.json").read_text())))
            sets[name] = rows
    for title, rows in sets.items():
        _print(title, rows)
    hard = sets.get("shared scans", []) + sets["smooth malleoli"]
    errors = [r["error"] for r in hard]
    print(
        f"\nshared scans + smooth phantoms: median {np.median(errors):.1f} mm "
        f"(target <= 6), max {np.max(errors):.1f} mm (target <= 10)"
    )
    bumps = [r["error"] for r in sets["bumps"]]
    print(f"bumps: median {np.median(bumps):.1f} mm (target <= 2)")
    every = [r for rows in sets.values() for r in rows]
    print("\neach cue's height error over every case (|cue height - true centre height|):")
    for name in sorted({c[0] for r in every for c in r["cues"]}):
        errors = [abs(c[1]) for r in every for c in r["cues"] if c[0] == name]
        print(
            f"  {name:24} n={len(errors):3}  median {np.median(errors):4.1f}  max {max(errors):4.1f} mm"
        )


if __name__ == "__main__":
    main()
