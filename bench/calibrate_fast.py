"""Calibrate the fast stiffness model against FE, and measure it on shells it never saw.

Issue 11: the fast model (afofit/mechanics/fast.py) must read within 15 % of FE on every
shell of its calibration set and on >= 4 held-out shells. The set spans the three designs,
2.5-6 mm, pls strut widths, both shared scans and phantoms of three builds.

Two stages:

    python bench/calibrate_fast.py fe      # build each shell, FE it (slow: ~20-40 s a shell)
    python bench/calibrate_fast.py fit     # fit the fast model's factors; print the table

``fe`` appends to bench/calibration/fe_shells.json (committed: the FE reference) and keeps
each shell in a cache folder (``--cache``, default a temp folder) so that ``fit`` needs no
rebuild; ``fit`` rebuilds a shell that is not cached. ``fit`` writes
bench/calibration/fast_model.md: the factors and, per shell, FE vs fast and the error.
The factors it prints are the ones to put in afofit/mechanics/fast.py (a test checks that
they agree with the table).
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import trimesh

sys.path.insert(0, str(Path(__file__).resolve().parent))
from timing import SHARED

from afofit.design import resolve_design
from afofit.fitting import fit_leg, scan_legs
from afofit.mechanics.fast import shell_model
from afofit.mechanics.fe import fe_stiffness
from afofit.mechanics.fixture import Fixture, fixture_for_leg
from afofit.phantom import PhantomSpec, make_phantom
from afofit.profiles import load_design, load_material

HERE = Path(__file__).resolve().parent / "calibration"
FE_TABLE = HERE / "fe_shells.json"
MODEL_TABLE = HERE / "fast_model.md"
MATERIAL = "pp-copolymer"

#: Phantom builds: (seed, foot length mm, calf girth mm).
PHANTOMS = {"phantom-mid": (3, 260.0, 360.0), "phantom-small": (7, 225.0, 310.0),
            "phantom-large": (11, 295.0, 430.0)}  # fmt: skip
SCANS = {"male": "anny_male_right.stl", "female": "anny_female_left.ply"}


@dataclass(frozen=True)
class Case:
    scan: str
    design: str
    thickness_mm: float
    strut_mm: float | None = None
    holdout: bool = False

    @property
    def name(self) -> str:
        strut = f"-strut{self.strut_mm:g}" if self.strut_mm else ""
        return f"{self.scan}-{self.design}-{self.thickness_mm:g}{strut}"


CASES = [
    Case("male", "pls", 2.5), Case("male", "pls", 4.0), Case("male", "pls", 3.0, strut_mm=24.0),
    Case("male", "semi-rigid", 3.0), Case("male", "solid", 4.5), Case("male", "solid", 6.0),
    Case("female", "pls", 3.0), Case("female", "semi-rigid", 4.0), Case("female", "solid", 3.0),
    Case("phantom-mid", "pls", 3.0), Case("phantom-mid", "solid", 4.5),
    Case("phantom-small", "pls", 2.5), Case("phantom-small", "semi-rigid", 4.0),
    Case("phantom-small", "solid", 6.0), Case("phantom-large", "pls", 6.0, strut_mm=44.0),
    Case("phantom-large", "solid", 3.0),
    # held out: never used to fit the coefficients
    Case("male", "pls", 3.0, holdout=True), Case("male", "semi-rigid", 5.0, holdout=True),
    Case("female", "pls", 5.0, holdout=True), Case("female", "solid", 5.0, holdout=True),
    Case("phantom-mid", "semi-rigid", 3.5, holdout=True),
    Case("phantom-small", "pls", 4.0, strut_mm=40.0, holdout=True),
    Case("phantom-large", "solid", 4.0, holdout=True),
    # held out too, and with the ones above the published-range and ordering check at equal
    # thickness on both scans (bench/stiffness_ranges.py)
    Case("male", "solid", 3.0, holdout=True), Case("female", "semi-rigid", 3.0, holdout=True),
    Case("female", "solid", 4.5, holdout=True),
]  # fmt: skip


def scan_path(scan: str, cache: Path) -> Path:
    if scan in SCANS:
        path = SHARED / SCANS[scan]
        if not path.exists():
            raise SystemExit(f"{path} is missing: the calibration needs ../shared/data/scans")
        return path
    path = cache / f"{scan}.stl"
    if not path.exists():
        seed, foot, calf = PHANTOMS[scan]
        spec = PhantomSpec(seed=seed, foot_length_mm=foot, calf_girth_mm=calf)
        make_phantom(spec).mesh.export(path)
    return path


def build(case: Case, cache: Path) -> tuple[trimesh.Trimesh, Fixture]:
    """The case's shell (scan frame, mm) and its standard fixture, cached."""
    path = cache / f"{case.name}.npz"
    if path.exists():
        data = np.load(path)
        shell = trimesh.Trimesh(data["vertices"], data["faces"], process=False)
        fixture = Fixture(data["origin"], data["axis"], data["up"], float(data["clamp"]),
                          float(data["cuff"]))  # fmt: skip
        return shell, fixture
    anatomy, limbs = scan_legs(scan_path(case.scan, cache))
    leg, limb = anatomy.legs[0], limbs[0]
    top = float(leg.frame.to_local(np.asarray(limb.vertices))[:, 2].max())
    params = resolve_design(
        load_design(case.design), load_material(MATERIAL), leg, top,
        thickness_mm=case.thickness_mm, strut_width_mm=case.strut_mm,
    )  # fmt: skip
    shell = fit_leg(limb, leg, params).shell_scan
    fixture = fixture_for_leg(leg, np.asarray(shell.vertices))
    np.savez(path, vertices=shell.vertices, faces=shell.faces, origin=fixture.origin_mm,
             axis=fixture.axis, up=fixture.up, clamp=fixture.clamp_below_mm,
             cuff=fixture.cuff_from_mm)  # fmt: skip
    return shell, fixture


