"""The midsurface of a thin closed shell, with its wall thickness: what shell elements need.

A brace's STL is a closed thin solid: an inner face against the leg, an outer face, and
rounded (or square) rims along its trim lines. Its midsurface is found from the solid
alone, so that a brace fitted earlier can be modelled from its STL:

1. the surface is decimated to triangles about ``edge_mm`` apart (quadric error);
2. from each triangle a ray goes into the material along its inward normal; where it
   leaves is the wall's other face, and its length the wall's thickness there; half-way
   along it lies the midsurface;
3. the rims are told from the faces by those midpoints: around a face's midpoint the
   others lie in a plane (principal components) across the face's own normal; at a rim
   the face's normal lies along that plane. Faces within :data:`FACE_ANGLE_DEG` are kept;
4. without its rims the surface falls apart into its sides; of each pair of sides facing
   each other (their rays land on each other) one is kept, and its vertices moved half
   the wall's thickness inwards: that is the midsurface.

Units: mm.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import trimesh
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from afofit.errors import FitError
from afofit.geometry.topology import compact_mesh, edge_components, vertex_sums

__all__ = ["FACE_ANGLE_DEG", "Midsurface", "decimated", "midsurface"]

Vec = NDArray[np.float64]

#: A face whose normal lies within this angle of its midpoints' plane's normal is a face of
#: the wall (not its rim), degrees.
FACE_ANGLE_DEG = 35.0
#: Midpoints whose plane is fitted round each face's.
NEIGHBOURS = 16
#: A side smaller than this fraction of the wall's area is a scrap (left out).
SCRAP_FRACTION = 0.002


@dataclass(frozen=True, slots=True)
class Midsurface:
    """A shell's midsurface: ``nodes`` (n, 3) mm, ``triangles`` (e, 3), each triangle's
    ``thickness_mm`` (e,)."""

    nodes: Vec
    triangles: NDArray[np.int64]
    thickness_mm: Vec


def decimated(
    vertices: Vec, faces: NDArray[np.int64], edge_mm: float
) -> tuple[Vec, NDArray[np.int64]]:
    """The surface (``vertices`` (n, 3) mm, ``faces`` (m, 3)) with about one triangle per
    equilateral ``edge_mm`` triangle of its area (quadric decimation; unchanged when it is
    that coarse already). Deterministic."""
    import fast_simplification

    corners = np.asarray(vertices, np.float64)[faces]
    normal = np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])
    area = 0.5 * float(np.linalg.norm(normal, axis=1).sum())
    target = int(area / (math.sqrt(3.0) / 4.0 * edge_mm**2))
    if len(faces) <= 1.2 * target:
        return np.asarray(vertices, np.float64), np.asarray(faces, np.int64)
    points, triangles = fast_simplification.simplify(
        np.asarray(vertices, np.float64), np.asarray(faces, np.int64), target_count=target
    )
    return np.asarray(points, np.float64), np.asarray(triangles, np.int64)


def _plane_normals(points: Vec) -> Vec:
    """(n, 3) the normal of the plane through each point's :data:`NEIGHBOURS` nearest."""
    k = min(NEIGHBOURS, len(points))
    _, near = cKDTree(points).query(points, k=k)
    around = points[near] - points[near].mean(axis=1, keepdims=True)
    _, vectors = np.linalg.eigh(np.einsum("nki,nkj->nij", around, around))
    return np.asarray(vectors[:, :, 0])


def _sides(
    mesh: trimesh.Trimesh, wall: NDArray[np.bool_], partner: NDArray[np.int64]
) -> NDArray[np.bool_]:
    """The wall's faces on one side of each pair of facing sides."""
    pairs = mesh.face_adjacency
    pairs = pairs[wall[pairs[:, 0]] & wall[pairs[:, 1]]]
    label = np.where(wall, edge_components(pairs, len(mesh.faces)), -1)
    area = np.bincount(label[wall], weights=mesh.area_faces[wall])
    total = area.sum()
    opposite = np.full(len(area), -1)
    for side in np.flatnonzero(area > SCRAP_FRACTION * total):
        facing = label[partner[label == side]]
        facing = facing[facing >= 0]
        if len(facing):
            opposite[side] = np.bincount(facing).argmax()
    if np.any(opposite == np.arange(len(area))):
        raise FitError(
            "the shell's inner and outer faces could not be told apart (a rim too sharp or "
            "too thin to find); its stiffness cannot be modelled fast: use --stiffness-method fe."
        )
    keep = np.zeros(len(area), bool)
    dropped = np.zeros(len(area), bool)
    for side in np.argsort(-area, kind="stable"):
        if area[side] <= SCRAP_FRACTION * total or dropped[side]:
            continue
        keep[side] = True
        if opposite[side] >= 0:
            dropped[opposite[side]] = True
    return wall & keep[np.maximum(label, 0)]


def midsurface(vertices: Vec, faces: NDArray[np.int64], edge_mm: float) -> Midsurface:
    """The midsurface of the closed, outward-oriented thin shell (``vertices`` (n, 3) mm,
    ``faces`` (m, 3)), triangles about ``edge_mm`` apart.

    Raises
    ------
    FitError
        The shell's two sides cannot be told apart.
    """
    points, triangles = decimated(vertices, faces, edge_mm)
    mesh = trimesh.Trimesh(points, triangles, process=False)
    normal = np.asarray(mesh.face_normals)
    centre = np.asarray(mesh.triangles_center)
    start = 1e-4 * edge_mm
    hit, ray, tri = mesh.ray.intersects_location(
        centre - start * normal, -normal, multiple_hits=False
    )
    chord = np.full(len(triangles), np.nan)
    partner = np.full(len(triangles), -1)
    chord[ray] = np.linalg.norm(hit - centre[ray], axis=1)
    partner[ray] = tri
    found = partner >= 0
    middle = centre - 0.5 * np.nan_to_num(chord)[:, None] * normal
    plane = _plane_normals(middle[found])
    facing = np.zeros(len(triangles), bool)
    facing[found] = np.abs(np.einsum("ij,ij->i", plane, normal[found])) > math.cos(
        math.radians(FACE_ANGLE_DEG)
    )
    typical = float(np.median(chord[found])) if found.any() else 0.0
    wall = facing & (chord < 3.0 * typical)
    wall[found] &= np.einsum("ij,ij->i", normal[partner[found]], normal[found]) < -0.5
    kept = _sides(mesh, wall, partner)
    side, chosen = compact_mesh(points, triangles[kept])
    # Each vertex moves half its faces' mean thickness along their mean normal, inwards.
    weight = mesh.area_faces[kept]
    thickness = chord[kept]
    # Per vertex, over its faces: the area-weighted normals, thicknesses and areas.
    summed = vertex_sums(
        chosen, np.c_[weight[:, None] * normal[kept], weight * thickness, weight], len(side)
    )
    direction = summed[:, :3] / np.linalg.norm(summed[:, :3], axis=1)[:, None]
    nodes = side - direction * (0.5 * summed[:, 3] / summed[:, 4])[:, None]
    return Midsurface(nodes=nodes, triangles=chosen, thickness_mm=thickness)
