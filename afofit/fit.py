"""The afofit pipeline, in one place.

    scan file ─ load_scan ─ split_limbs ─ units ─ analyse_leg (frame, side,
    landmarks, measurements) per leg ─ ScanAnatomy

Later stages (shell, stiffness, report) hang off this module too.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import trimesh

from afofit.anatomy import (
    LegAnatomy,
    ScanAnatomy,
    analyse_leg,
    guess_units,
    opposite_sides_needed,
    settle_units,
)
from afofit.errors import InputError, LandmarkError, ScanError
from afofit.scan import LandmarkOverrides, load_landmarks, load_scan, split_limbs
from afofit.units import SCALE_TO_MM

__all__ = ["analyse_scan"]

log = logging.getLogger(__name__)

SIDES = ("left", "right")


def _scaled(meshes: list[trimesh.Trimesh], scale: float) -> list[trimesh.Trimesh]:
    return [
        trimesh.Trimesh(np.asarray(m.vertices) * scale, m.faces, process=False, validate=False)
        for m in meshes
    ]


def _analyse_legs(
    limbs: list[trimesh.Trimesh], scale: float, name: str, sides: list[str | None]
) -> list[LegAnatomy]:
    return [
        analyse_leg(mesh, name, side=side)
        for mesh, side in zip(_scaled(limbs, scale), sides, strict=True)
    ]


def analyse_scan(
    path: Path | str,
    *,
    side: str | None = None,
    units: str | None = None,
    landmarks: Path | str | None = None,
) -> ScanAnatomy:
    """Read a scan and find each leg's frame, side, landmarks and measurements.

    Parameters
    ----------
    path : STL, PLY or OBJ scan of one or two lower legs with their feet.
    side : "left" | "right": keep only that leg. With a one-leg scan, a side
        the geometry contradicts with confidence is an error; with low
        confidence it is taken as given.
    units : the file's length unit ("mm", "cm", "m", "in"); None to detect.
    landmarks : JSON or MeshLab ``.pp`` file of landmarks that replace the
        detected ones (see :func:`afofit.scan.load_landmarks`).

    Returns
    -------
    ScanAnatomy, coordinates in the file's frame scaled to mm.

    Raises
    ------
    ScanError, NotALegError, LandmarkError, InputError
    """
    if side is not None and side not in SIDES:
        raise InputError(f"--side {side!r}: use 'left' or 'right'.")
    if units is not None and units not in SCALE_TO_MM:
        raise InputError(f"--units {units!r}: use one of {', '.join(SCALE_TO_MM)}.")
    overrides: LandmarkOverrides | None = load_landmarks(landmarks) if landmarks else None
    raw = load_scan(path)
    name = raw.path.name
    warnings = list(raw.warnings)
    limbs, debris = split_limbs(raw.vertices, raw.faces)
    if debris:
        warnings.append(f"left out {debris} faces of small loose pieces (scan debris)")
    if len(limbs) > 2:
        warnings.append(f"found {len(limbs)} limb-sized pieces; kept the two largest")
        limbs = limbs[:2]

    unit = units or guess_units(np.asarray(limbs[0].vertices))
    legs = _analyse_legs(limbs, SCALE_TO_MM[unit], name, [None] * len(limbs))
    if units is None:
        foot_file = legs[0].measurements.foot_length_mm / SCALE_TO_MM[unit]
        settled = settle_units(np.asarray(limbs[0].vertices), foot_file)
        if settled != unit:
            unit = settled
            legs = _analyse_legs(limbs, SCALE_TO_MM[unit], name, [None] * len(limbs))
    forced = opposite_sides_needed(legs)
    if forced is not None:
        warnings.append("both legs looked like the same side; sides set from where each stands")
        legs = _analyse_legs(limbs, SCALE_TO_MM[unit], name, list(forced))

    scale = SCALE_TO_MM[unit]
    if side is not None:
        keep = [i for i, leg in enumerate(legs) if leg.side == side]
        if not keep and len(legs) == 1 and legs[0].frame.side_confidence < 0.5:
            warnings.append(
                f"--side {side}: the shape suggests {legs[0].side} with low confidence "
                f"({legs[0].frame.side_confidence:.2f}); taken as {side}"
            )
            legs = _analyse_legs(limbs, scale, name, [side])
            keep = [0]
        if not keep:
            found = " and a ".join(leg.side for leg in legs)
            raise ScanError(
                f"{name}: --side {side}: the scan holds a {found} leg, not a {side} one. "
                "Leave out --side, or check that this is the intended scan."
            )
        limbs, legs = [limbs[i] for i in keep], [legs[i] for i in keep]

    if overrides is not None:
        target = overrides.side or (legs[0].side if len(legs) == 1 else None)
        if target is None:
            raise LandmarkError(
                f"{name}: holds two legs; say which leg the landmarks are for with --side "
                '(or a "side" member in the landmark file).'
            )
        index = next((i for i, leg in enumerate(legs) if leg.side == target), None)
        if index is None:
            raise LandmarkError(f"{name}: the landmarks are for a {target} leg; the scan has none.")
        given = {
            k: p * (scale if overrides.in_file_units else 1.0) for k, p in overrides.points.items()
        }
        mesh = _scaled([limbs[index]], scale)[0]
        legs[index] = analyse_leg(mesh, name, overrides=given, side=legs[index].side)

    for leg in legs:
        if leg.measurements.calf_max_at_scan_top:
            warnings.append(
                f"{leg.side} leg: the scan ends before the calf's widest point; "
                "calf girth is the girth at the top of the scan"
            )
        if leg.landmarks_mm["knee_centre"] is None:
            warnings.append(f"{leg.side} leg: the scan does not reach the knee; no knee centre")
        low = [k for k, c in leg.confidence.items() if c < 0.3 and leg.landmarks_mm[k] is not None]
        if low:
            warnings.append(
                f"{leg.side} leg: low confidence in {', '.join(low)}; check them on the "
                "report or give them with --landmarks"
            )
    return ScanAnatomy(
        path=str(raw.path),
        sha256=raw.sha256,
        units_detected=unit,
        units_source="given" if units else "detected",
        scale_to_mm=SCALE_TO_MM[unit],
        faces=raw.faces_in_file,
        legs=tuple(legs),
        warnings=tuple(warnings),
    )
