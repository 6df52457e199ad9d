"""Read a scan file and turn it into clean limb meshes in millimetres.

The only module that reads scan files. It reads binary and ASCII STL, PLY and
OBJ, cleans the surface (merge vertices, drop degenerate and duplicate faces,
keep the limb-sized components) and reports what it did. Units are decided
later, from anatomy (see :func:`afofit.geometry.frames.detect_units`), because a
bare mesh file does not say.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import numpy as np
import trimesh
from numpy.typing import NDArray

from afofit.errors import LandmarkError, ScanError
from afofit.geometry.polygons import triangulate_polygons
from afofit.geometry.topology import compact_mesh, face_components
from afofit.objfile import read_obj
from afofit.threads import SpareCore, separate_process

__all__ = [
    "SUPPORTED_SUFFIXES",
    "LandmarkOverrides",
    "RawScan",
    "file_sha256",
    "load_landmarks",
    "load_scan",
    "split_limbs",
]

log = logging.getLogger(__name__)

SUPPORTED_SUFFIXES = (".stl", ".ply", ".obj")

#: A component smaller than this fraction of the largest one's area is debris
#: (a stray scan fragment, a marker, the floor's edge), not a limb.
LIMB_AREA_FRACTION = 0.25
#: A scan with more faces than :data:`MAX_SCAN_FACES` is simplified to
#: :data:`SIMPLIFIED_FACES` on reading (:func:`simplified`): a 2M-face scanner mesh has
#: 0.4 mm edges, and the shell is built on a 1.25 mm grid from skin samples 0.6 mm apart;
#: 400k faces of a lower leg are edges of about 1 mm.
MAX_SCAN_FACES, SIMPLIFIED_FACES = 500_000, 400_000

#: About how many bytes a face takes in a scan file (binary STL 50; binary PLY about 19
#: with its vertices; OBJ text 30 or more): a file's size guesses whether it is dense.
BYTES_PER_FACE = {".stl": 50, ".ply": 19, ".obj": 30}
#: Taubin iterations before a dense scan is simplified (:func:`simplified`).
PRE_SIMPLIFY_SMOOTHING = 3
#: fast-simplification's aggressiveness (0-10; its default 7): 9 decimates a 2M-face
#: phantom to 400k in 3.2 s, not 3.9 s, the result within 0.14 mm of the original at the
#: 99th percentile, not 0.13 mm (median 0.03 mm either way).
SIMPLIFY_AGGRESSION = 9


@dataclass(frozen=True, slots=True)
class RawScan:
    """A scan as read from disk, cleaned, still in the file's own units.

    Attributes
    ----------
    path : the file read.
    sha256 : hex digest of the file's bytes.
    vertices : (n, 3) float64, file units.
    faces : (m, 3) int64, indices into ``vertices``.
    faces_in_file : face count before cleaning.
    warnings : what cleaning changed, for the user.
    """

    path: Path
    sha256: str
    vertices: NDArray[np.float64]
    faces: NDArray[np.int64]
    faces_in_file: int
    warnings: tuple[str, ...] = field(default=())


def file_sha256(path: Path) -> str:
    """Hex SHA-256 digest of the bytes of the file ``path`` (read in 1 MiB blocks)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


#: The first word of the lines of an OBJ file.
_OBJ_KEYWORDS = frozenset(
    {b"v", b"vn", b"vt", b"vp", b"f", b"l", b"p", b"o", b"g", b"s", b"mtllib", b"usemtl"}
)


#: How much of a file's start is read to tell its format, bytes.
HEAD_BYTES = 1 << 16


def _looks_like_obj(head: bytes) -> bool:
    """Whether ``head`` (a file's first bytes) reads as OBJ text: every complete line a
    comment, blank, or one of OBJ's statements, and at least one vertex."""
    lines = head.split(b"\n")[:-1] if len(head) == HEAD_BYTES else head.split(b"\n")
    words = [line.split(maxsplit=1)[0] for line in lines if line.strip()]
    statements = [w for w in words if not w.startswith(b"#")]
    return b"v" in statements and all(w in _OBJ_KEYWORDS for w in statements)


