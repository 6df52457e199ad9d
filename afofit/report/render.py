"""Pictures of the shell on the leg: shaded orthographic views, z-buffered in numpy and laid
out with Pillow (:mod:`afofit.report.canvas`); no screen needed."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import matplotlib.colors
import numpy as np
import trimesh
from numpy.typing import NDArray
from PIL import Image, ImageDraw
from scipy import ndimage

from afofit.geometry.label import (
    LABEL_HEIGHT_MM,
    LabelPlacement,
    label_coordinates,
    label_direction,
)
from afofit.geometry.topology import vertex_sums
from afofit.kept import Kept
from afofit.report.canvas import (
    LABEL_PX,
    MARGIN_PX,
    Placed,
    colour_bar,
    font,
    grid,
    labelled_point,
    png_bytes,
    scale_bar,
    tile,
)

__all__ = [
    "VIEWS",
    "Marks",
    "MeshArrays",
    "keep_column",
    "render_side_by_side",
    "render_views",
    "render_views_of",
    "side_by_side_column",
]

Vec = NDArray[np.float64]

#: View name → (right-of-screen axis, up-of-screen axis, towards-viewer axis) in
#: the leg's local frame (x lateral, y anterior, z up).
VIEWS: dict[str, tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]] = {
    "lateral": (np.array([0.0, 1.0, 0.0]), np.array([0.0, 0.0, 1.0]), np.array([1.0, 0.0, 0.0])),
    "posterior": (np.array([1.0, 0.0, 0.0]), np.array([0.0, 0.0, 1.0]), np.array([0.0, -1.0, 0.0])),
    "medial": (np.array([0.0, -1.0, 0.0]), np.array([0.0, 0.0, 1.0]), np.array([-1.0, 0.0, 0.0])),
    "anterior": (np.array([-1.0, 0.0, 0.0]), np.array([0.0, 0.0, 1.0]), np.array([0.0, 1.0, 0.0])),
    "plantar": (np.array([1.0, 0.0, 0.0]), np.array([0.0, 1.0, 0.0]), np.array([0.0, 0.0, -1.0])),
    "top": (np.array([1.0, 0.0, 0.0]), np.array([0.0, 1.0, 0.0]), np.array([0.0, 0.0, 1.0])),
}

#: Lights in the viewer's frame (right, up, toward): a key light from the upper left
#: front and a weaker fill from the right; ambient, diffuse and specular weights.
_KEY = np.array([-0.45, 0.55, 0.70])
_FILL = np.array([0.70, -0.10, 0.70])
_AMBIENT, _DIFFUSE, _FILL_WEIGHT, _SPECULAR, _SHININESS = 0.30, 0.62, 0.22, 0.28, 40.0
#: A pixel whose depth differs from a neighbour's by more than this is on a silhouette or
#: a fold, and is drawn darker (an outline), mm.
_EDGE_MM = 6.0
_SKIN = np.array([0.93, 0.80, 0.70])
_SHELL = np.array([0.25, 0.50, 0.85])


#: The last few meshes' splats, by content and pixel size: a report draws the same skin
#: in several pictures, and a comparison the same leg under each candidate.
_SPLATS: Kept[tuple[Any, float], tuple[NDArray, NDArray, NDArray]] = Kept(4)
#: The last few pictures without per-face colours, by what they show (their PNG bytes).
_PICTURES: Kept[tuple[Any, ...], bytes] = Kept(4)


def _mesh_key(mesh: trimesh.Trimesh | None) -> tuple[int, int] | None:
    """What a mesh is kept by in this module's caches: its content (None for no mesh)."""
    return None if mesh is None else (hash(mesh), len(mesh.faces))


