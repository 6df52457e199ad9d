"""Fast stiffness model: a beam of the shell's real sections, calibrated against FE.

The shank of the brace between the fixture's clamp and its cuff is cut into sections
perpendicular to ``up`` every :data:`SECTION_STEP_MM`; each section's area, centroid,
second moments and perimeter come straight from the shell's triangles (Green's theorem
on the cut segments, so no polygon is assembled). Under the fixture's ``guided`` cuff
(translations free) the shank carries pure moments, so it bends as a beam:

    C = sum dz / E * J(z)^-1           (2 × 2, J the section's centroidal second moments)

each section's compliance raised by cos⁻⁴ of its wall's inclination to the shank (a
level cut through an inclined wall overstates its second moment, and its length), plus
a second compliance for what a beam cannot see: a wall inclined to the shank (the calf's
bulge, the strut turning into the heel) carries its load along its own slope, and its
thin wall bends across to turn it: FE finds such sections 2-4 times softer than the beam
says (afofit's FE rotation profiles along the shank). That term is the beam's compliance
with each section weighted by its wall's inclination tan φ:

    C_tan = sum dz tan φ(z) / E * J(z)^-1

and a third for the thin curved walls of an open section, which flatten and twist as it
bends (plate bending, ∝ t^-3). With w = P / 2 the wall's mid-width and t = 2 A / P its
thickness (P the perimeter),

    D = sum dz * 12 / (E * w * t^3)

Each stiffness is then 1 / (a C_held + b C_tan,held + c D), where C_held is the beam compliance
about the loaded axis with the other rotation held (guided) or free (the lower bound),
and the coefficients (a, b) are fitted to FE by ``bench/calibrate_fast.py`` on shells of
every design, 2.5-6 mm, both reference scans and three phantom builds, and checked on
shells held out of the fit (bench/calibration/fast_model.md gives the table and the
errors). A straight prismatic tube (tan φ = 0, D small) is close to beam theory times a.

The frontal stiffness and the peak stress are not reported from it: against FE they read
too far off (see :data:`ERROR_VS_FE`); they are FE's alone.

Units: mm, N, N·mm, MPa inside; N·m/deg only in the result.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import trimesh
from numpy.typing import NDArray

from afofit.errors import FitError
from afofit.mechanics.fe import FIXTURE_MARGIN_MM
from afofit.mechanics.fixture import Fixture
from afofit.units import gpa_to_mpa, nm_to_nmm, nmm_per_rad_to_nm_per_deg

__all__ = [
    "COEFFICIENTS",
    "ERROR_VS_FE",
    "SECTION_STEP_MM",
    "BeamModel",
    "FastStiffness",
    "Sections",
    "beam_compliances",
    "beam_model",
    "beam_peak_stress",
    "calibrated",
    "fast_stiffness",
    "shell_sections",
]

Vec = NDArray[np.float64]

#: Distance between the sections, mm.
SECTION_STEP_MM = 2.0
#: (a, b, c) of each stiffness, and the stress concentration factor: fitted by
#: bench/calibrate_fast.py (its table, bench/calibration/fast_model.md, lists them).
COEFFICIENTS: dict[str, tuple[float, float, float]] = {
    "guided": (0.783455, 5.83619, 0.00046596),
    "free": (0.492335, 5.9964, 0.00156112),
}
#: How far the calibrated model read from FE over all 26 shells of the calibration table
#: (fitted and held out), dorsiflexion with the cuff guided: median and worst |error|.
#: The frontal stiffness and the peak stress read too far off to be reported (median 22-34 %,
#: worst 114-363 %: a PLS twists and its stresses concentrate where a beam cannot see):
#: they come from FE only.
ERROR_VS_FE = {"median": 0.117, "worst": 0.273}
#: A cut face whose normal's z is larger than this is a level face (the top or bottom of
#: a rounded trim edge), not the wall: it is left out of the wall's inclination.
EDGE_NORMAL_Z = 0.9
#: Green's theorem picks a tiny offset of each section plane off the mesh's vertices'
#: heights (a plane through a vertex would cut its triangles twice), mm.
_PLANE_OFFSET_MM = 1.234567e-6


@dataclass(frozen=True, slots=True)
class Sections:
    """A shell's sections perpendicular to z in the fixture's frame (x axis, y posterior).

    Attributes
    ----------
    z_mm : (n,) heights above the axis.
    area_mm2, perimeter_mm : (n,) each section's material area and its boundary's length.
    centroid_mm : (n, 2) x, y of each section's centroid.
    second_moment_mm4 : (n, 2, 2) [[∫η², -∫ξη], [-∫ξη, ∫ξ²]] about the centroid
        (ξ, η = x, y from it): bending about x, y.
    fibre_mm : (n, m, 2) up to ``m`` boundary points (ξ, η) per section, NaN-padded:
        where the bending stress peaks.
    inclination : (n,) the mean tangent of the wall's angle to z in each section (0 for a
        wall along the shank).
    """

    z_mm: Vec
    area_mm2: Vec
    perimeter_mm: Vec
    centroid_mm: Vec
    second_moment_mm4: Vec
    fibre_mm: Vec
    inclination: Vec


def _cut_segments(
    vertices: Vec, faces: NDArray[np.int64], heights: Vec
) -> tuple[NDArray[np.int64], Vec, Vec, Vec]:
    """Each triangle's cut by each plane z = heights[j]: (plane index, start, end, the
    triangle's unit normal), oriented so that the material lies on the left (the shell's
    normals point out of it)."""
    tri = vertices[faces]  # (f, 3, 3)
    z = tri[:, :, 2]
    lo = np.searchsorted(heights, z.min(axis=1))
    hi = np.searchsorted(heights, z.max(axis=1))
    count = hi - lo
    face = np.repeat(np.arange(len(faces)), count)
    plane = np.repeat(lo, count) + (
        np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    )
    d = z[face] - heights[plane][:, None]  # (s, 3) signed heights of the corners
    points = np.zeros((len(face), 2, 2))
    found = np.zeros(len(face), dtype=np.int64)
    for a, b in ((0, 1), (1, 2), (2, 0)):
        da, db = d[:, a], d[:, b]
        cross = (da * db) < 0.0
        s = np.where(cross, da / np.where(cross, da - db, 1.0), 0.0)
        p = tri[face, a, :2] + s[:, None] * (tri[face, b, :2] - tri[face, a, :2])
        slot = np.minimum(found, 1)
        rows = np.nonzero(cross)[0]
        points[rows, slot[rows]] = p[rows]
        found += cross
    keep = found == 2
    face, plane, points = face[keep], plane[keep], points[keep]
    normal = np.cross(tri[face, 1] - tri[face, 0], tri[face, 2] - tri[face, 0])
    start, end = points[:, 0], points[:, 1]
    # Material on the left of start → end: (end - start) · (-n_y, n_x) > 0.
    flip = ((end - start) * np.c_[-normal[:, 1], normal[:, 0]]).sum(axis=1) < 0.0
    start, end = np.where(flip[:, None], end, start), np.where(flip[:, None], start, end)
    unit = normal / np.maximum(np.linalg.norm(normal, axis=1), 1e-300)[:, None]
    return plane, start, end, unit


def shell_sections(
    vertices: Vec,
    faces: NDArray[np.int64],
    z_from_mm: float,
    z_to_mm: float,
    step_mm: float = SECTION_STEP_MM,
    fibres: int = 0,
) -> Sections:
    """The sections of a closed, outward-oriented surface (``vertices`` (n, 3), fixture
    frame, mm; ``faces`` (m, 3)) from ``z_from_mm`` to ``z_to_mm``, one in the middle of
    each ``step_mm`` slab, with up to ``fibres`` boundary points each for the stresses.

    Raises
    ------
    FitError
        A section is empty or not closed (the shell does not span the heights).
    """
    n = max(1, round((z_to_mm - z_from_mm) / step_mm))
    heights = z_from_mm + (np.arange(n) + 0.5) * (z_to_mm - z_from_mm) / n + _PLANE_OFFSET_MM
    plane, p, q, normal = _cut_segments(
        np.asarray(vertices, np.float64), np.asarray(faces), heights
    )
    x1, y1, x2, y2 = p[:, 0], p[:, 1], q[:, 0], q[:, 1]
    cr = x1 * y2 - x2 * y1

    def total(values: Vec) -> Vec:
        return np.bincount(plane, weights=values, minlength=n).astype(np.float64)

    area = total(cr) / 2.0
    if np.any(area <= 0.0):
        raise FitError(
            "the shell has an empty or open section between the fixture's clamp and cuff; "
            "it cannot be a brace (check the scan and the trim lines)."
        )
    sx = total((x1 + x2) * cr) / 6.0
    sy = total((y1 + y2) * cr) / 6.0
    ixx = total((x1 * x1 + x1 * x2 + x2 * x2) * cr) / 12.0
    iyy = total((y1 * y1 + y1 * y2 + y2 * y2) * cr) / 12.0
    ixy = total((x1 * y2 + 2 * x1 * y1 + 2 * x2 * y2 + x2 * y1) * cr) / 24.0
    xc, yc = sx / area, sy / area
    xi2, eta2, xieta = ixx - area * xc**2, iyy - area * yc**2, ixy - area * xc * yc
    second = np.stack([np.stack([eta2, -xieta], -1), np.stack([-xieta, xi2], -1)], -2)
    length = np.hypot(x2 - x1, y2 - y1)
    perimeter = total(length)
    # The wall's inclination from z across its face: tan = |n_z| / |n_xy|; the section's is
    # the length-weighted mean of its wall's (the rounded trim edges, level at their top
    # and bottom, are left out: they carry no load along the shank).
    steep = np.abs(normal[:, 2]) < EDGE_NORMAL_Z
    slope = np.abs(normal[:, 2]) / np.maximum(np.hypot(normal[:, 0], normal[:, 1]), 1e-9)
    inclination = total(np.where(steep, length * slope, 0.0)) / np.maximum(
        total(np.where(steep, length, 0.0)), 1e-9
    )
    # The boundary points of each section (thinned to ``fibres``) for the stresses.
    fibre = np.full((n, fibres, 2), np.nan)
    if fibres:
        order = np.argsort(plane, kind="stable")
        counts = np.bincount(plane, minlength=n)
        starts = np.cumsum(counts) - counts
        for j in range(n):
            rows = order[starts[j] : starts[j] + counts[j]]
            pick = rows[np.linspace(0, len(rows) - 1, min(fibres, len(rows))).astype(np.int64)]
            fibre[j, : len(pick)] = p[pick] - (xc[j], yc[j])
    return Sections(
        z_mm=heights - _PLANE_OFFSET_MM, area_mm2=area, perimeter_mm=perimeter,
        centroid_mm=np.c_[xc, yc], second_moment_mm4=second, fibre_mm=fibre,
        inclination=inclination,
    )  # fmt: skip


def beam_compliances(sections: Sections, modulus_mpa: float) -> tuple[Vec, Vec, float]:
    """The beam's 2 × 2 rotation compliance C, the inclined walls' C_tan (both rad / N·mm,
    about x and y) and the walls' plate compliance D (rad / N·mm) of ``sections``, modulus
    ``modulus_mpa``."""
    dz = np.diff(sections.z_mm).mean() if len(sections.z_mm) > 1 else 1.0
    flexibility = np.linalg.inv(sections.second_moment_mm4) * (dz / modulus_mpa)
    # A wall inclined at φ to the shank: a level cut reads its section's second moment
    # cos⁻³φ too large and its length cos φ too short (a beam along the wall): cos⁴ φ.
    cos4 = (1.0 + sections.inclination**2) ** -2.0
    beam = (flexibility / cos4[:, None, None]).sum(axis=0)
    inclined = (flexibility * sections.inclination[:, None, None]).sum(axis=0)
    width = sections.perimeter_mm / 2.0
    thickness = 2.0 * sections.area_mm2 / sections.perimeter_mm
    plate = float(np.sum(12.0 * dz / (modulus_mpa * width * thickness**3)))
    return beam, inclined, plate


def _held(c: Vec, load: int) -> float:
    """Compliance about axis ``load`` (0 x, 1 y) with the other rotation held."""
    other = 1 - load
    return float(c[load, load] - c[load, other] ** 2 / c[other, other])


def _compliance(c: Vec, kind: str) -> float:
    """The 2 × 2 compliance ``c``'s value for ``kind``: "guided", "free" (sagittal) or "frontal"."""
    if kind == "free":
        return float(c[0, 0])
    return _held(c, 0 if kind == "guided" else 1)


