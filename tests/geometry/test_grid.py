"""Tests for afofit.geometry.grid: points to grid cells."""

from __future__ import annotations

import numpy as np

from afofit.geometry.grid import grid_cells


def test_cells_floor_and_nodes_round() -> None:
    points = np.array([[0.9, 0.4], [1.1, 1.6], [-0.2, 0.0], [5.9, 0.0]])
    origin, shape = np.array([0.0, 0.0]), (3, 3)
    cells, inside = grid_cells(points, origin, 2.0, shape)
    assert cells.tolist() == [[0, 0], [0, 0], [-1, 0], [2, 0]]
    assert inside.tolist() == [True, True, False, True]
    nodes, inside = grid_cells(points, origin, 2.0, shape, nearest=True)
    assert nodes.tolist() == [[0, 0], [1, 1], [0, 0], [3, 0]]
    assert inside.tolist() == [True, True, True, False]


def test_voxels_in_three_dimensions() -> None:
    points = np.array([[10.6, 20.0, -4.9]])
    cells, inside = grid_cells(points, np.array([10.0, 19.0, -5.0]), 0.5, (4, 4, 4), nearest=True)
    assert cells.tolist() == [[1, 2, 0]] and inside.tolist() == [True]
