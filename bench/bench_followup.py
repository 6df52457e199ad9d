"""Benchmark `afofit follow-up` on two ~400k-face scans of one leg: wall time and peak
memory of the whole command (fresh process), without and with the earlier brace.

Budget (issue 16): <= 10 s for two 400k-face scans. The new scan is the same phantom leg
meshed anew (420k faces), turned, moved and written in cm, its calf swollen by 5 %
between 200 and 300 mm above the sole; the brace is a fitting of the old scan (not timed).

    python bench/bench_followup.py
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import trimesh

sys.path.insert(0, str(Path(__file__).resolve().parent))
from timing import AFOFIT, run

from afofit.fitting import scan_legs
from afofit.phantom import PhantomSpec, make_phantom

BUDGET_S = 10.0


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="afofit-bench-followup-"))
    t = time.perf_counter()
    spec = {"seed": 3, "pose": "neutral", "noise_mm": 0.2}
    old = tmp / "old.stl"
    make_phantom(PhantomSpec(faces=400_000, **spec)).mesh.export(old)
    frame = scan_legs(old)[0].legs[0].frame
    new = make_phantom(PhantomSpec(faces=420_000, **spec)).mesh
    shank = frame.to_shank_local(np.asarray(new.vertices))
    z = shank[:, 2]
    weight = np.clip(np.minimum(z - 190.0, 310.0 - z) / 10.0, 0.0, 1.0)
    shank[:, :2] *= (1.0 + 0.05 * weight)[:, None]
    swollen = trimesh.Trimesh(frame.shank_to_scan(shank), new.faces, process=False)
    turn = trimesh.transformations.rotation_matrix(0.9, [0.2, 0.6, -0.4])
    turn[:3, 3] = [80.0, 150.0, -60.0]
    swollen.apply_transform(turn)
    swollen.apply_scale(0.1)
    swollen.export(tmp / "new_cm.stl")
    fit_dir = tmp / "fit"
    run([str(AFOFIT), "fit", str(old), "-o", str(fit_dir)])
    print(f"built two 400k-face scans and the old scan's fit in {time.perf_counter() - t:.0f} s")
    print(f"{'case':28} {'wall s':>7} {'peak MB':>8}  verdict, residual   budget {BUDGET_S} s")
    for label, extra in (("follow-up", []), ("follow-up --afo", ["--afo", str(fit_dir)])):
        out = tmp / label.replace(" ", "_")
        args = [str(AFOFIT), "follow-up", str(old), str(tmp / "new_cm.stl"), "-o", str(out)]
        wall, mem = run(args + extra)
        data = json.loads((out / "follow-up.json").read_text())
        verdict = data["afo"]["verdict"] if data["afo"] else "-"
        inside = [g["change_pct"] for g in data["girth_change"] if 200 <= g["level_mm"] <= 300]
        ok = "ok" if wall <= BUDGET_S else "OVER"
        print(f"{label:28} {wall:>7.1f} {mem:>8.0f}  {verdict}, "
              f"{data['registration_residual_mm']:.3f} mm; calf +{min(inside):.1f}..+"
              f"{max(inside):.1f} %  {ok}")  # fmt: skip
    print(f"machine: {os.cpu_count()} cores, python {sys.version.split()[0]}")


if __name__ == "__main__":
    main()