def _content_type(path: Path) -> tuple[str, list[str]]:
    """The mesh format ``path`` holds, read from its first bytes (the name can be wrong),
    and a note when it differs from the name's.

    Raises
    ------
    ScanError
        A binary STL whose triangle count disagrees with its length (truncated or corrupt).
    """
    named = path.suffix.lower().lstrip(".")
    with path.open("rb") as handle:
        head = handle.read(HEAD_BYTES)
    size = path.stat().st_size
    count = int(np.frombuffer(head[80:84], dtype="<u4")[0]) if len(head) >= 84 else -1
    if head.startswith(b"ply"):
        found = "ply"
        if b"end_header" not in head:
            raise ScanError(
                f"{path.name}: a PLY file whose header never ends (no 'end_header'): it is "
                "truncated or corrupt. Export the scan again."
            )
    elif head.lstrip().startswith(b"solid") and b"facet" in head:
        found = "stl"  # ASCII STL
    elif _looks_like_obj(head):
        found = "obj"
    elif 84 + 50 * count == size:
        found = "stl"  # binary STL: its triangle count fits its length
    elif named == "stl" and size >= 84:
        raise ScanError(
            f"{path.name}: a binary STL whose header says {count} triangles "
            f"({84 + 50 * count} bytes) but the file has {size} bytes: it is truncated "
            "or corrupt. Export the scan again."
        )
    else:
        found = named
    notes = []
    if found != named:
        notes.append(f"the file is named .{named} but holds {found.upper()}: read as such")
    return found, notes


def _read_mesh(path: Path) -> tuple[NDArray[np.float64], NDArray[np.int64], list[str]]:
    """Read one mesh's vertices and faces (a multi-body file is concatenated) without
    processing them, in the format its content shows; with notes on what was odd about
    the file. STL and PLY go straight to trimesh's readers (a whole ``trimesh.load``
    copies a 2M-face scan twice over, 2 s of 2.3)."""
    kind, notes = _content_type(path)
    if kind == "obj":
        vertices, faces = read_obj(path)
        return np.asarray(vertices, dtype=np.float64), np.asarray(faces, dtype=np.int64), notes
    reader = trimesh.exchange.stl.load_stl if kind == "stl" else trimesh.exchange.ply.load_ply
    try:
        with path.open("rb") as handle:
            loaded = reader(handle)
    except IndexError as exc:
        raise ScanError(
            f"{path.name}: its faces point at vertices the file does not have ({exc}); the "
            "file is truncated or corrupt. Export the scan again."
        ) from exc
    except Exception as exc:  # trimesh raises many types for a corrupt file
        raise ScanError(
            f"{path.name}: could not be read as a {kind.upper()} mesh "
            f"({type(exc).__name__}: {exc}). Re-export it from the scanner software "
            "as binary STL, PLY or OBJ."
        ) from exc
    parts = list(loaded["geometry"].values()) if "geometry" in loaded else [loaded]
    vertex_parts, face_parts, offset = [], [], 0
    for part in parts:
        vertices = np.asarray(part.get("vertices", np.zeros((0, 3))), dtype=np.float64)
        given = part.get("faces")
        faces = np.zeros((0, 3), np.int64) if given is None else np.asarray(given, np.int64)
        if faces.ndim != 2 or (len(faces) and faces.shape[1] < 3):
            raise ScanError(
                f"{path.name}: holds polygons that are not triangles. Export the scan as a "
                "triangle mesh."
            )
        if len(faces) and (int(faces.max()) >= len(vertices) or int(faces.min()) < 0):
            raise ScanError(
                f"{path.name}: its faces point at vertices the file does not have; the file "
                "is truncated or corrupt. Export the scan again."
            )
        if faces.shape[1] > 3:  # quads or n-gons, as OBJ's: a convex one fanned, else ears
            faces = triangulate_polygons(vertices, faces.tolist())
        vertex_parts.append(vertices.reshape(-1, 3))
        face_parts.append(faces.reshape(-1, 3) + offset)
        offset += len(vertices)
    if not vertex_parts:  # a file with no solid in it
        return np.zeros((0, 3)), np.zeros((0, 3), dtype=np.int64), notes
    return np.concatenate(vertex_parts), np.concatenate(face_parts), notes


