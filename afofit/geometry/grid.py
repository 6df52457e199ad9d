"""Points to cells of a regular grid: the one rasterisation the shell, sole and toe code
share; and the squared distances of many points to one."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["grid_cells", "spatial_order", "squared_distances"]


def squared_distances(
    points: NDArray[np.float64], point: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Squared distance (k,) of each of ``points`` (k, 3) to ``point`` (3,): the same numbers
    as ``np.sum((points - point) ** 2, axis=1)``, added column by column (4 x faster on
    800k points: a reduction along a row of three is numpy's slowest)."""
    d = points[:, 0] - point[0]
    d *= d
    for k in (1, 2):
        e = points[:, k] - point[k]
        e *= e
        d += e
    return d


def grid_cells(
    points: NDArray[np.float64],
    origin: NDArray[np.float64],
    cell_mm: float,
    shape: tuple[int, ...] | NDArray[np.int64],
    nearest: bool = False,
) -> tuple[NDArray[np.int64], NDArray[np.bool_]]:
    """The grid index of each of ``points`` and whether it lies in the grid.

    Parameters
    ----------
    points : (n, d) positions, mm (d = 2 for columns, 3 for voxels).
    origin : (d,) where index 0 lies, mm.
    cell_mm : the grid's spacing.
    shape : the grid's size along each axis.
    nearest : index the nearest grid node (nodes at ``origin + k·cell``);
        otherwise the cell ``[origin + k·cell, origin + (k + 1)·cell)``.

    Returns
    -------
    (n, d) indices (out-of-grid ones unclipped) and an (n,) mask of those inside.
    """
    scaled = (points - origin) / cell_mm
    cells = (np.round(scaled) if nearest else np.floor(scaled)).astype(np.int64)
    inside = np.all((cells >= 0) & (cells < np.asarray(shape)), axis=1)
    return cells, inside


def _spread_bits(x: NDArray[np.uint64]) -> NDArray[np.uint64]:
    """The low 21 bits of each of ``x`` spread out to every third bit (for a Morton code)."""
    x = x & np.uint64(0x1FFFFF)
    for shift, mask in (
        (32, 0x1F00000000FFFF), (16, 0x1F0000FF0000FF), (8, 0x100F00F00F00F00F),
        (4, 0x10C30C30C30C30C3), (2, 0x1249249249249249),
    ):  # fmt: skip
        x = (x | (x << np.uint64(shift))) & np.uint64(mask)
    return x


def spatial_order(points: NDArray[np.float64], cell_mm: float) -> NDArray[np.int64]:
    """An order of ``points`` (n, 3) that keeps near points near in memory: by the Morton
    (Z-order) code of their ``cell_mm`` cells, ties in their given order. A k-d tree built
    on points so ordered, and asked about points so ordered, reads its memory in runs (the
    shell's nearest-sample search: 10-20 % faster on a million voxels, the same answers).
    A grid wider than 2^21 cells repeats along an axis: still an order, less local."""
    if len(points) == 0:
        return np.zeros(0, dtype=np.int64)
    cells = np.floor((points - points.min(axis=0)) / cell_mm).astype(np.uint64)
    code = (
        _spread_bits(cells[:, 0])
        | (_spread_bits(cells[:, 1]) << np.uint64(1))
        | (_spread_bits(cells[:, 2]) << np.uint64(2))
    )
    return np.argsort(code, kind="stable")