def run_fe(cache: Path) -> None:
    rows = json.loads(FE_TABLE.read_text()) if FE_TABLE.exists() else {}
    material = load_material(MATERIAL)
    for case in CASES:
        if case.name in rows:
            continue
        t0 = time.perf_counter()
        shell, fixture = build(case, cache)
        t1 = time.perf_counter()
        r = fe_stiffness(shell, fixture, material.modulus_gpa, material.strength_mpa)
        rows[case.name] = {
            "scan": case.scan, "design": case.design, "thickness_mm": case.thickness_mm,
            "strut_mm": case.strut_mm, "holdout": case.holdout,
            "guided_nm_per_deg": round(r.sagittal_nm_per_deg, 5),
            "free_nm_per_deg": round(r.lower_bound_nm_per_deg, 5),
            "frontal_nm_per_deg": round(r.frontal_nm_per_deg, 5),
            "peak_stress_mpa": round(r.peak_stress_mpa, 3),
            "peak_height_mm": round(r.peak_height_mm, 1),
            "tets": r.tets, "build_s": round(t1 - t0, 1),
            "fe_s": round(time.perf_counter() - t1, 1),
        }  # fmt: skip
        HERE.mkdir(exist_ok=True)
        FE_TABLE.write_text(json.dumps(rows, indent=1) + "\n")
        row = rows[case.name]
        print(f"{case.name:36} guided {row['guided_nm_per_deg']:8.3f} free "
              f"{row['free_nm_per_deg']:8.3f} frontal {row['frontal_nm_per_deg']:8.3f} "
              f"({row['build_s']} + {row['fe_s']} s)", flush=True)  # fmt: skip


KINDS = {"guided": "guided_nm_per_deg", "free": "free_nm_per_deg",
         "frontal": "frontal_nm_per_deg"}  # fmt: skip