def _merge_vertices(
    vertices: NDArray[np.float64], faces: NDArray[np.int64]
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Merge exactly coincident vertices (STL stores each triangle's corners apart).

    Vertices are sorted by one 64-bit key mixed from their three coordinates' bits (a
    single argsort: 3 x faster than a three-column lexsort on a 2M-face scan); vertices
    with equal keys are then compared whole, so a collision of keys merges nothing."""
    if len(vertices) == 0:
        return vertices, faces
    exact = np.ascontiguousarray(vertices + 0.0)  # -0.0 becomes 0.0: equal values, equal bits
    bits = exact.view(np.uint64).reshape(-1, 3)
    key = bits[:, 0] * np.uint64(0x9E3779B97F4A7C15)
    key ^= bits[:, 1] * np.uint64(0xC2B2AE3D27D4EB4F) + (key >> np.uint64(29))
    key ^= bits[:, 2] * np.uint64(0x165667B19E3779F9) + (key >> np.uint64(31))
    order = np.argsort(key, kind="stable")
    ordered_key, ordered = key[order], exact[order]
    same_key = ordered_key[1:] == ordered_key[:-1]
    same_point = np.all(ordered[1:] == ordered[:-1], axis=1)
    if np.any(same_key & ~same_point):  # keys collided: sort by the coordinates themselves
        order = np.lexsort(exact.T[::-1])
        ordered = exact[order]
        same_point = np.all(ordered[1:] == ordered[:-1], axis=1)
    new = np.empty(len(order), dtype=bool)
    new[0] = True
    new[1:] = ~same_point
    group = np.cumsum(new) - 1
    # The merged vertices in coordinate order (x, then y, then z), as a lexsort of all the
    # corners gives them, at a sixth of its cost: the same scan, the same vertex numbers.
    unique = ordered[new]
    by_coordinate = np.lexsort(unique.T[::-1])
    rank = np.empty(len(unique), dtype=np.int64)
    rank[by_coordinate] = np.arange(len(unique))
    inverse = np.empty(len(order), dtype=np.int64)
    inverse[order] = rank[group]
    return unique[by_coordinate], inverse[faces]


def _drop_bad_faces(faces: NDArray[np.int64], vertices: NDArray[np.float64]) -> NDArray[np.bool_]:
    """Mask of faces to keep: not degenerate (repeated index or zero area), not duplicated."""
    repeated = (
        (faces[:, 0] == faces[:, 1]) | (faces[:, 1] == faces[:, 2]) | (faces[:, 0] == faces[:, 2])
    )
    tri = vertices[faces]
    area2 = np.linalg.norm(np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]), axis=1)
    scale = float(np.ptp(vertices, axis=0).max()) if len(vertices) else 1.0
    zero_area = area2 <= (1e-12 * scale * scale)
    keep = ~(repeated | zero_area)
    # Duplicates: the same three vertices in any order.
    ordered = np.sort(faces, axis=1).astype(np.int64)
    if len(vertices) < (1 << 21):  # pack three 21-bit indices into one int64 key
        key = (ordered[:, 0] << 42) | (ordered[:, 1] << 21) | ordered[:, 2]
        _, first = np.unique(key, return_index=True)
    else:
        _, first = np.unique(ordered, axis=0, return_index=True)
    unique_mask = np.zeros(len(faces), dtype=bool)
    unique_mask[first] = True
    return keep & unique_mask


def load_scan(path: Path | str) -> RawScan:
    """Read and clean a lower-leg scan.

    Parameters
    ----------
    path : an STL (binary or ASCII), PLY or OBJ file.

    Returns
    -------
    RawScan, in the file's own units.

    Raises
    ------
    ScanError
        The file is missing, empty, of an unsupported type, corrupt, or holds no faces.
    """
    path = Path(path)
    if not path.exists():
        raise ScanError(f"{path}: no such file. Check the path.")
    if path.is_dir():
        raise ScanError(f"{path}: is a folder; give the scan file itself.")
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        raise ScanError(
            f"{path.name}: unsupported file type '{path.suffix}'. "
            "afofit reads STL, PLY and OBJ; export the scan in one of these."
        )
    if path.stat().st_size == 0:
        raise ScanError(f"{path.name}: the file is empty (0 bytes). Export the scan again.")
    # fast-simplification keeps its working memory (half a gigabyte for a 2M-face scan) for
    # the life of its process: a dense scan is decimated in a process of its own, a copy of
    # this one made before the file is read (the file's size says whether it is dense).
    # It links OpenMP but runs no parallel loop, so a copy may call it.
    faces_guess = path.stat().st_size / BYTES_PER_FACE.get(path.suffix.lower(), 50)
    with separate_process(faces_guess > MAX_SCAN_FACES, start="fork") as own:
        return _cleaned(path, own)


def _cleaned(path: Path, own: SpareCore) -> RawScan:
    """:func:`load_scan`'s reading and cleaning; a dense scan is decimated by ``own``."""
    vertices, faces, notes = _read_mesh(path)
    faces_in_file = len(faces)
    if faces_in_file == 0 or len(vertices) < 3:
        raise ScanError(
            f"{path.name}: holds no triangles (a point cloud, an empty mesh or a damaged file). "
            "afofit needs a triangulated surface; mesh the scan in the scanner software."
        )
    if not np.isfinite(vertices).all():
        raise ScanError(f"{path.name}: has vertices that are NaN or infinite; the file is corrupt.")
    warnings: list[str] = list(notes)
    vertices, faces = _merge_vertices(vertices, faces)
    keep = _drop_bad_faces(faces, vertices)
    dropped = int((~keep).sum())
    if dropped:
        warnings.append(f"dropped {dropped} degenerate or duplicate faces")
    faces = faces[keep]
    if len(faces) == 0:
        raise ScanError(f"{path.name}: every triangle is degenerate; the file is corrupt.")
    if len(faces) > MAX_SCAN_FACES:
        before = len(faces)
        vertices, faces = own.submit(simplified, vertices, faces, SIMPLIFIED_FACES).result()
        warnings.append(
            f"simplified the scan from {before} to {len(faces)} faces (quadric decimation; "
            "the shell is built on a 1.25 mm grid, which a finer skin does not change)"
        )
    vertices, faces = compact_mesh(vertices, np.asarray(faces, np.int64))
    return RawScan(
        path=path,
        sha256=file_sha256(path),
        vertices=vertices,
        faces=faces,
        faces_in_file=faces_in_file,
        warnings=tuple(warnings),
    )


def simplified(
    vertices: NDArray[np.float64], faces: NDArray[np.int64], target_faces: int
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """The mesh (``vertices``, ``faces``) decimated to about ``target_faces`` faces by
    quadric error (Garland and Heckbert 1997; the fast-simplification library), its
    degenerate and repeated faces dropped. Deterministic: the same mesh gives the same
    result."""
    import fast_simplification

    # Scanner noise at 0.4 mm edges folds the surface, and quadric collapses across
    # folds leave edges shared by three faces: a light Taubin smoothing first (it keeps
    # the volume; the shell's skin is smoothed more than this anyway).
    mesh = trimesh.Trimesh(vertices, faces, process=False)
    trimesh.smoothing.filter_taubin(mesh, iterations=PRE_SIMPLIFY_SMOOTHING)
    points, triangles = fast_simplification.simplify(
        np.asarray(mesh.vertices), faces, target_count=target_faces, agg=SIMPLIFY_AGGRESSION
    )
    points = np.asarray(points, dtype=np.float64)
    triangles = np.asarray(triangles, dtype=np.int64)
    triangles = triangles[_drop_bad_faces(triangles, points)]
    # Collapses can leave an edge shared by three or more faces: drop those faces (the
    # small holes they leave are filled like the scan's own).
    edges = np.sort(triangles[:, [0, 1, 1, 2, 2, 0]].reshape(-1, 2), axis=1)
    key = edges[:, 0] * np.int64(len(points)) + edges[:, 1]
    _, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
    crowded = (counts[inverse] > 2).reshape(-1, 3).any(axis=1)
    return points, triangles[~crowded]


def split_limbs(
    vertices: NDArray[np.float64], faces: NDArray[np.int64]
) -> tuple[list[trimesh.Trimesh], int]:
    """Split a scan into limb-sized connected components, largest first.

    Returns
    -------
    limbs : the components whose area is at least ``LIMB_AREA_FRACTION`` of the
        largest one's, as meshes (vertices as given, not re-merged).
    debris_faces : how many faces were left out as debris.
    """
    mesh = trimesh.Trimesh(vertices, faces, process=False, validate=False)
    labels = face_components(faces, len(vertices))
    areas = np.bincount(labels, weights=mesh.area_faces)
    order = np.argsort(-areas, kind="stable")
    limbs = [int(c) for c in order if areas[c] >= LIMB_AREA_FRACTION * areas[order[0]]]
    keep = np.isin(labels, limbs)
    if len(limbs) == 1 and keep.all():
        return [mesh], 0
    parts = []
    for label in limbs:
        mask = labels == label
        # append=True gives one mesh
        sub = cast(trimesh.Trimesh, mesh.submesh([np.flatnonzero(mask)], append=True, repair=False))
        parts.append(sub)
    return parts, int((~keep).sum())


#: Other names a landmark file may use for afofit's landmarks (lower case,
#: spaces and hyphens read as underscores).
LANDMARK_ALIASES: dict[str, str] = {
    "lm": "lateral_malleolus",
    "lat_malleolus": "lateral_malleolus",
    "mm": "medial_malleolus",
    "med_malleolus": "medial_malleolus",
    "ankle_centre": "ankle_axis_centre",
    "ankle_center": "ankle_axis_centre",
    "ankle_joint_centre": "ankle_axis_centre",
    "ankle_axis_center": "ankle_axis_centre",
    "heel_posterior": "heel",
    "calcaneus": "heel",
    "mtp1_joint": "mtp1",
    "first_metatarsal_head": "mtp1",
    "mth1": "mtp1",
    "mtp5_joint": "mtp5",
    "fifth_metatarsal_head": "mtp5",
    "mth5": "mtp5",
    "toe": "toe_tip",
    "knee": "knee_centre",
    "knee_center": "knee_centre",
    "knee_joint_centre": "knee_centre",
    "fibula_head": "fibular_head",
}


@dataclass(frozen=True, slots=True)
class LandmarkOverrides:
    """Landmarks a user gives to replace detected ones.

    Attributes
    ----------
    points : name → (3,) point in the scan's frame.
    in_file_units : True for MeshLab picked points (the scan file's own
        units), False for JSON (mm, like ``afofit scan --json``).
    side : the leg these belong to, when the file says.
    file : the landmark file's name, for messages.
    """

    points: dict[str, NDArray[np.float64]]
    in_file_units: bool
    side: str | None = None
    file: str = "the landmark file"


def _canonical_landmark(name: str, path: Path) -> str:
    from afofit.geometry.landmarks import LANDMARK_NAMES

    key = name.strip().lower().replace(" ", "_").replace("-", "_")
    key = LANDMARK_ALIASES.get(key, key)
    if key not in LANDMARK_NAMES:
        raise LandmarkError(
            f"{path.name}: unknown landmark '{name}'. Use one of: {', '.join(LANDMARK_NAMES)}."
        )
    return key


def _as_point(value: object, name: str, path: Path) -> NDArray[np.float64]:
    if not isinstance(value, list | tuple) or any(isinstance(v, bool) for v in value):
        raise LandmarkError(
            f"{path.name}: landmark '{name}' must be three numbers [x, y, z]; got {value!r}."
        )
    try:
        point = np.asarray(value, dtype=np.float64).reshape(3)
    except (TypeError, ValueError) as exc:
        raise LandmarkError(
            f"{path.name}: landmark '{name}' must be three numbers [x, y, z]; got {value!r}."
        ) from exc
    if not np.isfinite(point).all():
        raise LandmarkError(f"{path.name}: landmark '{name}' has a non-finite coordinate.")
    return point


def _read_pp(path: Path) -> dict[str, object]:
    """MeshLab picked points: <point x= y= z= name= active=/> elements."""
    import xml.etree.ElementTree as ET

    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as exc:
        raise LandmarkError(f"{path.name}: not a MeshLab .pp file ({exc}).") from exc
    found: dict[str, object] = {}
    for element in root.iter("point"):
        if element.get("active", "1") in ("0", "false"):
            continue
        name = element.get("name")
        if name is None:
            raise LandmarkError(f"{path.name}: a <point> has no name; name every picked point.")
        missing = [axis for axis in "xyz" if element.get(axis) is None]
        if missing:
            raise LandmarkError(
                f"{path.name}: the picked point '{name}' has no {' or '.join(missing)} "
                "attribute; pick it again in MeshLab."
            )
        found[name] = [element.get("x"), element.get("y"), element.get("z")]
    if not found:
        raise LandmarkError(f"{path.name}: holds no active picked points.")
    return found


def load_landmarks(path: Path | str) -> LandmarkOverrides:
    """Read landmark overrides from ``path``: JSON or a MeshLab ``.pp`` picked-points file.

    JSON may be a flat object ``{"lateral_malleolus": [x, y, z], ...}`` in mm
    in the scan's frame, an object with a ``landmarks_mm`` member, or the
    output of ``afofit scan --json`` for a one-leg scan. A ``.pp`` file is in
    the scan file's own units.

    Raises
    ------
    LandmarkError
        Unreadable file, unknown landmark name or a bad point.
    """
    path = Path(path)
    if path.is_dir():
        raise LandmarkError(f"{path}: is a folder; give the landmark file itself (JSON or .pp).")
    if not path.is_file():
        raise LandmarkError(f"{path}: no such landmark file.")
    side: str | None = None
    if path.suffix.lower() == ".pp":
        raw = _read_pp(path)
        in_file_units = True
    else:
        import json

        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise LandmarkError(f"{path.name}: not valid JSON ({exc}).") from exc
        if isinstance(data, dict) and isinstance(data.get("legs"), list):
            if len(data["legs"]) != 1:
                raise LandmarkError(
                    f"{path.name}: holds {len(data['legs'])} legs; keep the one to use."
                )
            side = data["legs"][0].get("side")
            data = data["legs"][0]
        if isinstance(data, dict) and "landmarks_mm" in data:
            if not isinstance(data["landmarks_mm"], dict):
                raise LandmarkError(
                    f'{path.name}: "landmarks_mm" must be an object of landmark names to '
                    "[x, y, z] in mm."
                )
            side = data.get("side", side)
            data = data["landmarks_mm"]
        elif isinstance(data, dict) and "side" in data:
            data = dict(data)
            side = data.pop("side")
        if not isinstance(data, dict):
            raise LandmarkError(
                f"{path.name}: expected an object of landmark names to [x, y, z] in mm."
            )
        raw = {k: v for k, v in data.items() if v is not None}
        in_file_units = False
    if side is not None and side not in ("left", "right"):
        raise LandmarkError(f'{path.name}: "side" is {side!r}; use "left" or "right".')
    points = {_canonical_landmark(k, path): _as_point(v, k, path) for k, v in raw.items()}
    if not points:
        raise LandmarkError(
            f'{path.name}: names no landmark; give at least one, as {{"heel": [x, y, z]}} in mm.'
        )
    return LandmarkOverrides(points, in_file_units, side, path.name)
