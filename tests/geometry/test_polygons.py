"""Polygons triangulated so the triangles cover them exactly, from any starting corner."""

from __future__ import annotations

import numpy as np
import pytest

from afofit.geometry.polygons import triangulate_polygons

#: An L-shaped hexagon of area 3 in the xy plane, counter-clockwise.
L_SHAPE = np.array([[0, 0, 0], [2, 0, 0], [2, 1, 0], [1, 1, 0], [1, 2, 0], [0, 2, 0]], float)


def _signed_areas(vertices: np.ndarray, triangles: np.ndarray) -> np.ndarray:
    t = vertices[triangles]
    return 0.5 * np.cross(t[:, 1] - t[:, 0], t[:, 2] - t[:, 0])[:, 2]


@pytest.mark.parametrize("start", range(6))
def test_a_non_convex_polygon_is_covered_exactly_from_any_corner(start: int) -> None:
    polygon = [(start + i) % 6 for i in range(6)]
    areas = _signed_areas(L_SHAPE, triangulate_polygons(L_SHAPE, [polygon]))
    assert len(areas) == 4 and (areas > 0).all() and areas.sum() == pytest.approx(3.0)


def test_a_convex_polygon_is_fanned_from_its_first_corner_in_file_order() -> None:
    square = np.array([[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0], [2, 0, 0]], float)
    triangles = triangulate_polygons(square, [[1, 4, 2], [0, 1, 2, 3], [0, 1, 2]])
    assert triangles.tolist() == [[1, 4, 2], [0, 1, 2], [0, 2, 3], [0, 1, 2]]


def test_a_self_crossing_polygon_still_gets_its_triangles() -> None:
    bow = np.array([[0, 0, 0], [1, 1, 0], [1, 0, 0], [0, 1, 0]], float)
    assert triangulate_polygons(bow, [[0, 1, 2, 3]]).shape == (2, 3)
