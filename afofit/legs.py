"""Which legs a scan holds, in which units, on which side: decided first, then analysed once.

The policy that turns a cleaned scan into its analysed legs. The cheap cues come first:
the units from the scan's length and the foot's (:func:`settle_units`), each leg's frame
and side from its shape (:func:`~afofit.geometry.frames.estimate_frame`), opposite sides
for two legs that look alike from where each stands, the side the user asked for, and
the leg the given landmarks belong to. Then each kept leg is analysed once
(:func:`~afofit.anatomy.analyse_leg`, its landmarks and measurements). A wrong first
guess of the units costs one more frame, never a second analysis.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import trimesh
from numpy.typing import NDArray
from scipy.spatial import QhullError

from afofit.anatomy import (
    ANKLE_LANDMARKS,
    LegAnatomy,
    ScanAnatomy,
    analyse_leg,
    confidence_word,
)
from afofit.anthropometry import TYPICAL_FOOT_LENGTH_MM, TYPICAL_SCAN_LENGTH_MM
from afofit.clinical import SIDES
from afofit.errors import InputError, LandmarkError, NotALegError, ScanError
from afofit.geometry.frames import FOOT_ZONE_MM, LegFrame, estimate_frame
from afofit.geometry.topology import face_centres_and_areas
from afofit.scan import LandmarkOverrides, RawScan, split_limbs
from afofit.units import SCALE_TO_MM

__all__ = ["check_options", "find_legs", "guess_units", "opposite_sides_needed", "settle_units"]

Vec = NDArray[np.float64]


#: Two legs of one scan that both look like the same side this surely (each) are refused;
#: less sure, the sides are set from where each stands.
SAME_SIDE_CONFIDENCE = 0.9
#: A scanned leg has thousands of faces; a piece with fewer is not one (a box, a triangle).
MIN_LIMB_FACES = 500
#: The longest side of a scanned lower leg with its foot, mm: from a child's foot and
#: ankle (the shortest foot afofit takes, 150 mm) to a whole leg and more.
LIMB_EXTENT_RANGE_MM = (150.0, 2500.0)


def _principal_length(vertices: Vec) -> float:
    """Extent of the points along their first principal axis, in their units."""
    centred = vertices - vertices.mean(axis=0)
    _, _, vt = np.linalg.svd(centred[:: max(1, len(centred) // 20000)], full_matrices=False)
    return float(np.ptp(centred @ vt[0]))


def guess_units(vertices: Vec) -> str:
    """First guess of the file's units from the overall length of the scan's ``vertices``.

    Refined by :func:`settle_units` once the foot has been measured.
    """
    length = _principal_length(vertices)
    costs = {u: abs(math.log(length * s / TYPICAL_SCAN_LENGTH_MM)) for u, s in SCALE_TO_MM.items()}
    return min(costs, key=lambda u: costs[u])


def settle_units(vertices: Vec, foot_length_file: float) -> str:
    """The units under which both the foot and the whole scan have human sizes.

    Parameters
    ----------
    vertices : (n, 3) file units.
    foot_length_file : the foot length measured in file units.
    """
    length = _principal_length(vertices)

    def cost(unit: str) -> float:
        s = SCALE_TO_MM[unit]
        return abs(math.log(foot_length_file * s / TYPICAL_FOOT_LENGTH_MM)) + 0.5 * abs(
            math.log(length * s / TYPICAL_SCAN_LENGTH_MM)
        )

    return min(SCALE_TO_MM, key=cost)


def opposite_sides_needed(frames: list[LegFrame]) -> list[str] | None:
    """The sides two legs of one scan must have, when their shape cues call both the same.

    ``frames`` are the legs' frames, sides as detected. Then where they stand
    decides: the right leg stands on the body's right of the left one (compared at
    the sole, each frame's origin). Returns None when nothing needs to change.
    """
    if len(frames) != 2 or frames[0].side != frames[1].side:
        return None
    a, b = frames
    # a.lateral points to the body's right if a is a right leg.
    body_right = a.lateral if a.side == "right" else -a.lateral
    a_is_right = float((b.origin - a.origin) @ body_right) < 0
    return ["right", "left"] if a_is_right else ["left", "right"]


@dataclass(frozen=True, slots=True)
class _Limb:
    """One limb-sized piece in mm with its frame (the side as finally decided)."""

    mesh: trimesh.Trimesh
    frame: LegFrame


def _in_mm(limbs: list[trimesh.Trimesh], unit: str) -> list[trimesh.Trimesh]:
    scale = SCALE_TO_MM[unit]
    return [
        trimesh.Trimesh(np.asarray(m.vertices) * scale, m.faces, process=False, validate=False)
        for m in limbs
    ]


def _frame(mesh: trimesh.Trimesh, name: str) -> LegFrame:
    try:
        return estimate_frame(*face_centres_and_areas(mesh.vertices, mesh.faces))
    except (QhullError, ValueError, np.linalg.LinAlgError) as exc:
        raise NotALegError(
            f"{name}: not a lower leg with a foot: the surface has no leg's shape "
            f"({len(mesh.faces)} faces, {_extent(mesh):.3g} mm across as read); give a scan of "
            "one or two lower legs with their feet."
        ) from exc


def _extent(mesh: trimesh.Trimesh) -> float:
    """The longest side of ``mesh``'s bounding box, in its own units."""
    return float(np.ptp(np.asarray(mesh.vertices), axis=0).max(initial=0.0))


