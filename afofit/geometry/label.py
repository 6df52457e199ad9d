"""A label engraved in the outer lateral cuff: the case id, side and date where the lab will
look for them, cut into the shell's distance field so the shell stays one clean solid.

The text runs up the shank on the posterolateral calf (about 45 degrees behind the lateral
side, well inside every design's trim lines), reading upwards as seen from the side, its
letters :data:`LABEL_HEIGHT_MM` tall across the shank and :data:`LABEL_DEPTH_MM` deep. The
glyphs (DejaVu Sans Bold, shipped with matplotlib) are rasterised at
:data:`RASTER_MM` and softened a little, so that the shell's grid (1.25 mm) resolves their
strokes; the outer surface then sinks by the glyphs' coverage times the depth.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import cache

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

from afofit.errors import InputError

__all__ = [
    "LABEL_ALLOWANCE_MM",
    "LABEL_DEPTH_MM",
    "LABEL_HEIGHT_MM",
    "LabelPlacement",
    "check_label",
    "label_area_mm2",
    "label_coordinates",
    "label_depth",
    "label_direction",
    "label_length_mm",
]

#: How deep the letters are cut into the outer surface, mm.
LABEL_DEPTH_MM = 0.6
#: The capital letters' height (across the shank), mm: strokes about 2 mm wide.
LABEL_HEIGHT_MM = 11.0
#: The glyphs' raster, mm per pixel.
RASTER_MM = 0.25
#: Softening of the glyphs' edges (Gaussian sigma), mm: under half a voxel.
SOFTEN_MM = 0.35
#: The wall check allows the label's depth this far around its letters, mm.
LABEL_ALLOWANCE_MM = 1.0
#: Where the text sits around the shank: this far from the lateral side towards the back.
ANGLE_BEHIND_LATERAL_RAD = math.radians(45.0)
#: Characters a label may use, and how many.
LABEL_CHARACTERS = re.compile(r"[A-Za-z0-9 .\-_/:#]{1,32}")

Vec = NDArray[np.float64]


def check_label(text: str) -> str:
    """``text`` as a label (stripped), checked.

    Raises
    ------
    InputError
        Empty, longer than 32 characters, or a character outside letters, digits and
        ``space . - _ / : #``.
    """
    label = text.strip()
    if not LABEL_CHARACTERS.fullmatch(label):
        raise InputError(
            f"--label {text!r}: use up to 32 letters, digits, spaces and . - _ / : # "
            "(e.g. 'AFO-7 R 2026-12-01')."
        )
    return label


@dataclass(frozen=True, slots=True)
class LabelPlacement:
    """Where a label lies: its centre's height ``centre_z_mm`` along the shank axis
    ``axis`` (unit, local frame, through the origin), ``mirrored`` for a left leg (its
    local frame is a mirror image: the glyphs are flipped back)."""

    axis: Vec
    centre_z_mm: float
    mirrored: bool


@cache
def _glyphs(text: str, spread_mm: float = 0.0) -> tuple[NDArray[np.float64], float, float]:
    """The text's coverage (rows along the letters' height, columns along the text), 0-1,
    widened by ``spread_mm`` all round, and its length and height in mm."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextPath

    path = TextPath(
        (0.0, 0.0), text, size=LABEL_HEIGHT_MM / 0.73,  # DejaVu's capitals: 0.73 of the size
        prop=FontProperties(family="DejaVu Sans", weight="bold"),
    )  # fmt: skip
    box = path.get_extents()
    margin = 4.0 * SOFTEN_MM + spread_mm
    x = np.arange(box.x0 - margin, box.x1 + margin, RASTER_MM)
    y = np.arange(box.y0 - margin, box.y1 + margin, RASTER_MM)
    gx, gy = np.meshgrid(x, y)
    inside = path.contains_points(np.column_stack([gx.ravel(), gy.ravel()]))
    mask = inside.reshape(gy.shape).astype(np.float64)
    cover = ndimage.gaussian_filter(mask, SOFTEN_MM / RASTER_MM)
    if spread_mm > 0.0:
        reach = 2 * round(spread_mm / RASTER_MM) + 1
        cover = ndimage.grey_dilation(cover, size=(reach, reach))
    # Centred: column 0 at -length/2 along the text, row 0 at -height/2 across it.
    return cover, float(x[-1] - x[0]), float(y[-1] - y[0])


def label_area_mm2(text: str) -> float:
    """The area of ``text``'s letters (their softened raster's coverage), mm²."""
    return float(_glyphs(text)[0].sum()) * RASTER_MM**2


def label_length_mm(text: str) -> float:
    """How long ``text`` runs along the shank, mm."""
    return _glyphs(text)[1]


def label_coordinates(points: Vec, place: LabelPlacement) -> tuple[Vec, Vec, Vec]:
    """``points`` (n, 3, local mm) in the frame of the label at ``place``: how far along
    the text from its centre, how far towards the letters' tops (arc length on the
    point's own radius), and the radius from the shank axis, mm each (n,)."""
    axis = place.axis / np.linalg.norm(place.axis)
    z = points @ axis
    radial = points - z[:, None] * axis
    lateral = np.array([1.0, 0.0, 0.0]) - axis[0] * axis
    lateral /= np.linalg.norm(lateral)
    posterior = np.cross(lateral, axis)  # x × z = -y: towards the back
    angle = np.arctan2(radial @ posterior, radial @ lateral)  # from lateral, + towards the back
    radius = np.linalg.norm(radial, axis=1)
    across = radius * (angle - ANGLE_BEHIND_LATERAL_RAD)  # arc length, + towards the back
    # Reading upwards as seen from the side: the letters' tops point to the back; a left
    # leg's frame is mirrored, so there its glyphs are flipped across the text.
    up = -across if place.mirrored else across
    return z - place.centre_z_mm, up, radius


def label_direction(place: LabelPlacement) -> tuple[Vec, Vec, Vec]:
    """The frame of the label at ``place``, at its centre (local, unit vectors): along the
    text, towards the letters' tops, and out of the shell (the way a reader looks at it,
    reversed)."""
    axis = place.axis / np.linalg.norm(place.axis)
    lateral = np.array([1.0, 0.0, 0.0]) - axis[0] * axis
    lateral /= np.linalg.norm(lateral)
    posterior = np.cross(lateral, axis)
    a = ANGLE_BEHIND_LATERAL_RAD
    out = math.cos(a) * lateral + math.sin(a) * posterior
    tops = -math.sin(a) * lateral + math.cos(a) * posterior
    return axis, (-tops if place.mirrored else tops), out


def label_depth(points: Vec, text: str, place: LabelPlacement, spread_mm: float = 0.0) -> Vec:
    """How deep the label ``text`` at ``place`` cuts at each of ``points`` (n, 3) on or
    near the outer surface (local frame, mm), 0 to :data:`LABEL_DEPTH_MM`; with ``spread_mm``, the
    deepest cut within that distance (the wall check's allowance around the letters)."""
    cover, length, height = _glyphs(text, spread_mm)
    along, up, _ = label_coordinates(points, place)
    rows = (up + 0.5 * height) / RASTER_MM
    cols = (along + 0.5 * length) / RASTER_MM
    inside = (rows >= 0) & (rows <= cover.shape[0] - 1) & (cols >= 0) & (cols <= cover.shape[1] - 1)
    out = np.zeros(len(points))
    if inside.any():
        out[inside] = ndimage.map_coordinates(
            cover, np.vstack([rows[inside], cols[inside]]), order=1, mode="constant"
        )
    return LABEL_DEPTH_MM * np.clip(out, 0.0, 1.0)