def _splats(mesh: trimesh.Trimesh, pixel_mm: float) -> tuple[NDArray, NDArray, NDArray]:
    """Face centres about a pixel apart (faces subdivided as needed), their smooth normals
    (area-weighted vertex normals interpolated at each centre) and, for each, the index of the
    input face it came from (so per-face colours follow the subdivision). Cached by the
    mesh's content (:data:`_SPLATS`)."""
    key = (_mesh_key(mesh), pixel_mm)
    found = _SPLATS.get(key)
    if found is not None:
        return found
    vertices, faces = np.asarray(mesh.vertices), np.asarray(mesh.faces)
    # Smooth normals: each vertex's faces' normals weighted by their areas (their cross
    # products), summed by bincount (trimesh's angle-weighted normals take 0.25 s on 400k).
    # (Corner by corner, not by fancy indexing with reductions over the middle axis: the
    # same numbers in half the time.)
    a, b, c = (vertices[faces[:, k]] for k in range(3))
    sides = (b - a, c - b, a - c)
    normals = vertex_sums(faces, np.cross(sides[0], -sides[2]), len(vertices))
    normals /= np.maximum(np.linalg.norm(normals, axis=1), 1e-12)[:, None]
    # The edges' median length, from each face's three (on a closed mesh each edge twice:
    # the same median as the unique edges', without sorting them out).
    lengths = np.sqrt(np.concatenate([np.einsum("ij,ij->i", s, s) for s in sides]))
    if np.median(lengths) >= 1.5 * pixel_mm:
        vertices, faces, info = trimesh.remesh.subdivide_to_size(
            vertices, faces, max_edge=1.5 * pixel_mm, max_iter=8, return_index=True
        )
        index = np.asarray(info)
        centres = vertices[faces].mean(axis=1)
        parent = np.asarray(mesh.faces)[index]
        corners = np.asarray(mesh.vertices)[parent]
        weights = trimesh.triangles.points_to_barycentric(corners, centres)
        smooth = np.einsum("ij,ijk->ik", weights, normals[parent])
    else:  # each face is its own splat: its centre weighs its corners alike
        index = np.arange(len(faces))
        centres = (a + b + c) / 3.0
        smooth = normals[faces[:, 0]] + normals[faces[:, 1]] + normals[faces[:, 2]]
    smooth /= np.maximum(np.linalg.norm(smooth, axis=1), 1e-12)[:, None]
    _SPLATS.keep(key, (centres, smooth, index))
    return centres, smooth, index


def _shade(normals: Vec, colours: Vec) -> Vec:
    """Key and fill diffuse, ambient and a white Blinn-Phong highlight (viewer's frame)."""
    key, fill = _KEY / np.linalg.norm(_KEY), _FILL / np.linalg.norm(_FILL)
    diffuse = _DIFFUSE * np.clip(normals @ key, 0.0, 1.0) + _FILL_WEIGHT * np.clip(
        normals @ fill, 0.0, 1.0
    )
    half = key + np.array([0.0, 0.0, 1.0])
    half /= np.linalg.norm(half)
    specular = _SPECULAR * np.clip(normals @ half, 0.0, 1.0) ** _SHININESS
    lit = (_AMBIENT + diffuse)[:, None] * colours + specular[:, None]
    return np.clip(lit, 0.0, 1.0)


@dataclass(frozen=True, slots=True)
class _Visible:
    """What one view of some point layers shows, whatever their colours (:func:`_visible`):
    the depth image ``near`` (rows, cols; -inf where nothing is), and for each pixel a
    point won, its flat index ``pixel``, the point's index ``point`` among the layers'
    points (concatenated) and its normal ``normal`` in the viewer's frame; the image's
    ``extent`` (left, right, bottom, top, mm)."""

    near: NDArray[np.float64]
    pixel: NDArray[np.int64]
    point: NDArray[np.int64]
    normal: NDArray[np.float64]
    extent: tuple[float, float, float, float]


def _visible(points: NDArray, normals: NDArray, view: str, pixel_mm: float) -> _Visible:
    """Which of ``points`` (n, 3, with their ``normals``) each pixel of ``view`` shows.

    Nearest point wins per pixel (a running maximum of the depth; of equals the first
    point); points facing away are left out."""
    right, up, toward = VIEWS[view]
    frame = np.array([right, up, toward])
    nrm = normals @ frame.T  # viewer's frame
    u, v, depth = points @ right, points @ up, points @ toward
    facing = np.flatnonzero(nrm[:, 2] > -0.05)
    u, v, depth, nrm = u[facing], v[facing], depth[facing], nrm[facing]
    lo_u, lo_v = u.min() - 4 * pixel_mm, v.min() - 4 * pixel_mm
    cols = ((u - lo_u) / pixel_mm).astype(int)
    rows = ((v - lo_v) / pixel_mm).astype(int)
    shape = (rows.max() + 5, cols.max() + 5)
    flat = rows * shape[1] + cols
    near = np.full(shape, -np.inf)
    np.maximum.at(near.reshape(-1), flat, depth)
    win = np.flatnonzero(depth >= near.reshape(-1)[flat])
    win = win[np.unique(flat[win], return_index=True)[1]]
    extent = (lo_u, lo_u + shape[1] * pixel_mm, lo_v, lo_v + shape[0] * pixel_mm)
    return _Visible(near, flat[win], facing[win], nrm[win], extent)