def _check_pieces(pieces: list[trimesh.Trimesh], name: str) -> None:
    """Refuse what cannot be one or two scanned legs before any analysis."""
    if len(pieces) > 2:
        sizes = ", ".join(f"{len(p.faces)}" for p in pieces)
        raise ScanError(
            f"{name}: holds {len(pieces)} limb-sized pieces (faces: {sizes}); afofit fits one "
            "or two legs per scan. Crop the scan to the leg(s) to fit."
        )
    small = min(len(p.faces) for p in pieces)
    if small < MIN_LIMB_FACES:
        raise NotALegError(
            f"{name}: not a scanned leg: a piece of only {small} face{'s' * (small != 1)} "
            f"(a scan of a leg has thousands; at least {MIN_LIMB_FACES} are needed). Give a "
            "scan of one or two lower legs with their feet."
        )


def _check_size(limbs: list[_Limb], unit: str, given: str | None, name: str) -> None:
    """Refuse a leg whose size, read in ``unit``, no lower leg has (wrong units)."""
    low, high = LIMB_EXTENT_RANGE_MM
    for limb in limbs:
        extent = _extent(limb.mesh)
        if not low <= extent <= high:
            how = "as given by --units" if given else "as detected"
            advice = _units_advice(extent / SCALE_TO_MM[unit])
            raise ScanError(
                f"{name}: read in {unit} ({how}) the leg is {extent:.3g} mm long; no lower leg "
                f"with its foot is ({low:g}-{high:g} mm). {advice}"
            )


def _units_advice(extent_in_file: float) -> str:
    """What to give as --units for a limb ``extent_in_file`` long in the file's own numbers."""
    low, high = LIMB_EXTENT_RANGE_MM
    fits = [u for u, scale in SCALE_TO_MM.items() if low <= extent_in_file * scale <= high]
    if not fits:
        return "Rescale the scan to mm, cm, m or in, then give its units with --units."
    sizes = " or ".join(f"--units {u} ({extent_in_file * SCALE_TO_MM[u]:.0f} mm)" for u in fits)
    return f"It is a leg's size read with {sizes}: give the scan's true units with --units."


def _units(limbs: list[trimesh.Trimesh], given: str | None, name: str) -> tuple[str, list[_Limb]]:
    """The file's units (given, or settled from the first limb's foot), each limb's frame."""
    unit = given or guess_units(np.asarray(limbs[0].vertices))
    meshes = _in_mm(limbs, unit)
    frames = [_frame(m, name) for m in meshes]
    if given is None:
        local = frames[0].to_local(np.asarray(meshes[0].vertices))
        foot = local[local[:, 2] < FOOT_ZONE_MM, 1]
        foot_file = float(np.ptp(foot)) / SCALE_TO_MM[unit] if len(foot) else 0.0
        settled = settle_units(np.asarray(limbs[0].vertices), max(foot_file, 1e-9))
        if settled != unit:
            unit, meshes = settled, _in_mm(limbs, settled)
            frames = [_frame(m, name) for m in meshes]
    return unit, [_Limb(m, f) for m, f in zip(meshes, frames, strict=True)]


def _sides(limbs: list[_Limb], side: str | None, name: str, warnings: list[str]) -> list[_Limb]:
    """The limbs to analyse, each with its side settled (opposite sides; ``side`` kept)."""
    frames = [limb.frame for limb in limbs]
    forced = opposite_sides_needed(frames)
    if forced is not None and min(f.side_confidence for f in frames) >= SAME_SIDE_CONFIDENCE:
        raise ScanError(
            f"{name}: holds two legs that both look like {frames[0].side} legs (side "
            f"confidence {frames[0].side_confidence:.2f} and {frames[1].side_confidence:.2f}): "
            "two scans of one leg? Give each leg its own scan, or a scan of both legs."
        )
    if forced is not None:
        warnings.append("both legs looked like the same side; sides set from where each stands")
        limbs = [
            _Limb(limb.mesh, limb.frame.with_side(s)) for limb, s in zip(limbs, forced, strict=True)
        ]
    if side is None:
        return limbs
    keep = [limb for limb in limbs if limb.frame.side == side]
    only = limbs[0].frame if len(limbs) == 1 else None
    if not keep and only is not None and only.side_confidence < 0.5:
        warnings.append(
            f"--side {side}: the shape suggests {only.side} with low confidence "
            f"({only.side_confidence:.2f}); taken as {side}"
        )
        keep = [_Limb(limbs[0].mesh, only.with_side(side))]
    if not keep:
        found = " and a ".join(limb.frame.side for limb in limbs)
        raise ScanError(
            f"{name}: --side {side}: the scan holds a {found} leg, not a {side} one. "
            "Leave out --side, or check that this is the intended scan."
        )
    return keep


