"""Pictures of the shell on the leg: flat-shaded orthographic views with matplotlib (no screen needed)."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import trimesh
from numpy.typing import NDArray

__all__ = ["VIEWS", "Marks", "render_views"]

#: View name → (right-of-screen axis, up-of-screen axis, towards-viewer axis) in
#: the leg's local frame (x lateral, y anterior, z up).
VIEWS: dict[str, tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]] = {
    "lateral": (np.array([0.0, 1.0, 0.0]), np.array([0.0, 0.0, 1.0]), np.array([1.0, 0.0, 0.0])),
    "posterior": (np.array([1.0, 0.0, 0.0]), np.array([0.0, 0.0, 1.0]), np.array([0.0, -1.0, 0.0])),
    "medial": (np.array([0.0, -1.0, 0.0]), np.array([0.0, 0.0, 1.0]), np.array([-1.0, 0.0, 0.0])),
    "plantar": (np.array([1.0, 0.0, 0.0]), np.array([0.0, 1.0, 0.0]), np.array([0.0, 0.0, -1.0])),
}

_LIGHT = np.array([0.35, 0.45, 0.82])
_SKIN = np.array([0.93, 0.80, 0.70])
_SHELL = np.array([0.25, 0.50, 0.85])


def _splats(mesh: trimesh.Trimesh, pixel_mm: float) -> tuple[NDArray, NDArray]:
    """Face centres about a pixel apart (faces subdivided as needed), with face normals."""
    if np.median(mesh.edges_unique_length) < 1.5 * pixel_mm:
        return mesh.triangles_center, mesh.face_normals
    vertices, faces = trimesh.remesh.subdivide_to_size(
        mesh.vertices, mesh.faces, max_edge=1.5 * pixel_mm, max_iter=8
    )
    fine = trimesh.Trimesh(vertices, faces, process=False)
    return fine.triangles_center, fine.face_normals


def _view_image(
    layers: list[tuple[NDArray, NDArray, NDArray]], view: str, pixel_mm: float
) -> tuple[NDArray, tuple[float, float, float, float]]:
    """Z-buffered splat image (rows, cols, 3) of several coloured point layers, and its extent."""
    right, up, toward = VIEWS[view]
    light = np.array([right, up, toward]).T @ _LIGHT
    light /= np.linalg.norm(light)
    pts = np.concatenate([layer[0] for layer in layers])
    nrm = np.concatenate([layer[1] for layer in layers])
    col = np.concatenate([np.tile(layer[2], (len(layer[0]), 1)) for layer in layers])
    u, v, depth = pts @ right, pts @ up, pts @ toward
    facing = nrm @ toward > -0.05
    u, v, depth, nrm, col = u[facing], v[facing], depth[facing], nrm[facing], col[facing]
    lo_u, lo_v = u.min() - 4 * pixel_mm, v.min() - 4 * pixel_mm
    cols = ((u - lo_u) / pixel_mm).astype(int)
    rows = ((v - lo_v) / pixel_mm).astype(int)
    shape = (rows.max() + 5, cols.max() + 5)
    shade = (0.35 + 0.65 * np.clip(nrm @ light, 0.0, 1.0))[:, None] * col
    # Nearest point wins per pixel (one sort), then each splat covers 2 x 2
    # pixels to close gaps: a pixel takes the nearest of the winners at itself
    # and the three pixels above and to the left of it.
    flat = rows * shape[1] + cols
    order = np.lexsort((-depth, flat))
    first = np.ones(len(order), dtype=bool)
    first[1:] = flat[order][1:] != flat[order][:-1]
    win = order[first]
    near = np.full(shape, -np.inf)
    near.reshape(-1)[flat[win]] = depth[win]
    colour = np.ones((*shape, 3))
    colour.reshape(-1, 3)[flat[win]] = shade[win]
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
    extent = (lo_u, lo_u + shape[1] * pixel_mm, lo_v, lo_v + shape[0] * pixel_mm)
    return image[::-1], extent


#: Marked points: name → (local point (3,), the views it is drawn in).
Marks = dict[str, tuple[NDArray[np.float64], tuple[str, ...]]]

_MARK = "#d62728"


def _draw_marks(ax: plt.Axes, marks: Marks, view: str) -> None:
    """The ``marks`` seen in ``view`` as red dots with their names, joined by a dashed line
    when there are two (the malleoli: the ankle axis between them)."""
    right, up, _ = VIEWS[view]
    seen = [(name, p) for name, (p, views) in marks.items() if view in views]
    if len(seen) == 2:
        (_, a), (_, b) = seen
        ax.plot([a @ right, b @ right], [a @ up, b @ up], "--", color=_MARK, lw=1.0)
    for name, p in seen:
        ax.plot(p @ right, p @ up, "o", ms=6, mfc=_MARK, mec="white", mew=1.0)
        ax.annotate(name, (p @ right, p @ up), xytext=(6, 6), textcoords="offset points",
                    fontsize=7, color=_MARK)  # fmt: skip


def render_views(
    shell: trimesh.Trimesh,
    skin: trimesh.Trimesh | None = None,
    views: tuple[str, ...] = ("lateral", "posterior", "medial"),
    pixel_mm: float = 1.25,
    marks: Marks | None = None,
) -> bytes:
    """PNG of the shell (blue) over the leg (skin tone) from each view, side by side.

    Both meshes are in the leg's local frame, mm; ``views`` names them
    (:data:`VIEWS`), ``pixel_mm`` sets the resolution. Drawn as z-buffered surface
    splats about a pixel apart, so a 400k-face shell renders in a second. ``marks``
    are points drawn over the pictures (:data:`Marks`; the malleoli the shell was
    built from).
    """
    layers = []
    if skin is not None:
        layers.append((*_splats(skin, pixel_mm), _SKIN))
    layers.append((*_splats(shell, pixel_mm), _SHELL))
    fig, axes = plt.subplots(1, len(views), figsize=(4.2 * len(views), 6.0), dpi=110)
    for ax, view in zip(np.atleast_1d(axes), views, strict=True):
        image, extent = _view_image(layers, view, pixel_mm)
        ax.imshow(image, extent=extent, interpolation="nearest")
        if marks:
            _draw_marks(ax, marks, view)
            ax.set_xlim(extent[0], extent[1])
            ax.set_ylim(extent[2], extent[3])
        ax.set_title(view)
        ax.set_xlabel("mm", fontsize=7)
        ax.tick_params(labelsize=7)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", metadata={"Software": None})
    plt.close(fig)
    return buffer.getvalue()