#: The last few views' visibility (:func:`_visible`), by the meshes drawn, the view and
#: the pixel size: a comparison's side-by-side picture shows a candidate's shell on the leg
#: from two of the views its report's picture does, in another colour.
_VISIBLE: Kept[tuple[Any, ...], _Visible] = Kept(6)


def _layers_key(skin: trimesh.Trimesh | None, shell: trimesh.Trimesh | None) -> tuple[Any, ...]:
    """What the layers of a picture of ``skin`` under ``shell`` (either may be None) are
    kept by (:data:`_VISIBLE`): their meshes' content."""
    return _mesh_key(skin), _mesh_key(shell)


def _view_image(
    layers: list[tuple[NDArray, NDArray, NDArray]],
    view: str,
    pixel_mm: float,
    key: tuple[Any, ...] | None = None,
) -> tuple[NDArray, tuple[float, float, float, float]]:
    """Z-buffered splat image (rows, cols, 3) of several coloured point layers (each colour
    (3,) or one per point (n, 3)), with outlines where the depth jumps, and its extent.
    ``key`` names the layers' points (not their colours): what they show is then kept
    (:data:`_VISIBLE`) for another picture of the same points in other colours."""
    found = None if key is None else _VISIBLE.get((key, view, pixel_mm))
    if found is None:
        found = _visible(
            np.concatenate([layer[0] for layer in layers]),
            np.concatenate([layer[1] for layer in layers]),
            view,
            pixel_mm,
        )
        if key is not None:
            _VISIBLE.keep((key, view, pixel_mm), found)
    near, shape = found.near, found.near.shape
    # Each winner's colour, taken from its own layer.
    starts = np.cumsum([0] + [len(layer[0]) for layer in layers])
    which = np.searchsorted(starts, found.point, side="right") - 1
    col = np.empty((len(found.point), 3))
    for k, layer in enumerate(layers):
        mine = which == k
        colour = np.asarray(layer[2], dtype=np.float64)
        col[mine] = colour if colour.ndim == 1 else colour[found.point[mine] - starts[k]]
    colour = np.ones((*shape, 3))
    colour.reshape(-1, 3)[found.pixel] = _shade(found.normal, col)
    # Each splat covers 2 x 2 pixels to close gaps: a pixel takes the nearest of the
    # winners at itself and the three pixels above and to the left of it.
    image = np.ones((*shape, 3))
    zbuf = np.full(shape, -np.inf)
    for dr in (0, 1):
        for dc in (0, 1):
            moved_z = np.full(shape, -np.inf)
            moved_z[dr:, dc:] = near[: shape[0] - dr, : shape[1] - dc]
            closer = moved_z > zbuf
            zbuf[closer] = moved_z[closer]
            image[dr:, dc:][closer[dr:, dc:]] = colour[: shape[0] - dr, : shape[1] - dc][
                closer[dr:, dc:]
            ]
    # Outlines: a pixel in front of a neighbour by more than _EDGE_MM (or of the background)
    # is on the silhouette of what lies behind it.
    seen = np.isfinite(zbuf)
    jump = np.zeros(shape, dtype=bool)
    for dr, dc in ((0, 1), (1, 0), (0, -1), (-1, 0)):
        other = np.roll(zbuf, (dr, dc), axis=(0, 1))
        behind = np.where(np.isfinite(other), other, zbuf - 2.0 * _EDGE_MM)
        jump |= seen & (np.where(seen, zbuf, 0.0) - np.where(seen, behind, 0.0) > _EDGE_MM)
    image[jump] *= 0.55
    return image[::-1], found.extent


