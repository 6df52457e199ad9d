"""Anatomy is a property of the leg, not of the pose or the units of its file."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import trimesh
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.spatial.transform import Rotation

from afofit.anatomy import analyse_leg
from afofit.legs import guess_units, settle_units
from afofit.phantom import PhantomSpec, make_phantom
from afofit.units import SCALE_TO_MM


@pytest.fixture(scope="module")
def leg() -> trimesh.Trimesh:
    return make_phantom(PhantomSpec(seed=5, faces=15000, noise_mm=0.2, holes=2, pose="random")).mesh


def _landmarks(mesh: trimesh.Trimesh) -> dict[str, np.ndarray]:
    found = analyse_leg(mesh, "phantom").landmarks_mm
    return {k: v for k, v in found.items() if v is not None}


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rotation=st.integers(min_value=0, max_value=2**31 - 1),
    shift=st.tuples(*[st.floats(-2000.0, 2000.0)] * 3),
)
def test_landmarks_move_with_the_scan(
    leg: trimesh.Trimesh, rotation: int, shift: tuple[float, ...]
) -> None:
    rot = Rotation.random(random_state=rotation).as_matrix()
    moved = trimesh.Trimesh(
        np.asarray(leg.vertices) @ rot.T + np.asarray(shift), leg.faces, process=False
    )
    before, after = _landmarks(leg), _landmarks(moved)
    assert before.keys() == after.keys()
    for name, point in before.items():
        np.testing.assert_allclose(
            after[name], point @ rot.T + np.asarray(shift), atol=1e-3, err_msg=name
        )


def test_side_flips_with_a_mirror(leg: trimesh.Trimesh) -> None:
    mirrored = trimesh.Trimesh(
        np.asarray(leg.vertices) * [-1.0, 1.0, 1.0], leg.faces[:, ::-1], process=False
    )
    assert analyse_leg(leg, "p").side != analyse_leg(mirrored, "p").side


@pytest.mark.parametrize("unit", list(SCALE_TO_MM))
def test_units_are_recognised_from_anatomy(leg: trimesh.Trimesh, unit: str) -> None:
    vertices = np.asarray(leg.vertices) / SCALE_TO_MM[unit]
    foot_mm = analyse_leg(leg, "p").measurements.foot_length_mm
    assert settle_units(vertices, foot_mm / SCALE_TO_MM[unit]) == unit
    # The first guess, from the overall length alone, is right for these proportions too.
    assert guess_units(vertices) == unit


@pytest.mark.parametrize("unit", ["cm", "m", "in"])
def test_landmarks_in_mm_do_not_depend_on_the_files_units(tmp_path, unit: str) -> None:
    from afofit.export import write_phantom
    from afofit.fitting import analyse_scan

    spec = PhantomSpec(seed=8, faces=12000, noise_mm=0.1, pose="random")
    reference = tmp_path / "mm.ply"
    scaled = tmp_path / f"{unit}.ply"
    write_phantom(spec, reference)
    write_phantom(replace(spec, units=unit), scaled)
    a, b = analyse_scan(reference).legs[0], analyse_scan(scaled).legs[0]
    for name, point in a.landmarks_mm.items():
        if point is not None:
            np.testing.assert_allclose(b.landmarks_mm[name], point, atol=1e-3, err_msg=name)
