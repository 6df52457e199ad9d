"""The footplate: each grid column under the foot, from one flat plantar plane up to the
inner surface, within the footprint; smooth maps of its top and edge.

The plate's top follows the plantar skin (higher only under the arch), so it meets the
wall's inner surface without a seam; where an open sole's skin ends in a rim, the plate
is carried out under the side walls' reach, as a closed sole's rounded edge would be.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

from afofit.geometry.grid import grid_cells

__all__ = ["PLATE_FILL_MM", "PlateMaps", "plate_field", "plate_maps"]

Vec = NDArray[np.float64]

#: Height up to which the footplate fills under the foot, mm: above any arch;
#: the trim's side walls cap it.
PLATE_FILL_MM = 60.0


@dataclass(frozen=True, slots=True)
class PlateMaps:
    """The footplate over the grid's (x, y) columns, mm.

    Attributes
    ----------
    top : (nx, ny) the plantar skin's height above each column, carried out to every
        column from the nearest one under the foot, smoothed.
    edge : (nx, ny) signed distance to the footprint's edge, > 0 outside, smoothed.
    fill_top : (nx, ny) the highest voxel the plate can reach in each column under the
        foot (-inf elsewhere): where the band needs voxels.
    """

    top: Vec
    edge: Vec
    fill_top: Vec


def plate_maps(
    plantar_points: Vec,
    rim: Vec,
    origin: Vec,
    h: float,
    shape: NDArray[np.int64],
    base: float,
    clearance_mm: float,
    thickness_mm: float,
) -> PlateMaps:
    """Footprint, top and edge of the footplate over the grid's columns.

    Parameters
    ----------
    plantar_points : (n, 3) the plantar skin samples (downward-facing, low; an open
        sole's floor included), local mm.
    rim : (k, 3) points along an open sole's rim (empty for a closed sole), local mm.
    origin, h, shape : the grid: voxel (0, 0, 0)'s position (3,), spacing and shape (3,).
    base : the lowest plantar skin height (≤ 0), mm.
    clearance_mm, thickness_mm : the design's.
    """
    c, t = clearance_mm, thickness_mm
    # Columns under the plantar skin, and the height of that skin in each.
    cols, ok = grid_cells(plantar_points[:, :2], origin[:2], h, shape[:2], nearest=True)
    lowest = np.full(shape[:2], np.inf)
    np.minimum.at(lowest, (cols[ok, 0], cols[ok, 1]), plantar_points[ok, 2])
    lowest = ndimage.grey_erosion(lowest, size=3)  # close gaps between samples
    under = np.isfinite(lowest)
    if len(rim) and under.any():
        # Where a scan's sole is open its skin ends in a rim with no plantar
        # skin under the side walls: carry the plate out under the walls'
        # reach, as a closed sole's rounded edge would, so that wall and
        # plate meet along a face and not at a corner.
        rim_cols, ok = grid_cells(rim[:, :2], origin[:2], h, shape[:2], nearest=True)
        near_rim = np.zeros(shape[:2], dtype=bool)
        near_rim[rim_cols[ok, 0], rim_cols[ok, 1]] = True
        # A voxel past the wall's outer face, so the plate's edge stands clear of it.
        near_rim = ndimage.binary_dilation(near_rim, iterations=max(round((c + t) / h) + 1, 1))
        nearest_under = ndimage.distance_transform_edt(
            ~under, return_distances=False, return_indices=True
        )
        lowest = np.where(near_rim & ~under, lowest[tuple(nearest_under)], lowest)
        under |= near_rim
    plantar_top = np.clip(lowest, base, PLATE_FILL_MM)
    # Smooth maps of the plate's top and edge, sampled bilinearly below, so
    # that neither steps from column to column.
    outside_mm = h * ndimage.distance_transform_edt(~under)
    inside_mm = h * ndimage.distance_transform_edt(under)
    edge_map = ndimage.gaussian_filter(outside_mm - inside_mm, 1.0)
    nearest_col = ndimage.distance_transform_edt(
        ~under, return_distances=False, return_indices=True
    )
    top_map = plantar_top[tuple(nearest_col)] if under.any() else np.zeros(shape[:2])
    top_map = ndimage.gaussian_filter(top_map, 1.0)
    fill_top = np.where(under, plantar_top - c + 2.0 * h, -np.inf)
    return PlateMaps(top=top_map, edge=edge_map, fill_top=fill_top)


def plate_field(
    points: Vec,
    maps: PlateMaps,
    origin: Vec,
    h: float,
    bottom: float,
    clearance_mm: float,
    distance: Vec,
) -> Vec:
    """The footplate's field at ``points`` (k, 3) local mm: < 0 inside the plate.

    Each column from the flat plantar plane ``bottom`` up to the inner surface under
    the foot's lowest skin (``maps.top`` less ``clearance_mm``), within the footprint
    (``maps.edge``), and never nearer the skin than the clearance (``distance`` (k,)
    is each point's signed distance to the skin, mm). ``origin`` and ``h`` place the
    grid the maps are sampled on.
    """
    at = ((points[:, :2] - origin[:2]) / h).T
    column_top = ndimage.map_coordinates(maps.top, at, order=1, mode="nearest") - clearance_mm
    edge = ndimage.map_coordinates(maps.edge, at, order=1, mode="nearest")
    return np.asarray(
        np.maximum.reduce(
            [bottom - points[:, 2], points[:, 2] - column_top, edge, clearance_mm - distance]
        )
    )