#: Marked points: name → (local point (3,), the views it is drawn in).
Marks = dict[str, tuple[NDArray[np.float64], tuple[str, ...]]]

_MARK = "#d62728"
_FLAGGED = "#e67e00"


def _draw_marks(
    picture: Image.Image, place: Placed, marks: Marks, view: str, flagged: Collection[str] = ()
) -> None:
    """The ``marks`` seen in ``view`` as red dots with their names (orange, "check", for the
    ``flagged`` ones), the two malleoli joined by a dashed line (the ankle axis's direction);
    ``place`` is where the view's tile lies in ``picture``."""
    right, up, _ = VIEWS[view]
    seen = [(name, p) for name, (p, views) in marks.items() if view in views]
    pair = [
        place.at(float(p @ right), float(p @ up)) for name, p in seen if name.endswith("malleolus")
    ]
    if len(pair) == 2:
        (x0, y0), (x1, y1) = pair
        draw = ImageDraw.Draw(picture)
        for t in np.arange(0.0, 1.0, 0.1):  # dashes a tenth of the way long, half of it inked
            draw.line((x0 + t * (x1 - x0), y0 + t * (y1 - y0),
                       x0 + (t + 0.05) * (x1 - x0), y0 + (t + 0.05) * (y1 - y0)),
                      fill=_MARK, width=2)  # fmt: skip
    for name, p in seen:
        colour = _FLAGGED if name in flagged else _MARK
        label = f"{name} (check)" if name in flagged else name
        labelled_point(picture, place.at(float(p @ right), float(p @ up)), label, colour)


#: Each rendered pixel is drawn this many times larger in the picture.
UPSCALE = 2

#: A mesh as plain arrays: its vertices (n, 3) and faces (m, 3).
MeshArrays = tuple[NDArray[np.float64], NDArray[np.int64]]


def render_views_of(
    shell: MeshArrays | None,
    skin: MeshArrays | None,
    marks: Marks | None = None,
    flagged: Collection[str] = (),
) -> bytes:
    """:func:`render_views` (default views and resolution) of the ``shell`` and the
    ``skin`` given as plain arrays (either may be None), with its ``marks`` and
    ``flagged`` names: what a helper process can draw (:mod:`afofit.threads`)."""

    def mesh(arrays: MeshArrays | None) -> trimesh.Trimesh | None:
        return None if arrays is None else trimesh.Trimesh(*arrays, process=False)

    return render_views(mesh(shell), mesh(skin), marks=marks, flagged=flagged)


def render_views(
    shell: trimesh.Trimesh | None,
    skin: trimesh.Trimesh | None = None,
    views: tuple[str, ...] = ("lateral", "posterior", "medial"),
    pixel_mm: float = 1.25,
    marks: Marks | None = None,
    face_colours: NDArray[np.float64] | None = None,
    flagged: Collection[str] = (),
    colorbar: tuple[str, Any, Any] | None = None,
) -> bytes:
    """PNG of the shell (blue) over the leg (skin tone) from each view, side by side.

    Both meshes are in the leg's local frame, mm (either may be None); ``views`` names
    them (:data:`VIEWS`), ``pixel_mm`` sets the resolution. Drawn as z-buffered surface
    splats about a pixel apart, lit by a key and a fill light with a highlight and
    outlined where the depth jumps, so a 400k-face shell renders in a second. ``marks``
    are points drawn over the pictures (:data:`Marks`), ``flagged`` the names of those
    the user should check (orange). ``face_colours`` (one RGB per shell face, 0-1)
    colour the shell instead of its blue; ``colorbar`` (label, colormap, norm) adds their
    scale. A picture without per-face colours is kept (:data:`_PICTURES`): each candidate
    of a comparison shows the same leg's landmarks.
    """
    shown, key = _layers_key(skin, shell), None
    if face_colours is None and colorbar is None:
        key = (
            shown, views, pixel_mm, tuple(sorted(flagged)),
            None if marks is None else tuple(
                (name, np.asarray(point).tobytes(), seen) for name, (point, seen) in marks.items()
            ),
        )  # fmt: skip
        if key in _PICTURES:
            return _PICTURES[key]
    layers = []
    if skin is not None:
        layers.append((*_splats(skin, pixel_mm)[:2], _SKIN))
    if shell is not None:
        points, normals, index = _splats(shell, pixel_mm)
        colours = _SHELL if face_colours is None else np.asarray(face_colours)[index]
        layers.append((points, normals, colours))
    rendered = [_view_image(layers, view, pixel_mm, shown) for view in views]
    picture, corners = grid(
        [[tile(image, UPSCALE) for image, _ in rendered]], [(view, "black") for view in views]
    )
    mm_per_px = pixel_mm / UPSCALE
    if marks:
        for (_, extent), view, (left, top) in zip(rendered, views, corners[0], strict=True):
            _draw_marks(picture, Placed(left, top, extent, mm_per_px), marks, view, flagged)
    scale_bar(picture, corners[0][0][0], picture.height - MARGIN_PX, mm_per_px)
    if colorbar is not None:
        label, cmap, norm = colorbar
        picture = colour_bar(picture, label, cmap, norm)
    png = png_bytes(picture)
    if key is not None:
        _PICTURES.keep(key, png)
    return png


