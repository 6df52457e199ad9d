"""Issue 3's "done" measurements: every design at 2.5-6 mm on random phantoms and the Anny scans.

For each case: watertight, winding, self-intersections, minimum wall vs 0.95 x thickness,
clearance median and the share of skin within +-0.8 mm, the deepest skin inside the shell's
material (issue 13), and whether pls leaves the malleoli free and solid covers them. Prints
one row per fit and a summary. Slow (minutes): not a test.

    python bench/fit_criteria.py [N_PHANTOMS] [--only NAME,...] [--designs pls,...] [--slice]

``--only`` keeps the cases whose file name contains one of the NAMEs, ``--designs``
the designs named; the thicknesses drawn for every case stay the same either way.
``--slice`` also slices every STL with PrusaSlicer (when installed) and counts those
it slices without a repair message (a minute or so more per fit).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from afofit.design import resolve_design
from afofit.export import standing_shell, write_mesh, write_phantom
from afofit.fitting import LegFit, fit_leg, scan_legs
from afofit.phantom import PhantomSpec
from afofit.profiles import load_design, load_material
from afofit.tolerances import TOLERANCES

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "scans"


def _option(name: str) -> list[str] | None:
    if name not in sys.argv:
        return None
    return sys.argv[sys.argv.index(name) + 1].split(",")


#: Words in PrusaSlicer's output that mean it had to mend the mesh.
SLICER_WORDS = ("repair", "manifold", "auto-repaired", "open edges", "errors")


def _slices_cleanly(fit: LegFit, folder: Path) -> bool | None:
    """Whether PrusaSlicer slices the fit's STL without a repair message (None without it).

    The shell is sliced as ``afofit fit`` writes it for printing (``afo-print.stl``,
    standing on its flat footplate). PrusaSlicer drops a part onto the bed as it
    lies, and in a scan's random pose the shell can touch the bed at a point:
    then it says "no extrusions in the first layer".
    """
    if shutil.which("prusa-slicer") is None:
        return None
    stl, gcode = folder / "afo-print.stl", folder / "afo.gcode"
    write_mesh(standing_shell(fit)[0], stl)
    run = subprocess.run(
        ["prusa-slicer", "--export-gcode", str(stl), "--bed-shape", "0x0,700x0,700x700,0x700",
         "--max-print-height", "800", "--output", str(gcode)],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    log = (run.stdout + run.stderr).lower()
    return run.returncode == 0 and gcode.exists() and not any(w in log for w in SLICER_WORDS)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 and not sys.argv[1].startswith("-") else 20
    only, designs = _option("--only"), _option("--designs")
    slicing = "--slice" in sys.argv
    rng = np.random.default_rng(2026)
    tmp = Path(tempfile.mkdtemp())
    scans = [
        p for p in (SHARED / "anny_male_right.stl", SHARED / "anny_female_left.ply") if p.exists()
    ]
    for i in range(n):
        spec = PhantomSpec(
            side=str(rng.choice(["left", "right"])), foot_length_mm=float(rng.uniform(220, 295)),
            calf_girth_mm=float(rng.uniform(310, 410)), seed=int(rng.integers(10_000)),
            noise_mm=float(rng.uniform(0, 0.4)), holes=int(rng.integers(0, 5)),
            units=str(rng.choice(["mm", "cm", "m", "in"])), faces=30000,
            open_sole=bool(rng.random() < 0.3), reaches_knee=bool(rng.random() < 0.7),
        )  # fmt: skip
        path = tmp / f"p{i:02d}{'_open' if spec.open_sole else ''}.ply"
        scans.append(path)
        if only is None or any(k in path.name for k in only):
            write_phantom(spec, path)
    rows = []
    for path in scans:
        thicknesses = [float(rng.choice([2.5, 3.5, 4.5, 6.0])) for _ in range(3)]
        if only is not None and not any(k in path.name for k in only):
            continue
        anatomy, limbs = scan_legs(path)
        leg, limb = anatomy.legs[0], limbs[0]
        top = float(leg.frame.to_local(np.asarray(limb.vertices))[:, 2].max())
        for design, thickness in zip(("pls", "semi-rigid", "solid"), thicknesses, strict=True):
            if designs is not None and design not in designs:
                continue
            params = resolve_design(load_design(design), load_material("pp-copolymer"), leg, top,
                                    thickness_mm=thickness)  # fmt: skip
            fit = fit_leg(limb, leg, params)
            s = fit.stats
            malleoli = [fit.covers(k) for k in ("lateral_malleolus", "medial_malleolus")]
            row = {
                "case": path.name, "design": design, "t": thickness, "watertight": s.watertight,
                "winding": s.winding_consistent, "selfint": s.self_intersections,
                "wall_ratio": s.min_wall_mm / thickness, "clr_median": s.clearance_median_mm,
                "within08": s.clearance_within_0_8_fraction, "penetration": s.penetration_mm,
                "inside": s.skin_inside, "malleoli_ok": (not any(malleoli))
                if design == "pls" else (all(malleoli) if design == "solid" else True),
                "failed": [c.name for c in fit.checks if not c.passed],
                "sliced": _slices_cleanly(fit, tmp) if slicing else None,
            }  # fmt: skip
            rows.append(row)
            print(f"{row['case']:28} {design:10} t={thickness:3.1f} wt={s.watertight!s:5} "
                  f"selfint={s.self_intersections} wall/t={row['wall_ratio']:.3f} "
                  f"clr={s.clearance_median_mm:.2f} in0.8={100 * row['within08']:.0f}% "
                  f"pen={s.penetration_mm:.2f}mm/{s.skin_inside}v "
                  f"malleoli_ok={row['malleoli_ok']} sliced={row['sliced']} failed={row['failed']}",
                  flush=True)  # fmt: skip
    ok = [not r["failed"] and r["malleoli_ok"] for r in rows]
    print(f"\n{sum(ok)}/{len(rows)} fits meet every criterion")
    for name in ("watertight", "winding"):
        print(f"{name}: {sum(r[name] for r in rows)}/{len(rows)}")
    print(f"self-intersections: {sum(r['selfint'] == 0 for r in rows)}/{len(rows)} free")
    tol = TOLERANCES
    print(
        f"min wall >= {tol.min_wall_fraction} t: {sum(r['wall_ratio'] >= tol.min_wall_fraction for r in rows)}/{len(rows)}"
    )
    print(
        f"clearance median within +-{tol.clearance_median_mm}: {sum(abs(r['clr_median'] - 2.0) <= tol.clearance_median_mm for r in rows)}/{len(rows)}"
    )
    print(
        f"{100 * tol.clearance_band_fraction:.0f} % within +-{tol.clearance_band_mm}: {sum(r['within08'] >= tol.clearance_band_fraction for r in rows)}/{len(rows)}"
    )
    print(f"malleoli as designed: {sum(r['malleoli_ok'] for r in rows)}/{len(rows)}")
    deepest = max((r["penetration"] for r in rows), default=0.0)
    print(
        f"skin inside the shell <= {tol.max_penetration_mm} mm: "
        f"{sum(r['penetration'] <= tol.max_penetration_mm for r in rows)}/{len(rows)} "
        f"(deepest {deepest:.2f} mm)"
    )
    if slicing:
        print(
            f"PrusaSlicer without a repair message: {sum(bool(r['sliced']) for r in rows)}/{len(rows)}"
        )


if __name__ == "__main__":
    main()
