"""Follow-up visits: two scans of one leg over time, what changed, and whether a brace
fitted to the first still fits the second.

The new scan is placed on the old one from their anatomical frames, then by a trimmed
point-to-plane ICP (Chen and Medioni 1992; trimmed as in Chetverikov et al. 2002): each
round keeps the best-matching :data:`ICP_KEEP` of the new skin's points, so a calf that
swelled or wasted does not pull the legs apart, and points near either scan's open edges
are left out. Everything is then measured in the old scan's frame: girths every
:data:`LEVEL_STEP_MM` along the old shank axis (a tape measure's convex-hull perimeter),
the shank's volume between two levels, foot length, malleolar width and landmark shifts,
and the new skin's signed distance from the old (the deviation map: + swelling, -
wasting). With an earlier fitting (its ``fitting.json`` and ``afo.stl``, in the old
scan's frame), the new skin is placed in that brace and the gap under its inner surface
compared with the gap it was built with (:func:`brace_fit`).
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import igl
import numpy as np
import trimesh
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from afofit.anatomy import LegAnatomy, ScanAnatomy
from afofit.errors import InputError
from afofit.fitting import scan_legs
from afofit.geometry.frames import LegFrame
from afofit.geometry.measure import Sections
from afofit.geometry.sole import boundary_edges
from afofit.geometry.topology import fix_winding, vertex_sums
from afofit.progress import Progress, silent
from afofit.scan import file_sha256
from afofit.threads import uninterrupted

__all__ = [
    "ICP_KEEP",
    "LEVEL_STEP_MM",
    "BraceFit",
    "FollowUp",
    "GirthChange",
    "Region",
    "Registration",
    "SkinSurface",
    "brace_fit",
    "check_brace",
    "follow_up",
    "register",
]

Vec = NDArray[np.float64]

#: Girths are measured every this many mm along the old scan's shank axis.
LEVEL_STEP_MM = 10.0
#: The lowest level measured: the plane at the sole grazes it.
LOWEST_LEVEL_MM = 10.0
#: Levels this close to the top of the shorter scan are left out (a scan's top is ragged).
TOP_MARGIN_MM = 10.0
#: The fraction of the best-matching points each ICP round keeps.
ICP_KEEP = 0.7
#: Points this close to a scan's open edge take no part in the registration, mm.
EDGE_MARGIN_MM = 12.0
#: The new skin's points the registration uses (an even subset), and its rounds.
ICP_POINTS, ICP_ROUNDS = 20_000, 40
#: The shank's volume is measured from this far above the malleoli to the top level,
#: when that spans at least MIN_VOLUME_SPAN_MM.
VOLUME_FROM_ABOVE_MALLEOLI_MM, MIN_VOLUME_SPAN_MM = 30.0, 50.0
#: A registration whose median distance over the skin exceeds this (mm), or two scans
#: whose shank-to-foot angles differ by more than this (degrees), draw a warning.
POOR_REGISTRATION_MM, ANKLE_ANGLE_WARNING_DEG = 1.0, 5.0
#: A deviation this large (mm), over at least REGION_AREA_MM2 of skin, is a swelling or
#: a wasting (less is re-meshing and noise: a toe's tip re-meshed moves 1.6 mm over 2 mm²).
REGION_MM, REGION_AREA_MM2 = 1.5, 100.0
#: Brace fit: where the new skin is nearer the shell than this (mm; inside it, below
#: 0) and nearer than it was by :data:`PRESSURE_CHANGE_MM`, the brace presses.
PRESSURE_GAP_MM, PRESSURE_CHANGE_MM = 0.5, 1.0
#: The pressure's levels leave out this fraction of its area at each end (stray faces).
PRESSURE_SPAN_TAIL = 0.02
#: Where the gap grew by more than this, mm, the brace is loose.
LOOSE_CHANGE_MM = 3.0
#: Verdict thresholds (heuristic, not clinically validated): a pressure area under
#: ADJUST (mm²) is noise; up to REFIT, and no deeper than REFIT_DEPTH (mm of skin inside
#: the shell), a local relief can take it; beyond, refit. A loose area above
#: LOOSE_ADJUST (mm²) wants padding; above LOOSE_REFIT of the inner surface, a refit.
ADJUST_AREA_MM2, REFIT_AREA_MM2, REFIT_DEPTH_MM = 100.0, 2000.0, 3.0
#: Less of the brace's inner surface than this (mm²) under the new scan: not assessed.
MIN_ASSESSED_AREA_MM2 = 2000.0
LOOSE_ADJUST_AREA_MM2, LOOSE_REFIT_FRACTION = 3000.0, 0.4


@dataclass(frozen=True, slots=True)
class Registration:
    """The new scan placed on the old: ``transform`` (4 × 4) takes the new scan's points
    (mm) into the old scan's frame; ``residual_mm`` is the RMS point-to-plane distance of
    the kept (best-matching) points, ``median_mm`` the median distance of all of them,
    ``kept_fraction`` how many were kept, ``rounds`` the ICP rounds run."""

    transform: NDArray[np.float64]
    residual_mm: float
    median_mm: float
    kept_fraction: float
    rounds: int


@dataclass(frozen=True, slots=True)
class GirthChange:
    """The girth at ``level_mm`` above the sole (old shank axis), old and new, mm."""

    level_mm: float
    old_mm: float
    new_mm: float

    @property
    def change_pct(self) -> float:
        """The change, % of the old girth."""
        return 100.0 * (self.new_mm - self.old_mm) / self.old_mm


@dataclass(frozen=True, slots=True)
class Region:
    """The largest swelling or wasting: its peak ``value_mm`` (signed), where it is
    (``level_mm`` above the sole, on the ``side`` of the leg: anterior, posterior,
    medial or lateral) and the skin ``area_mm2`` beyond :data:`REGION_MM`."""

    kind: str
    value_mm: float
    level_mm: float
    side: str
    area_mm2: float


@dataclass(frozen=True, slots=True)
class BraceFit:
    """How the new leg sits in the earlier brace.

    Attributes
    ----------
    verdict : "still fits", "adjust", "refit", or "not assessed" (the new scan covers
        less than :data:`MIN_ASSESSED_AREA_MM2` of the brace).
    reasons : why, in words with the numbers.
    pressure_area_mm2 : inner surface where the brace presses (:data:`PRESSURE_GAP_MM`).
    pressure_levels_mm : (low, high) heights above the sole of that area (its middle 96 %),
        or None.
    deepest_mm : how far the new skin enters the shell at most (0 when it does not).
    loose_area_mm2 : inner surface where the gap grew by more than :data:`LOOSE_CHANGE_MM`.
    inner_area_mm2 : the brace's inner surface measured (over both scans).
    unchecked_area_mm2 : its inner surface above the shorter scan's top: not measured.
    clearance_mm, thickness_mm : its design's gap over the skin and wall.
    shell : the brace (old scan's frame, mm).
    new_gap_mm, old_gap_mm : (faces,) the gap from each of its faces to the new and to
        the old skin (mm; below 0 inside the skin; NaN off the inner surface).
    warnings : what was not checked.
    """

    verdict: str
    reasons: tuple[str, ...]
    pressure_area_mm2: float
    pressure_levels_mm: tuple[float, float] | None
    deepest_mm: float
    loose_area_mm2: float
    inner_area_mm2: float
    unchecked_area_mm2: float
    clearance_mm: float
    thickness_mm: float
    shell: trimesh.Trimesh
    new_gap_mm: Vec
    old_gap_mm: Vec
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class FollowUp:
    """Two scans of one leg compared (all in the old scan's frame, mm).

    Attributes
    ----------
    side : "left" or "right".
    old, new : each scan's anatomy (the new one in its own file's frame).
    old_skin : the old leg's surface; new_skin : the new one placed on it.
    registration : how the new was placed (:class:`Registration`).
    girths : the girth at every level (:class:`GirthChange`).
    volume_levels_mm : (low, high) levels between which the shank's volume is taken.
    volume_old_mm3, volume_new_mm3 : the shank's volume there (None when the scans reach
        less than :data:`MIN_VOLUME_SPAN_MM` above its lower level).
    foot_length_mm, malleolar_width_mm : (old, new).
    landmark_shifts_mm : landmark → distance between its old and its (placed) new place.
    deviation_mm : (new skin's vertices,) signed distance from the old skin (+ out).
    swelling, wasting : the largest of each (:class:`Region`), or None.
    afo : the earlier brace on the new leg (:class:`BraceFit`), or None.
    warnings : what the user should know.
    """

    side: str
    old: ScanAnatomy
    new: ScanAnatomy
    old_skin: trimesh.Trimesh
    new_skin: trimesh.Trimesh
    registration: Registration
    girths: tuple[GirthChange, ...]
    volume_levels_mm: tuple[float, float]
    volume_old_mm3: float | None
    volume_new_mm3: float | None
    foot_length_mm: tuple[float, float]
    malleolar_width_mm: tuple[float, float]
    landmark_shifts_mm: dict[str, float]
    deviation_mm: Vec
    swelling: Region | None
    wasting: Region | None
    afo: BraceFit | None
    warnings: tuple[str, ...]

    @property
    def frame(self) -> LegFrame:
        """The old leg's frame: levels and sides are taken in it."""
        return self.old.legs[0].frame

    @property
    def volume_change_pct(self) -> float | None:
        """The shank volume's change, % of the old (None: the scans are too short)."""
        if not self.volume_old_mm3 or self.volume_new_mm3 is None:
            return None
        return 100.0 * (self.volume_new_mm3 - self.volume_old_mm3) / self.volume_old_mm3


def _moved(points: Vec, transform: NDArray[np.float64]) -> Vec:
    return np.asarray(points) @ transform[:3, :3].T + transform[:3, 3]


def _near_edge(mesh: trimesh.Trimesh, margin_mm: float) -> NDArray[np.bool_]:
    """Vertices of ``mesh`` within ``margin_mm`` of its open edges."""
    edges = boundary_edges(np.asarray(mesh.faces))
    if len(edges) == 0:
        return np.zeros(len(mesh.vertices), dtype=bool)
    rim = np.asarray(mesh.vertices)[np.unique(edges)]
    distance, _ = cKDTree(rim).query(np.asarray(mesh.vertices), distance_upper_bound=margin_mm)
    return np.isfinite(distance)


def register(
    old_skin: trimesh.Trimesh,
    old_frame: LegFrame,
    new_skin: trimesh.Trimesh,
    new_frame: LegFrame,
    new_near_edge: NDArray[np.bool_] | None = None,
    old_near_edge: NDArray[np.bool_] | None = None,
) -> Registration:
    """Place ``new_skin`` on ``old_skin`` (each in its scan's frame, mm): first by their
    anatomical frames (``old_frame``, ``new_frame``), then by trimmed point-to-plane ICP
    (:data:`ICP_KEEP` of the points each round, none within :data:`EDGE_MARGIN_MM` of an
    open edge: ``new_near_edge`` and ``old_near_edge`` mark each skin's vertices there, if
    known).
    Deterministic."""
    start = np.eye(4)
    # new scan → new local → old scan; both legs of one side, so a proper rotation.
    start[:3, :3] = old_frame.rotation.T @ new_frame.rotation
    start[:3, 3] = old_frame.origin - start[:3, :3] @ new_frame.origin
    near = _near_edge(new_skin, EDGE_MARGIN_MM) if new_near_edge is None else new_near_edge
    usable = ~near
    source = np.asarray(new_skin.vertices)[usable]
    step = max(1, len(source) // ICP_POINTS)
    source = source[::step]
    target = np.asarray(old_skin.vertices)
    target_normals = np.asarray(old_skin.vertex_normals)
    target_ok = ~(_near_edge(old_skin, EDGE_MARGIN_MM) if old_near_edge is None else old_near_edge)
    tree = cKDTree(target)
    transform = start.copy()
    rounds = 0
    while rounds < ICP_ROUNDS:
        rounds += 1
        moved = _moved(source, transform)
        _, nearest = tree.query(moved, workers=-1)
        q, n = target[nearest], target_normals[nearest]
        residual = np.einsum("ij,ij->i", moved - q, n)
        usable_pair = target_ok[nearest]
        limit = np.quantile(np.abs(residual[usable_pair]), ICP_KEEP)
        kept = usable_pair & (np.abs(residual) <= limit)
        p, q, n, r = moved[kept], q[kept], n[kept], residual[kept]
        # Linearised point-to-plane step: small rotation w and translation t with
        # (p + w × p + t - q) · n = 0 in the least-squares sense.
        a = np.hstack([np.cross(p, n), n])
        x, *_ = np.linalg.lstsq(a, -r, rcond=None)
        w, t = x[:3], x[3:]
        angle = float(np.linalg.norm(w))
        step_rotation = (
            trimesh.transformations.rotation_matrix(angle, w / angle)[:3, :3]
            if angle > 1e-12
            else np.eye(3)
        )
        update = np.eye(4)
        update[:3, :3] = step_rotation
        update[:3, 3] = t
        transform = update @ transform
        if angle < 1e-6 and np.linalg.norm(t) < 1e-4:
            break
    moved = _moved(source, transform)
    _, nearest = tree.query(moved, workers=-1)
    residual = np.einsum("ij,ij->i", moved - target[nearest], target_normals[nearest])
    usable_pair = target_ok[nearest]
    limit = np.quantile(np.abs(residual[usable_pair]), ICP_KEEP)
    kept = usable_pair & (np.abs(residual) <= limit)
    return Registration(
        transform=transform,
        residual_mm=float(np.sqrt(np.mean(residual[kept] ** 2))),
        median_mm=float(np.median(np.abs(residual[usable_pair]))),
        kept_fraction=float(kept.mean()),
        rounds=rounds,
    )


def _leg(anatomy: ScanAnatomy) -> LegAnatomy:
    if len(anatomy.legs) != 1:
        raise InputError(
            f"{Path(anatomy.path).name} holds both legs: say which to compare with --side."
        )
    return anatomy.legs[0]


class SkinSurface:
    """A ``skin`` with its bounding-box tree (libigl's AABB), built once for several
    distance queries (0.35 s for a 400k-face skin)."""

    def __init__(self, skin: trimesh.Trimesh) -> None:
        self.vertices = np.ascontiguousarray(skin.vertices, dtype=np.float64)
        self.faces = np.ascontiguousarray(skin.faces, dtype=np.int64)
        self.normals = np.asarray(skin.face_normals)
        self.tree = igl.AABB()
        self.tree.init(self.vertices, self.faces)


def _signed_distance(points: Vec, skin: SkinSurface) -> tuple[Vec, Vec, NDArray[np.int64]]:
    """Distance (mm) from ``points`` to ``skin``, signed + outside the leg (by the
    closest face's outward normal), the closest points and their faces."""
    points = np.ascontiguousarray(points, dtype=np.float64)
    if len(points) == 0:
        return np.zeros(0), np.zeros((0, 3)), np.zeros(0, dtype=np.int64)
    squared, face, closest = skin.tree.squared_distance(skin.vertices, skin.faces, points)
    normals = skin.normals[face]
    sign = np.sign(np.einsum("ij,ij->i", points - closest, normals))
    return np.sqrt(squared) * np.where(sign == 0, 1.0, sign), closest, np.asarray(face)


def _outward(mesh: trimesh.Trimesh, frame: LegFrame) -> trimesh.Trimesh:
    """A copy of ``mesh`` with a consistent winding and its normals out of the leg (away
    from the shank axis over the shank's middle)."""
    fixed = mesh.copy()
    fix_winding(fixed)
    shank = frame.to_shank_local(np.asarray(fixed.triangles_center))
    normals = np.asarray(fixed.face_normals) @ frame.shank_rotation.T
    low, high = np.percentile(shank[:, 2], [40.0, 80.0])
    middle = (shank[:, 2] > low) & (shank[:, 2] < high)
    out = np.einsum("ij,ij->i", normals[middle, :2], shank[middle, :2])
    if np.sum(out) < 0.0:
        fixed.invert()
    return fixed


def _side_of(local_xy: Vec) -> NDArray[np.str_]:
    """anterior / posterior / medial / lateral of points (x lateral, y anterior)."""
    angle = np.degrees(np.arctan2(local_xy[:, 1], local_xy[:, 0]))
    names = np.where(np.abs(angle) <= 45.0, "lateral", "")
    names = np.where((angle > 45.0) & (angle < 135.0), "anterior", names)
    names = np.where((angle < -45.0) & (angle > -135.0), "posterior", names)
    return np.where(np.abs(angle) >= 135.0, "medial", names)


def _region(kind: str, deviation: Vec, share: Vec, shank: Vec) -> Region | None:
    """The ``kind`` ("swelling" or "wasting") of the skin's vertices' ``deviation`` (mm),
    each vertex's ``share`` of the skin's area (mm²) and its ``shank`` coordinates (mm)."""
    signed = deviation if kind == "swelling" else -deviation
    beyond = signed > REGION_MM
    if share[beyond].sum() < REGION_AREA_MM2:
        return None
    peak = int(np.argmax(np.where(beyond, signed, -np.inf)))
    return Region(
        kind=kind,
        value_mm=float(deviation[peak]),
        level_mm=float(shank[peak, 2]),
        side=str(_side_of(shank[peak : peak + 1, :2])[0]),
        area_mm2=float(share[beyond].sum()),
    )


def _volume(sections: Sections, low: float, high: float, step: float = 2.0) -> float:
    """The volume between heights ``low`` and ``high`` (mm) from convex cross-section
    areas every ``step`` mm, mm³."""
    from scipy.spatial import ConvexHull, QhullError

    total = 0.0
    for z in np.arange(low + 0.5 * step, high, step):
        points = sections.points(float(z))
        try:
            total += ConvexHull(points).volume * step if len(points) >= 3 else 0.0
        except QhullError:
            continue
    return total


def follow_up(
    old_scan: Path | str,
    new_scan: Path | str,
    afo_dir: Path | str | None = None,
    side: str | None = None,
    old_units: str | None = None,
    new_units: str | None = None,
    progress: Progress = silent,
) -> FollowUp:
    """Compare two scans of one leg, and with ``afo_dir`` (an earlier fitting of the old
    scan) say whether its brace still fits the new.

    Parameters
    ----------
    old_scan, new_scan : the earlier and today's scan (STL, PLY, OBJ; any pose, any units).
    afo_dir : an earlier ``afofit fit`` folder of ``old_scan`` (fitting.json, afo.stl).
    side : "left" | "right": the leg, when a scan holds both.
    old_units, new_units : each scan's length unit; None to detect it.
    progress : told each stage as it begins (:mod:`afofit.progress`).

    Raises
    ------
    InputError
        The scans are of different sides, or the brace was fitted to another scan.
    ScanError, NotALegError
        A scan cannot be read, or is not a lower leg with a foot.
    """
    fitting = None
    if afo_dir is not None:  # a brace of another scan, or no brace: before any work
        fitting = check_brace(Path(afo_dir), Path(old_scan))
        # The brace is in the old scan's frame as that fitting read it: in its units.
        old_units = old_units or fitting["inputs"].get("options", {}).get("units")
    progress(f"reading {Path(old_scan).name} and {Path(new_scan).name}")
    # Side by side: reading and finding the anatomy release the GIL for much of their
    # work (two 400k-face scans: 2.6 s instead of 3.3).
    with ThreadPoolExecutor(2) as pool:
        with uninterrupted():  # (the pool's shutdown must not wait for ever)
            old_read = pool.submit(scan_legs, old_scan, side=side, units=old_units)
            new_read = pool.submit(scan_legs, new_scan, side=side, units=new_units)
        (old_anatomy, old_limbs), (new_anatomy, new_limbs) = old_read.result(), new_read.result()
    old_leg, new_leg = _leg(old_anatomy), _leg(new_anatomy)
    if old_leg.side != new_leg.side:
        raise InputError(
            f"{Path(old_scan).name} is a {old_leg.side} leg and {Path(new_scan).name} a "
            f"{new_leg.side} one: a follow-up compares two scans of the same leg (give "
            "--side if a scan holds both)."
        )
    if fitting is not None and not np.isclose(
        float(fitting["inputs"].get("scale_to_mm", old_anatomy.scale_to_mm)),
        old_anatomy.scale_to_mm,
    ):
        raise InputError(
            f"{afo_dir}: its brace was fitted to {Path(old_scan).name} read in "
            f"{fitting['inputs'].get('units_detected')}, and it reads now in "
            f"{old_anatomy.units_detected}: give --old-units "
            f"{fitting['inputs'].get('units_detected')}."
        )
    frame = old_leg.frame
    old_skin = _outward(old_limbs[0], frame)
    progress("placing the new scan on the old")
    new_near_edge = _near_edge(new_limbs[0], EDGE_MARGIN_MM)  # the same after the move
    old_near_edge = _near_edge(old_skin, EDGE_MARGIN_MM)
    registration = register(
        old_skin, frame, new_limbs[0], new_leg.frame, new_near_edge, old_near_edge
    )
    new_skin = new_limbs[0].copy()
    new_skin.apply_transform(registration.transform)
    new_skin = _outward(new_skin, frame)
    progress("measuring the changes" + (" and the brace on the new leg" if afo_dir else ""))
    old_shank = frame.to_shank_local(np.asarray(old_skin.vertices))
    new_shank = frame.to_shank_local(np.asarray(new_skin.vertices))
    top = min(old_shank[:, 2].max(), new_shank[:, 2].max()) - TOP_MARGIN_MM
    old_surface = SkinSurface(old_skin)
    with ThreadPoolExecutor(1) as pool:  # the brace beside the changes (numpy, igl: no GIL)
        with uninterrupted():  # (the pool's shutdown must not wait for ever)
            brace_job = (
                None
                if afo_dir is None or fitting is None
                else pool.submit(brace_fit, Path(afo_dir), fitting, old_anatomy, old_surface,
                                 new_skin, frame, float(top))
            )  # fmt: skip
        changes = _changes(
            old_leg, new_leg, old_skin, new_skin, old_shank, new_shank, old_surface,
            new_near_edge, old_near_edge, registration, float(top),
        )  # fmt: skip
        brace = None if brace_job is None else brace_job.result()
    warnings = [f"old scan {Path(old_scan).name}: {w}" for w in old_anatomy.warnings]
    warnings += [f"new scan {Path(new_scan).name}: {w}" for w in new_anatomy.warnings]
    warnings += _registration_warnings(registration, frame, new_leg.frame)
    if changes["volume_old_mm3"] is None:
        warnings.append(
            f"the scans reach less than {MIN_VOLUME_SPAN_MM:.0f} mm above the malleoli's "
            f"{VOLUME_FROM_ABOVE_MALLEOLI_MM:.0f} mm: no shank volume"
        )
    if brace is not None:
        warnings += brace.warnings
    return FollowUp(
        side=old_leg.side,
        old=old_anatomy,
        new=new_anatomy,
        old_skin=old_skin,
        new_skin=new_skin,
        registration=registration,
        afo=brace,
        warnings=tuple(warnings),
        **changes,
    )


def _registration_warnings(
    registration: Registration, old_frame: LegFrame, new_frame: LegFrame
) -> list[str]:
    """What the user should know about how well the new scan sits on the old."""
    out = []
    if registration.median_mm > POOR_REGISTRATION_MM:
        out.append(
            f"the scans match only to {registration.median_mm:.1f} mm (median over the skin): "
            "much of the leg changed, or the scans differ in pose; read the changes with care"
        )
    turn = np.degrees(abs(old_frame.shank_to_vertical_rad - new_frame.shank_to_vertical_rad))
    if turn > ANKLE_ANGLE_WARNING_DEG:
        out.append(
            f"the ankle was {turn:.0f} degrees more flexed in one scan than the other: shank "
            "and foot cannot both sit on the old scan, and changes near the ankle show the pose"
        )
    return out


def _changes(
    old_leg: LegAnatomy,
    new_leg: LegAnatomy,
    old_skin: trimesh.Trimesh,
    new_skin: trimesh.Trimesh,
    old_shank: Vec,
    new_shank: Vec,
    old_surface: SkinSurface,
    new_near_edge: NDArray[np.bool_],
    old_near_edge: NDArray[np.bool_],
    registration: Registration,
    top: float,
) -> dict[str, Any]:
    """:class:`FollowUp`'s measured changes, by field name (see :func:`follow_up`)."""
    frame = old_leg.frame
    old_sections = Sections.from_mesh(old_shank, np.asarray(old_skin.faces))
    new_sections = Sections.from_mesh(new_shank, np.asarray(new_skin.faces))
    girths = []
    for level in np.arange(LOWEST_LEVEL_MM, top + 1e-9, LEVEL_STEP_MM):
        old_g, new_g = old_sections.girth(float(level)), new_sections.girth(float(level))
        if np.isfinite(old_g) and np.isfinite(new_g) and old_g > 0:
            girths.append(GirthChange(float(level), old_g, new_g))
    malleoli = [
        old_leg.landmarks_mm.get(name) for name in ("lateral_malleolus", "medial_malleolus")
    ]
    above = max(
        (float(frame.to_shank_local(p[None])[0, 2]) for p in malleoli if p is not None),
        default=80.0,
    )
    low = above + VOLUME_FROM_ABOVE_MALLEOLI_MM
    enough = top - low >= MIN_VOLUME_SPAN_MM
    volume_old = _volume(old_sections, low, top) if enough else None
    volume_new = _volume(new_sections, low, top) if enough else None
    deviation, _, face = _signed_distance(np.asarray(new_skin.vertices), old_surface)
    # Not compared near either scan's open edges (a hole in the old scan, its sole's rim:
    # the new skin there would be measured to the rim) nor above the shorter scan's top.
    old_near = old_near_edge[np.asarray(old_skin.faces)[face]].any(axis=1)
    near_edge = new_near_edge | old_near | (new_shank[:, 2] > top)
    deviation = np.where(near_edge, 0.0, deviation)
    shifts = {}
    for name, point in old_leg.landmarks_mm.items():
        other = new_leg.landmarks_mm.get(name)
        if point is not None and other is not None:
            placed = _moved(np.asarray(other)[None], registration.transform)[0]
            shifts[name] = float(np.linalg.norm(placed - point))
    old_m, new_m = old_leg.measurements, new_leg.measurements
    # Area: each vertex owns a third of its faces' area.
    faces = np.asarray(new_skin.faces)
    share = vertex_sums(faces, np.asarray(new_skin.area_faces) / 3.0, len(new_skin.vertices))
    return {
        "girths": tuple(girths), "volume_levels_mm": (low, top), "volume_old_mm3": volume_old,
        "volume_new_mm3": volume_new,
        "foot_length_mm": (old_m.foot_length_mm, new_m.foot_length_mm),
        "malleolar_width_mm": (old_m.malleolar_width_mm, new_m.malleolar_width_mm),
        "landmark_shifts_mm": shifts, "deviation_mm": deviation,
        "swelling": _region("swelling", deviation, share, new_shank),
        "wasting": _region("wasting", deviation, share, new_shank),
    }  # fmt: skip


def _verdict(
    pressure_area: float,
    levels: tuple[float, float] | None,
    deepest: float,
    loose_area: float,
    inner_area: float,
    median_change: float,
) -> tuple[str, list[str]]:
    """The brace's verdict and its reasons from what was measured (mm, mm²)."""
    if inner_area < MIN_ASSESSED_AREA_MM2:
        return "not assessed", [
            f"the new scan covers only {inner_area / 100.0:.0f} cm² of the brace's inner "
            "surface: rescan the leg up to the brace's top"
        ]
    reasons = []
    verdict = "still fits"
    if pressure_area >= ADJUST_AREA_MM2 or deepest >= REFIT_DEPTH_MM:
        where = f" at {levels[0]:.0f}-{levels[1]:.0f} mm above the sole" if levels else ""
        deep = (
            f", the skin up to {deepest:.1f} mm inside the shell"
            if deepest > 0
            else f", under {PRESSURE_GAP_MM:g} mm of gap"
        )
        reasons.append(f"it presses on {pressure_area / 100.0:.1f} cm²{where}{deep}")
        verdict = (
            "refit" if pressure_area >= REFIT_AREA_MM2 or deepest >= REFIT_DEPTH_MM else "adjust"
        )
    if loose_area >= LOOSE_ADJUST_AREA_MM2:
        reasons.append(
            f"it is loose (the gap {LOOSE_CHANGE_MM:g} mm or more wider) over "
            f"{loose_area / 100.0:.0f} cm²"
        )
        if loose_area >= LOOSE_REFIT_FRACTION * inner_area:
            verdict = "refit"
        elif verdict == "still fits":
            verdict = "adjust"
    if not reasons:
        reasons.append(
            f"no pressure over {ADJUST_AREA_MM2 / 100.0:g} cm² "
            f"({pressure_area / 100.0:.1f} cm² in all) and no loose area over "
            f"{LOOSE_ADJUST_AREA_MM2 / 100.0:g} cm² ({loose_area / 100.0:.0f} cm²): the gap "
            f"under its {inner_area / 100.0:.0f} cm² of inner surface changed by "
            f"{median_change:.1f} mm (median)"
        )
    return verdict, reasons


def _area_span(height: Vec, area: Vec) -> tuple[float, float]:
    """The levels holding the middle 96 % of an area (faces' ``height`` and ``area``): a
    few stray faces of re-meshing noise do not stretch a band of pressure."""
    order = np.argsort(height)
    ordered = height[order]
    share = np.cumsum(area[order]) / area.sum()
    first = int(np.searchsorted(share, PRESSURE_SPAN_TAIL))
    last = min(int(np.searchsorted(share, 1.0 - PRESSURE_SPAN_TAIL)), len(order) - 1)
    return float(ordered[first]), float(ordered[last])


def check_brace(afo_dir: Path, old_scan: Path) -> dict[str, Any]:
    """The fitting.json of the earlier fitting in ``afo_dir``, checked (before any work)
    to be of the scan ``old_scan`` (the brace and the old leg then share a frame), with
    the STL of at least one of its legs.

    Raises
    ------
    InputError
        No readable fitting.json, one of another scan (by its SHA-256), or no brace STL.
    """
    what = f"{afo_dir}: give the folder an earlier `afofit fit` of OLD_SCAN wrote"
    try:
        data = json.loads((afo_dir / "fitting.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"{what}; it holds no readable fitting.json ({exc}).") from exc
    legs = data.get("legs") if isinstance(data, dict) else None
    inputs = data.get("inputs") if isinstance(data, dict) else None
    if not isinstance(legs, list) or not legs or not isinstance(inputs, dict):
        raise InputError(f"{what}; its fitting.json has no legs or inputs (not afofit's?).")
    for leg in legs:
        if not (isinstance(leg, dict) and isinstance(leg.get("shell"), dict)
                and isinstance(leg.get("design"), dict)):  # fmt: skip
            raise InputError(f"{what}; its fitting.json's legs lack their shell or design.")
    if not any(leg["shell"].get("stl") and (afo_dir / leg["shell"]["stl"]).is_file()
               for leg in legs):  # fmt: skip
        raise InputError(
            f"{afo_dir}: holds no brace STL (a fitting that failed its checks writes none, "
            "unless --keep-failed): refit, or give another fitting's folder."
        )
    fitted_to = inputs.get("sha256")
    try:
        own = file_sha256(Path(old_scan))
    except OSError:
        return data  # the scan's own reading says what is wrong with it
    if fitted_to != own:
        raise InputError(
            f"{afo_dir}: its brace was fitted to {inputs.get('scan') or 'another scan'}"
            f"{f' (SHA-256 {str(fitted_to)[:12]}...)' if fitted_to else ''}, not to "
            f"{Path(old_scan).name} ({own[:12]}...): give the scan it was fitted to as "
            "OLD_SCAN, so that the brace and the old leg share a frame."
        )
    return data


def _read_brace(
    afo_dir: Path, data: dict[str, Any], side: str
) -> tuple[dict[str, Any], trimesh.Trimesh]:
    """The ``side`` leg of an earlier fitting's fitting.json ``data`` (as
    :func:`check_brace` read it from ``afo_dir``), and its STL."""
    legs = [leg for leg in data["legs"] if leg.get("side") == side]
    stl = legs[0]["shell"].get("stl") if legs else None
    if not stl or not (afo_dir / stl).is_file():
        raise InputError(
            f"{afo_dir}: has no STL of the {side} brace (its fitting holds "
            f"{', '.join(str(leg.get('side')) for leg in data['legs'])}): give the fitting "
            "of this leg."
        )
    try:
        shell = trimesh.load_mesh(afo_dir / stl, process=False)
    except Exception as exc:  # trimesh raises many types for a damaged file
        raise InputError(f"{afo_dir / stl}: cannot be read as a mesh ({exc}).") from exc
    if not isinstance(shell, trimesh.Trimesh) or len(shell.faces) == 0:
        raise InputError(f"{afo_dir / stl}: holds no triangles; refit, or give another fitting.")
    return legs[0], shell


def brace_fit(
    afo_dir: Path,
    fitting: dict[str, Any],
    old: ScanAnatomy,
    old_skin: SkinSurface,
    new_skin: trimesh.Trimesh,
    frame: LegFrame,
    top_mm: float,
) -> BraceFit:
    """The brace of the fitting in ``afo_dir`` (its ``fitting``.json as :func:`check_brace`
    read it; fitted to ``old``) on the ``new_skin``
    placed on the ``old_skin`` (both in the old scan's frame, mm), up to ``top_mm`` above
    the sole (the shorter scan's top): its gaps, where it presses or is loose, and a
    verdict (heuristic thresholds: :data:`REFIT_AREA_MM2` and its neighbours).

    Raises
    ------
    InputError
        ``afo_dir`` holds no fitting of ``old``'s leg with its STL.
    """
    leg, shell = _read_brace(afo_dir, fitting, old.legs[0].side)
    design = leg["design"]
    clearance, thickness = float(design["clearance_mm"]), float(design["thickness_mm"])
    centres = np.asarray(shell.triangles_center)
    height = frame.to_shank_local(centres)[:, 2]
    reach = clearance + 0.5 * thickness + 1.5
    # Faces that may be on the inner surface: looking towards a skin vertex within reach
    # (and a spacing more); the exact gaps are measured for them alone.
    corners = old_skin.vertices[old_skin.faces]
    spacing = float(np.median(np.linalg.norm(corners[:, 1] - corners[:, 0], axis=1)))
    near, vertex = cKDTree(old_skin.vertices).query(
        centres, distance_upper_bound=reach + 2.0 * spacing, workers=-1
    )
    found = np.isfinite(near)
    towards_vertex = np.zeros(len(centres), dtype=bool)
    towards_vertex[found] = (
        np.einsum(
            "ij,ij->i",
            np.asarray(shell.face_normals)[found],
            old_skin.vertices[vertex[found]] - centres[found],
        )
        > 0
    )
    area = np.asarray(shell.area_faces)
    # Inner surface above the shorter scan's top (less its ragged margin): not checked.
    unchecked_area = float(area[towards_vertex & (height > top_mm)].sum())
    candidate = np.flatnonzero(towards_vertex & (height <= top_mm))
    old_gap = np.full(len(centres), np.nan)
    new_gap = np.full(len(centres), np.nan)
    old_gap[candidate], closest, _ = _signed_distance(centres[candidate], old_skin)
    towards = np.zeros(len(centres), dtype=bool)
    towards[candidate] = (
        np.einsum(
            "ij,ij->i", np.asarray(shell.face_normals)[candidate], closest - centres[candidate]
        )
        > 0
    )
    inner = towards & (old_gap < reach)
    new_gap[inner], _, _ = _signed_distance(centres[inner], SkinSurface(new_skin))
    pressing = inner & (new_gap < PRESSURE_GAP_MM) & (new_gap < old_gap - PRESSURE_CHANGE_MM)
    loose = inner & (new_gap > old_gap + LOOSE_CHANGE_MM)
    pressure_area = float(area[pressing].sum())
    loose_area = float(area[loose].sum())
    inner_area = float(area[inner].sum())
    deepest = float(max(0.0, -new_gap[pressing].min())) if pressing.any() else 0.0
    levels = _area_span(height[pressing], area[pressing]) if pressing.any() else None
    verdict, reasons = _verdict(
        pressure_area, levels, deepest, loose_area, inner_area,
        float(np.median(np.abs(new_gap[inner] - old_gap[inner]))) if inner.any() else 0.0,
    )  # fmt: skip
    warnings = []
    if unchecked_area >= ADJUST_AREA_MM2:
        warnings.append(
            f"{unchecked_area / 100.0:.0f} cm² of the brace's inner surface lies above "
            f"{top_mm:.0f} mm, where the shorter scan ends: not checked (scan up to the "
            "brace's top)"
        )
    return BraceFit(
        verdict=verdict, reasons=tuple(reasons), pressure_area_mm2=pressure_area,
        pressure_levels_mm=levels, deepest_mm=deepest, loose_area_mm2=loose_area,
        inner_area_mm2=inner_area, unchecked_area_mm2=unchecked_area,
        clearance_mm=clearance, thickness_mm=thickness, shell=shell, warnings=tuple(warnings),
        new_gap_mm=np.where(inner, new_gap, np.nan), old_gap_mm=np.where(inner, old_gap, np.nan),
    )  # fmt: skip