#: The last few columns of :func:`render_side_by_side`, by what they show.
_COLUMNS: Kept[tuple[Any, ...], list[Image.Image]] = Kept(8)
#: The side-by-side picture's views and pixel size unless asked otherwise (mm): two of the
#: views of a report's shell picture, at its pixel size, so that a comparison draws each
#: candidate's column from what its report's picture showed (:data:`_VISIBLE`).
_SIDE_BY_SIDE_VIEWS = ("lateral", "posterior")
_SIDE_BY_SIDE_PIXEL_MM = 1.25


def side_by_side_column(
    shell: trimesh.Trimesh,
    skin: trimesh.Trimesh,
    colour: str,
    views: tuple[str, ...] = _SIDE_BY_SIDE_VIEWS,
    pixel_mm: float = _SIDE_BY_SIDE_PIXEL_MM,
) -> list[Image.Image]:
    """One shell's column of :func:`render_side_by_side`: a tile per view (of ``views``, at
    ``pixel_mm``) of ``shell`` (in ``colour``) on ``skin``. Kept by content (:data:`_COLUMNS`): a comparison's writer draws
    each candidate's as it comes, and the page then finds them drawn."""
    found = _COLUMNS.get(_column_key(shell, skin, colour, views, pixel_mm))
    if found is not None:
        return found
    skin_layer = (*_splats(skin, pixel_mm)[:2], _SKIN)
    layer = (*_splats(shell, pixel_mm)[:2], np.array(matplotlib.colors.to_rgb(colour)))
    shown = _layers_key(skin, shell)
    column = [
        tile(_view_image([skin_layer, layer], view, pixel_mm, shown)[0], UPSCALE) for view in views
    ]
    keep_column(shell, skin, colour, column, views, pixel_mm)
    return column


def _column_key(
    shell: trimesh.Trimesh,
    skin: trimesh.Trimesh,
    colour: str,
    views: tuple[str, ...],
    pixel_mm: float,
) -> tuple[Any, ...]:
    """What a side-by-side column is kept by (:data:`_COLUMNS`): its meshes' content and
    how it is drawn."""
    return _layers_key(skin, shell), colour, views, pixel_mm


def keep_column(
    shell: trimesh.Trimesh,
    skin: trimesh.Trimesh,
    colour: str,
    column: list[Image.Image],
    views: tuple[str, ...] = _SIDE_BY_SIDE_VIEWS,
    pixel_mm: float = _SIDE_BY_SIDE_PIXEL_MM,
) -> None:
    """Keep ``column``, drawn elsewhere (a worker process) by :func:`side_by_side_column` of
    ``shell``, ``skin``, ``colour``, ``views`` and ``pixel_mm``, as if drawn here."""
    _COLUMNS.keep(_column_key(shell, skin, colour, views, pixel_mm), column)


