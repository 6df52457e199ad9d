"""Checks of landmarks the user gives (``--landmarks``) against the leg they are for.

A given landmark replaces the detected one at full confidence, so a mistake in the
file (another frame or unit, lateral and medial swapped, a point clicked in the air)
would shape the brace unchecked. Three checks, in the leg's local frame (x lateral,
y anterior, z up from the sole, mm; see :mod:`afofit.geometry.frames`):

1. **on the skin**: a surface landmark (malleoli, heel, toe tip, fibular head) lies
   on the skin; a joint centre (ankle, knee, MTP heads) lies inside it;
2. **side**: the lateral malleolus lies lateral of the medial one, the fifth MTP
   head lateral of the first, the fibular head on the lateral side;
3. **proportions**: heights and distances within wide adult bands in foot lengths.

A failure far outside a band is an error; near it, a warning that names the
landmark and the distance, since the user may mean it (an unusual leg).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from afofit.errors import LandmarkError

__all__ = ["SKIN_ERROR_MM", "SKIN_WARNING_MM", "check_given_landmarks"]

Vec = NDArray[np.float64]

#: Landmarks that sit on the skin (picked on the surface); the others are joint
#: centres inside the limb.
SURFACE = frozenset({"lateral_malleolus", "medial_malleolus", "heel", "toe_tip", "fibular_head"})

#: A given landmark this far from the skin (or, for a joint centre, this far
#: outside it) draws a warning, mm: more than picking on a scan of ~2 mm
#: edges and a few mm of soft tissue explain.
SKIN_WARNING_MM = 8.0
#: ... and this far, an error: no picking error puts a point 2 cm off the leg.
SKIN_ERROR_MM = 20.0

#: A lateral landmark found this far medial of its medial partner is swapped, mm.
SWAPPED_MM = 10.0

#: Height bands in foot lengths, (warn_low, warn_high, error_low, error_high):
#: ``height`` above the sole for the ankle, above the ankle centre for the knee
#: and the fibular head. Typical adults: malleoli at 0.22-0.30 foot lengths, the
#: knee joint 1.6-1.7 foot lengths above the ankle (Drillis-Contini proportions;
#: 1.61 and 1.68 on the Anny models), the fibular head 2 cm below the knee line.
HEIGHT_BANDS = {
    "lateral_malleolus": (0.15, 0.40, 0.08, 0.60),
    "medial_malleolus": (0.15, 0.45, 0.08, 0.65),
    "ankle_axis_centre": (0.15, 0.42, 0.08, 0.62),
    "knee_centre": (1.35, 1.95, 1.10, 2.30),
    "fibular_head": (1.25, 1.90, 1.00, 2.25),
}
#: Landmarks measured above the ankle centre rather than the sole.
ABOVE_ANKLE = frozenset({"knee_centre", "fibular_head"})


def _units_hint(point: Vec, origin: Vec, tree: cKDTree) -> str:
    """Which unit the point seems to be in, if rescaling it about the scan's ``origin``
    puts it on the skin."""
    for unit, scale in (("m", 1000.0), ("cm", 10.0), ("in", 25.4)):
        if tree.query(origin + (point - origin) * scale)[0] < SKIN_ERROR_MM:
            return f" It lands on the skin if read in {unit}: give the points in mm."
    return ""


def _skin_checks(
    points: dict[str, Vec], given: Iterable[str], skin: tuple[Vec, Vec, Vec], leg: str
) -> list[str]:
    vertices, normals, origin = skin
    tree = cKDTree(vertices)
    warnings = []
    for key in given:
        p = points[key]
        distance, nearest = tree.query(p)  # the nearest skin vertex; > 0 along its normal: outside
        off = (
            float(distance)
            if key in SURFACE
            else max(float((p - vertices[nearest]) @ normals[nearest]), 0.0)
        )
        where = "from the skin" if key in SURFACE else "outside the skin"
        if off > SKIN_ERROR_MM:
            raise LandmarkError(
                f"{leg}: the given {key} lies {_length(off)} {where}; landmarks are points on "
                "this scan in its own frame, in mm (a .pp file in the scan's units)."
                + _units_hint(p, origin, tree)
                + " Check the landmark file, or leave the landmark out to have it detected."
            )
        if off > SKIN_WARNING_MM:
            warnings.append(f"{leg}: the given {key} lies {off:.0f} mm {where}; check it")
    return warnings


def _length(mm: float) -> str:
    return f"{mm / 1000:.3g} m" if mm >= 1000 else f"{mm:.0f} mm"


def _side_checks(points: dict[str, Vec], given: set[str], side: str, leg: str) -> None:
    for lateral, medial in (("lateral_malleolus", "medial_malleolus"), ("mtp5", "mtp1")):
        if not ({lateral, medial} & given):
            continue
        a, b = points.get(lateral), points.get(medial)
        if a is None or b is None:
            continue
        gap = float(b[0] - a[0])
        if gap > SWAPPED_MM:
            raise LandmarkError(
                f"{leg}: the given {lateral} lies {gap:.0f} mm medial of the {medial}: are the two "
                f"swapped, or are the landmarks for a {'left' if side == 'right' else 'right'} "
                "leg? Check the landmark file's names (or --side)."
            )


def _height_checks(
    points: dict[str, Vec], given: set[str], foot_length: float, leg: str
) -> list[str]:
    warnings: list[str] = []
    if not np.isfinite(foot_length) or foot_length <= 0.0:
        return warnings
    ankle = points.get("ankle_axis_centre")
    for key, (warn_lo, warn_hi, err_lo, err_hi) in HEIGHT_BANDS.items():
        p = points.get(key)
        if key not in given or p is None or (key in ABOVE_ANKLE and ankle is None):
            continue
        base = float(ankle[2]) if key in ABOVE_ANKLE and ankle is not None else 0.0
        ratio = (float(p[2]) - base) / foot_length
        above = "above the ankle centre" if key in ABOVE_ANKLE else "above the sole"
        said = (
            f"the given {key} lies {float(p[2]) - base:.0f} mm {above} on a {foot_length:.0f} mm "
            f"foot, where adults have {warn_lo * foot_length:.0f}-{warn_hi * foot_length:.0f} mm"
        )
        if not err_lo <= ratio <= err_hi:
            raise LandmarkError(
                f"{leg}: {said}; the brace would be built at the wrong height. Check the "
                "landmark file, or leave the landmark out to have it detected."
            )
        if not warn_lo <= ratio <= warn_hi:
            warnings.append(f"{leg}: {said}; check it")
    knee, head = points.get("knee_centre"), points.get("fibular_head")
    if knee is not None and head is not None and {"knee_centre", "fibular_head"} & given:
        over = float(head[2] - knee[2])
        if over > SKIN_ERROR_MM:
            raise LandmarkError(
                f"{leg}: the given fibular_head lies {over:.0f} mm above the knee centre; it "
                "lies about 20 mm below the knee joint line, and the brace's top edge is set "
                "from it. Check the landmark file."
            )
    return warnings


def check_given_landmarks(
    points: dict[str, Vec | None],
    given: Iterable[str],
    vertices: Vec,
    normals: Vec,
    scan_origin: Vec,
    *,
    foot_length_mm: float,
    side: str,
    leg: str,
) -> list[str]:
    """Check the landmarks the user gave against the leg; return warnings for the user.

    Parameters
    ----------
    points : name → (3,) local point (given ones already in place), mm, or None.
    given : the names the user gave.
    vertices, normals : the leg's skin vertices and their outward unit normals, local, mm.
    scan_origin : the scan file's origin in the local frame (to spot points in other units).
    foot_length_mm : heel-to-toe length, mm.
    side : "left" | "right", for the message on swapped landmarks.
    leg : how messages name the leg ("leg.stl, right leg").

    Raises
    ------
    LandmarkError
        A given landmark off the skin by more than :data:`SKIN_ERROR_MM`, on the wrong
        side, or at a height no adult leg has.
    """
    given = {k for k in given if points.get(k) is not None}
    known = {k: p for k, p in points.items() if p is not None}
    warnings = _skin_checks(known, sorted(given), (vertices, normals, scan_origin), leg)
    _side_checks(known, given, side, leg)
    return warnings + _height_checks(known, given, foot_length_mm, leg)
