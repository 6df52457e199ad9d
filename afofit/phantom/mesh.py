"""Meshing one leg: the field sampled on a grid, marching cubes, the largest
component, Taubin smoothing and the cut open at the top."""

from __future__ import annotations

import math

import numpy as np
import trimesh
from numpy.typing import NDArray
from scipy import sparse
from skimage.measure import marching_cubes

from afofit.geometry.topology import compact_mesh
from afofit.phantom.field import foot_fields, leg_field
from afofit.phantom.shape import PhantomAnatomy, shank_centre, shank_points, shank_radius
from afofit.phantom.spec import FloatArray

__all__ = [
    "largest_component",
    "mesh_leg",
    "vertex_face_components",
]

# Marching-cubes faces per (area / voxel^2) on the shank and on the foot (whose
# flat sole takes fewer), and the area below 0.3 foot lengths per FL^2;
# calibrated over the spec ranges. A mesh more than 10 % off is redone once.
_MC_FACES_PER_AREA_SHANK = 2.98
_MC_FACES_PER_AREA_FOOT = 2.48
_FOOT_AREA_PER_FL2 = 0.83
# Targets above this are meshed at a quarter and Loop-subdivided once.
_SUBDIVIDE_ABOVE_FACES = 150_000


# ---------------------------------------------------------------------------
# Meshing.
# ---------------------------------------------------------------------------


def _estimated_area_mm2(an: PhantomAnatomy) -> tuple[float, float]:
    """Surface area below the cut: the shank (a parametric surface) and the foot, mm^2."""
    z0 = 0.3 * an.fl_mm
    z = np.linspace(z0, an.top_z_mm, 61)
    theta = np.linspace(-np.pi, np.pi, 181)
    t = (z - an.ankle_z_mm) / an.shank_mm
    r = shank_radius(an, theta, t)  # (nz, ntheta)
    c = shank_centre(an, t)
    px = c[:, None, 0] + r * np.cos(theta)
    py = c[:, None, 1] + r * np.sin(theta)
    pz = np.broadcast_to(z[:, None], r.shape)
    p = np.stack([px, py, pz], axis=-1)
    du = p[1:, :-1] - p[:-1, :-1]
    dv = p[:-1, 1:] - p[:-1, :-1]
    shank = float(np.linalg.norm(np.cross(du, dv), axis=-1).sum())
    return shank, _FOOT_AREA_PER_FL2 * an.fl_mm**2


def _voxel_mm(an: PhantomAnatomy, faces: float) -> float:
    """Voxel edge that gives about `faces` marching-cubes triangles, mm."""
    shank, foot = _estimated_area_mm2(an)
    return math.sqrt((_MC_FACES_PER_AREA_SHANK * shank + _MC_FACES_PER_AREA_FOOT * foot) / faces)


