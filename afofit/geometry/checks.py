"""Checks on a shell: is it one printable solid, and does it fit the leg as designed?

Every check is data (name, passed, measured value, detail) so it can be shown
and never passes silently.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import igl
import numpy as np
import trimesh
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from afofit.geometry.topology import signed_volume, watertight_and_wound
from afofit.kept import Kept
from afofit.threads import HERE, Pending, SpareCore
from afofit.tolerances import TOLERANCES
from afofit.units import deg_to_rad

__all__ = [
    "BUILD_VOLUME_MM",
    "Check",
    "Grid",
    "ShellStats",
    "chord_thickness",
    "keep_skin_tree",
    "measure_shell",
    "run_checks",
    "self_intersecting_pairs",
    "skin_distances",
    "skin_key",
    "skin_penetration",
    "toe_clearance",
]

Vec = NDArray[np.float64]

#: Default printer build volume, mm: a large-format FFF printer of the kind
#: orthotics labs use for adult AFOs (e.g. Raise3D Pro3 Plus, 300 × 300 × 605).
BUILD_VOLUME_MM = (300.0, 300.0, 605.0)


@dataclass(frozen=True, slots=True)
class Check:
    """One check's outcome."""

    name: str
    passed: bool
    detail: str
    value: float | None = None


@dataclass(frozen=True, slots=True)
class ShellStats:
    """Measured properties of a shell (mm, mm³)."""

    faces: int
    volume_mm3: float
    watertight: bool
    winding_consistent: bool
    min_wall_mm: float
    wall_p05_mm: float
    thinnest_feature_mm: float
    clearance_median_mm: float
    clearance_p05_mm: float
    clearance_p95_mm: float
    clearance_within_0_8_fraction: float
    self_intersections: int
    extents_mm: tuple[float, float, float]
    #: The deepest a skin vertex lies inside the shell's material, mm (0: none inside).
    penetration_mm: float = 0.0
    #: How many skin vertices lie inside the shell's material.
    skin_inside: int = 0
    #: The toes' skin under the toe block: the least and the median gap from it to the
    #: shell, mm, over the skin the shell wraps (NaN without a toe block).
    toe_clearance_min_mm: float = float("nan")
    toe_clearance_median_mm: float = float("nan")
    #: (k, 3) the corners of the shell's convex hull, local frame: enough to place it in a printer.
    hull_mm: Vec = field(default_factory=lambda: np.zeros((0, 3)))
    #: (faces,) each face's gap to the scan where it looks at the skin within the clearance,
    #: a wall and :data:`FAR_MM` (the inner surface, loose parts too), mm; NaN elsewhere.
    inner_gap_mm: Vec = field(default_factory=lambda: np.zeros(0))


#: A face further than the clearance, a wall and this from the skin is not over it: it
#: looks at skin far away (across the foot, past the toes), mm.
FAR_MM = 15.0


def _tri_normal(t: Vec) -> Vec:
    return np.cross(t[:, 1] - t[:, 0], t[:, 2] - t[:, 0])


#: Triangles closer than this are touching, not crossing, mm.
TOUCH_MM = 1e-6


def _separated(a: Vec, b: Vec, axis: Vec) -> NDArray[np.bool_]:
    """True where triangles a and b do not overlap projected on ``axis`` (touching is apart)."""
    length = np.linalg.norm(axis, axis=1)
    usable = length > 1e-12
    unit = axis / np.where(usable, length, 1.0)[:, None]
    pa = np.einsum("nkj,nj->nk", a, unit)
    pb = np.einsum("nkj,nj->nk", b, unit)
    gap = np.maximum(pb.min(axis=1) - pa.max(axis=1), pa.min(axis=1) - pb.max(axis=1))
    return usable & (gap >= -TOUCH_MM)


def _edge(t: Vec, i: int) -> Vec:
    return t[:, (i + 1) % 3] - t[:, i]


#: How many separating axes two triangles have.
SAT_AXES = 17


def _sat_axis(a: Vec, b: Vec, k: int) -> Vec:
    """Separating axis ``k`` (0..16) of triangles a and b ((n, 3, 3) each).

    The two face normals, then for each edge i of a: the in-plane normals of
    a's and of b's edge i and the cross products of a's edge i with b's three.
    """
    if k < 2:
        return _tri_normal(a if k == 0 else b)
    i, kind = divmod(k - 2, 5)
    if kind == 0:
        return np.cross(_tri_normal(a), _edge(a, i))
    if kind == 1:
        return np.cross(_tri_normal(b), _edge(b, i))
    return np.cross(_edge(a, i), _edge(b, kind - 2))