@dataclass(frozen=True, slots=True)
class FastStiffness:
    """The fast model's answer, in the terms of :class:`afofit.mechanics.fe.FEStiffness`:
    dorsiflexion stiffness with the fixture's cuff constraint and under a pure moment
    (N·m/deg); the frontal stiffness and the stresses are FE's alone (None here)."""

    sagittal_nm_per_deg: float
    lower_bound_nm_per_deg: float
    moment_nm: float
    sections: int
    frontal_nm_per_deg: None = None
    peak_stress_mpa: None = None
    peak_at_mm: None = None
    peak_height_mm: None = None
    linear_to_deg: None = None


@dataclass(frozen=True, slots=True)
class BeamModel:
    """The uncalibrated beam of a shell in its fixture.

    Attributes
    ----------
    sections : the shank's sections, fixture frame.
    beam : (2, 2) rotation compliance C about x (the axis) and y, rad / N·mm.
    inclined : (2, 2) the inclined walls' compliance C_tan, rad / N·mm.
    plate : the walls' plate compliance D, rad / N·mm.
    """

    sections: Sections
    beam: Vec
    inclined: Vec
    plate: float

    def compliance(self, kind: str) -> float:
        """The beam's compliance for ``kind``: "guided", "free" (sagittal) or "frontal"."""
        return _compliance(self.beam, kind)

    def inclined_compliance(self, kind: str) -> float:
        """The inclined walls' compliance for ``kind``, as :meth:`compliance`."""
        return _compliance(self.inclined, kind)


