"""The stiffness of a brace afofit fitted earlier: from its folder (fitting.json and the STLs).

For a lab that wants the FE number for a brace it designed before: each leg's shell is
read back, its fixture rebuilt from the landmarks and frame fitting.json recorded, and its
stiffness computed by FE (:func:`afofit.mechanics.fe.fe_stiffness`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import trimesh

from afofit.errors import InputError
from afofit.jsonready import rounded
from afofit.mechanics.fe import DEFAULT_H_MM, FEStiffness, fe_stiffness
from afofit.mechanics.fixture import Fixture, standard_fixture
from afofit.profiles import load_material
from afofit.scan import load_scan

__all__ = ["BraceStiffness", "fitted_brace_stiffness", "stiffness_to_dict"]


@dataclass(frozen=True, slots=True)
class BraceStiffness:
    """One leg's brace, its fixture and what FE found (N·m/deg, MPa, degrees)."""

    side: str
    design: str
    material: str
    thickness_mm: float
    fixture: Fixture
    result: FEStiffness


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


def _leg_stiffness(folder: Path, leg: dict[str, Any], h_mm: float) -> BraceStiffness:
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
    result = fe_stiffness(shell, fixture, material.modulus_gpa, material.strength_mpa, h_mm)
    return BraceStiffness(
        leg["side"], design["name"], material.name, float(design["thickness_mm"]), fixture, result
    )


def fitted_brace_stiffness(
    folder: Path | str, h_mm: float = DEFAULT_H_MM
) -> tuple[BraceStiffness, ...]:
    """The FE stiffness of each leg's brace in a fitting's ``folder``, tetrahedra ``h_mm`` apart.

    Raises
    ------
    InputError
        The folder holds no readable fitting, or its shell or landmarks are missing.
    ProfileError
        The material it names is unknown.
    FitError
        The shell cannot be meshed.
    """
    folder = Path(folder)
    data = _fitting(folder)
    return tuple(_leg_stiffness(folder, leg, h_mm) for leg in data["legs"])


def stiffness_to_dict(braces: tuple[BraceStiffness, ...]) -> dict[str, Any]:
    """The stable JSON of ``afofit stiffness --json`` for ``braces`` (see the README)."""
    legs = []
    for brace in braces:
        r = brace.result
        legs.append(
            {
                "side": brace.side, "design": brace.design, "material": brace.material,
                "thickness_mm": brace.thickness_mm, "method": "fe",
                "predicted_nm_per_deg": rounded(r.sagittal_nm_per_deg, 4),
                "lower_bound_nm_per_deg": rounded(r.lower_bound_nm_per_deg, 4),
                "frontal_nm_per_deg": rounded(r.frontal_nm_per_deg, 4),
                "peak_stress_mpa": rounded(r.peak_stress_mpa, 2),
                "peak_at_mm": [rounded(v, 1) for v in r.peak_at_mm],
                "peak_height_above_axis_mm": rounded(r.peak_height_mm, 1),
                "moment_nm": r.moment_nm, "linear_to_deg": rounded(r.linear_to_deg, 2),
                "fixture": brace.fixture.to_dict(),
                "mesh": {"tets": r.tets, "dofs": r.dofs, "h_mm": r.h_mm},
            }
        )  # fmt: skip
    return {"legs": legs}