#: A grid of cells: its origin (3,) and spacing, mm (:func:`self_intersecting_pairs`).
Grid = tuple[Vec, float]


def self_intersecting_pairs(mesh: trimesh.Trimesh, grid: Grid | None = None) -> int:
    """Count pairs of non-adjacent triangles of ``mesh`` that intersect.

    Candidate pairs are those whose bounding boxes overlap by more than
    :data:`TOUCH_MM` (boxes that only touch hold triangles that only touch): on a mesh
    whose every triangle lies in one cell of ``grid`` (marching cubes' mesh on its own
    grid: (origin (3,), spacing) mm) they are pairs in one cell, as no two cells
    overlap; otherwise they come from a k-d tree on the boxes' centres (within the
    largest box's diagonal). Each is tested exactly with the separating-axis theorem (2
    face normals, 9 edge-edge directions and, for coplanar pairs, the 6 in-plane edge
    normals); touching is not crossing.
    """
    return _intersecting_pairs(np.asarray(mesh.triangles), np.asarray(mesh.faces), grid)


def _pairs_in_cells(lo: Vec, hi: Vec, grid: Grid) -> NDArray[np.int64] | None:
    """Every pair (k, 2) of boxes (corners ``lo``, ``hi`` (m, 3)) that lie in one cell of
    ``grid``, when each box lies in a cell (to within a quarter of :data:`TOUCH_MM`, so
    that boxes in two cells overlap by less than it); None when one does not."""
    origin, h = grid
    cell = np.floor((0.5 * (lo + hi) - origin) / h)
    corner = origin + cell * h
    slack = 0.25 * TOUCH_MM
    if not (np.all(lo >= corner - slack) and np.all(hi <= corner + h + slack)):
        return None
    index = (cell - cell.min(axis=0)).astype(np.int64)
    key = np.ravel_multi_index(index.T, tuple(index.max(axis=0) + 1))
    order = np.argsort(key, kind="stable")
    key = key[order]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    counts = np.diff(np.r_[starts, len(key)])
    pairs = [np.zeros((0, 2), dtype=np.int64)]
    for n in np.unique(counts[counts > 1]):
        first = starts[counts == n][:, None]
        i, j = np.triu_indices(int(n), 1)
        pairs.append(np.stack([order[first + i], order[first + j]], axis=-1).reshape(-1, 2))
    return np.concatenate(pairs)


def _intersecting_pairs(tri: Vec, faces: NDArray[np.int64], grid: Grid | None = None) -> int:
    """:func:`self_intersecting_pairs` of the mesh whose ``faces`` (m, 3) have corners ``tri``
    (m, 3, 3), meshed on ``grid`` when given."""
    if len(tri) < 2:
        return 0
    lo, hi = tri.min(axis=1), tri.max(axis=1)
    pairs = None if grid is None else _pairs_in_cells(lo, hi, grid)
    if pairs is None:
        # Boxes' centres and half-diagonals give half the candidates the
        # triangles' centroids and circumradii do (a marching-cubes triangle's box
        # lies in one voxel).
        half_diagonal = 0.5 * float(np.linalg.norm(hi - lo, axis=1).max())
        tree = cKDTree(0.5 * (lo + hi), leafsize=32, balanced_tree=False, compact_nodes=False)
        pairs = tree.query_pairs(2.0 * half_diagonal, output_type="ndarray")
    if len(pairs) == 0:
        return 0
    kept = []
    for start in range(0, len(pairs), 1_000_000):  # in chunks: bounded memory
        chunk = pairs[start : start + 1_000_000]
        for axis in range(3):  # the boxes overlap (not just touch), one axis at a time
            a, b = chunk[:, 0], chunk[:, 1]
            meet = (lo[a, axis] < hi[b, axis] - TOUCH_MM) & (lo[b, axis] < hi[a, axis] - TOUCH_MM)
            chunk = chunk[meet]
        fa, fb = faces[chunk[:, 0]], faces[chunk[:, 1]]
        shared = (fa[:, :, None] == fb[:, None, :]).any(axis=(1, 2))
        kept.append(chunk[~shared])
    pairs = np.concatenate(kept)
    a, b = tri[pairs[:, 0]], tri[pairs[:, 1]]
    for k in range(SAT_AXES):  # drop each pair as soon as one axis separates it
        if len(a) == 0:
            break
        apart = _separated(a, b, _sat_axis(a, b, k))
        a, b = a[~apart], b[~apart]
    return len(a)


