"""The fixture's frame: the axis through the ankle, signed so that dorsiflexion is positive."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from afofit.mechanics.fixture import CLAMP_BELOW_ANKLE_MM, CUFF_BAND_MM, Fixture, standard_fixture


@pytest.mark.parametrize("lateral_x", [30.0, -30.0])  # a right and a left leg, same pose
def test_a_positive_turn_about_the_axis_moves_the_top_forward(lateral_x: float) -> None:
    up, anterior = np.array([0.0, 0.0, 1.0]), np.array([0.0, 1.0, 0.0])
    shell = np.array([[0.0, 0.0, -60.0], [0.0, 0.0, 320.0]])
    fixture = standard_fixture(
        np.array([lateral_x, -5.0, 70.0]), np.array([-lateral_x, 5.0, 75.0]),
        np.array([0.0, 0.0, 72.0]), up, anterior, shell,
    )  # fmt: skip
    assert fixture.axis @ up == pytest.approx(0.0, abs=1e-12)  # made perpendicular to up
    top = np.array([0.0, 0.0, 250.0])
    turned = Rotation.from_rotvec(0.1 * fixture.axis).apply(top)
    assert (turned - top) @ anterior > 0.0  # dorsiflexion: the shank's top goes forward
    assert fixture.cuff_from_mm == pytest.approx(320.0 - 72.0 - CUFF_BAND_MM)
    assert fixture.clamp_below_mm == CLAMP_BELOW_ANKLE_MM
    # The fixture's frame is right-handed and round-trips.
    assert np.linalg.det(fixture.rotation) == pytest.approx(1.0)
    assert np.allclose(fixture.to_scan(fixture.to_fixture(shell)), shell)


def test_the_fixture_is_data_for_fitting_json() -> None:
    fixture = Fixture(np.zeros(3), np.array([1.0, 0, 0]), np.array([0, 0, 1.0]), 40.0, 200.0)
    data = fixture.to_dict()
    assert data["cuff_constraint"] == "guided" and data["positive"] == "dorsiflexion"
    assert data["clamp_below_axis_mm"] == 40.0 and data["cuff_above_axis_mm"] == 200.0
    with pytest.raises(ValueError, match="cuff"):
        Fixture(
            np.zeros(3), np.array([1.0, 0, 0]), np.array([0, 0, 1.0]), 40.0, 200.0, cuff="hinge"
        )
