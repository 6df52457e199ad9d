"""The toes as one block: a footplate under the toes must not follow each toe.

An offset of the real skin wraps every toe on its own: the offsets of two
toes a few millimetres apart meet in the web space and leave slivers and
pinched pockets there, and a plate that follows the lowest skin rises into
each gap as a fin. An orthotist's toe plate is flat under the toes with low
side walls round the whole group, so ahead of the metatarsal heads the skin
is replaced by a 2.5-D block, what the toes would be in a mitten:

- its outline is the convex hull of the toes' footprint (a smooth curve round
  the tips, as a toe plate's);
- its bottom is the toes' lower envelope (flat under the pads, never above the
  skin), its top the dorsum with the gaps closed;
- its sides stand upright but round in at the bottom as the foot's own sides
  do where the block meets the foot, so the two join without a step;
- where the foot's underside just behind stands higher than the block's bottom
  (under the arch), a short back face closes the step between them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage
from skimage.morphology import convex_hull_image

__all__ = ["MIN_TOE_SAMPLES", "TOE_GAP_MM", "toe_block"]

Vec = NDArray[np.float64]
Profiles = Callable[[Vec, float], tuple[Vec, Vec]]

#: With fewer skin samples ahead of the metatarsal heads there are no toes to block.
MIN_TOE_SAMPLES = 10
#: Gaps between toes up to about this wide are closed, mm.
TOE_GAP_MM = 12.0
#: The block's sides round in at the bottom by at most this much, mm (a foot's rounded edge).
MAX_EDGE_INSET_MM = 8.0
#: Pieces of the toes' footprint smaller than this are stray samples, mm².
MIN_PIECE_MM2 = 20.0


def _without_specks(mask: NDArray[np.bool_], min_cells: int) -> NDArray[np.bool_]:
    """``mask`` without its 8-connected pieces of fewer than ``min_cells`` cells (stray samples)."""
    labels, _ = ndimage.label(mask, structure=np.ones((3, 3)))
    sizes = np.bincount(labels.ravel())
    keep = sizes >= min_cells
    keep[0] = False
    return keep[labels]


def _junction(behind: Vec, y_start_mm: float, step: float) -> Vec:
    """The skin samples of ``behind`` in a slab three ``step`` deep just behind ``y_start_mm``."""
    return behind[(behind[:, 1] > y_start_mm - 3.0 * step) & (behind[:, 1] <= y_start_mm)]


def _edge_profiles(slab: Vec, step: float) -> Profiles:
    """How the foot's sides round in at the bottom where the block meets it.

    From the skin samples ``slab`` just behind the block (:func:`_junction`),
    on a ``step`` grid of heights: for each side (x below and above the slab's middle), the
    side's outward reach at each height less its widest reach (≤ 0 below the
    widest point, 0 above; no deeper than MAX_EDGE_INSET_MM). Returns a
    function of heights ``z`` and an outward direction's x component (-1 one
    side, +1 the other; towards 0, round the toe tips, blending into the
    gentler side's profile) giving the inset (mm) and its slope d inset / dz.
    """
    if len(slab) < 10:
        return lambda z, _: (np.zeros(len(z)), np.zeros(len(z)))
    mid = 0.5 * (slab[:, 0].min() + slab[:, 0].max())
    z0 = float(slab[:, 2].min())
    centres = z0 + step * np.arange(int((slab[:, 2].max() - z0) / step) + 1)
    bins = np.minimum(((slab[:, 2] - z0) / step).astype(int), len(centres) - 1)
    insets = []
    for sign in (-1.0, 1.0):
        side = np.sign(slab[:, 0] - mid) == sign
        reach = np.full(len(centres), -np.inf)
        np.maximum.at(reach, bins[side], sign * slab[side, 0])
        known = np.isfinite(reach)
        if known.sum() < 2:
            insets.append(np.zeros(len(centres)))
            continue
        reach = np.interp(centres, centres[known], reach[known])
        widest = int(np.argmax(reach))
        # A rounded edge, not an arch: under the medial arch the side's reach
        # at the bottom falls back by several centimetres, but the big toe's
        # pad is on the floor; the step up to the arch is the back face's.
        inset = np.maximum(reach - reach[widest], -MAX_EDGE_INSET_MM)
        inset[widest:] = 0.0
        insets.append(inset)
    slopes = [np.gradient(v, step) if len(v) > 1 else np.zeros(len(v)) for v in insets]

    # The toe tips round in like the gentler of the two sides.
    gentle = int(np.argmax([v[0] for v in insets]))

    def profile(z: Vec, out_x: float) -> tuple[Vec, Vec]:
        side = 1 if out_x > 0.0 else 0
        w = abs(float(np.clip(out_x, -1.0, 1.0)))
        inset = w * np.interp(z, centres, insets[side]) + (1 - w) * np.interp(
            z, centres, insets[gentle]
        )
        slope = w * np.interp(z, centres, slopes[side]) + (1 - w) * np.interp(
            z, centres, slopes[gentle]
        )
        return inset, slope

    return profile


def _underside_behind(slab: Vec, origin_x: float, step: float, n: int) -> Vec:
    """(n,) the foot's underside just behind the block in each x column of the block's grid.

    The lowest of the skin samples ``slab`` (:func:`_junction`) in each column;
    columns without any take the nearest column's value (+inf if none has one).
    """
    col = np.floor((slab[:, 0] - origin_x) / step).astype(int)
    ok = (col >= 0) & (col < n)
    under = np.full(n, np.inf)
    np.minimum.at(under, col[ok], slab[ok, 2])
    known = np.isfinite(under)
    if known.sum() < 2:
        return under
    xs = np.arange(n)
    return np.interp(xs, xs[known], under[known])


def _unit(v: Vec) -> Vec:
    return v / np.linalg.norm(v, axis=1, keepdims=True)


@dataclass(frozen=True, slots=True)
class _Plan:
    """The block in plan: a grid of columns and the heights over them."""

    origin: Vec  # (2,) x, y of column (0, 0)'s corner, mm
    cell: float  # column width, mm
    foot: NDArray[np.bool_]  # the block's footprint
    low: Vec  # its bottom's height in each column, mm
    high: Vec  # its top's height, mm

    def centre(self, i: int, j: int) -> Vec:
        return self.origin + (np.array([i, j]) + 0.5) * self.cell


def _plan(toes: Vec, g: float, min_top_mm: float) -> _Plan:
    """The toes' footprint (convex hull), lower envelope and closed top on a grid of ``g``."""
    reach = max(round(0.5 * TOE_GAP_MM / g), 1)
    # A margin wider than the grey filters' reach, so the grid's edge never
    # reaches into the footprint.
    margin = (reach + 4) * g
    origin = toes[:, :2].min(axis=0) - margin
    shape = tuple(np.ceil((toes[:, :2].max(axis=0) + margin - origin) / g).astype(int) + 1)
    cell = np.floor((toes[:, :2] - origin) / g).astype(int)
    low = np.full(shape, np.inf)
    high = np.full(shape, -np.inf)
    np.minimum.at(low, (cell[:, 0], cell[:, 1]), toes[:, 2])
    np.maximum.at(high, (cell[:, 0], cell[:, 1]), toes[:, 2])
    seen = np.isfinite(low)
    # A toe plate's outline is a smooth convex curve round the toe tips, not
    # a scallop round each toe: the footprint's convex hull.
    foot = convex_hull_image(_without_specks(seen, round(MIN_PIECE_MM2 / g**2)))
    # Unseen columns (the gaps) take the nearest seen column's heights. The
    # bottom is the toes' lower envelope: the lowest skin within a gap's
    # width, smoothed over a sixth of it (so it stays under the skin), flat
    # under the toe pads as a toe plate is; a closing of the top takes away
    # the troughs the gaps leave in it.
    nearest = ndimage.distance_transform_edt(~seen, return_distances=False, return_indices=True)
    size = 2 * reach + 1
    low = ndimage.grey_erosion(low[tuple(nearest)], size=size)
    high = ndimage.grey_closing(high[tuple(nearest)], size=size)
    low = ndimage.gaussian_filter(low, size / 6.0)
    high = np.maximum(ndimage.gaussian_filter(high, 1.0), np.maximum(low + g, min_top_mm))
    return _Plan(origin, g, foot, low, high)