#: Trees over skins kept in this process (a helper's, :func:`keep_skin_tree`), by
#: :func:`skin_key`: (the tree, the skin's vertices and faces). The last few.
_SKIN_TREES: Kept[int, tuple[Any, Vec, NDArray[np.int64]]] = Kept(2)


def skin_key(skin: trimesh.Trimesh) -> int:
    """A key to ``skin``'s tree (:func:`keep_skin_tree`): from its content."""
    return hash((hash(skin), len(skin.faces)))


def keep_skin_tree(key: int, vertices: Vec, faces: NDArray[np.int64]) -> None:
    """Build the search tree over the skin of ``vertices`` (n, 3) and ``faces`` (m, 3) and
    keep it by ``key`` (:func:`skin_key`): a helper process builds it while the shell is
    built, and then answers :func:`skin_distances` at once (the tree is most of their cost:
    0.4 s of 0.6 s on a 400k-face scan), which lets go of it."""
    if key in _SKIN_TREES:
        return
    vertices = np.ascontiguousarray(vertices, dtype=np.float64)
    faces = np.ascontiguousarray(faces, dtype=np.int64)
    tree = igl.AABB()
    tree.init(vertices, faces)
    _SKIN_TREES.keep(key, (tree, vertices, faces))


def skin_distances(
    key: int, points: Vec, vertices: Vec, faces: NDArray[np.int64]
) -> tuple[Vec, Vec]:
    """Squared distances (k,) from ``points`` (k, 3) to the skin kept by ``key`` (built from
    ``vertices`` and ``faces`` if it is not), and the nearest skin points (k, 3): exact.
    The tree is let go of then (a fitting measures its shell once; the helper's memory is
    wanted for the pictures next)."""
    keep_skin_tree(key, vertices, faces)
    tree, v, f = _SKIN_TREES.pop(key)
    squared, _, closest = tree.squared_distance(v, f, np.ascontiguousarray(points, np.float64))
    return np.asarray(squared), np.asarray(closest)


def chord_thickness(mesh: trimesh.Trimesh) -> Vec:
    """For every vertex of ``mesh``, the length of the ray from it inward along its normal, mm.

    On a wall that is the wall thickness; on a rim, the rim's width. Vertex
    normals (face-area weighted) are used, not face normals, so that the
    sliver triangles marching cubes makes near grid points cannot aim a ray
    at their neighbour. Rays use Embree (embreex) when installed: about a
    second for 500k faces. A ray with no hit gives NaN.
    """
    normals = mesh.vertex_normals
    origins = mesh.vertices - 1e-3 * normals
    locations, ray_index, _ = mesh.ray.intersects_location(origins, -normals, multiple_hits=False)
    out = np.full(len(mesh.vertices), np.nan)
    out[ray_index] = np.linalg.norm(locations - origins[ray_index], axis=1)
    return out


