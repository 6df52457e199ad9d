"""Winding: a consistent mesh is recognised without trimesh's repair, a flipped face is not;
the enclosed volume and its sign; closed and wound as trimesh judges them."""

from __future__ import annotations

import numpy as np
import trimesh

from afofit.geometry.topology import (
    consistently_wound,
    face_centres_and_areas,
    fix_winding,
    signed_volume,
    watertight_and_wound,
)


def test_a_closed_consistent_mesh_is_recognised_and_left_alone() -> None:
    sphere = trimesh.creation.icosphere(3)
    assert consistently_wound(sphere.faces)
    before = sphere.faces.copy()
    fix_winding(sphere)
    assert np.array_equal(sphere.faces, before)


def test_one_flipped_face_is_found_and_turned_back() -> None:
    sphere = trimesh.creation.icosphere(3)
    faces = sphere.faces.copy()
    faces[17] = faces[17][::-1]
    flipped = trimesh.Trimesh(sphere.vertices, faces, process=False)
    assert not consistently_wound(flipped.faces)
    fix_winding(flipped)
    assert consistently_wound(flipped.faces) and flipped.is_winding_consistent
    assert abs(flipped.volume) > 0.9 * 4.0 / 3.0 * np.pi  # one orientation throughout


def test_an_open_patch_counts_its_inner_edges_only() -> None:
    patch = trimesh.creation.icosphere(2)
    half = trimesh.Trimesh(patch.vertices, patch.faces[patch.triangles_center[:, 2] > 0.0])
    assert consistently_wound(half.faces)
    faces = half.faces.copy()
    faces[0] = faces[0][::-1]
    assert not consistently_wound(faces)


def test_signed_volume_is_a_boxs_volume_far_from_the_origin_and_turns_with_the_winding() -> None:
    box = trimesh.creation.box(extents=(20.0, 30.0, 40.0))
    box.apply_translation((1e5, -2e5, 3e5))  # far off: no cancellation from the offset
    assert np.isclose(signed_volume(box.vertices, box.faces), 24000.0, rtol=1e-9)
    assert np.isclose(signed_volume(box.vertices, box.faces[:, ::-1]), -24000.0, rtol=1e-9)


def test_face_centres_and_areas_are_trimeshs_bit_for_bit() -> None:
    mesh = trimesh.creation.icosphere(4)
    mesh.vertices = mesh.vertices * (3.0, 1.0, 0.5) + (100.0, -20.0, 7.0)
    centres, areas = face_centres_and_areas(mesh.vertices, mesh.faces)
    assert np.array_equal(centres, mesh.triangles_center)
    assert np.array_equal(areas, mesh.area_faces)


def test_watertight_and_wound_judge_as_trimesh_does() -> None:
    sphere = trimesh.creation.icosphere(3)
    faces = sphere.faces
    flipped = faces.copy()
    flipped[17] = flipped[17][::-1]
    cases = {
        "closed": (faces, (True, True)),
        "a face missing": (faces[1:], (False, True)),
        "a face twice": (np.vstack([faces, faces[:1]]), (False, True)),
        "a face flipped": (flipped, (True, False)),
        "a face flipped, another missing": (flipped[:-1], (False, False)),
        "a degenerate face": (np.vstack([faces, [[0, 0, 1]]]), (False, True)),
        "no faces": (faces[:0], (False, False)),
    }
    for name, (case, expected) in cases.items():
        mesh = trimesh.Trimesh(sphere.vertices, case, process=False)
        assert watertight_and_wound(case) == expected, name
        if len(case):
            assert (mesh.is_watertight, mesh.is_winding_consistent) == expected, name
