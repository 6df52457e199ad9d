"""From a sampled field to a clean closed mesh: the last stages of the shell's build.

:func:`field_on_grid` puts the band's values on the full grid and clears it of
sub-voxel specks; :func:`mesh_level_set` meshes its zero level by marching cubes and
keeps the one solid.
"""

from __future__ import annotations

from typing import cast

import numpy as np
import trimesh
from numpy.typing import NDArray
from skimage.measure import marching_cubes

from afofit.errors import FitError
from afofit.geometry.topology import face_components, signed_volume

__all__ = ["OUTSIDE_VALUE", "field_on_grid", "largest_piece", "mesh_level_set"]

#: The field's value away from the band (and on the grid's border): plainly outside, mm.
OUTSIDE_VALUE = 10.0


def field_on_grid(
    values: NDArray[np.float64], index: NDArray[np.int64], shape: NDArray[np.int64], h: float
) -> NDArray[np.float32]:
    """The full grid's field, (nx, ny, nz) float32 mm, < 0 inside the shell.

    Parameters
    ----------
    values : (k,) the field at the band's voxels, mm.
    index : (k, 3) those voxels' grid indices.
    shape : (3,) the grid's shape.
    h : the grid spacing, mm.

    Every other voxel, and the grid's border (so the level set closes), is
    :data:`OUTSIDE_VALUE`. Then a grid point whose sign differs from all six
    neighbours' is a speck far smaller than a voxel (a bubble or spike of a few
    microns, a tiny feature no printer makes): it takes its neighbours' mean. One
    that differs from five and lies within a quarter voxel of the surface makes a
    tip as small: it moves to their side, half their mean (the surface moves by
    under a quarter voxel there). Last, no value lies within 1e-3 voxel of zero.
    """
    field = np.full(shape, OUTSIDE_VALUE, dtype=np.float32)
    field[index[:, 0], index[:, 1], index[:, 2]] = values
    field[[0, -1], :, :] = field[:, [0, -1], :] = OUTSIDE_VALUE
    field[:, :, [0, -1]] = OUTSIDE_VALUE
    flat_field = field.reshape(-1)
    band_index = np.asarray(np.ravel_multi_index(index.T, shape), dtype=np.int64)
    inner = np.all((index > 0) & (index < shape - 1), axis=1)
    band_flat = band_index[inner]
    strides = np.array([shape[1] * shape[2], shape[2], 1])
    neighbours = np.stack(
        [flat_field[band_flat + sign * stride] for stride in strides for sign in (-1, 1)]
    )
    own = flat_field[band_flat]
    other = (neighbours < 0.0) != (own < 0.0)[None, :]
    count = other.sum(axis=0)
    lone = count == 6
    flat_field[band_flat[lone]] = neighbours[:, lone].mean(axis=0)
    tip = (count == 5) & (np.abs(own) < 0.25 * h)
    other_mean = np.where(other, neighbours, 0.0).sum(axis=0) / np.maximum(count, 1)
    flat_field[band_flat[tip]] = 0.5 * other_mean[tip]
    # A value at or near zero puts marching-cubes vertices on (or within
    # float32 rounding of) a grid point, where vertices of different edges
    # meet and the STL becomes non-manifold: keep every value clear of zero.
    near = np.abs(field) < 1e-3 * h
    field[near] = np.where(field[near] < 0.0, -1e-3 * h, 1e-3 * h)
    return field


def largest_piece(mesh: trimesh.Trimesh) -> tuple[trimesh.Trimesh, int]:
    """Keep the largest connected piece of ``mesh``; return it and how many faces were dropped."""
    face_labels = face_components(np.asarray(mesh.faces), len(mesh.vertices))
    if face_labels.max() == 0:
        return mesh, 0
    biggest = np.argmax(np.bincount(face_labels))
    keep = face_labels == biggest
    piece = cast(  # append=True gives one mesh
        trimesh.Trimesh, mesh.submesh([np.flatnonzero(keep)], append=True, repair=False)
    )
    return piece, int((~keep).sum())


def mesh_level_set(
    field: NDArray[np.float32], origin: NDArray[np.float64], h: float
) -> tuple[trimesh.Trimesh, int]:
    """The zero level of ``field`` as one closed, outward-wound mesh, and the faces dropped.

    ``origin`` (3,) is voxel (0, 0, 0)'s position and ``h`` the spacing, mm. A
    distance field's level set is smooth and cannot cross itself; loose fragments
    are dropped (their face count is returned).

    Raises
    ------
    FitError
        The field has no inside: the trim lines cut the whole offset away.
    """
    if field.min() >= 0.0:
        raise FitError("the trim leaves no shell: the trim lines cut the whole offset away.")
    verts, faces, _, _ = marching_cubes(field, level=0.0, spacing=(h, h, h))
    # Marching cubes shares each edge's vertex between its faces already.
    mesh = trimesh.Trimesh(verts + origin, faces, process=False)
    mesh, removed = largest_piece(mesh)
    if signed_volume(mesh.vertices, mesh.faces) < 0:
        mesh.invert()
    return mesh, removed