def measure_shell(
    mesh: trimesh.Trimesh,
    skin: trimesh.Trimesh,
    clearance_mm: float,
    thickness_mm: float,
    edge_distance: Vec,
    relief_weight: Vec,
    maybe_inner: NDArray[np.bool_] | None = None,
    toes_from_mm: float | None = None,
    engraved_mm: Vec | None = None,
    spare: SpareCore = HERE,
    grid: Grid | None = None,
    in_material: Callable[[Vec], tuple[NDArray[np.bool_], NDArray[np.bool_]]] | None = None,
    skin_tree: int | None = None,
) -> ShellStats:
    """Measure a shell built around a skin (both in one frame, mm).

    Clearance is the exact distance from the shell's inner faces to the scan
    as it was read (noise and all), not to the smoothed skin the shell was
    offset from.

    Parameters
    ----------
    mesh, skin : the shell and the scan's leg surface.
    clearance_mm, thickness_mm : what the design asked for.
    edge_distance : (faces,) how far inside the trim lines each face lies, mm
        (from the trim field); faces within ``edge radius + thickness`` of a
        trim line are in the rounded edge and are left out of the wall and
        clearance statistics.
    relief_weight : (faces,) 0..1, how much each face lies in a relief bump;
        faces above 0.1 are left out of the clearance statistics.
    maybe_inner : (faces,) optional: only these faces can lie within ``clearance +
        thickness +`` :data:`FAR_MM` of the skin (a cheap bound the caller knows); the
        exact distance is measured for them alone, the others count as far.
    toes_from_mm : where the toe block starts (y; the leg's local frame): the gap from
        the toes' skin ahead of it to the shell is measured apart
        (:func:`toe_clearance`).
    engraved_mm : (faces,) optional: how much thinner the design makes the wall behind
        each face on purpose (a label cut into the outer surface); the wall there is
        judged with it added back, so a label is not a thin wall while a wall thinner
        than the label leaves is.
    spare : a helper process (:func:`afofit.threads.spare_core`), which measures the
        distances to the skin when it keeps its tree (``skin_tree``).
    grid : the grid ``mesh`` was meshed on (origin (3,), spacing; mm), which makes the
        self-intersection test's search for candidate pairs cheap
        (:func:`self_intersecting_pairs`).
    in_material : optional: says of points (k, 3) which it knows and which of those lie in
        the shell's material (from the grid it was meshed on:
        :meth:`~afofit.geometry.shell.ShellGeometry.in_material`); the winding number is
        asked of the others alone (of none, most often: no tree over the shell).
    skin_tree : the :func:`skin_key` of ``skin``'s tree kept in the ``spare`` helper
        (:func:`keep_skin_tree`, asked while the shell was built): the distances to the skin
        are then measured there, beside the rest here; without it, here, over the skin near
        the shell alone (the same distances).
    """
    centres = mesh.triangles_center
    measured = np.ones(len(centres), dtype=bool) if maybe_inner is None else maybe_inner
    dist = np.full(len(centres), np.inf)
    towards_skin = np.zeros(len(centres), dtype=bool)
    # Skin further than the farthest distance that counts from every measured face cannot
    # be nearest to one within it: left out of the search.
    reach = clearance_mm + thickness_mm + FAR_MM
    skin_points = np.asarray(skin.vertices, dtype=np.float64)
    skin_faces = np.asarray(skin.faces, dtype=np.int64)
    near = np.zeros(len(skin_faces), dtype=bool)
    if measured.any():
        # A face's box meets the box when, along each axis, a corner lies above its low
        # side and a corner below its high side (judged per vertex, then per face).
        low, high = centres[measured].min(axis=0) - reach, centres[measured].max(axis=0) + reach
        above, below = (skin_points >= low)[skin_faces], (skin_points <= high)[skin_faces]
        near = np.all(above.any(axis=1) & below.any(axis=1), axis=1)
    asked = measured.any() and near.any()
    distances: Pending[tuple[Vec, Vec]] | None = None
    if asked and skin_tree is not None and spare.parallel:
        # (The whole skin's tree: the faces left out above are never nearest within reach,
        # and the faces further away decide nothing, so the answers are the same.)
        distances = spare.submit(
            skin_distances, skin_tree, centres[measured], skin_points, skin_faces
        )
    # Meanwhile, the wall's rays, the skin in the material, the intersection test and what
    # else owes nothing to the distances here.
    every = chord_thickness(mesh)
    penetration_mm, skin_inside, toe_min, toe_median = _skin_against_shell(
        mesh, skin, toes_from_mm, clearance_mm + thickness_mm, in_material
    )
    crossings = self_intersecting_pairs(mesh, grid)
    # Per vertex. A face's wall is the middle of its corners' chords: a lone
    # corner in a concave crease (where the inner surface folds, as at a step
    # under the arch) aims its averaged normal along the fold and its ray
    # grazes out at once, though the wall behind it is whole; a thin patch
    # is thin at every corner.
    per_face = np.median(every[mesh.faces], axis=1)
    if engraved_mm is not None:
        per_face = per_face + engraved_mm
    # A feature is thin where a vertex and all its neighbours are thin: the
    # tip of a convex corner alone is not a feature a slicer drops.
    # (Each face's sides both ways: an edge's second face repeats it, which a maximum
    # does not mind, and no sorting out of the unique edges.)
    edges = np.asarray(mesh.faces)[:, [0, 1, 1, 2, 2, 0]].reshape(-1, 2)
    ring = np.where(np.isfinite(every), every, 0.0)
    widest = ring.copy()
    np.maximum.at(widest, edges[:, 0], ring[edges[:, 1]])
    np.maximum.at(widest, edges[:, 1], ring[edges[:, 0]])
    features = widest[widest > 0.0]
    watertight, wound = watertight_and_wound(mesh.faces)
    volume_mm3 = abs(signed_volume(mesh.vertices, mesh.faces))
    hull_mm = np.asarray(mesh.convex_hull.vertices)
    if asked:
        if distances is not None:
            squared, closest = distances.result()
        else:  # (the face indices igl returns count the kept faces alone: not used)
            squared, _, closest = igl.point_mesh_squared_distance(
                centres[measured], skin_points, skin_faces[near]
            )
        dist[measured] = np.sqrt(squared)
        towards_skin[measured] = (
            np.einsum("ij,ij->i", mesh.face_normals[measured], closest - centres[measured]) > 0
        )
    interior = edge_distance > thickness_mm + TOLERANCES.edge_margin_mm
    inner = towards_skin & interior & (dist < clearance_mm + 0.5 * thickness_mm)
    fit = inner & (relief_weight < TOLERANCES.relief_weight_excluded)
    gap = dist[fit] if fit.any() else np.array([np.nan])
    walls = per_face[inner & np.isfinite(per_face)]
    return ShellStats(
        faces=len(mesh.faces),
        volume_mm3=volume_mm3,
        watertight=watertight,
        winding_consistent=wound,
        min_wall_mm=float(walls.min()) if len(walls) else float("nan"),
        wall_p05_mm=float(np.percentile(walls, 5)) if len(walls) else float("nan"),
        thinnest_feature_mm=float(features.min()) if len(features) else float("nan"),
        clearance_median_mm=float(np.median(gap)),
        clearance_p05_mm=float(np.percentile(gap, 5)),
        clearance_p95_mm=float(np.percentile(gap, 95)),
        clearance_within_0_8_fraction=float(
            np.mean(np.abs(gap - clearance_mm) <= TOLERANCES.clearance_band_mm)
        ),
        self_intersections=crossings,
        inner_gap_mm=np.where(
            towards_skin & (dist < clearance_mm + thickness_mm + FAR_MM), dist, np.nan
        ),
        extents_mm=tuple(float(v) for v in np.sort(mesh.extents)[::-1]),  # type: ignore[arg-type]
        penetration_mm=penetration_mm,
        skin_inside=skin_inside,
        toe_clearance_min_mm=toe_min,
        toe_clearance_median_mm=toe_median,
        hull_mm=hull_mm,
    )