def beam_model(
    shell: trimesh.Trimesh, fixture: Fixture, modulus_gpa: float, fibres: int = 0
) -> BeamModel:
    """The beam of ``shell`` (scan frame, mm) between ``fixture``'s clamp and cuff, of a
    material of modulus ``modulus_gpa``; with up to ``fibres`` boundary points a section
    for :func:`beam_peak_stress` (none are needed for the stiffness).

    Raises
    ------
    FitError
        The shell has an empty or open section between the clamp and the cuff.
    """
    local = fixture.to_fixture(np.asarray(shell.vertices))
    sections = shell_sections(
        local, np.asarray(shell.faces), -fixture.clamp_below_mm, fixture.cuff_from_mm,
        fibres=fibres,
    )  # fmt: skip
    return BeamModel(sections, *beam_compliances(sections, gpa_to_mpa(modulus_gpa)))


def beam_peak_stress(model: BeamModel, fixture: Fixture) -> tuple[float, Vec]:
    """The ``model``'s largest bending stress (MPa) at ``fixture``'s moment, away from the
    clamp and the cuff, and where (3,), fixture frame. Not part of the fast model's answer
    (it reads too far from FE): the calibration shows how far. ``model`` needs fibres.
    """
    sections, beam = model.sections, model.beam
    # M_x and, under a guided cuff, the reaction M_y that keeps the frontal rotation zero;
    # the curvature is J^-1 M / E in each section.
    moment = nm_to_nmm(fixture.moment_nm)
    held = -beam[1, 0] / beam[1, 1] * moment if fixture.cuff == "guided" else 0.0
    loads = np.broadcast_to(np.array([moment, held]), (len(sections.z_mm), 2))
    curvature = np.linalg.solve(sections.second_moment_mm4, loads[..., None])[..., 0]
    xi, eta = sections.fibre_mm[..., 0], sections.fibre_mm[..., 1]
    stress = np.nan_to_num(np.abs(curvature[:, :1] * eta - curvature[:, 1:] * xi))
    away = (sections.z_mm > -fixture.clamp_below_mm + FIXTURE_MARGIN_MM) & (
        sections.z_mm < fixture.cuff_from_mm - FIXTURE_MARGIN_MM
    )
    stress[~away] = 0.0
    j, i = np.unravel_index(int(np.argmax(stress)), stress.shape)
    at = np.r_[sections.fibre_mm[j, i] + sections.centroid_mm[j], sections.z_mm[j]]
    return float(stress[j, i]), at


