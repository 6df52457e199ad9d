"""Close a scan for offsetting: fan small holes; give an open sole a floor of samples.

Standing scans have no sole (the foot stood on the floor or a glass plate), and
partly open soles are common where the foot touched. Capping such an opening
with a mesh patch is fragile: its rim is long, not planar and often not even a
simple loop (both Anny scans), so a fan or an ear-clipped patch folds through
the skin that is left, and the shell then has pockets under the foot.

Instead the opening is closed as a **height field**: looking up each column
under the foot, a column whose first skin faces *up* (the inside of the
dorsum), or is a side wall seen edge-on from inside the rim (a wall leaning
in over the opening), or that holds no skin at all looks into the open sole.
Those columns get samples at a height interpolated harmonically from the
plantar skin around them and from the rim itself, where the scanned skin
ends, with downward normals. A height field cannot fold, so the distance
field stays single-valued under the foot whatever the rim looks like.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import trimesh
from numpy.typing import NDArray
from scipy import ndimage, sparse
from scipy.sparse.linalg import spsolve

from afofit.geometry.grid import grid_cells
from afofit.geometry.topology import edge_components

__all__ = ["SoleFloor", "boundary_edges", "fill_holes", "sole_floor"]

Vec = NDArray[np.float64]

#: A column's lowest skin with a normal z above this faces up: the column looks into the foot.
FACES_UP_NZ = 0.2


def boundary_edges(faces: NDArray[np.int64]) -> NDArray[np.int64]:
    """(k, 2) directed edges of ``faces`` that belong to one face only, as their face runs them."""
    directed = np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]]).astype(
        np.int64
    )
    low, high = directed.min(axis=1), directed.max(axis=1)
    key = low * (int(faces.max()) + 1) + high
    # An edge of one face only is a key that neither of its sorted neighbours repeats.
    order = np.argsort(key, kind="stable")
    ordered = key[order]
    alone = np.ones(len(ordered), dtype=bool)
    same = ordered[1:] == ordered[:-1]
    alone[1:] &= ~same
    alone[:-1] &= ~same
    return directed[np.sort(order[alone])]


def fill_holes(
    mesh: trimesh.Trimesh, max_perimeter_mm: float, sole_below_mm: float
) -> tuple[trimesh.Trimesh, NDArray[np.int64]]:
    """Close small scan holes with a fan from each rim to its centroid.

    Parameters
    ----------
    mesh : the skin, local frame (z up from the floor), mm.
    max_perimeter_mm : holes with a shorter rim are closed (scanner holes,
        which would let the offset dip in; a small fan cannot fold).
    sole_below_mm : longer openings whose rim lies wholly below this height
        are in the sole; they are left open for :func:`sole_floor`. The top
        opening stays open too.

    Returns
    -------
    The mesh with its small holes closed, and the (k, 2) vertex indices of
    the edges on the rims of openings in the sole (none when the sole is closed).
    """
    faces = np.asarray(mesh.faces)
    boundary = boundary_edges(faces)
    if len(boundary) == 0:
        return mesh, np.zeros((0, 2), dtype=np.int64)
    n = len(mesh.vertices)
    loop_of_edge = edge_components(boundary, n)[boundary[:, 0]]
    vertices = [np.asarray(mesh.vertices)]
    new_faces = [faces]
    lengths = np.linalg.norm(mesh.vertices[boundary[:, 0]] - mesh.vertices[boundary[:, 1]], axis=1)
    perimeter = np.bincount(loop_of_edge, weights=lengths)
    count = n
    rims: list[NDArray[np.int64]] = [np.zeros((0, 2), dtype=np.int64)]
    for loop in np.flatnonzero(perimeter > 0):
        edges = boundary[loop_of_edge == loop]
        if perimeter[loop] > max_perimeter_mm:
            if mesh.vertices[np.unique(edges), 2].max() < sole_below_mm:
                rims.append(edges)
            continue
        centre = mesh.vertices[np.unique(edges)].mean(axis=0)
        vertices.append(centre[None, :])
        # Each rim edge runs u→v in its face; the patch face runs v→u.
        new_faces.append(np.column_stack([edges[:, 1], edges[:, 0], np.full(len(edges), count)]))
        count += 1
    closed = trimesh.Trimesh(np.vstack(vertices), np.vstack(new_faces), process=False)
    return closed, np.concatenate(rims)


def _harmonic_fill(values: Vec, known: NDArray[np.bool_], unknown: NDArray[np.bool_]) -> Vec:
    """Fill ``unknown`` cells of a 2-D grid with the harmonic interpolant of the ``known`` ones.

    Cells in neither set are walls (no flux through them). A patch of unknown
    cells that touches no known cell takes the median known value.
    """
    out = values.copy()
    cells = np.argwhere(unknown)
    if len(cells) == 0:
        return out
    fallback = float(np.median(values[known])) if known.any() else 0.0
    index = np.full(values.shape, -1)
    index[unknown] = np.arange(len(cells))
    rows: list[NDArray[np.int64]] = []
    cols: list[NDArray[np.int64]] = []
    rhs = np.zeros(len(cells))
    diag = np.full(len(cells), 1e-6)  # a faint pull to the fallback keeps lone patches solvable
    rhs += 1e-6 * fallback
    for di, dj in ((1, 0), (-1, 0), (0, 1), (0, -1)):
        ni, nj = cells[:, 0] + di, cells[:, 1] + dj
        inside = (ni >= 0) & (ni < values.shape[0]) & (nj >= 0) & (nj < values.shape[1])
        ni, nj = np.where(inside, ni, 0), np.where(inside, nj, 0)
        to_unknown = inside & unknown[ni, nj]
        to_known = inside & known[ni, nj]
        diag += to_unknown | to_known
        rows.append(np.flatnonzero(to_unknown))
        cols.append(index[ni, nj][to_unknown])
        rhs[to_known] += values[ni, nj][to_known]
    own = np.arange(len(cells))
    row, col = np.concatenate([own, *rows]), np.concatenate([own, *cols])
    value = np.concatenate([diag, -np.ones(len(row) - len(own))])
    a = sparse.csr_matrix((value, (row, col)), shape=(len(cells), len(cells)))
    out[unknown] = spsolve(a, rhs)
    return out


@dataclass(frozen=True, slots=True)
class SoleFloor:
    """The underside of the foot as a height field, and samples that close its openings.

    Attributes
    ----------
    origin : (2,) x, y of column (0, 0)'s corner, local mm.
    cell_mm : column width, mm.
    height : (nx, ny) z of the first skin seen from below in each column,
        or, where a column looks into the foot, the floor interpolated across
        the opening, mm.
    footprint : (nx, ny) bool, the columns under the foot.
    points, normals : (m, 3) samples over the openings and their normals
        (``(0, 0, -1)``); empty when the sole is closed.
    rim : (k, 3) points on the openings' rims, where the scanned skin ends.
    sole_below_mm : skin below this height made the footprint.
    """

    origin: Vec
    cell_mm: float
    height: Vec
    footprint: NDArray[np.bool_]
    points: Vec
    normals: Vec
    rim: Vec
    sole_below_mm: float

    def below(self, p: Vec) -> NDArray[np.bool_]:
        """Whether each of ``p`` ((n, 3), local mm) lies under the foot or low beside it.

        Under the foot is below its skin (or the floor across an opening);
        beside it is outside the footprint and lower than ``sole_below_mm``,
        where the leg's cross-section lies wholly within the footprint. Such a
        point is outside the leg whatever the nearest skin sample's normal
        says; at a rim, where the skin ends edge-on, that normal can point
        either way, and a point beside the foot just under a rim is nearest
        the rim.
        """
        col, inside = grid_cells(p[:, :2], self.origin, self.cell_mm, self.footprint.shape)
        at = (p[:, :2] - self.origin) / self.cell_mm
        col = np.where(inside[:, None], col, 0)
        over = inside & self.footprint[col[:, 0], col[:, 1]]
        z = ndimage.map_coordinates(self.height, (at - 0.5).T, order=1, mode="nearest")
        return np.where(over, p[:, 2] < z, p[:, 2] < self.sole_below_mm)


def _lowest_skin(
    points: Vec,
    normals: Vec,
    cell: NDArray[np.int64],
    on: NDArray[np.bool_],
    shape: tuple[int, ...],
) -> tuple[Vec, Vec]:
    """The lowest skin sample's height in each column, and its normal's z (NaN: none).

    ``cell`` (n, 2) is each of ``points``' column in a grid of ``shape``, ``on`` whether
    it falls in the grid; ``normals`` are the samples' outward normals.
    """
    idx = np.flatnonzero(on)
    key = cell[idx, 0] * shape[1] + cell[idx, 1]
    z = points[idx, 2]
    lowest = np.full(shape[0] * shape[1], np.inf)
    np.minimum.at(lowest, key, z)
    # Of the samples at a column's lowest height, the first in order (as a stable sort).
    at = np.flatnonzero(z == lowest[key])
    _, first = np.unique(key[at], return_index=True)
    at = at[first]
    facing = np.full(shape[0] * shape[1], np.nan)
    facing[key[at]] = normals[idx[at], 2]
    lowest[~np.isfinite(lowest)] = np.nan
    return lowest.reshape(shape), facing.reshape(shape)


def _floor_samples(looks_in: NDArray[np.bool_], height: Vec, origin: Vec, spacing_mm: float) -> Vec:
    """Samples (k, 3) at the full spacing over the opening, heights bilinear between columns.

    ``looks_in`` marks the opening's columns (twice the spacing wide), ``height`` the
    floor's height in each, ``origin`` (2,) the column grid's corner, mm.
    """
    g = 2.0 * spacing_mm
    fine = np.argwhere(ndimage.zoom(looks_in.astype(np.uint8), 2, order=0) > 0)
    xy = origin + (fine + 0.5) * spacing_mm
    z = ndimage.map_coordinates(height, ((xy - origin) / g - 0.5).T, order=1, mode="nearest")
    return np.column_stack([xy, z])


def sole_floor(
    points: Vec, normals: Vec, sole_below_mm: float, spacing_mm: float, rim: Vec | None = None
) -> SoleFloor:
    """The foot's underside as a height field, with samples closing any opening in the sole.

    Parameters
    ----------
    points, normals : (n, 3) skin samples and outward unit normals, local frame, mm.
    sole_below_mm : skin below this height outlines the footprint.
    spacing_mm : the samples' spacing; columns are twice as wide, so every
        column over scanned skin holds a sample.
    rim : (k, 3) points on the rims of the sole's openings, where the scanned
        skin ends; the floor hangs from them.
    """
    g = 2.0 * spacing_mm
    low = points[:, 2] < sole_below_mm
    if not low.any():
        empty = np.zeros((0, 3))
        return SoleFloor(
            np.zeros(2),
            g,
            np.zeros((1, 1)),
            np.zeros((1, 1), bool),
            empty,
            empty,
            empty,
            sole_below_mm,
        )
    origin = points[low, :2].min(axis=0) - 2.0 * g
    shape = tuple(np.ceil((points[low, :2].max(axis=0) + 2.0 * g - origin) / g).astype(int) + 1)
    cell, on = grid_cells(points[:, :2], origin, g, shape)
    footprint = np.zeros(shape, dtype=bool)
    footprint[cell[on & low, 0], cell[on & low, 1]] = True
    footprint = ndimage.binary_fill_holes(ndimage.binary_closing(footprint, iterations=1))
    lowest, facing = _lowest_skin(points, normals, cell, on, shape)
    # Plantar skin seen from below faces down, at any height (an arch); skin
    # seen edge-on is a side wall only when it is low. Anything else (skin
    # facing up, a leg wall seen edge-on far up, or no skin) is a look into the foot.
    on_rim = np.zeros(shape, dtype=bool)
    rim = np.zeros((0, 3)) if rim is None else rim
    if len(rim):
        rim_cell, ok = grid_cells(rim[:, :2], origin, g, shape)
        on_rim[rim_cell[ok, 0], rim_cell[ok, 1]] = True
        rim_low = np.full(shape, np.inf)
        np.minimum.at(rim_low, (rim_cell[ok, 0], rim_cell[ok, 1]), rim[ok, 2])
        lowest = np.where(on_rim, np.fmin(lowest, rim_low), lowest)
    # The openings, in plan: what the rims enclose. Skin seen edge-on there
    # is a wall leaning in over the opening, seen from inside the foot.
    opening = ndimage.binary_fill_holes(on_rim) & ~on_rim
    edge_on = (np.abs(facing) <= FACES_UP_NZ) & (lowest < sole_below_mm) & ~opening
    seen = footprint & ((facing < -FACES_UP_NZ) | edge_on | on_rim)
    looks_in = footprint & ~seen
    # Heights are interpolated from low plantar skin and from the rims, where
    # the scanned skin ends. Skin seen from below but high up (under a
    # malleolus, just outside the heel) is no guide to the floor, nor is a
    # side wall seen edge-on above its rim (a wall leaning in is seen from
    # inside the opening): such columns are walls of the interpolation.
    known = footprint & (((facing < -FACES_UP_NZ) & (lowest < sole_below_mm)) | on_rim)
    height = _harmonic_fill(np.where(known, lowest, 0.0), known, looks_in)
    height = np.where(seen, lowest, height)
    # Outside the footprint take the nearest column's height, so bilinear
    # lookups do not sag towards zero at the footprint's edge.
    nearest = ndimage.distance_transform_edt(
        ~footprint, return_distances=False, return_indices=True
    )
    height = height[tuple(nearest)] if footprint.any() else np.zeros(shape)
    floor = _floor_samples(looks_in, height, origin, spacing_mm)
    return SoleFloor(
        origin,
        g,
        height,
        footprint,
        floor,
        np.tile([0.0, 0.0, -1.0], (len(floor), 1)),
        rim,
        sole_below_mm,
    )