def _sides(
    plan: _Plan, y_start_mm: float, profiles: Profiles
) -> tuple[list[Vec], list[Vec], list[Vec], Vec]:
    """Samples of the block's sides: its rim columns from bottom to top.

    They face out along the footprint's outward direction and round in at the
    bottom as the foot does where the block meets it (``profiles``). Returns
    the points and normals (one array per column), the foot of each side, and
    how far each rim column's side is drawn in at the bottom (0 elsewhere; NaN
    where the column has no side).
    """
    g, foot, low, high = plan.cell, plan.foot, plan.low, plan.high
    rim = foot & ~ndimage.binary_erosion(foot)
    gx, gy = np.gradient(ndimage.gaussian_filter(foot.astype(float), 1.5), g)
    points, normals, feet = [], [], []
    inward = np.full(foot.shape, np.nan)
    padded = np.pad(foot, 1)
    for i, j in np.argwhere(rim):
        y = float(plan.centre(i, j)[1])
        if y <= y_start_mm:
            continue
        # The block's back, where it meets the real skin, is open: a column of
        # the first row with foot beside it and ahead of it has a side only behind.
        back_row = y < y_start_mm + g
        if back_row and padded[i, j + 1] and padded[i + 2, j + 1] and padded[i + 1, j + 2]:
            continue
        direction = -np.array([gx[i, j], gy[i, j]])
        if y < y_start_mm + 4.0 * g:
            direction[1] = max(direction[1], 0.0)  # the back corners face sideways
        norm = np.linalg.norm(direction)
        if norm == 0.0:
            continue
        out = direction / norm
        zs = np.arange(low[i, j], high[i, j] + 0.5 * g, g)
        inset, slope = profiles(zs, out[0])
        inward[i, j] = -inset[0]
        points.append(np.column_stack([plan.centre(i, j) + inset[:, None] * out, zs]))
        normals.append(_unit(np.column_stack([np.tile(out, (len(zs), 1)), -slope])))
        feet.append(points[-1][0])
    return points, normals, feet, inward