def calibrated(model: BeamModel, kind: str) -> float:
    """Calibrated stiffness ``kind`` ("guided" or "free") of ``model``, N·m/deg."""
    a, b, c = COEFFICIENTS[kind]
    compliance = a * model.compliance(kind) + b * model.inclined_compliance(kind) + c * model.plate
    return nmm_per_rad_to_nm_per_deg(1.0 / compliance)


def fast_stiffness(shell: trimesh.Trimesh, fixture: Fixture, modulus_gpa: float) -> FastStiffness:
    """The fast model's stiffness of ``shell`` (scan frame, mm) in ``fixture``, for a
    material of modulus ``modulus_gpa``.

    Raises
    ------
    FitError
        The shell has an empty or open section between the clamp and the cuff.
    """
    model = beam_model(shell, fixture, modulus_gpa)
    sagittal = calibrated(model, fixture.cuff)
    # Holding the cuff's other rotations can only stiffen it: the two calibrations may
    # cross where they nearly agree (a phantom's PLS: FE free = 0.99 guided).
    return FastStiffness(
        sagittal_nm_per_deg=sagittal,
        lower_bound_nm_per_deg=min(calibrated(model, "free"), sagittal),
        moment_nm=fixture.moment_nm,
        sections=len(model.sections.z_mm),
    )
