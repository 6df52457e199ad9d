"""A brace's stiffness by either method, as fitting.json and ``afofit stiffness`` report it.

:func:`shell_stiffness` runs the fast model (:mod:`afofit.mechanics.fast`, the default) or
FE (:mod:`afofit.mechanics.fe`, needs ``afofit[fe]``) on a shell in its fixture;
:func:`stiffness_block` writes the answer with its fixture (and the target and the
tuning, in a fitting). :func:`fitted_brace_stiffness` reads back a brace afofit fitted
earlier (its folder's fitting.json and STLs), for a lab that wants the FE number for a
brace it designed before.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import trimesh
from numpy.typing import NDArray

from afofit.errors import InputError
from afofit.jsonready import rounded
from afofit.mechanics.fast import EDGE_MM, ERROR_VS_FE, FastStiffness, fast_stiffness
from afofit.mechanics.fe import DEFAULT_H_MM, FEStiffness, fe_stiffness
from afofit.mechanics.fixture import Fixture, standard_fixture
from afofit.profiles import Material, load_material
from afofit.progress import Progress, silent
from afofit.request import STIFFNESS_METHODS
from afofit.scan import load_scan
from afofit.tuning import TOLERANCE, Tuning

__all__ = [
    "BraceStiffness",
    "LegStiffness",
    "fast_stiffness_of",
    "fitted_brace_stiffness",
    "shell_stiffness",
    "stiffness_block",
    "stiffness_to_dict",
]


Result = FEStiffness | FastStiffness


def shell_stiffness(
    shell: trimesh.Trimesh,
    fixture: Fixture,
    material: Material,
    method: str = "fast",
    h_mm: float = DEFAULT_H_MM,
) -> Result:
    """The stiffness of ``shell`` (scan frame, mm) in ``fixture`` by ``method``, for the
    ``material``'s modulus and strength; FE with tetrahedra ``h_mm`` apart.

    Raises
    ------
    InputError
        An unknown method, or FE without its libraries (``pip install afofit[fe]``).
    FitError
        The shell cannot be modelled (an open section; FE: it cannot be meshed).
    """
    if method == "fast":
        return fast_stiffness(shell, fixture, material.modulus_gpa)
    if method != "fe":
        raise InputError(f"stiffness method {method!r}: use one of {', '.join(STIFFNESS_METHODS)}.")
    try:  # the FE extra's libraries are imported where FE needs them
        return fe_stiffness(shell, fixture, material.modulus_gpa, material.strength_mpa, h_mm)
    except ModuleNotFoundError as exc:
        raise InputError(
            f"--stiffness-method fe needs {exc.name}: pip install 'afofit[fe]' (or use fast)."
        ) from exc


def fast_stiffness_of(
    vertices: NDArray[np.float64], faces: NDArray[np.int64], fixture: Fixture, material: Material
) -> FastStiffness:
    """:func:`shell_stiffness` by the fast method of the shell of ``vertices`` (n, 3) and
    ``faces`` (m, 3) (scan frame, mm) in ``fixture``, for the ``material``'s modulus: plain
    arrays, so that a helper process can work it out beside the shell's checks."""
    shell = trimesh.Trimesh(vertices, faces, process=False)
    return fast_stiffness(shell, fixture, material.modulus_gpa)


@dataclass(frozen=True, slots=True)
class LegStiffness:
    """One fitted leg's stiffness: by what ``method``, in what ``fixture``, the ``result``;
    the ``target`` range (N·m/deg) when one was asked for, and the ``tuning`` when the
    design was tuned to it (``fe_correction``: FE / fast on the first tuned shell, when FE
    judged the tuning and sent it back)."""

    method: str
    fixture: Fixture
    result: Result
    target: tuple[float, float] | None = None
    tuning: Tuning | None = None
    fe_correction: float | None = None

    @property
    def within_target(self) -> bool | None:
        """Whether the stiffness meets the target (its range, or ±10 % of its middle)."""
        if self.target is None:
            return None
        low, high = self.target
        middle = 0.5 * (low + high)
        k = self.result.sagittal_nm_per_deg
        return min(low, (1 - TOLERANCE) * middle) <= k <= max(high, (1 + TOLERANCE) * middle)


@dataclass(frozen=True, slots=True)
class BraceStiffness:
    """One leg's brace and its stiffness (N·m/deg, MPa, degrees)."""

    side: str
    design: str
    material: str
    thickness_mm: float
    stiffness: LegStiffness


def _fitting(folder: Path) -> dict[str, Any]:
    path = folder / "fitting.json"
    if not path.is_file():
        raise InputError(f"{folder}: no fitting.json here; give the folder `afofit fit -o` wrote.")
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: not readable JSON ({exc}); fit the brace again.") from exc
    if "legs" not in data:
        raise InputError(f"{path}: not an afofit fitting (no legs); fit the brace again.")
    return data