def fit_model(cache: Path) -> None:
    rows = json.loads(FE_TABLE.read_text())
    material = load_material(MATERIAL)
    models, seconds = {}, []
    for case in CASES:
        if case.name not in rows:
            continue
        shell, fixture = build(case, cache)
        t0 = time.perf_counter()
        models[case.name] = shell_model(shell, fixture, material.modulus_gpa)
        seconds.append(time.perf_counter() - t0)  # the fast model's own time
    names = list(models)
    train = [n for n in names if not rows[n]["holdout"]]
    factors, raw, errors = {}, {}, {}
    for kind, key in KINDS.items():
        # k_FE = f k_shell: f the geometric mean of FE / model over the fitted shells.
        raw[kind] = {n: models[n].stiffness(kind) / rows[n][key] - 1.0 for n in names}
        factors[kind] = float(np.exp(-np.mean([np.log1p(raw[kind][n]) for n in train])))
        errors[kind] = {n: factors[kind] * (1.0 + raw[kind][n]) - 1.0 for n in names}
    lines = [
        "# Fast stiffness model: calibration against FE",
        "",
        "Written by `python bench/calibrate_fast.py fit` (FE reference: `fe_shells.json`, "
        f"{MATERIAL}, quadratic tetrahedra, h = 4 mm).",
        "Model: shell triangles on the midsurface (afofit/mechanics/fast.py), each stiffness "
        "times one factor fitted on the shells marked `fit` (geometric mean of FE / model), "
        "checked on those marked `holdout`.",
        "",
        "| stiffness | factor |",
        "|---|---|",
        *(f"| {kind} | {f:.4f} |" for kind, f in factors.items()),
        "",
        "Error = fast / FE - 1 (raw: before the factor).",
        "",
        "| shell | set | FE guided | fast err | raw | FE free | err | FE frontal | err "
        "| triangles |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for n in names:
        r = rows[n]
        lines.append(
            f"| {n} | {'holdout' if r['holdout'] else 'fit'} | {r['guided_nm_per_deg']:.3f} "
            f"| {errors['guided'][n]:+.1%} | {raw['guided'][n]:+.1%} "
            f"| {r['free_nm_per_deg']:.3f} | {errors['free'][n]:+.1%} "
            f"| {r['frontal_nm_per_deg']:.3f} | {errors['frontal'][n]:+.1%} "
            f"| {len(models[n].midsurface.triangles)} |"
        )
    lines.append("")
    for kind in KINDS:
        for label, group in (("fit", train), ("holdout", [n for n in names if n not in train])):
            e = np.abs([errors[kind][n] for n in group])
            if len(e):
                lines.append(f"- {kind}, {label} ({len(e)} shells): worst |error| {e.max():.1%}, "
                             f"median {np.median(e):.1%}")  # fmt: skip
    every = np.abs(list(errors["guided"].values()))
    lines.append(f"- guided, all {len(every)} shells: median |error| {np.median(every):.1%}, "
                 f"worst {every.max():.1%} (afofit.mechanics.fast.ERROR_VS_FE)")  # fmt: skip
    lines.append(f"- model time per shell: median {np.median(seconds):.2f} s, "
                 f"max {max(seconds):.2f} s")  # fmt: skip
    k_fast = {n: rows[n]["guided_nm_per_deg"] * (1.0 + errors["guided"][n]) for n in names}
    lines += ["", *published_checks(rows, k_fast)]
    text = "\n".join(lines) + "\n"
    MODEL_TABLE.write_text(text)
    print(text)
    print("FACTORS =", {k: round(f, 4) for k, f in factors.items()})
    print(f'ERROR_VS_FE = {{"median": {np.median(every):.3f}, "worst": {every.max():.3f}}}')


#: Published ranges (afo-engineering.md §1.2), pp-copolymer: (design, thickness) → N·m/deg.
PUBLISHED = {("solid", 4.5): (2.0, 12.0), ("pls", 3.0): (0.1, 1.5)}


def published_checks(rows: dict[str, dict], k_fast: dict[str, float]) -> list[str]:
    """The published ranges and the ordering (thickness, trim) on both shared scans, FE and
    fast (``k_fast``: the fitted model's guided stiffness of each shell, N·m/deg)."""
    out = ["## Published ranges and ordering (both shared scans)", ""]

    def k(scan: str, design: str, t: float, fast: bool = False) -> float | None:
        name = Case(scan, design, t).name
        if name not in rows:
            return None
        return k_fast[name] if fast else rows[name]["guided_nm_per_deg"]

    for scan in SCANS:
        for (design, t), (low, high) in PUBLISHED.items():
            fe, fa = k(scan, design, t), k(scan, design, t, True)
            if fe is not None and fa is not None:
                ok = "in" if low <= fe <= high and low <= fa <= high else "OUT of"
                out.append(f"- {scan}, {design} {t:g} mm: FE {fe:.2f}, fast {fa:.2f} N·m/deg, "
                           f"{ok} the published {low:g}-{high:g}")  # fmt: skip
        trio = [(k(scan, d, 3.0), k(scan, d, 3.0, True)) for d in ("pls", "semi-rigid", "solid")]
        if all(fe is not None for fe, _ in trio):
            fe_order = trio[0][0] < trio[1][0] < trio[2][0]  # type: ignore[operator]
            fast_order = trio[0][1] < trio[1][1] < trio[2][1]  # type: ignore[operator]
            out.append(f"- {scan}, 3 mm: pls < semi-rigid < solid by FE: {fe_order} "
                       f"({', '.join(f'{fe:.2f}' for fe, _ in trio)}); by fast: {fast_order}")  # fmt: skip
        for design in ("pls", "semi-rigid", "solid"):
            ts = sorted(c.thickness_mm for c in CASES
                        if c.scan == scan and c.design == design and not c.strut_mm
                        and c.name in rows)  # fmt: skip
            if len(ts) > 1:
                fes = [k(scan, design, t) for t in ts]
                rising = all(a < b for a, b in itertools.pairwise(fes))  # type: ignore[operator]
                out.append(f"- {scan}, {design}: k rises with thickness "
                           f"({', '.join(f'{t:g} mm {v:.2f}' for t, v in zip(ts, fes, strict=True))}): {rising}")  # fmt: skip
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("stage", choices=["fe", "fit"])
    parser.add_argument(
        "--cache", type=Path, default=Path(tempfile.gettempdir()) / "afofit-calibration"
    )
    args = parser.parse_args()
    args.cache.mkdir(exist_ok=True)
    if args.stage == "fe":
        run_fe(args.cache)
    else:
        fit_model(args.cache)


if __name__ == "__main__":
    main()