def skin_penetration(mesh: trimesh.Trimesh, skin: trimesh.Trimesh) -> tuple[float, int]:
    """How deep the ``skin`` enters the material of the shell ``mesh``, mm, and how many
    skin vertices do (both in one frame).

    A skin vertex is inside when the shell's winding number there exceeds 1/2 (the
    shell is a closed solid); its depth is its distance to the shell's surface. Only
    vertices within the shell's bounding box are tested.
    """
    return _skin_against_shell(mesh, skin, None, 0.0)[:2]


def toe_clearance(
    mesh: trimesh.Trimesh, skin: trimesh.Trimesh, toes_from_mm: float, reach_mm: float
) -> tuple[float, float]:
    """The gap from the toes' skin to the shell ``mesh``, mm: least and median.

    Over the ``skin`` vertices ahead of ``toes_from_mm`` (local y) that lie outside the
    shell and within ``reach_mm`` of it (the skin the toe block wraps; the toes' tops
    above a low toe wall are far from it). NaN when no toe skin is that near.
    """
    return _skin_against_shell(mesh, skin, toes_from_mm, reach_mm)[2:]


def _skin_against_shell(
    mesh: trimesh.Trimesh,
    skin: trimesh.Trimesh,
    toes_from_mm: float | None,
    reach_mm: float,
    in_material: Callable[[Vec], tuple[NDArray[np.bool_], NDArray[np.bool_]]] | None = None,
) -> tuple[float, int, float, float]:
    """:func:`skin_penetration` and (with ``toes_from_mm``; else NaN) :func:`toe_clearance`
    at once: the shell's winding number is asked of both sets of skin points in one call
    (its tree over the shell's faces is most of the cost: 0.3 s of 0.6 s on a 400k-face
    shell), and of those alone that ``in_material`` (see :func:`measure_shell`) does not
    know (the same answers; most often no call at all). The toes' gaps are measured to the
    shell's faces that reach within ``reach_mm`` behind ``toes_from_mm`` alone: a face
    nearer than ``reach_mm`` to a point ahead of it has a corner there, and a point further
    than that from every face is not counted (the same gaps, a sixth of the time)."""
    vertices = np.asarray(mesh.vertices, dtype=np.float64)
    faces = np.asarray(mesh.faces, dtype=np.int64)
    points = np.asarray(skin.vertices, dtype=np.float64)
    nothing = (0.0, 0, float("nan"), float("nan"))
    if not len(faces):
        return nothing
    low, high = vertices.min(axis=0), vertices.max(axis=0)
    boxed = points[np.all((points >= low) & (points <= high), axis=1)]
    toes, gap = np.zeros((0, 3)), np.zeros(0)
    if toes_from_mm is not None:
        ahead = (points[:, 1] > toes_from_mm) & np.all(
            (points >= low - reach_mm) & (points <= high + reach_mm), axis=1
        )
        near_faces = vertices[faces][:, :, 1].max(axis=1) > toes_from_mm - reach_mm
        if ahead.any() and near_faces.any():
            toes = points[ahead]
            gap = np.sqrt(igl.point_mesh_squared_distance(toes, vertices, faces[near_faces])[0])
            toes, gap = toes[gap < reach_mm], gap[gap < reach_mm]
    asked = np.vstack([boxed, toes])
    if not len(asked):
        return nothing
    known, within = (
        (np.zeros(len(asked), dtype=bool), np.zeros(len(asked), dtype=bool))
        if in_material is None
        else in_material(asked)
    )
    winding = np.where(within, 1.0, 0.0)
    if not known.all():
        winding[~known] = igl.fast_winding_number(vertices, faces, asked[~known])
    inside = boxed[winding[: len(boxed)] > 0.5]
    deepest = 0.0
    if len(inside):
        deepest = float(np.sqrt(igl.point_mesh_squared_distance(inside, vertices, faces)[0].max()))
    outside = gap[winding[len(boxed) :] <= 0.5]
    toe_min, toe_median = (
        (float(outside.min()), float(np.median(outside))) if len(outside) else nothing[2:]
    )
    return deepest, len(inside), toe_min, toe_median


