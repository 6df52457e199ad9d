"""The toes as one block: a footplate under the toes must not follow each toe.

An offset of the real skin wraps every toe on its own: the offsets of two
toes a few millimetres apart meet in the web space and leave slivers and
pinched pockets there, and a plate that follows the lowest skin rises into
each gap as a fin. An orthotist's toe plate is flat under the toes with low
side walls round the whole group, so ahead of the metatarsal heads the skin
is replaced by a 2.5-D block: the footprint of the toes with the gaps closed,
a plantar height field underneath and a dorsal one on top, and vertical
sides. The block is what the toes would be in a mitten.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

__all__ = ["TOE_GAP_MM", "toe_block"]

Vec = NDArray[np.float64]

#: Gaps between toes, and notches between toe tips, up to about this wide are closed, mm.
TOE_GAP_MM = 12.0


def _unit(v: Vec) -> Vec:
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def toe_block(
    points: Vec, normals: Vec, y_start_mm: float, spacing_mm: float, min_top_mm: float = 0.0
) -> tuple[Vec, Vec]:
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
    then the block's bottom, top and sides.
    """
    ahead = points[:, 1] > y_start_mm
    if ahead.sum() < 10:
        return points, normals
    toes = points[ahead]
    g = spacing_mm
    origin = toes[:, :2].min(axis=0) - 4.0 * g
    shape = tuple(np.ceil((toes[:, :2].max(axis=0) + 4.0 * g - origin) / g).astype(int) + 1)
    cell = np.floor((toes[:, :2] - origin) / g).astype(int)
    low = np.full(shape, np.inf)
    high = np.full(shape, -np.inf)
    np.minimum.at(low, (cell[:, 0], cell[:, 1]), toes[:, 2])
    np.maximum.at(high, (cell[:, 0], cell[:, 1]), toes[:, 2])
    seen = np.isfinite(low)
    reach = max(round(0.5 * TOE_GAP_MM / g), 1)
    foot = ndimage.binary_fill_holes(ndimage.binary_closing(seen, iterations=reach))
    foot = ndimage.binary_opening(foot, iterations=1)  # no one-column whiskers
    # Unseen columns (the gaps) take the nearest seen column's heights, then a
    # grey opening of the bottom and a closing of the top take away the
    # narrow ridges and troughs the gaps leave in each.
    nearest = ndimage.distance_transform_edt(~seen, return_distances=False, return_indices=True)
    size = 2 * reach + 1
    low = ndimage.grey_opening(low[tuple(nearest)], size=size)
    high = ndimage.grey_closing(high[tuple(nearest)], size=size)
    low = ndimage.gaussian_filter(low, 1.0)
    high = np.maximum(ndimage.gaussian_filter(high, 1.0), np.maximum(low + g, min_top_mm))
    columns = np.argwhere(
        foot & (origin[1] + (np.arange(shape[1]) + 0.5) * g > y_start_mm)[None, :]
    )
    xy = origin + (columns + 0.5) * g
    lo_z, hi_z = low[columns[:, 0], columns[:, 1]], high[columns[:, 0], columns[:, 1]]
    dlx, dly = (np.gradient(low, g, axis=a)[columns[:, 0], columns[:, 1]] for a in (0, 1))
    dhx, dhy = (np.gradient(high, g, axis=a)[columns[:, 0], columns[:, 1]] for a in (0, 1))
    bottom = np.column_stack([xy, lo_z])
    bottom_n = _unit(np.column_stack([dlx, dly, -np.ones(len(xy))]))
    top = np.column_stack([xy, hi_z])
    top_n = _unit(np.column_stack([-dhx, -dhy, np.ones(len(xy))]))
    # Sides: the footprint's rim columns, sampled from bottom to top, facing
    # out along the footprint's outward direction.
    rim = foot & ~ndimage.binary_erosion(foot)
    inside = ndimage.gaussian_filter(foot.astype(float), 1.5)
    gx, gy = np.gradient(inside, g)
    side_p, side_n = [], []
    for i, j in np.argwhere(rim):
        if origin[1] + (j + 0.5) * g <= y_start_mm:
            continue
        direction = -np.array([gx[i, j], gy[i, j], 0.0])
        norm = np.linalg.norm(direction)
        # The block's back, where it meets the real skin, is open.
        if norm == 0.0 or direction[1] < -0.5 * norm:
            continue
        zs = np.arange(low[i, j], high[i, j] + 0.5 * g, g)
        side_p.append(
            np.column_stack([np.full((len(zs), 2), origin + (np.array([i, j]) + 0.5) * g), zs])
        )
        side_n.append(np.tile(direction / norm, (len(zs), 1)))
    keep = ~ahead
    return (
        np.vstack([points[keep], bottom, top, *side_p]),
        np.vstack([normals[keep], bottom_n, top_n, *side_n]),
    )
