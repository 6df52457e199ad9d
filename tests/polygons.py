"""A triangle mesh rewritten as an OBJ of 7-gons: five of the six triangles around a
vertex merged into one polygon, listed from a corner whose fan would fold it."""

from __future__ import annotations

import numpy as np
import trimesh


def _fan_folds(vertices: np.ndarray, polygon: list[int]) -> bool:
    corners = vertices[polygon]
    normal = np.cross(corners, np.roll(corners, -1, axis=0)).sum(axis=0)
    tri = vertices[[[polygon[0], polygon[i], polygon[i + 1]] for i in range(1, len(polygon) - 1)]]
    return bool((np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]) @ normal).min() < 0.0)


def polygon_obj(mesh: trimesh.Trimesh) -> tuple[str, int]:
    """The OBJ text and how many of its polygons a fan from the first corner folds."""
    vertices, faces = np.asarray(mesh.vertices), np.asarray(mesh.faces)
    taken = np.zeros(len(faces), dtype=bool)
    used = np.zeros(len(vertices), dtype=bool)
    polygons, folding = [], 0
    for v, star in enumerate(mesh.vertex_faces):
        star = star[star >= 0]
        if len(star) != 6 or used[v] or taken[star].any():
            continue
        following = {}
        for f in star:
            tri = list(faces[f])
            i = tri.index(v)
            following[tri[(i + 1) % 3]] = (tri[(i + 2) % 3], f)
        ring, merged = [next(iter(following))], []
        while len(ring) < 7 and ring[-1] in following:
            corner, f = following[ring[-1]]
            ring.append(corner)
            merged.append(f)
        if len(ring) != 7 or ring[-1] != ring[0]:
            continue
        polygon = [v, *ring[:6]]  # the triangles (v, r_i, r_i+1), i < 5
        starts = [polygon[k:] + polygon[:k] for k in range(7)]
        folded = [p for p in starts if _fan_folds(vertices, p)]
        folding += bool(folded)
        polygons.append(folded[0] if folded else polygon)
        used[polygon] = True
        taken[merged[:5]] = True
    lines = [f"v {x:.6f} {y:.6f} {z:.6f}" for x, y, z in vertices]
    lines += ["f " + " ".join(str(i + 1) for i in f) for f in faces[~taken]]
    lines += ["f " + " ".join(str(i + 1) for i in p) for p in polygons]
    return "\n".join(lines) + "\n", folding