def printer_placement(hull: Vec, build_volume_mm: tuple[float, float, float]) -> str | None:
    """How the solid with convex-hull corners ``hull`` fits a printer, or None if it cannot.

    Tries the frame's vertical, the hull's principal axes and the frame's other
    axes as the printer's vertical, and about each turns the part on the bed
    in 1° steps (a long footplate can go across the bed's diagonal). Returns
    e.g. ``"upright (214 × 296 mm on the bed, set at an angle)"``.
    """
    if len(hull) == 0:
        return None
    bed = sorted(build_volume_mm[:2])
    centred = hull - hull.mean(axis=0)
    _, _, principal = np.linalg.svd(centred, full_matrices=False)
    candidates = [
        ("upright", np.array([0.0, 0.0, 1.0])),
        ("standing on end", principal[0]),
        ("on its side", principal[1]),
        ("lying flat", principal[2]),
        ("on its side", np.array([1.0, 0.0, 0.0])),
        ("on its toes", np.array([0.0, 1.0, 0.0])),
    ]
    angles = deg_to_rad(np.arange(90.0))
    c, s = np.cos(angles)[:, None], np.sin(angles)[:, None]
    for name, up in candidates:
        up = up / np.linalg.norm(up)
        if np.ptp(centred @ up) > build_volume_mm[2]:
            continue
        a = np.cross(up, [1.0, 0.0, 0.0] if abs(up[0]) < 0.9 else [0.0, 1.0, 0.0])
        a /= np.linalg.norm(a)
        u, v = centred @ a, centred @ np.cross(up, a)
        across, along = np.ptp(c * u + s * v, axis=1), np.ptp(c * v - s * u, axis=1)
        short, long_ = np.minimum(across, along), np.maximum(across, along)
        ok = np.flatnonzero((short <= bed[0]) & (long_ <= bed[1]))
        if len(ok):
            k = 0 if ok[0] == 0 else ok[np.argmin(short[ok] * long_[ok])]  # square if it fits
            how = "" if k == 0 else ", set at an angle"
            return f"{name} ({short[k]:.0f} × {long_[k]:.0f} mm on the bed{how})"
    return None


