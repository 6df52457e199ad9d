"""Points to cells of a regular grid: the one rasterisation the shell, sole and toe code share."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["grid_cells"]


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
