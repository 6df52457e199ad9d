"""Fast stiffness model: shell elements on the brace's midsurface, checked against solid FE.

A printed AFO is a thin shell (2.5-6 mm walls on 30-60 mm radii), so it is modelled as
one: the band of the shell between the fixture's clamp and its cuff (and a margin past
each) is decimated to triangles :data:`EDGE_MM` apart, its midsurface and local wall
thickness found from the solid itself (:mod:`afofit.mechanics.midsurface`), and flat shell
triangles (:mod:`afofit.mechanics.plates`: Allman membrane + DKT plate) solved in the same
fixture as the solid FE (:mod:`afofit.mechanics.cuff`). A system of ~20 000 unknowns,
factorised once (sparse LDLᵀ, QDLDL), gives the cuff's whole 6 × 6 compliance: the
dorsiflexion stiffness with the cuff guided and free, and the frontal stiffness.

Each is then multiplied by one factor fitted to solid FE (quadratic tetrahedra) by
``bench/calibrate_fast.py`` on shells of every design, 2.5-6 mm, both reference scans and
three phantom builds, and checked on shells held out of the fit
(bench/calibration/fast_model.md gives the table and the errors). Before that factor the
model is already within a few per cent of FE on most shells: what it leaves out is the
wall's shear and its thickness against the curvature (a thick wall on a tight curve),
and the rims' rounding.

The peak stress is not reported from it: the FE's peaks sit in concentrations a 5 mm
triangle cannot resolve; it is FE's alone.

Units: mm, N, N·mm, MPa inside; N·m/deg only in the result.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import trimesh
from numpy.typing import NDArray

from afofit.errors import FitError
from afofit.geometry.topology import compact_mesh
from afofit.mechanics.cuff import cuff_compliance, solve_cuff
from afofit.mechanics.fe import POISSON_RATIO
from afofit.mechanics.fixture import Fixture
from afofit.mechanics.midsurface import Midsurface, midsurface
from afofit.mechanics.plates import DOFS_PER_NODE, shell_stiffness_matrix
from afofit.units import gpa_to_mpa, nmm_per_rad_to_nm_per_deg

__all__ = [
    "EDGE_MM",
    "ERROR_VS_FE",
    "FACTORS",
    "MARGIN_EDGES",
    "FastStiffness",
    "ShellModel",
    "fast_stiffness",
    "shell_model",
]

#: The shell triangles' size, mm (3 mm changed k by 0.2-8 % on the calibration shells,
#: and took four times as long).
EDGE_MM = 5.0
#: The band modelled reaches this many triangle sizes past the clamp and the cuff.
MARGIN_EDGES = 2.0
#: Each stiffness's factor, fitted to FE by bench/calibrate_fast.py (its table,
#: bench/calibration/fast_model.md, lists them).
FACTORS: dict[str, float] = {"guided": 1.0345, "free": 1.0381, "frontal": 1.0320}
#: How far the calibrated model read from FE over all the shells of the calibration table
#: (fitted and held out), dorsiflexion with the cuff guided: median and worst |error|.
ERROR_VS_FE = {"median": 0.009, "worst": 0.047}


@dataclass(frozen=True, slots=True)
class ShellModel:
    """The uncalibrated shell model of a brace in its fixture.

    Attributes
    ----------
    compliance : (6, 6) the cuff's generalized displacements (mm, rad) per unit
        generalized force (N, N·mm), fixture axes (translations x, y, z; rotations).
    midsurface : the modelled band's midsurface (fixture frame, mm).
    """

    compliance: NDArray[np.float64]
    midsurface: Midsurface

    def stiffness(self, kind: str) -> float:
        """Uncalibrated stiffness, N·m/deg: "guided" or "free" (dorsiflexion) or "frontal"."""
        return nmm_per_rad_to_nm_per_deg(1.0 / cuff_compliance(self.compliance, kind))


@dataclass(frozen=True, slots=True)
class FastStiffness:
    """The fast model's answer, in the terms of :class:`afofit.mechanics.fe.FEStiffness`:
    dorsiflexion stiffness with the fixture's cuff constraint and under a pure moment,
    frontal stiffness with the cuff guided (N·m/deg); the stresses are FE's alone (None)."""

    sagittal_nm_per_deg: float
    lower_bound_nm_per_deg: float
    frontal_nm_per_deg: float
    moment_nm: float
    triangles: int
    peak_stress_mpa: None = None
    peak_at_mm: None = None
    peak_height_mm: None = None
    linear_to_deg: None = None


