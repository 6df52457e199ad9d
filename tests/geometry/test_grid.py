"""Tests for afofit.geometry.grid: points to grid cells."""

from __future__ import annotations

import numpy as np

from afofit.geometry.grid import grid_cells, spatial_order


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


def test_spatial_order_is_the_z_order_of_the_cells() -> None:
    # The eight corners of a 2-cell cube come x first, then y, then z (Morton's order),
    # and all of a cube's cells before the next cube's.
    cells = np.array([(x, y, z) for z in range(4) for y in range(4) for x in range(4)], float)
    order = spatial_order(cells * 2.0 + 0.5, 2.0)
    assert sorted(order.tolist()) == list(range(64))  # a permutation
    first = cells[order[:8]]
    assert first.tolist() == [
        [0, 0, 0], [1, 0, 0], [0, 1, 0], [1, 1, 0], [0, 0, 1], [1, 0, 1], [0, 1, 1], [1, 1, 1]
    ]  # fmt: skip
    assert (cells[order[:8]] < 2).all() and (cells[order[8:16]][:, 0] >= 2).all()
    assert spatial_order(np.zeros((0, 3)), 1.0).size == 0
