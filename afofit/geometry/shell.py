"""The AFO shell: an offset of the skin, trimmed, with a flat footplate, as one closed solid.

Method (why not offset the vertices along their normals: that folds over
itself in the ankle crease and at the toes):

1. Sample the skin densely (≤ 0.5 mm apart) with outward normals, in the
   leg's local frame. An open sole gets a floor of samples (``sole.py``).
2. Mark a narrow band of voxels (1 mm by default) around the offset layer
   ``clearance ≤ d ≤ clearance + thickness`` and the slab under the foot;
   elsewhere the field is simply "outside". Reliefs displace the skin
   samples outward first, so the wall stays an exact offset over them.
3. In the band, the signed distance ``d`` to the skin is the distance to the
   nearest sample (exact to a few hundredths of a mm at this density), signed
   by that sample's normal.
4. The shell is ``max(c - d, d - (c + t))``, united with a footplate slab that
   fills from the inner surface down to one flat plantar plane, intersected
   with the trim region by a smooth maximum that rounds the trim edges.
5. Marching cubes meshes the zero level. A distance field's level set is
   smooth (no voxel steps) and cannot cross itself; the band is closed, so the
   mesh is watertight.

The stages live where they belong: the trim lines in ``trimline.py``, the
footplate in ``plate.py``, the open sole in ``sole.py``, the toe block in
``toes.py``, the field's clean-up and meshing in ``meshing.py``; this module
samples the skin, builds the band and the distance, and runs the stages in order
(:func:`build_shell`).
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

import numpy as np
import trimesh
from numpy.typing import NDArray
from pykdtree.kdtree import KDTree
from scipy import ndimage, sparse

from afofit.design import DesignParameters
from afofit.errors import FitError
from afofit.geometry.frames import LegFrame
from afofit.geometry.grid import grid_cells, spatial_order, squared_distances
from afofit.geometry.label import LabelPlacement, label_depth
from afofit.geometry.meshing import field_on_grid, mesh_level_set
from afofit.geometry.plate import PLATE_FILL_MM, plate_field, plate_maps
from afofit.geometry.required import required
from afofit.geometry.sole import SoleFloor, fill_holes, sole_floor
from afofit.geometry.toes import MIN_TOE_SAMPLES, toe_block
from afofit.geometry.topology import fix_winding
from afofit.geometry.trimline import (
    smooth_max,
    strap_slot_field,
    trim_field,
    trim_judged_at,
)
from afofit.threads import uninterrupted

__all__ = [
    "ShellGeometry",
    "SkinSamples",
    "ToeSkin",
    "build_shell",
    "crop_skin",
    "face_lattice",
    "relief_bump",
    "relief_sites",
    "sample_skin",
    "shell_extent",
    "shell_in_scan",
    "skin_samples",
    "toe_block_start",
]

log = logging.getLogger(__name__)

Vec = NDArray[np.float64]

#: Skin samples are at most this far apart, mm.
SAMPLE_SPACING_MM = 0.8
#: Scan holes with a shorter rim are closed before offsetting, mm (a 15 cm
#: rim is a hole about 5 cm across; the open top and sole are far longer).
MAX_HOLE_PERIMETER_MM = 150.0
#: An opening whose rim lies wholly below this fraction of foot length is in the sole.
SOLE_RIM_BELOW_FRACTION = 0.12
#: Taubin smoothing passes over the skin before offsetting.
SMOOTHING_ITERATIONS = 10
#: Skin faces with an edge longer than this many sample spacings are filled in with more
#: samples than their corners and centres (:func:`face_lattice`).
SUBDIVIDE_EDGES_OVER = 2.0
#: A face is split at most 2^this times along each edge (:func:`face_lattice`): a 200 mm
#: face (a scanner's flat cap) still gets samples 1.6 mm apart, and no more.
MAX_LATTICE_LEVEL = 7
#: The toe block (:func:`toe_block`) starts this far ahead of the metatarsal heads, × foot length.
TOES_AHEAD_OF_HEADS = 0.03
#: The toes' own skin is kept from at least this far behind the block's start, mm, and
#: for a thick wall from its reach and TOE_SKIN_MARGIN_MM more: no voxel that judges by
#: it sees the kept skin's cut edge.
TOE_SKIN_BEHIND_MM = 15.0
TOE_SKIN_MARGIN_MM = 5.0
#: The trim lines' field is smoothed over the band by a Gaussian this many voxels wide
#: (sd): judged at each voxel's nearest skin sample, it steps where many voxels share one
#: sample (in a concave stretch of skin), and a step leaves a fin on the rounded edge. The
#: strap slots are cut after it, sharp (a 5 mm slot would narrow).
TRIM_SMOOTHING_VOXELS = 1.0
#: The toes' skin this close above their lowest counts as their floor edge, mm.
TOE_FLOOR_MM = 3.0
#: The cells that order the samples and voxels for the nearest-sample search, mm
#: (:func:`~afofit.geometry.grid.spatial_order`; 1.25 and 2.5 measured alike).
ORDER_CELL_MM = 2.5
#: Width of a relief bump (Gaussian sd), mm.
RELIEF_SIGMA_MM = 10.0


@dataclass(frozen=True, slots=True)
class ShellGeometry:
    """The shell in the leg's local frame and what it was built from.

    Attributes
    ----------
    mesh : the shell, local coordinates, mm.
    voxel_mm : the grid spacing.
    samples, normals : (n, 3) the skin samples and outward normals used, local mm.
    open_sole : whether the sole was open (and closed by a floor of samples).
    removed_pieces : faces dropped as loose islands (0 for a clean build).
    toes_from_mm : local y where the toe block begins (None without metatarsal heads).
    grid_origin : (3,) local position of voxel (0, 0, 0), mm.
    band : sorted flat indices (in the grid of ``grid_shape``) of the voxels whose
        field was computed.
    band_sample : for each of ``band``, the index of its nearest skin sample, or -1
        if none lies within the wall's reach.
    band_field : for each of ``band``, the field meshed there (mm, < 0 in the material);
        every other voxel holds :data:`~afofit.geometry.meshing.OUTSIDE_VALUE`.
    """

    mesh: trimesh.Trimesh
    voxel_mm: float
    samples: Vec
    normals: Vec
    open_sole: bool
    removed_pieces: int
    toes_from_mm: float | None
    grid_origin: Vec
    grid_shape: tuple[int, int, int]
    band: NDArray[np.int64]
    band_sample: NDArray[np.int64]
    band_field: NDArray[np.float32]

    def in_material(self, points: Vec) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
        """Which of ``points`` (k, 3, local mm) lie in the shell's material, told from the
        grid it was meshed on: (``known``, ``inside``), ``inside`` meaning something only
        where ``known``.

        Marching cubes puts the surface only in cells whose corners differ in sign, and
        each of its triangles in one cell: a point in a cell whose eight grid points are
        all outside (all inside) is outside (inside); in a mixed cell, a segment from the
        point to one of the cell's grid points crosses the surface as often as the
        triangles near the cell say, and its parity with that grid point's side gives the
        point's. Unknown: a segment that grazes a triangle's edge, and every point inside
        when the build dropped loose pieces (their grid points are inside, their faces
        gone): the winding number settles those (:func:`~afofit.geometry.checks.measure_shell`).
        """
        h, shape = self.voxel_mm, np.asarray(self.grid_shape)
        cell = np.floor((points - self.grid_origin) / h).astype(np.int64)
        within = np.all((cell >= 0) & (cell < shape - 1), axis=1)
        known = np.ones(len(points), dtype=bool)  # off the grid: outside
        inside = np.zeros(len(points), dtype=bool)
        at, cell = np.flatnonzero(within), cell[within]
        # The grid points inside (the band's negative ones; off the band all are outside),
        # and each cell's count of them by its first grid point's flat index.
        negative = np.zeros(int(np.prod(shape)), dtype=bool)
        negative[self.band[self.band_field < 0.0]] = True
        first = (cell[:, 0] * shape[1] + cell[:, 1]) * shape[2] + cell[:, 2]
        count = np.zeros(len(cell), dtype=np.int64)
        for di, dj, dk in np.ndindex(2, 2, 2):
            count += negative[first + (di * shape[1] + dj) * shape[2] + dk]
        inside[at] = count == 8
        known[at] = (count == 0) | ((count == 8) & (self.removed_pieces == 0))
        surface = (count > 0) & (count < 8)
        mixed = at[surface]
        if len(mixed) and self.removed_pieces == 0:
            crossed, clean = _crossings(self.mesh, self.grid_origin, h, points[mixed])
            inside[mixed] = negative[first[surface]] ^ (crossed % 2 == 1)
            known[mixed] = clean
        return known, inside

    def nearest_sample(self, points: Vec) -> NDArray[np.int64]:
        """The skin sample the build found nearest the voxel holding each of ``points``, or -1."""
        cell, _ = grid_cells(points, self.grid_origin, self.voxel_mm, self.grid_shape, nearest=True)
        cell = np.clip(cell, 0, np.asarray(self.grid_shape) - 1)
        flat = np.ravel_multi_index(cell.T, self.grid_shape)
        at = np.clip(np.searchsorted(self.band, flat), 0, len(self.band) - 1)
        return np.where(self.band[at] == flat, self.band_sample[at], -1)

    def judged_at(self, points: Vec, sample: NDArray[np.int64] | None = None) -> Vec:
        """Where the build judged the trim for the voxel holding each of ``points`` (local mm).

        At the voxel's nearest skin sample (a voxel out of the wall's reach, at
        itself); in the toe zone, at that sample's place but the point's own
        height (the toe walls' level cut). A caller measuring how far a face
        lies inside the trim lines judges it exactly as the build did.
        ``sample`` is :meth:`nearest_sample` of ``points`` if already known.
        """
        sample = self.nearest_sample(points) if sample is None else sample
        return trim_judged_at(points, self.samples, sample, self.toes_from_mm)


#: A segment that meets a triangle this close to its edge (barycentric) or to its own ends
#: (a fraction of it) may count the crossing twice or not at all: the point stays unknown.
_GRAZE = 1e-7


def _crossings(
    mesh: trimesh.Trimesh, origin: Vec, h: float, points: Vec
) -> tuple[NDArray[np.int64], NDArray[np.bool_]]:
    """How many of the marching-cubes ``mesh``'s triangles the segment from each of
    ``points`` (k, 3) to its cell's first grid point crosses, and whether every crossing
    was clean (see :data:`_GRAZE`). Only triangles whose centroid lies in the cell or one
    next to it can meet a segment inside the cell: those alone are tried."""
    triangles = np.asarray(mesh.triangles)
    face_cells = np.floor((triangles.mean(axis=1) - origin) / h).astype(np.int64)
    cell = np.floor((points - origin) / h).astype(np.int64)
    low = np.minimum(face_cells.min(axis=0), cell.min(axis=0)) - 1
    size = np.maximum(face_cells.max(axis=0), cell.max(axis=0)) - low + 2
    key = np.ravel_multi_index((face_cells - low).T, tuple(size))
    order = np.argsort(key, kind="stable")
    key = key[order]
    pairs_point, pairs_face = [], []
    for step in np.ndindex(3, 3, 3):
        neighbour = np.ravel_multi_index((cell - low + np.asarray(step) - 1).T, tuple(size))
        start = np.searchsorted(key, neighbour, "left")
        stop = np.searchsorted(key, neighbour, "right")
        counts = stop - start
        # Every index of every range start..stop, at once.
        offsets = np.repeat(start - (np.cumsum(counts) - counts), counts)
        pairs_point.append(np.repeat(np.arange(len(points)), counts))
        pairs_face.append(order[np.arange(int(counts.sum())) + offsets])
    which, face = np.concatenate(pairs_point), np.concatenate(pairs_face).astype(np.int64)
    start_at = points[which]
    direction = origin + h * cell[which] - start_at
    a, b, c = triangles[face, 0], triangles[face, 1], triangles[face, 2]
    # Moller-Trumbore: start + t * direction = a + u (b - a) + v (c - a).
    e1, e2 = b - a, c - a
    pvec = np.cross(direction, e2)
    det = np.einsum("ij,ij->i", e1, pvec)
    ok = np.abs(det) > 1e-12
    inv = np.where(ok, 1.0 / np.where(ok, det, 1.0), 0.0)
    tvec = start_at - a
    u = np.einsum("ij,ij->i", tvec, pvec) * inv
    qvec = np.cross(tvec, e1)
    v = np.einsum("ij,ij->i", direction, qvec) * inv
    t = np.einsum("ij,ij->i", e2, qvec) * inv
    hit = ok & (u >= 0) & (v >= 0) & (u + v <= 1) & (t >= 0) & (t <= 1)
    # Near a hit (within _GRAZE of the triangle and the segment) and near an edge or an end.
    near = (u > -_GRAZE) & (v > -_GRAZE) & (u + v < 1 + _GRAZE) & (t > -_GRAZE) & (t < 1 + _GRAZE)
    edge = np.minimum(np.minimum(u, v), 1 - u - v) < _GRAZE
    graze = ok & near & (edge | (np.minimum(t, 1 - t) < _GRAZE))
    graze |= ~ok & (np.abs(np.einsum("ij,ij->i", tvec, np.cross(e1, e2))) < 1e-12)
    crossed = np.bincount(which[hit], minlength=len(points))
    clean = np.bincount(which[graze], minlength=len(points)) == 0
    return crossed, clean


def _oriented(mesh: trimesh.Trimesh, inside: Vec) -> trimesh.Trimesh:
    """Make the skin's winding consistent and its normals point out of the leg."""
    fixed = mesh.copy()
    fix_winding(fixed)
    # Outward: the solid angle the skin subtends at a point inside the leg is
    # positive (an open top or sole only makes it smaller).
    tri = fixed.triangles - inside
    a, b, c = tri[:, 0], tri[:, 1], tri[:, 2]
    la, lb, lc = (np.linalg.norm(v, axis=1) for v in (a, b, c))
    num = np.einsum("ij,ij->i", a, np.cross(b, c))
    den = la * lb * lc + np.einsum("ij,ij->i", a, b) * lc
    den += np.einsum("ij,ij->i", b, c) * la + np.einsum("ij,ij->i", c, a) * lb
    if np.sum(2.0 * np.arctan2(num, den)) < 0.0:
        fixed.invert()
    return fixed


def face_lattice(mesh: trimesh.Trimesh, max_edge_mm: float) -> tuple[Vec, Vec]:
    """Points (k, 3) and normals (k, 3) that fill in ``mesh``'s large faces: the samples a
    face's corners and centre give once it is split into ``n × n`` equal triangles (``n``
    the least power of two that makes every edge at most ``max_edge_mm``, at most
    2^:data:`MAX_LATTICE_LEVEL`), less its own corners and centre; each split edge's points
    once, as finely as the finer of its faces.

    On a mesh whose faces all split alike these are the corners and centres that
    subdividing it to that size (midpoint splits) would add (tested); where a split face
    meets a whole one, the split edge's points are added, as a T-junction of the
    subdivision's would. A point inside a face has its face's normal; a point on an edge,
    the mean of its ends' vertex normals (unit; zero on a degenerate face, which the caller
    drops).
    """
    faces = np.asarray(mesh.faces)
    triangles = mesh.triangles
    # Each face's longest side (edge i -> i + 1), corner by corner (no fancy-indexed copy).
    a, b, c = triangles[:, 0], triangles[:, 1], triangles[:, 2]
    longest = np.maximum(
        np.maximum(np.linalg.norm(b - a, axis=1), np.linalg.norm(c - b, axis=1)),
        np.linalg.norm(a - c, axis=1),
    )
    level = np.where(
        longest > max_edge_mm, np.ceil(np.log2(np.maximum(longest, 1e-12) / max_edge_mm)), 0.0
    )
    level = np.minimum(level, MAX_LATTICE_LEVEL).astype(np.int64)
    if not level.any():
        return np.zeros((0, 3)), np.zeros((0, 3))
    face_normals = mesh.face_normals
    points, normals = [], []
    for k in np.unique(level[level > 0]):
        n = 2 ** int(k)
        # Barycentric weights (i, j, n - i - j) / n: the lattice strictly inside the face,
        # then the centres of the n² small triangles (pointing up, then down).
        i, j = (a.ravel() for a in np.mgrid[1:n, 1:n])
        lattice = np.column_stack([i, j, n - i - j])[(i + j) < n]
        i, j = (a.ravel() for a in np.mgrid[0:n, 0:n])
        up = np.column_stack([i + 1 / 3, j + 1 / 3, n - i - j - 2 / 3])[(i + j) < n]
        down = np.column_stack([i + 2 / 3, j + 2 / 3, n - i - j - 4 / 3])[(i + j) < n - 1]
        weights = np.vstack([lattice, up, down]) / n
        # One small triangle's centre is the face's own (n is never a multiple of 3).
        weights = weights[~np.all(np.isclose(weights, 1 / 3), axis=1)]
        chosen = np.flatnonzero(level == k)
        points.append(np.einsum("mk,fkj->fmj", weights, triangles[chosen]).reshape(-1, 3))
        normals.append(np.repeat(face_normals[chosen], len(weights), axis=0))
    # The split faces' edges, each once, split as finely as the finer of its two faces
    # (a neighbour left whole has level 0).
    split = np.flatnonzero(level > 0)
    edges = np.sort(faces[split][:, [0, 1, 1, 2, 2, 0]].reshape(-1, 2), axis=1)
    key = edges[:, 0] * np.int64(len(mesh.vertices)) + edges[:, 1]
    key, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    edges = edges[first]
    edge_level = np.zeros(len(edges), dtype=np.int64)
    np.maximum.at(edge_level, inverse.ravel(), np.repeat(level[split], 3))
    vertex_normals = np.asarray(mesh.vertex_normals)
    edge_normal = vertex_normals[edges].sum(axis=1)
    edge_normal /= np.maximum(np.linalg.norm(edge_normal, axis=1), 1e-12)[:, None]
    ends = np.asarray(mesh.vertices)[edges]
    for k in np.unique(edge_level):
        n = 2 ** int(k)
        t = np.arange(1, n) / n
        chosen = np.flatnonzero(edge_level == k)
        along = ends[chosen, :1] + t[None, :, None] * (ends[chosen, 1:] - ends[chosen, :1])
        points.append(along.reshape(-1, 3))
        normals.append(np.repeat(edge_normal[chosen], len(t), axis=0))
    return np.vstack(points), np.vstack(normals)


def skin_samples(
    mesh: trimesh.Trimesh,
    inside: Vec,
    spacing_mm: float,
    foot_length: float,
    toes_from_mm: float | None = None,
    toe_top_mm: float = 0.0,
    toe_skin_behind_mm: float = TOE_SKIN_BEHIND_MM,
) -> SkinSamples:
    """Dense samples of the skin ``mesh`` with outward unit normals, (n, 3) each.

    ``inside`` is a point inside the leg (orients the normals),
    ``spacing_mm`` the largest gap between samples, ``foot_length`` sizes
    what counts as the sole.

    Small holes are closed first (:func:`fill_holes`) and the skin is
    smoothed. Each face contributes its corners and centroid, faces larger than the
    spacing more (:func:`face_lattice`), so the samples are deterministic.
    Ahead of ``toes_from_mm`` (local y) the toes become one block at least
    ``toe_top_mm`` high (:func:`toe_block`); the toes' own skin there (and
    ``toe_skin_behind_mm`` behind) is kept beside it. Openings in the sole get a floor
    of samples (:func:`sole_floor`).
    """
    skin, rim_index = fill_holes(
        _oriented(mesh, inside), MAX_HOLE_PERIMETER_MM, SOLE_RIM_BELOW_FRACTION * foot_length
    )
    # Scanner noise is finer than anything skin does under a brace: smooth
    # it away (Taubin keeps the volume) so the wall does not copy it.
    # The sole's rims stay where they are: a rim vertex has neighbours on one side
    # only, so smoothing would draw it in and up off the floor, and the plate hung
    # from the rim would press into the skin it left.
    pinned = np.zeros(len(skin.vertices))
    pinned[np.unique(rim_index)] = 1.0
    operator = sparse.diags(1.0 - pinned) @ trimesh.smoothing.laplacian_calculation(skin)
    trimesh.smoothing.filter_taubin(
        skin, lamb=0.5, nu=0.53, iterations=SMOOTHING_ITERATIONS,
        laplacian_operator=operator + sparse.diags(pinned),
    )  # fmt: skip
    extra, extra_normals = face_lattice(skin, SUBDIVIDE_EDGES_OVER * spacing_mm)
    points = np.vstack([skin.vertices, skin.triangles_center, extra])
    normals = np.vstack([skin.vertex_normals, skin.face_normals, extra_normals])
    # Finite and longer than a half (a NaN or an infinity makes the squared length so).
    squared = np.einsum("ij,ij->i", normals, normals)
    ok = np.isfinite(squared) & (squared > 0.25)
    points, normals = points[ok], normals[ok]
    sole_mm = SOLE_RIM_BELOW_FRACTION * foot_length
    # Points along the sole's rims (as smoothed), closer than the samples.
    ends = np.asarray(skin.vertices)[rim_index]  # (k, 2, 3)
    longest = float(np.linalg.norm(ends[:, 1] - ends[:, 0], axis=1).max(initial=0.0))
    steps = np.linspace(0.0, 1.0, 2 + int(np.ceil(longest / (0.5 * spacing_mm))))
    rim = (ends[:, :1] + steps[None, :, None] * (ends[:, 1:] - ends[:, :1])).reshape(-1, 3)
    floor = sole_floor(points, normals, sole_mm, spacing_mm, rim)
    points, normals = np.vstack([points, floor.points]), np.vstack([normals, floor.normals])
    toes: ToeSkin | None = None
    ahead = (
        np.zeros(len(points), dtype=bool) if toes_from_mm is None else points[:, 1] > toes_from_mm
    )
    if toes_from_mm is not None and ahead.sum() >= MIN_TOE_SAMPLES:
        from_y = toes_from_mm - toe_skin_behind_mm
        kept = points[:, 1] > from_y
        # The toes' lowest skin is an edge the plate reaches under, as a rim: where a toe
        # bulges out of the block its skin comes down to the floor edge-on.
        low = ahead & (points[:, 2] < points[ahead, 2].min() + TOE_FLOOR_MM)
        toes = ToeSkin(
            points[kept], normals[kept], np.vstack([rim[rim[:, 1] > toes_from_mm], points[low]]),
            from_y,
        )  # fmt: skip
        # The block is built on the closed sole; the floor is then found
        # again, under the block, for the sign rule below the foot.
        points, normals, block_edge = toe_block(
            points, normals, toes_from_mm, spacing_mm, toe_top_mm
        )
        # The block's sides end in a sharp edge at its bottom, as an open
        # sole's skin ends at its rim: the plate reaches under both alike.
        rim = np.vstack([rim[rim[:, 1] <= toes_from_mm], block_edge])
        floor = sole_floor(points, normals, sole_mm, spacing_mm, rim)
        points, normals = np.vstack([points, floor.points]), np.vstack([normals, floor.normals])
    return SkinSamples(points, normals, floor, len(rim_index) > 0, toes_from_mm, toes)


@dataclass(frozen=True, slots=True)
class ToeSkin:
    """The toes' own skin where a block stands in for it (:func:`toe_block`): samples
    ``points`` and outward ``normals`` (n, 3) (an open sole's floor included), and the
    points (k, 3) the plate reaches under as under a ``rim``: the rim of the sole's
    opening under them and their lowest skin (within TOE_FLOOR_MM of it). The shell
    clears both the block and this skin (:func:`build_shell`); ``from_y_mm`` is where the
    kept skin begins."""

    points: Vec
    normals: Vec
    rim: Vec
    #: The skin is kept from this local y on (behind the block's start).
    from_y_mm: float


@dataclass(frozen=True, slots=True)
class SkinSamples:
    """The skin as the shell is built from it: ``points`` and outward ``normals`` (n, 3),
    the sole's ``floor``, whether it was ``open_sole``, where the toe block starts
    (``toes_from_mm``, local y; None without metatarsal heads), and the toes' own skin
    (None without a block)."""

    points: Vec
    normals: Vec
    floor: SoleFloor
    open_sole: bool
    toes_from_mm: float | None
    toes: ToeSkin | None
    envelope: SkinEnvelope | None = None


@dataclass(frozen=True, slots=True)
class SkinEnvelope:
    """How much skin a shell needs sampled (:func:`skin_envelope`): up to ``crop_mm``
    (local z), the toe block ``toe_top_mm`` high, and the toes' own skin kept from
    ``behind_mm`` behind the block. A sampling taken for a larger envelope serves a
    smaller one: the wall, plate and trim lines take what they need from it."""

    crop_mm: float
    toe_top_mm: float
    behind_mm: float

    def covers(self, other: SkinEnvelope) -> bool:
        """Whether this envelope holds ``other`` whole."""
        return (
            self.crop_mm >= other.crop_mm
            and self.toe_top_mm >= other.toe_top_mm
            and self.behind_mm >= other.behind_mm
        )

    def join(self, other: SkinEnvelope) -> SkinEnvelope:
        """The smallest envelope holding both."""
        return SkinEnvelope(
            max(self.crop_mm, other.crop_mm),
            max(self.toe_top_mm, other.toe_top_mm),
            max(self.behind_mm, other.behind_mm),
        )


def skin_envelope(params: DesignParameters, thickness_mm: float | None = None) -> SkinEnvelope:
    """The skin ``params``'s shell needs sampled, with a wall ``thickness_mm`` thick
    (default the design's): above the top edge by its reach, a toe block standing well
    above the toe walls' level cut (so the cut crosses its upright sides and never skims
    its top), and the toes' skin behind the block as far as the wall reaches."""
    c = params.clearance_mm
    t = params.thickness_mm if thickness_mm is None else thickness_mm
    reach = c + t + params.max_relief_mm
    return SkinEnvelope(
        crop_mm=params.proximal_height_mm + reach + params.edge_radius_mm + 10.0,
        toe_top_mm=params.toe_wall_height_mm + c + t + params.edge_radius_mm + 2.0,
        behind_mm=max(TOE_SKIN_BEHIND_MM, reach + TOE_SKIN_MARGIN_MM),
    )


def relief_sites(samples: Vec, params: DesignParameters) -> list[tuple[Vec, float]]:
    """Each relief of ``params``: its centre snapped to the nearest of ``samples``, its mm."""
    return [
        (samples[np.argmin(squared_distances(samples, centre))], amount)
        for centre, amount in params.reliefs.values()
    ]


def relief_bump(points: Vec, site: Vec) -> Vec:
    """0..1 weight of a relief at ``site`` for each of ``points`` (Gaussian, RELIEF_SIGMA_MM)."""
    return np.exp(-squared_distances(points, site) / (2.0 * RELIEF_SIGMA_MM**2))


def _relief(samples: Vec, params: DesignParameters) -> Vec:
    """Outward displacement of each skin sample, mm: a Gaussian bump per relief site."""
    out = np.zeros(len(samples))
    for site, amount in relief_sites(samples, params):
        out += amount * relief_bump(samples, site)
    return out


@dataclass(frozen=True, slots=True)
class _Grid:
    """The voxel grid of one build: voxel (0, 0, 0) at ``origin`` (3,) mm, ``h`` apart."""

    origin: Vec
    h: float
    shape: NDArray[np.int64]

    def centres(self, index: NDArray[np.int64]) -> Vec:
        """Positions (k, 3) mm of the voxels at grid ``index`` (k, 3)."""
        return np.asarray(self.origin + self.h * index)


def crop_skin(skin: trimesh.Trimesh, top_mm: float) -> trimesh.Trimesh:
    """The faces of ``skin`` that reach below local height ``top_mm`` (the rest cannot shape
    the shell: a scan to the knee is half skin above the trim line)."""
    low = np.asarray(skin.vertices)[np.asarray(skin.faces), 2].min(axis=1) < top_mm
    if low.all():
        return skin
    cropped = trimesh.Trimesh(skin.vertices, np.asarray(skin.faces)[low], process=False)
    cropped.remove_unreferenced_vertices()
    return cropped


def toe_block_start(landmarks: dict[str, Vec | None], foot_length: float) -> float | None:
    """Local y (mm) where the toes become one block: just ahead of the metatarsal heads.

    ``landmarks`` are local points (``mtp1``, ``mtp5`` used); ``foot_length`` in mm.
    None without either head.
    """
    heads = [q for q in (landmarks.get("mtp1"), landmarks.get("mtp5")) if q is not None]
    if not heads:
        return None
    return max(float(q[1]) for q in heads) + TOES_AHEAD_OF_HEADS * foot_length


def sample_skin(
    skin: trimesh.Trimesh,
    params: DesignParameters,
    shank_axis: Vec,
    landmarks: dict[str, Vec | None],
    foot_length: float,
    thickness_mm: float | None = None,
    envelope: SkinEnvelope | None = None,
) -> SkinSamples:
    """The skin samples :func:`build_shell` needs for ``params``: ``skin`` (local frame)
    cropped above the top edge and with the toe block sized for a wall ``thickness_mm``
    thick (default the design's; a thicker one serves any thinner wall too), or for a
    larger ``envelope`` (several designs' :func:`skin_envelope` joined: one sampling then
    serves them all).

    ``shank_axis``, ``landmarks`` and ``foot_length`` as for :func:`build_shell`.
    """
    needed = skin_envelope(params, thickness_mm)
    envelope = needed if envelope is None else envelope.join(needed)
    ankle = required(landmarks, "ankle_axis_centre")[0]
    skin = crop_skin(skin, envelope.crop_mm)
    toes_from = toe_block_start(landmarks, foot_length)
    inside = shank_axis * (ankle[2] + 0.5 * foot_length) / shank_axis[2]
    sampled = skin_samples(
        skin, inside, SAMPLE_SPACING_MM, foot_length, toes_from, envelope.toe_top_mm,
        envelope.behind_mm,
    )  # fmt: skip
    return replace(sampled, envelope=envelope)


def _serves(sampled: SkinSamples, params: DesignParameters) -> bool:
    """Whether ``sampled`` holds all the skin ``params``'s shell needs."""
    return sampled.envelope is None or sampled.envelope.covers(skin_envelope(params))


def shell_extent(
    sampled: SkinSamples,
    params: DesignParameters,
    shank_axis: Vec,
    landmarks: dict[str, Vec | None],
    every: int = 16,
) -> float:
    """Roughly how much shell ``params`` makes of the skin ``sampled`` (mm³; to rank builds
    by their work): the skin inside its trim lines (one sample in ``every``, each taken to
    stand for SAMPLE_SPACING_MM² of skin) times the depth of the layer the build computes
    there (clearance, wall and three sample spacings). The shell's band of voxels, its
    faces and their checks all grow with it.

    ``shank_axis`` and ``landmarks`` as for :func:`build_shell`.
    """
    ankle, heel = required(landmarks, "ankle_axis_centre", "heel")
    c, t = params.clearance_mm, params.thickness_mm
    points, normals = sampled.points[::every], sampled.normals[::every]
    inside = trim_field(
        points + (c + 0.5 * t) * normals, params, shank_axis, float(ankle[2]), float(heel[1]),
        sampled.toes_from_mm,
    ) <= 0.0  # fmt: skip
    area_mm2 = every * SAMPLE_SPACING_MM**2 * float(np.count_nonzero(inside))
    return area_mm2 * (c + t + 3.0 * SAMPLE_SPACING_MM)


def shell_in_scan(mesh: trimesh.Trimesh, frame: LegFrame) -> trimesh.Trimesh:
    """A shell ``mesh`` built in ``frame``'s local coordinates, in the scan's frame (mm),
    its faces still facing out (a left leg's local frame is a mirror image)."""
    shell = trimesh.Trimesh(frame.to_scan(np.asarray(mesh.vertices)), mesh.faces, process=False)
    if np.linalg.det(frame.rotation) < 0:
        shell.invert()
    return shell


def _smoothed_on_band(values: Vec, index: NDArray[np.int64], sigma: float) -> Vec:
    """``values`` at the band's voxels (``index`` (k, 3)), Gaussian-smoothed over the band
    alone (a normalised convolution: voxels off the band carry no weight), ``sigma`` voxels."""
    lo = index.min(axis=0)
    at = tuple((index - lo).T)
    shape = tuple(index.max(axis=0) - lo + 1)
    total = np.zeros(shape, dtype=np.float32)
    weight = np.zeros(shape, dtype=np.float32)
    total[at], weight[at] = values, 1.0
    # The two filters side by side: ndimage lets go of the interpreter (0.36 -> 0.2 s on
    # a 9M-voxel box, the same values).
    with ThreadPoolExecutor(1) as pool:
        with uninterrupted():  # (the pool's shutdown must not wait for ever)
            smoothed = pool.submit(ndimage.gaussian_filter, total, sigma, truncate=2.0)
        weight = ndimage.gaussian_filter(weight, sigma, truncate=2.0)
        total = smoothed.result()
    return np.asarray(total[at] / weight[at], dtype=np.float64)


def _grid_around(region: Vec, reach: float, bottom: float, h: float) -> _Grid:
    """A grid ``h`` apart covering ``region`` (k, 3) by ``reach`` and down to ``bottom``."""
    lo = np.floor((region.min(axis=0) - reach - 3.0 * h) / h) * h
    hi = np.ceil((region.max(axis=0) + reach + 3.0 * h) / h) * h
    lo[2] = min(lo[2], bottom - 3.0 * h)
    return _Grid(lo, h, np.round((hi - lo) / h).astype(int) + 1)


def _wall_band(
    moved: Vec, normals: Vec, grid: _Grid, clearance_mm: float, thickness_mm: float
) -> NDArray[np.bool_]:
    """Voxels (grid-shaped mask) along the offset layer clearance..clearance + thickness.

    ``moved`` (k, 3) are the skin samples inside the trim's reach, displaced by the
    reliefs, and ``normals`` (k, 3) theirs; the layer is marked a little wider than the
    wall (1.5 voxels each side) in half-voxel steps.
    """
    c, t, h = clearance_mm, thickness_mm, grid.h
    shape = np.asarray(grid.shape, dtype=np.int64)
    band = np.zeros(int(np.prod(shape)), dtype=bool)
    # grid_cells(moved + s * normals, nearest=True) at each step, the same arithmetic, one
    # coordinate at a time in buffers of its own, each voxel marked by its flat index
    # (exact in float64): twice as fast.
    along, out = np.ascontiguousarray(moved.T), np.ascontiguousarray(normals.T)
    cells = np.empty_like(along)
    flat = np.empty(len(moved))
    strides = (float(shape[1] * shape[2]), float(shape[2]), 1.0)
    for s in np.arange(max(c - 1.5 * h, 0.0), c + t + 1.5 * h, 0.5 * h):
        for k in range(3):
            np.multiply(out[k], s, out=cells[k])
            cells[k] += along[k]
            cells[k] -= grid.origin[k]
            cells[k] /= h
        np.rint(cells, out=cells)
        np.multiply(cells[0], strides[0], out=flat)
        flat += cells[1] * strides[1]
        flat += cells[2]
        inside = None
        if cells.min() < 0.0 or (cells.max(axis=1) > shape - 1).any():  # (the grid holds all)
            inside = np.all((cells >= 0.0) & (cells <= (shape - 1)[:, None]), axis=0)
        band[(flat if inside is None else flat[inside]).astype(np.int64)] = True
    return band.reshape(tuple(shape))


def _signed_distance(
    points: Vec, moved: Vec, normals: Vec, floor: SoleFloor, bound: float
) -> tuple[Vec, NDArray[np.int64]]:
    """Signed distance (k,) mm from ``points`` (k, 3) to the skin, and each one's sample.

    The distance to the nearest of the (relief-displaced) skin samples ``moved``,
    signed by that sample's outward normal (of ``normals``); < 0 inside the leg. Beyond
    ``bound`` no voxel can be in the wall: such a point is ``±bound`` (outside when it
    lies under the foot's underside, by ``floor``, else inside) and has sample -1.
    """
    # pykdtree builds its tree in a third of the time scipy's takes and answers in two
    # thirds (600k voxels, 780k samples, two cores: 0.7 s, not 1.1 s), the same nearest
    # samples. A bounded search is many times faster for the voxels deep inside the foot
    # or the plate.
    # Samples and voxels both in a spatial order (spatial_order): the same nearest samples,
    # found faster. A search that comes back empty reports the sample count as its index.
    by_place, asked = spatial_order(moved, ORDER_CELL_MM), spatial_order(points, ORDER_CELL_MM)
    tree = KDTree(np.ascontiguousarray(moved[by_place], dtype=np.float64), leafsize=16)
    found, index = tree.query(
        np.ascontiguousarray(points[asked], dtype=np.float64), k=1, distance_upper_bound=bound
    )
    dist = np.empty(len(points))
    dist[asked] = found
    nearest = np.empty(len(points), dtype=np.int64)
    nearest[asked] = by_place[np.minimum(index.astype(np.int64), len(moved) - 1)]
    far = ~np.isfinite(dist)
    nearest[far] = 0
    sign = np.sign(np.einsum("ij,ij->i", points - moved[nearest], normals[nearest]))
    sign = np.where(sign == 0, 1.0, sign)
    below = floor.below(points)
    sign[below] = 1.0
    distance = np.where(far, np.where(below, bound, -bound), dist * sign)
    return distance, np.where(far, -1, nearest)


def build_shell(
    skin: trimesh.Trimesh,
    params: DesignParameters,
    shank_axis: Vec,
    landmarks: dict[str, Vec | None],
    foot_length: float,
    voxel_mm: float = 1.0,
    skin_sampled: SkinSamples | None = None,
) -> ShellGeometry:
    """Build the shell around a leg given in its local frame.

    The stages: the skin, cropped above the trim line (:func:`crop_skin`), sampled
    with its sole closed and its toes made one block (:func:`skin_samples`); a grid
    around the skin within the trim's reach, and a narrow band of voxels on it along
    the wall and under the foot (the footplate, :func:`~afofit.geometry.plate.plate_maps`);
    the signed distance to the relief-displaced skin in the band; the wall, united
    with the plate (:func:`~afofit.geometry.plate.plate_field`), cut by the trim lines
    (:func:`~afofit.geometry.trimline.trim_field`, smoothed over the band) with rounded
    edges; the field on the grid, cleaned (:func:`~afofit.geometry.meshing.field_on_grid`);
    its zero level meshed (:func:`~afofit.geometry.meshing.mesh_level_set`).

    Parameters
    ----------
    skin : the leg's surface, local coordinates (x lateral, y anterior, z up), mm.
    params : the resolved design.
    shank_axis : (3,) unit direction of the shank axis, local; it passes through the origin.
    landmarks : name → (3,) local point (ankle_axis_centre, heel, mtp1 and mtp5 are used).
    foot_length : mm.
    voxel_mm : grid spacing; 1 mm keeps a 2.5 mm wall well resolved.
    skin_sampled : the skin's samples (:func:`sample_skin`) when already taken, as a
        search over the thickness takes them once, for its thickest wall.

    Raises
    ------
    FitError
        The trim leaves no shell, or the result is not one solid.
    LandmarkError
        The ankle centre or the heel is missing.
    """
    c, t, h = params.clearance_mm, params.thickness_mm, voxel_mm
    ankle, heel = required(landmarks, "ankle_axis_centre", "heel")
    ankle_z, heel_y = float(ankle[2]), float(heel[1])
    reach = c + t + params.max_relief_mm
    if skin_sampled is None or not _serves(skin_sampled, params):
        skin_sampled = sample_skin(skin, params, shank_axis, landmarks, foot_length)
    samples, normals, floor = skin_sampled.points, skin_sampled.normals, skin_sampled.floor
    open_sole, toes_from = skin_sampled.open_sole, skin_sampled.toes_from_mm
    # Only skin whose offset layer lies within the trim lines needs a band.
    mid = samples + (c + 0.5 * t) * normals
    near_trim = trim_field(mid, params, shank_axis, ankle_z, heel_y, toes_from)
    keep = near_trim <= reach + params.edge_radius_mm + 2.0 * h
    if not keep.any():
        raise FitError("the trim leaves no shell: no skin lies inside the trim lines.")
    # The flat plantar plane lies a clearance and a wall below the lowest
    # plantar skin (z = 0 is the sole's supporting plane, but a scan's sole
    # can sag a little below it where the foot pressed on the floor).
    plantar = (samples[:, 2] < PLATE_FILL_MM) & (normals[:, 2] < -0.5)
    base = min(0.0, float(samples[plantar, 2].min())) if plantar.any() else 0.0
    bottom = base - (c + t)
    grid = _grid_around(samples[keep], reach, bottom, h)
    # Reliefs displace the skin itself outward (smooth bumps over the bony
    # prominences); the wall is then an exact offset of the displaced skin,
    # so it keeps its thickness over a bump as everywhere else.
    moved = samples + _relief(samples, params)[:, None] * normals
    band = _wall_band(moved[keep], normals[keep], grid, c, t)
    plantar_points, rim = samples[plantar], floor.rim
    toes = skin_sampled.toes
    if toes is not None:
        # The toes' own skin as well as their block: a wall round it, a plate under it.
        band |= _wall_band(toes.points, toes.normals, grid, c, t)
        under_toes = (toes.points[:, 2] < PLATE_FILL_MM) & (toes.normals[:, 2] < -0.5)
        plantar_points = np.vstack([plantar_points, toes.points[under_toes]])
        rim = np.vstack([rim, toes.rim])
    maps = plate_maps(plantar_points, rim, grid.origin, h, grid.shape, base, c, t)
    gz = grid.origin[2] + h * np.arange(grid.shape[2])
    band |= (gz[None, None, :] >= bottom - 2.0 * h) & (
        gz[None, None, :] <= maps.fill_top[:, :, None]
    )
    idx = np.argwhere(ndimage.binary_dilation(band, iterations=1))
    p = grid.centres(idx)
    log.debug("shell band: %d voxels of %d, %d skin samples", len(idx), band.size, len(samples))
    d, band_sample = _signed_distance(p, moved, normals, floor, reach + 3.0 * h)
    if toes is not None and toes_from is not None:
        # The block stands in for the toes, but the toes' own skin can reach out of it
        # (where its sides round in at the bottom): the shell clears the union of the
        # two, whose distance outside is the nearer of the two distances.
        ahead = p[:, 1] > min(toes.from_y_mm + reach + 3.0 * h, toes_from)
        d_toes, seen = _signed_distance(p[ahead], toes.points, toes.normals, floor, reach + 3.0 * h)
        d[ahead] = np.minimum(d[ahead], np.where(seen >= 0, d_toes, np.inf))
    outer = d - (c + t)
    if params.label is not None:  # engraved: the outer surface sinks under the letters
        place = LabelPlacement(shank_axis, params.label_centre_mm, params.label_mirrored)
        outer = outer + label_depth(p, params.label, place)
    wall = np.maximum(c - d, outer)
    solid = np.minimum(wall, plate_field(p, maps, grid.origin, h, bottom, c, d))
    # Each voxel's trim is judged at the skin under it (see trim_judged_at), then
    # smoothed over the band (TRIM_SMOOTHING_VOXELS).
    judged = trim_judged_at(p, samples, band_sample, toes_from)
    trim = trim_field(judged, params, shank_axis, ankle_z, heel_y, toes_from, slots=False)
    trim = np.maximum(
        _smoothed_on_band(trim, idx, TRIM_SMOOTHING_VOXELS),
        strap_slot_field(judged, params, shank_axis, ankle_z),
    )
    value = smooth_max(solid, trim, params.edge_radius_mm)
    field = field_on_grid(value, idx, grid.shape, h)
    mesh, removed = mesh_level_set(field, grid.origin, h)
    band_flat = np.asarray(np.ravel_multi_index(idx.T, grid.shape), dtype=np.int64)
    return ShellGeometry(
        mesh=mesh, voxel_mm=h, samples=samples, normals=normals, open_sole=open_sole,
        removed_pieces=removed, toes_from_mm=toes_from, grid_origin=grid.origin,
        grid_shape=(int(grid.shape[0]), int(grid.shape[1]), int(grid.shape[2])),
        band=band_flat, band_sample=band_sample, band_field=field.reshape(-1)[band_flat],
    )  # fmt: skip