def _in_band(
    vertices: NDArray[np.float64], faces: NDArray[np.int64], low: float, high: float
) -> NDArray[np.bool_]:
    """Which ``faces`` have a corner between heights ``low`` and ``high`` (z)."""
    z = vertices[faces, 2]
    return (z.max(axis=1) > low) & (z.min(axis=1) < high)


def shell_model(
    shell: trimesh.Trimesh, fixture: Fixture, modulus_gpa: float, edge_mm: float = EDGE_MM
) -> ShellModel:
    """The uncalibrated shell model of ``shell`` (closed, scan frame, mm) in ``fixture``,
    of a material of modulus ``modulus_gpa``, with triangles about ``edge_mm`` apart.

    Raises
    ------
    FitError
        The shell does not reach the clamp and the cuff, or its sides cannot be told apart.
    """
    local = fixture.to_fixture(np.asarray(shell.vertices))
    faces = np.asarray(shell.faces, np.int64)
    clamp_z, cuff_z = -fixture.clamp_below_mm, fixture.cuff_from_mm
    low, high = clamp_z - MARGIN_EDGES * edge_mm, cuff_z + MARGIN_EDGES * edge_mm
    if not local[:, 2].min() < clamp_z < cuff_z < local[:, 2].max():
        raise FitError("the fixture does not hold this shell: nothing lies in its clamp or cuff.")
    band = _in_band(local, faces, low, high)
    mid = midsurface(*compact_mesh(local, faces[band]), edge_mm=edge_mm)
    kept = _in_band(mid.nodes, mid.triangles, low, high)
    nodes, triangles = compact_mesh(mid.nodes, mid.triangles[kept])
    thickness = mid.thickness_mm[kept]
    stiffness = shell_stiffness_matrix(
        nodes, triangles, thickness, gpa_to_mpa(modulus_gpa), POISSON_RATIO
    )
    component = np.tile(np.arange(DOFS_PER_NODE), len(nodes))
    where = np.repeat(nodes, DOFS_PER_NODE, axis=0)
    solution = solve_cuff(stiffness, where, component, clamp_z, cuff_z, large=False)
    return ShellModel(solution.compliance, Midsurface(nodes, triangles, thickness))


def fast_stiffness(shell: trimesh.Trimesh, fixture: Fixture, modulus_gpa: float) -> FastStiffness:
    """The fast model's stiffness of ``shell`` (scan frame, mm) in ``fixture``, for a
    material of modulus ``modulus_gpa``.

    Raises
    ------
    FitError
        The shell does not reach the clamp and the cuff, or its sides cannot be told apart.
    """
    model = shell_model(shell, fixture, modulus_gpa)
    sagittal = FACTORS[fixture.cuff] * model.stiffness(fixture.cuff)
    free = FACTORS["free"] * model.stiffness("free")
    # Holding the cuff's other rotations can only stiffen it: the two calibrations may
    # cross where they nearly agree.
    return FastStiffness(
        sagittal_nm_per_deg=sagittal,
        lower_bound_nm_per_deg=min(free, sagittal),
        frontal_nm_per_deg=FACTORS["frontal"] * model.stiffness("frontal"),
        moment_nm=fixture.moment_nm,
        triangles=len(model.midsurface.triangles),
    )