def render_side_by_side(
    shells: list[tuple[str, trimesh.Trimesh, str]],
    skin: trimesh.Trimesh,
    views: tuple[str, ...] = _SIDE_BY_SIDE_VIEWS,
    pixel_mm: float = _SIDE_BY_SIDE_PIXEL_MM,
) -> bytes:
    """PNG of several shells on the same leg: a row per view, a column per shell, each
    column titled in its colour. ``shells`` are (title, shell, colour as '#rrggbb'); ``skin``
    is the leg drawn under every shell; ``views`` names the rows (as ``render_views``);
    ``pixel_mm`` is the picture's resolution. All meshes in the leg's local frame, mm."""
    columns = [
        side_by_side_column(shell, skin, colour, views, pixel_mm) for _, shell, colour in shells
    ]
    rows = [[column[r] for column in columns] for r in range(len(views))]
    picture, corners = grid(
        rows, [(title, colour) for title, _, colour in shells], list(views), bold_titles=True
    )
    scale_bar(picture, corners[-1][0][0], picture.height - MARGIN_PX, pixel_mm / UPSCALE)
    return png_bytes(picture)


def render_label(
    shell: trimesh.Trimesh, place: LabelPlacement, length_mm: float, pixel_mm: float = 0.25
) -> bytes:
    """PNG of the label cut in ``shell`` (local frame, mm) at ``place``, ``length_mm`` long,
    seen straight on from outside and unrolled (the text reads left to right), lit from the
    upper left so the letters' sides cast their shade."""
    along, up, radius = label_coordinates(np.asarray(shell.triangles_center), place)
    half_a, half_u = 0.5 * length_mm + 6.0, 0.5 * LABEL_HEIGHT_MM + 6.0
    axis, tops, out = label_direction(place)
    radial = np.asarray(shell.triangles_center) - np.outer(
        np.asarray(shell.triangles_center) @ axis, axis
    )
    facing = np.einsum("ij,ij->i", np.asarray(shell.face_normals), radial) > 0.3 * radius
    near = (np.abs(along) <= half_a) & (np.abs(up) <= half_u) & facing
    if not near.any():
        raise ValueError("no outer surface at the label's place")
    piece = trimesh.Trimesh(
        np.asarray(shell.vertices), np.asarray(shell.faces)[near], process=False
    )
    points, normals, _ = _splats(piece, pixel_mm)
    a, u, r = label_coordinates(points, place)
    # Each splat's normal in its own unrolled frame: along the text, to the letters' tops,
    # out of the shell.
    rad = points - np.outer(points @ axis, axis)
    rad /= np.linalg.norm(rad, axis=1)[:, None]
    side = np.cross(axis, rad)
    side *= np.sign(float(np.dot(np.cross(axis, out), tops)))
    local = np.column_stack([normals @ axis, np.einsum("ij,ij->i", normals, side),
                             np.einsum("ij,ij->i", normals, rad)])  # fmt: skip
    light = np.array([-0.55, 0.55, 0.63])
    shade = 0.3 + 0.7 * np.clip(local @ (light / np.linalg.norm(light)), 0.0, 1.0)
    cols = ((a + half_a) / pixel_mm).astype(int)
    rows = ((half_u - u) / pixel_mm).astype(int)
    shape = (int(2 * half_u / pixel_mm) + 1, int(2 * half_a / pixel_mm) + 1)
    ok = (rows >= 0) & (rows < shape[0]) & (cols >= 0) & (cols < shape[1])
    order = np.argsort(r[ok], kind="stable")  # the outermost splat wins its pixel
    image = np.full(shape, np.nan)
    image[rows[ok][order], cols[ok][order]] = shade[ok][order]
    empty = np.isnan(image)
    filled = ndimage.grey_dilation(np.nan_to_num(image, nan=0.0), size=(3, 3))
    image = np.where(empty, filled, image)
    rgb = np.clip(image[:, :, None] * (0.55 + 0.45 * _SHELL[None, None, :]), 0.0, 1.0)
    rgb[image == 0.0] = 1.0
    picture, corners = grid([[tile(rgb, UPSCALE)]])
    left = corners[0][0][0]
    scale_bar(picture, left, picture.height - MARGIN_PX, pixel_mm / UPSCALE)
    ImageDraw.Draw(picture).text(
        (picture.width - MARGIN_PX, picture.height - MARGIN_PX + 2), "unrolled: up the shank is to the right",
        fill=(90, 90, 90), font=font(LABEL_PX), anchor="rb",
    )  # fmt: skip
    return png_bytes(picture)