def _leg_stiffness(folder: Path, leg: dict[str, Any], method: str, h_mm: float) -> BraceStiffness:
    stl = folder / leg["shell"]["stl"]
    if not stl.is_file():
        raise InputError(f"{stl}: the shell is missing from the fitting's folder.")
    raw = load_scan(stl)  # read and merged as any scan (an STL stores corners apart)
    shell = trimesh.Trimesh(raw.vertices, raw.faces, process=False)
    points = {k: np.asarray(v, np.float64) for k, v in leg["landmarks_mm"].items() if v}
    missing = {"lateral_malleolus", "medial_malleolus", "ankle_axis_centre"} - set(points)
    if missing:
        raise InputError(f"{folder}/fitting.json: no {', '.join(sorted(missing))} recorded.")
    frame = leg["frame"]
    fixture = standard_fixture(
        points["lateral_malleolus"], points["medial_malleolus"], points["ankle_axis_centre"],
        np.asarray(frame["up"]), np.asarray(frame["anterior"]), np.asarray(shell.vertices),
    )  # fmt: skip
    design = leg["design"]
    material = load_material(design["material"])
    result = shell_stiffness(shell, fixture, material, method, h_mm)
    return BraceStiffness(
        leg["side"], design["name"], material.name, float(design["thickness_mm"]),
        LegStiffness(method, fixture, result),
    )  # fmt: skip


def fitted_brace_stiffness(
    folder: Path | str,
    method: str = "fe",
    h_mm: float = DEFAULT_H_MM,
    progress: Progress = silent,
) -> tuple[BraceStiffness, ...]:
    """The stiffness of each leg's brace in a fitting's ``folder`` by ``method`` (FE:
    tetrahedra ``h_mm`` apart); ``progress`` is told each leg (:mod:`afofit.progress`).

    Raises
    ------
    InputError
        The folder holds no readable fitting, or its shell or landmarks are missing.
    ProfileError
        The material it names is unknown.
    FitError
        The shell cannot be meshed.
    """
    if method not in STIFFNESS_METHODS:
        raise InputError(f"stiffness method {method!r}: use one of {', '.join(STIFFNESS_METHODS)}.")
    folder = Path(folder)
    progress(f"reading {folder / 'fitting.json'}")
    data = _fitting(folder)
    braces = []
    for leg in data["legs"]:
        how = f"FE (tetrahedra {h_mm:g} mm)" if method == "fe" else "fast model"
        progress(f"stiffness of the {leg.get('side', '')} brace by {how}")
        braces.append(_leg_stiffness(folder, leg, method, h_mm))
    return tuple(braces)


def stiffness_block(stiffness: LegStiffness) -> dict[str, Any]:
    """fitting.json's ``stiffness`` block of one leg (see the README)."""
    r = stiffness.result
    if isinstance(r, FEStiffness):
        model: dict[str, Any] = {"tets": r.tets, "dofs": r.dofs, "h_mm": r.h_mm}
    else:
        model = {
            "triangles": r.triangles, "edge_mm": EDGE_MM, "error_vs_fe": ERROR_VS_FE,
        }  # fmt: skip
    target = stiffness.target
    return {
        "target_nm_per_deg": None if target is None else [round(k, 4) for k in target],
        "predicted_nm_per_deg": rounded(r.sagittal_nm_per_deg, 4),
        "within_target": stiffness.within_target,
        "method": stiffness.method,
        "lower_bound_nm_per_deg": rounded(r.lower_bound_nm_per_deg, 4),
        "frontal_nm_per_deg": rounded(r.frontal_nm_per_deg, 4),
        "peak_stress_mpa": rounded(r.peak_stress_mpa, 2),
        "peak_at_mm": None if r.peak_at_mm is None else [rounded(v, 1) for v in r.peak_at_mm],
        "peak_height_above_axis_mm": rounded(r.peak_height_mm, 1),
        "moment_nm": r.moment_nm,
        "linear_to_deg": rounded(r.linear_to_deg, 2),
        "fixture": stiffness.fixture.to_dict(),
        "model": model,
        "tuning": None if stiffness.tuning is None else stiffness.tuning.to_dict(),
        "fe_correction": rounded(stiffness.fe_correction, 4),
    }


def stiffness_to_dict(braces: tuple[BraceStiffness, ...]) -> dict[str, Any]:
    """The stable JSON of ``afofit stiffness --json`` for ``braces`` (see the README)."""
    legs = []
    for brace in braces:
        block = stiffness_block(brace.stiffness)
        for key in ("target_nm_per_deg", "within_target", "tuning", "fe_correction"):
            del block[key]
        legs.append(
            {"side": brace.side, "design": brace.design, "material": brace.material,
             "thickness_mm": brace.thickness_mm, **block}
        )  # fmt: skip
    return {"legs": legs}