def _toe_gap_text(stats: ShellStats) -> str:
    if not np.isfinite(stats.toe_clearance_min_mm):
        return ""
    return (
        f"; the toes' skin {stats.toe_clearance_min_mm:.1f} mm from the shell at the "
        f"nearest (median {stats.toe_clearance_median_mm:.1f} mm)"
    )


def run_checks(
    stats: ShellStats,
    clearance_mm: float,
    thickness_mm: float,
    min_wall_process_mm: float,
    build_volume_mm: tuple[float, float, float] = BUILD_VOLUME_MM,
) -> list[Check]:
    """Judge a shell's measurements against the design and the process.

    Parameters
    ----------
    stats : the shell's measurements (:func:`measure_shell`).
    clearance_mm, thickness_mm : what the design asked for.
    min_wall_process_mm : the material's process minimum wall.
    build_volume_mm : the printer's build volume.
    """
    placement = printer_placement(stats.hull_mm, build_volume_mm)
    printer = " × ".join(f"{v:.0f}" for v in build_volume_mm)
    size = " × ".join(f"{e:.0f}" for e in stats.extents_mm)
    tol = TOLERANCES
    wall_floor = tol.min_wall_fraction * thickness_mm
    median_off = stats.clearance_median_mm - clearance_mm
    fit_ok = (
        abs(median_off) <= tol.clearance_median_mm
        and stats.clearance_within_0_8_fraction >= tol.clearance_band_fraction
    )
    return [
        Check("watertight", stats.watertight, "every edge joins exactly two faces"
              if stats.watertight else "open edges: the slicer would have to repair it"),
        Check("winding", stats.winding_consistent, "neighbouring faces agree on orientation"),
        Check("outward normals", stats.volume_mm3 > 0,
              f"enclosed volume {stats.volume_mm3:.0f} mm³", stats.volume_mm3),
        Check("self-intersections", stats.self_intersections == 0,
              f"{stats.self_intersections} intersecting face pairs",
              float(stats.self_intersections)),
        Check("minimum wall", stats.min_wall_mm >= wall_floor,
              f"thinnest wall {stats.min_wall_mm:.2f} mm away from the rounded edges "
              f"(need ≥ {wall_floor:.2f} mm = {100 * tol.min_wall_fraction:.0f} % of "
              f"{thickness_mm:g} mm)", stats.min_wall_mm),
        Check("clearance", fit_ok,
              f"median {stats.clearance_median_mm:.2f} mm (asked {clearance_mm:g}); "
              f"{100 * stats.clearance_within_0_8_fraction:.0f} % within "
              f"±{tol.clearance_band_mm:g} mm, outside reliefs",
              stats.clearance_median_mm),
        Check("build volume", placement is not None,
              f"{size} mm; fits a {printer} mm printer {placement}" if placement else
              f"{size} mm fits no way into a {printer} mm printer: use a larger printer or "
              "print the shell in two parts"),
        Check("skin inside the shell", stats.penetration_mm <= tol.max_penetration_mm,
              (f"{stats.skin_inside} skin points inside the material, the deepest "
               f"{stats.penetration_mm:.2f} mm" if stats.skin_inside else
               "no skin inside the material") + f" (allowed {tol.max_penetration_mm:g} mm; "
              "toe block and plate included)" + _toe_gap_text(stats), stats.penetration_mm),
        Check("smallest feature", stats.thinnest_feature_mm >= min_wall_process_mm,
              f"thinnest section {stats.thinnest_feature_mm:.2f} mm anywhere, rims and corners "
              f"included (process minimum {min_wall_process_mm:g} mm)", stats.thinnest_feature_mm),
    ]  # fmt: skip