def _grid_axes(an: PhantomAnatomy, voxel_mm: float) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Grid coordinates (x, y, z), mm, covering the leg with two voxels of margin."""
    f = an.fl_mm
    cap_z = an.top_z_mm + 3.0 * voxel_mm
    z_pts = np.linspace(0.1 * f, cap_z, 60)
    pts = shank_points(an, (z_pts - an.ankle_z_mm) / an.shank_mm, 180).reshape(-1, 2)
    lo = np.minimum(pts.min(0), [-0.19 * f, -0.24 * f]) - 2.5 * voxel_mm - 10.0
    hi = np.maximum(pts.max(0), [0.25 * f, 0.80 * f]) + 2.5 * voxel_mm + 10.0
    # Half-voxel offset in z: no grid node lies on the floor.
    axes = [np.arange(lo[i], hi[i] + voxel_mm, voxel_mm) for i in range(2)]
    z = np.arange(-2.5 * voxel_mm, cap_z + 2.0 * voxel_mm, voxel_mm)
    return axes[0], axes[1], z


def _sample_field(an: PhantomAnatomy, voxel_mm: float) -> tuple[NDArray[np.float32], FloatArray]:
    """Signed-distance samples on the grid, (nx, ny, nz) float32, and the grid origin, mm."""
    x, y, z = _grid_axes(an, voxel_mm)
    foot = foot_fields(an, x, y)
    cap_z = an.top_z_mm + 3.0 * voxel_mm
    volume = np.empty((x.size, y.size, z.size), dtype=np.float32)
    chunk = max(1, int(2_000_000 // (x.size * y.size)))  # bounds the temporaries' memory
    for start in range(0, z.size, chunk):
        zc = z[start : start + chunk]
        d = leg_field(an, foot, x, y, zc)
        volume[:, :, start : start + chunk] = np.maximum(d, zc[None, None, :] - cap_z)
    return volume, np.array([x[0], y[0], z[0]])


def vertex_face_components(faces: NDArray[np.int64]) -> NDArray[np.int64]:
    """Label of each of ``faces``' edge-connected component, (m,) int.

    Faces that meet only at a vertex are split (unlike
    :func:`afofit.geometry.topology.face_components`).
    """
    m = len(faces)
    edges = np.sort(faces[:, [0, 1, 1, 2, 2, 0]].reshape(-1, 2), axis=1)
    owner = np.repeat(np.arange(m), 3)
    order = np.lexsort((edges[:, 1], edges[:, 0]))
    edges, owner = edges[order], owner[order]
    same = np.all(edges[1:] == edges[:-1], axis=1)
    graph = sparse.coo_matrix(
        (np.ones(int(same.sum())), (owner[:-1][same], owner[1:][same])), shape=(m, m)
    )
    labels = sparse.csgraph.connected_components(graph, directed=False)[1]
    return np.asarray(labels, dtype=np.int64)


def largest_component(
    vertices: FloatArray, faces: NDArray[np.int64]
) -> tuple[FloatArray, NDArray[np.int64]]:
    """The largest edge-connected piece of the mesh (``vertices``, ``faces``), compacted."""
    labels = vertex_face_components(faces)
    return compact_mesh(vertices, faces[labels == np.argmax(np.bincount(labels))])


def _taubin(vertices: FloatArray, faces: NDArray[np.int64], iterations: int = 10) -> FloatArray:
    """Taubin lambda|mu smoothing with the umbrella operator; removes voxel steps, keeps volume."""
    n = len(vertices)
    edges = faces[:, [0, 1, 1, 2, 2, 0]].reshape(-1, 2)
    edges = np.unique(np.sort(edges, axis=1), axis=0)
    rows, cols = edges.ravel("F"), edges[:, ::-1].ravel("F")
    adj = sparse.coo_matrix((np.ones(2 * len(edges)), (rows, cols)), shape=(n, n)).tocsr()
    degree = np.asarray(adj.sum(axis=1)).ravel()
    mean = sparse.diags(1.0 / degree) @ adj
    v = vertices.copy()
    for i in range(iterations):
        v = v + (0.5 if i % 2 == 0 else -0.53) * (mean @ v - v)
    return v


def _cut_above(
    vertices: FloatArray, faces: NDArray[np.int64], z_cut: float
) -> tuple[FloatArray, NDArray[np.int64]]:
    """Remove the surface above the plane z = z_cut, splitting crossing triangles exactly."""
    v = vertices.copy()
    on_plane = np.abs(v[:, 2] - z_cut) < 1e-6
    v[on_plane, 2] = z_cut - 1e-6  # no vertex exactly on the plane
    below = v[:, 2] < z_cut
    fb = below[faces]
    count = fb.sum(axis=1)
    keep = faces[count == 3]
    # Rotate each crossing face so its odd vertex (the one on its own side) comes first.
    odd = np.where(count[:, None] == 1, fb, ~fb)
    roll = np.argmax(odd, axis=1)
    cross = (count == 1) | (count == 2)
    idx = (roll[cross, None] + np.arange(3)[None, :]) % 3
    rf = np.take_along_axis(faces[cross], idx, axis=1)
    ccount = count[cross]
    # New vertices: one per crossing edge, shared by both faces on that edge.
    edge_pairs = np.vstack([rf[:, [0, 1]], rf[:, [0, 2]]])
    key = np.sort(edge_pairs, axis=1)
    unique, inverse = np.unique(key, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    za, zb = v[unique[:, 0], 2], v[unique[:, 1], 2]
    s = (z_cut - za) / (zb - za)
    new_v = v[unique[:, 0]] + s[:, None] * (v[unique[:, 1]] - v[unique[:, 0]])
    new_v[:, 2] = z_cut
    m = len(rf)
    p01 = len(v) + inverse[:m]
    p02 = len(v) + inverse[m:]
    one = ccount == 1  # odd vertex below: keep the tip triangle
    tri_a = np.column_stack([rf[one, 0], p01[one], p02[one]])
    two = ~one  # odd vertex above: keep the quad, as two triangles
    tri_b = np.column_stack([rf[two, 1], rf[two, 2], p02[two]])
    tri_c = np.column_stack([rf[two, 1], p02[two], p01[two]])
    out_faces = np.vstack([keep, tri_a, tri_b, tri_c])
    return compact_mesh(np.vstack([v, new_v]), out_faces)


def mesh_leg(an: PhantomAnatomy, target_faces: int) -> tuple[FloatArray, NDArray[np.int64]]:
    """Noise-free closed-below, open-top surface of one RIGHT leg, neutral frame, mm.

    ``an`` is the leg's anatomy; ``target_faces`` the face count aimed at.
    """
    subdivide = target_faces > _SUBDIVIDE_ABOVE_FACES
    mc_faces = target_faces / 4.0 if subdivide else float(target_faces)
    voxel = _voxel_mm(an, mc_faces)
    for _attempt in range(2):
        volume, origin = _sample_field(an, voxel)
        verts, faces, _, _ = marching_cubes(
            volume,
            level=0.0,
            spacing=(voxel,) * 3,
            gradient_direction="descent",
            allow_degenerate=False,
        )
        del volume
        below = (verts[faces, 2].mean(axis=1) + origin[2]) < an.top_z_mm
        ratio = np.count_nonzero(below) / mc_faces
        if abs(ratio - 1.0) < 0.1:
            break
        voxel *= math.sqrt(ratio)
    vertices = verts.astype(np.float64) + origin
    faces = faces.astype(np.int64)
    vertices, faces = largest_component(vertices, faces)
    vertices = _taubin(vertices, faces)
    if subdivide:
        vertices, faces = trimesh.remesh.subdivide_loop(vertices, faces, iterations=1)
        faces = faces.astype(np.int64)
    return _cut_above(vertices, faces, an.top_z_mm)
