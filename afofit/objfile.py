"""Reading a Wavefront OBJ surface: its vertices and its faces as triangles.

Only geometry is read (``v`` and ``f`` lines; texture and normal references after a
slash are dropped). Quads and n-gons are triangulated so the triangles cover each
polygon exactly (:func:`afofit.geometry.polygons.triangulate_polygons`). Indices are
1-based, or negative counting back from the last vertex read so far; a 0, an index past
the vertices, a face with no vertex index, or a vertex that is not three numbers is an
error naming the line.

The common file (triangles, positive indices) is read in a few vectorised passes; any
other takes a line-by-line path that knows each line's number for its message.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from afofit.errors import ScanError
from afofit.geometry.polygons import triangulate_polygons

__all__ = ["read_obj"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: A reference's texture and normal parts: "/2/3", "//3", "/2".
_AFTER_SLASH = re.compile(rb"/\S*")


def _broken(path: Path, line: int, what: str) -> ScanError:
    return ScanError(
        f"{path.name}: line {line}: {what}; the file is corrupt or not an OBJ mesh. Export "
        "the scan again as OBJ, STL or PLY."
    )


def _numbers(text: bytes, count: int, dtype: type) -> NDArray[np.generic] | None:
    """``count`` numbers of whitespace-separated ``text``, or None if it holds other than that."""
    try:
        values: NDArray[np.generic] = np.array(text.split(), dtype=dtype)
    except ValueError:
        return None
    return values if values.size == count else None


def _fast(lines: list[bytes]) -> tuple[FloatArray, IntArray] | None:
    """Vertices and triangles of a file of three-number vertices and positive-index triangles."""
    if any(line[:2] in (b"v\t", b"f\t") or line[:1] in (b" ", b"\t") for line in lines):
        return None  # tabs or indented lines: the careful path
    vertex_lines = [line[2:] for line in lines if line.startswith(b"v ")]
    face_lines = [line[2:] for line in lines if line.startswith(b"f ")]
    vertices = _numbers(b" ".join(vertex_lines), 3 * len(vertex_lines), np.float64)
    if vertices is None or not all(len(line.split()) == 3 for line in face_lines):
        return None
    refs = _numbers(_AFTER_SLASH.sub(b"", b" ".join(face_lines)), 3 * len(face_lines), np.int64)
    if refs is None or (len(refs) and (refs.min() < 1 or refs.max() > len(vertex_lines))):
        return None
    return vertices.reshape(-1, 3).astype(np.float64), refs.reshape(-1, 3).astype(np.int64) - 1


def _slow(path: Path, lines: list[bytes]) -> tuple[FloatArray, IntArray]:
    """Any OBJ, line by line: polygons, relative indices, and a message naming a bad line."""
    points: list[list[float]] = []
    polygons: list[list[int]] = []
    for number, line in enumerate(lines, start=1):
        if line.startswith((b"v ", b"v\t")):
            try:
                points.append([float(v) for v in line.split()[1:4]])
            except ValueError:
                points.append([])
            if len(points[-1]) != 3:
                raise _broken(path, number, f"'{line.decode(errors='replace')}' is not x y z")
        elif line.startswith((b"f ", b"f\t")):
            count, polygon = len(points), []
            for token in line.split()[1:]:
                try:
                    ref = int(token.split(b"/", 1)[0])
                except ValueError:
                    what = f"the face names no vertex in '{token.decode(errors='replace')}'"
                    raise _broken(path, number, what) from None
                index = ref - 1 if ref > 0 else count + ref
                if ref == 0 or not 0 <= index < count:
                    raise _broken(
                        path, number,
                        f"the face points at vertex {ref}, which the file does not have before "
                        f"it ({count} vertices; OBJ counts from 1)",
                    )  # fmt: skip
                polygon.append(index)
            if len(polygon) < 3:
                raise _broken(path, number, f"a face of {len(polygon)} vertices")
            polygons.append(polygon)
    vertices = np.array(points, dtype=np.float64).reshape(-1, 3)
    return vertices, triangulate_polygons(vertices, polygons)


def read_obj(path: Path) -> tuple[FloatArray, IntArray]:
    """The vertices (v, 3) and triangles (t, 3) of the OBJ file ``path``, in its own units.

    Raises
    ------
    ScanError
        A line the file cannot mean (named with its number and what is wrong).
    """
    lines = path.read_bytes().splitlines()
    return _fast(lines) or _slow(path, [line.strip() for line in lines])
