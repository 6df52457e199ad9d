"""Closing a scan for offsetting: small holes fanned, an open sole's floor hung from its rim."""

from __future__ import annotations

import numpy as np
import trimesh

from afofit.geometry.sole import boundary_edges, fill_holes, sole_floor


def _box(extents: tuple[float, float, float], splits: int = 4) -> trimesh.Trimesh:
    """A box standing on z = 0, its faces split small."""
    box = trimesh.creation.box(extents=extents)
    box.apply_translation([0.0, 0.0, 0.5 * extents[2]])
    for _ in range(splits):
        box = box.subdivide()
    return box


def _without(mesh: trimesh.Trimesh, drop: np.ndarray) -> trimesh.Trimesh:
    out = trimesh.Trimesh(mesh.vertices, mesh.faces[~drop], process=False)
    out.remove_unreferenced_vertices()
    return out


def test_a_small_hole_is_fanned_shut_and_no_sole_is_reported() -> None:
    box = _box((100.0, 60.0, 40.0))
    centres = box.triangles_center
    hole = (
        (box.face_normals[:, 0] > 0.9)
        & (np.abs(centres[:, 1]) < 5)
        & (np.abs(centres[:, 2] - 20) < 5)
    )
    holed = _without(box, hole)
    assert len(boundary_edges(np.asarray(holed.faces))) > 0
    closed, rim = fill_holes(holed, max_perimeter_mm=150.0, sole_below_mm=10.0)
    assert len(boundary_edges(np.asarray(closed.faces))) == 0
    assert len(rim) == 0


def test_an_open_sole_is_left_open_and_its_rim_returned() -> None:
    box = _box((100.0, 60.0, 40.0))
    open_box = _without(box, box.face_normals[:, 2] < -0.9)
    closed, rim = fill_holes(open_box, max_perimeter_mm=150.0, sole_below_mm=10.0)
    assert len(boundary_edges(np.asarray(closed.faces))) == len(rim) > 0  # left open
    assert np.allclose(np.asarray(closed.vertices)[rim][:, :, 2], 0.0)  # the rim is the sole's edge


def _samples(mesh: trimesh.Trimesh) -> tuple[np.ndarray, np.ndarray]:
    return (
        np.vstack([mesh.vertices, mesh.triangles_center]),
        np.vstack([mesh.vertex_normals, mesh.face_normals]),
    )


def test_the_floor_of_an_open_sole_hangs_from_its_rim() -> None:
    # A box whose bottom is open and whose rim rises from 0 at one end to 6 mm at the
    # other, as a standing scan's sole opening climbs the arch.
    box = _box((100.0, 60.0, 40.0), splits=6)  # edges ~1.6 mm: samples denser than the floor's grid
    x, z = box.vertices[:, 0], box.vertices[:, 2]
    box.vertices[:, 2] = z + 0.06 * (x + 50.0) * (1.0 - z / 40.0)  # the bottom tilts, the top stays
    open_box = _without(box, box.face_normals[:, 2] < -0.9)
    closed, rim_edges = fill_holes(open_box, max_perimeter_mm=150.0, sole_below_mm=12.0)
    rim = np.asarray(closed.vertices)[np.unique(rim_edges)]
    points, normals = _samples(open_box)
    floor = sole_floor(points, normals, sole_below_mm=12.0, spacing_mm=2.0, rim=rim)
    assert len(floor.points) > 0.8 * 100 * 60 / 2.0**2  # the opening is covered at the spacing
    expected = 0.06 * (floor.points[:, 0] + 50.0)
    assert np.abs(floor.points[:, 2] - expected).max() < 0.6  # harmonic between the rim's sides
    assert np.all(floor.normals == [0.0, 0.0, -1.0])
    # Under the floor; inside; beside the foot, low (under the rim's reach); beside it, high.
    probes = [
        [0.0, 0.0, 0.5 * 0.06 * 50.0 - 1.0],
        [0.0, 0.0, 30.0],
        [54.0, 0.0, 1.0],
        [80.0, 0.0, 30.0],
    ]
    assert floor.below(np.array(probes)).tolist() == [True, False, True, False]


def test_a_closed_sole_gets_no_floor() -> None:
    points, normals = _samples(_box((100.0, 60.0, 40.0), splits=6))
    floor = sole_floor(points, normals, sole_below_mm=12.0, spacing_mm=2.0)
    assert len(floor.points) == 0 and len(floor.rim) == 0
