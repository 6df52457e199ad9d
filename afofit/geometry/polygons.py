"""Triangles from the polygons (quads, hexagons, n-gons) of a scanned surface.

A fan from the first corner, which most OBJ readers use, is right only for a
polygon that corner sees whole (any convex one). On a non-convex polygon it lays a
triangle outside the polygon and folds the surface there: a crease the shell
inherits as a pit. Here a convex polygon is fanned and any other is cut into ears in
its own plane, so the triangles cover the polygon exactly.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

__all__ = ["triangulate_polygons"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


def _newell_normals(corners: FloatArray) -> FloatArray:
    """(m, 3) area-weighted normals of (m, n, 3) polygons (Newell's method)."""
    following = np.roll(corners, -1, axis=1)
    return np.cross(corners, following).sum(axis=1) * 0.5


def _convex(corners: FloatArray, normals: FloatArray) -> NDArray[np.bool_]:
    """Which (m, n, 3) polygons turn the same way at every corner about their normal."""
    edges = np.roll(corners, -1, axis=1) - corners
    turns = np.cross(np.roll(edges, 1, axis=1), edges)
    return np.all(np.einsum("mnk,mk->mn", turns, normals) > 0.0, axis=1)


def _fan(polygons: IntArray) -> IntArray:
    """(m*(n-2), 3) triangles fanned from each polygon's first corner."""
    n = polygons.shape[1]
    first = np.repeat(polygons[:, :1], n - 2, axis=1)
    return np.stack([first, polygons[:, 1:-1], polygons[:, 2:]], axis=2).reshape(-1, 3)


def _inside(p: FloatArray, a: FloatArray, b: FloatArray, c: FloatArray) -> bool:
    """Whether 2-D point ``p`` lies in the counter-clockwise triangle ``abc`` (edges included)."""

    def side(u: FloatArray, v: FloatArray) -> float:
        return float((v[0] - u[0]) * (p[1] - u[1]) - (v[1] - u[1]) * (p[0] - u[0]))

    return side(a, b) >= 0.0 and side(b, c) >= 0.0 and side(c, a) >= 0.0


def _ears(polygon: IntArray, corners: FloatArray, normal: FloatArray) -> list[tuple[int, ...]]:
    """Triangles of one polygon by ear clipping in its plane (counter-clockwise about ``normal``);
    a polygon with no plane (zero area, as a symmetric bow tie) is fanned."""
    if not np.linalg.norm(normal) > 0.0:
        return [tuple(int(q) for q in t) for t in _fan(polygon[None, :])]
    axis_u = np.cross(normal, np.eye(3)[int(np.argmin(np.abs(normal)))])
    axis_u /= np.linalg.norm(axis_u)
    axis_v = np.cross(normal / np.linalg.norm(normal), axis_u)
    flat = np.column_stack([corners @ axis_u, corners @ axis_v])
    left = list(range(len(polygon)))
    triangles: list[tuple[int, ...]] = []
    while len(left) > 3:
        for k in range(len(left)):
            i, j, m = left[k - 1], left[k], left[(k + 1) % len(left)]
            a, b, c = flat[i], flat[j], flat[m]
            if (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]) <= 0.0:
                continue  # a reflex (or flat) corner is no ear
            others = (q for q in left if q not in (i, j, m))
            if any(_inside(flat[q], a, b, c) for q in others):
                continue
            triangles.append((int(polygon[i]), int(polygon[j]), int(polygon[m])))
            del left[k]
            break
        else:  # no ear (a self-crossing polygon): fan what is left
            triangles += [
                (int(polygon[left[0]]), int(polygon[left[q]]), int(polygon[left[q + 1]]))
                for q in range(1, len(left) - 1)
            ]
            return triangles
    triangles.append(tuple(int(polygon[q]) for q in left))
    return triangles


def triangulate_polygons(vertices: FloatArray, polygons: Sequence[Sequence[int]]) -> IntArray:
    """Triangles covering each polygon exactly, in the polygon's winding.

    Parameters
    ----------
    vertices : (v, 3) points.
    polygons : each a sequence of ≥ 3 vertex indices, in order around the polygon.

    Returns
    -------
    (t, 3) int64 triangles: each polygon's in turn (a convex one as a fan from its first
    corner, exactly as a triangle-only file would hold it; a non-convex one by ear clipping).
    """
    sizes = np.fromiter((len(p) for p in polygons), dtype=np.int64, count=len(polygons))
    start = np.concatenate([[0], np.cumsum(sizes - 2)])  # each polygon's first triangle
    out = np.empty((int(start[-1]), 3), dtype=np.int64)
    for n in (int(v) for v in np.unique(sizes)):
        rows = np.flatnonzero(sizes == n)
        group = np.array([polygons[int(r)] for r in rows], dtype=np.int64).reshape(len(rows), n)
        slots = start[rows][:, None] + np.arange(n - 2)
        if n == 3:
            out[slots[:, 0]] = group
            continue
        corners = vertices[group]
        normals = _newell_normals(corners)
        out[slots.ravel()] = _fan(group)
        for k in np.flatnonzero(~_convex(corners, normals)):
            out[slots[k]] = np.array(_ears(group[k], corners[k], normals[k]), dtype=np.int64)
    return out