def _back_step(
    plan: _Plan, slab: Vec, y_start_mm: float, drawn_in: Vec, depth: Vec
) -> tuple[list[Vec], list[Vec]]:
    """Samples of a face closing the step up from the block's bottom to the foot's underside.

    The back is open where the block meets the foot, but where the foot's
    underside just behind (``slab``: the skin samples there, :func:`_junction`)
    stands above the block's bottom (the arch runs on under the first
    metatarsal head) a step faces back from one to the other. Columns in the
    sides' rounded foot (``depth`` into the footprint less than the nearest
    side's ``drawn_in``) are left to the sides.
    """
    g, foot = plan.cell, plan.foot
    behind_z = _underside_behind(slab, float(plan.origin[0]), g, foot.shape[0])
    first = np.argmax(foot, axis=1)  # each x column's first row of the block
    points, normals = [], []
    for i in np.flatnonzero(foot.any(axis=1)):
        j = first[i]
        at = plan.centre(int(i), int(j))
        if at[1] > y_start_mm + 2.0 * g or not np.isfinite(behind_z[i]):
            continue
        if depth[i, j] - 0.5 * g < drawn_in[i, j] + g:
            continue
        zs = np.arange(plan.low[i, j] + g, behind_z[i], g)
        if len(zs):
            points.append(np.column_stack([np.tile([at[0], at[1] - 0.5 * g], (len(zs), 1)), zs]))
            normals.append(np.tile([0.0, -1.0, 0.0], (len(zs), 1)))
    return points, normals


def toe_block(
    points: Vec, normals: Vec, y_start_mm: float, spacing_mm: float, min_top_mm: float = 0.0
) -> tuple[Vec, Vec, Vec]:
    """Replace the skin samples ahead of ``y_start_mm`` by samples of the toes' block.

    Parameters
    ----------
    points, normals : (n, 3) skin samples and outward unit normals, local
        frame (y anterior, z up), mm.
    y_start_mm : where the block begins (just ahead of the metatarsal heads), mm.
    spacing_mm : the samples' spacing, mm.
    min_top_mm : the block's top is at least this high, mm: it is trimmed
        away above the toe walls anyway, and a top well above their level cut
        keeps the cut off it.

    Returns
    -------
    (m, 3) points and normals: the samples behind ``y_start_mm`` unchanged,
    then the block's bottom, top and sides; and (k, 3) points along the foot
    of its sides, where its bottom meets them at a sharp edge.
    """
    ahead = points[:, 1] > y_start_mm
    if ahead.sum() < MIN_TOE_SAMPLES:
        return points, normals, np.zeros((0, 3))
    g = spacing_mm
    plan = _plan(points[ahead], g, min_top_mm)
    low, high = plan.low, plan.high
    rows = plan.origin[1] + (np.arange(plan.foot.shape[1]) + 0.5) * g > y_start_mm
    columns = np.argwhere(plan.foot & rows[None, :])
    xy = plan.origin + (columns + 0.5) * g
    at = (columns[:, 0], columns[:, 1])
    dlx, dly = (np.gradient(low, g, axis=a)[at] for a in (0, 1))
    dhx, dhy = (np.gradient(high, g, axis=a)[at] for a in (0, 1))
    top = np.column_stack([xy, high[at]])
    top_n = _unit(np.column_stack([-dhx, -dhy, np.ones(len(xy))]))
    slab = _junction(points[~ahead], y_start_mm, g)
    side_p, side_n, feet, inward = _sides(plan, y_start_mm, _edge_profiles(slab, g))
    # The bottom ends where the sides' rounded foot begins: each column is
    # judged against the side nearest it.
    sided = np.isfinite(inward)
    drawn_in = np.zeros(inward.shape)
    if sided.any():
        nearest_side = ndimage.distance_transform_edt(
            ~sided, return_distances=False, return_indices=True
        )
        drawn_in = np.nan_to_num(inward)[tuple(nearest_side)]
    depth = g * ndimage.distance_transform_edt(plan.foot)
    under = depth[at] - 0.5 * g >= drawn_in[at]
    step_p, step_n = _back_step(plan, slab, y_start_mm, drawn_in, depth)
    bottom = np.column_stack([xy, low[at]])[under]
    bottom_n = _unit(np.column_stack([dlx, dly, -np.ones(len(xy))]))[under]
    keep = ~ahead
    return (
        np.vstack([points[keep], bottom, top, *side_p, *step_p]),
        np.vstack([normals[keep], bottom_n, top_n, *side_n, *step_n]),
        np.array(feet).reshape(-1, 3),
    )