def _given_landmarks(
    limbs: list[_Limb], overrides: LandmarkOverrides | None, unit: str, name: str
) -> list[dict[str, Vec] | None]:
    """For each limb, the landmarks given for it (mm, scan frame), or None."""
    if overrides is None:
        return [None] * len(limbs)
    target = overrides.side or (limbs[0].frame.side if len(limbs) == 1 else None)
    if target is None:
        raise LandmarkError(
            f"{name}: holds two legs; say which leg the landmarks are for with --side "
            '(or a "side" member in the landmark file).'
        )
    if not any(limb.frame.side == target for limb in limbs):
        found = " and a ".join(limb.frame.side for limb in limbs)
        raise LandmarkError(
            f"{overrides.file}: the landmarks are for a {target} leg; {name} holds a {found} "
            'leg. Check that the landmark file belongs to this scan (or its "side").'
        )
    scale = SCALE_TO_MM[unit] if overrides.in_file_units else 1.0
    given = {k: p * scale for k, p in overrides.points.items()}
    return [given if limb.frame.side == target else None for limb in limbs]


def _leg_warnings(leg: LegAnatomy) -> list[str]:
    """What the user should check about one analysed leg."""
    out = list(leg.warnings)
    if leg.measurements.calf_max_at_scan_top:
        out.append(
            f"{leg.side} leg: the scan ends before the calf's widest point; "
            "calf girth is the girth at the top of the scan"
        )
    if leg.landmarks_mm["knee_centre"] is None:
        out.append(f"{leg.side} leg: the scan does not reach the knee; no knee centre")
    estimate = leg.ankle_estimate
    unsure = estimate is not None and confidence_word(estimate.confidence) != "high"
    if estimate is not None and unsure:
        seen = [c.name for c in estimate.cues if c.name != "foot proportions"]
        how = "the foot's proportions" + "".join(f" and the {name}" for name in seen)
        out.append(
            f"{leg.side} leg: the malleoli do not stand out clearly on the scan; the ankle "
            f"axis is placed from {how}, its height to within about ±{2.0 * estimate.sd_mm:.0f}"
            " mm (2 sd): check the malleoli on the report, or give them with --landmarks"
        )
    low = [
        k
        for k, c in leg.confidence.items()
        if c < 0.3 and leg.landmarks_mm[k] is not None and not (unsure and k in ANKLE_LANDMARKS)
    ]
    if low:
        out.append(
            f"{leg.side} leg: low confidence in {', '.join(low)}; check them on the "
            "report or give them with --landmarks"
        )
    return out


def check_options(side: str | None, units: str | None) -> None:
    """Refuse a ``side`` other than left/right and an unknown ``units``, before any work.

    Raises
    ------
    InputError
        Naming the option and the values it takes.
    """
    if side is not None and side not in SIDES:
        raise InputError(f"--side {side!r}: use 'left' or 'right'.")
    if units is not None and units not in SCALE_TO_MM:
        raise InputError(f"--units {units!r}: use one of {', '.join(SCALE_TO_MM)}.")


def find_legs(
    raw: RawScan,
    *,
    side: str | None = None,
    units: str | None = None,
    overrides: LandmarkOverrides | None = None,
) -> tuple[ScanAnatomy, list[trimesh.Trimesh]]:
    """Find each leg of a cleaned scan: units and sides first, then one analysis per leg.

    Parameters
    ----------
    raw : the scan as read (:func:`afofit.scan.load_scan`), file units.
    side : "left" | "right": keep only that leg. With a one-leg scan, a side the
        geometry contradicts with confidence is an error; with low confidence it is
        taken as given.
    units : the file's length unit ("mm", "cm", "m", "in"); None to detect.
    overrides : landmarks that replace the detected ones (:func:`afofit.scan.load_landmarks`).

    Returns
    -------
    The anatomy (coordinates in the file's frame scaled to mm) and each kept leg's
    surface (mm), in the same order as its legs.

    Raises
    ------
    ScanError, NotALegError, LandmarkError, InputError
    """
    check_options(side, units)
    name = raw.path.name
    warnings = list(raw.warnings)
    pieces, debris = split_limbs(raw.vertices, raw.faces)
    if debris:
        warnings.append(f"left out {debris} faces of small loose pieces (scan debris)")
    _check_pieces(pieces, name)
    unit, limbs = _units(pieces, units, name)
    _check_size(limbs, unit, units, name)
    limbs = _sides(limbs, side, name, warnings)
    given = _given_landmarks(limbs, overrides, unit, name)
    legs = [
        analyse_leg(limb.mesh, name, overrides=marks, frame=limb.frame)
        for limb, marks in zip(limbs, given, strict=True)
    ]
    warnings += [w for leg in legs for w in _leg_warnings(leg)]
    anatomy = ScanAnatomy(
        path=str(raw.path), sha256=raw.sha256, units_detected=unit,
        units_source="given" if units else "detected", scale_to_mm=SCALE_TO_MM[unit],
        faces=raw.faces_in_file, legs=tuple(legs), warnings=tuple(warnings),
    )  # fmt: skip
    return anatomy, [limb.mesh for limb in limbs]
