"""Given landmarks checked against a leg of known shape: a vertical cylinder of
radius 40 mm (the skin) standing on the sole, with a 260 mm foot."""

from __future__ import annotations

import numpy as np
import pytest

from afofit.errors import LandmarkError
from afofit.geometry.given import SKIN_ERROR_MM, SKIN_WARNING_MM, check_given_landmarks

RADIUS_MM = 40.0
FOOT_MM = 260.0


def _skin() -> tuple[np.ndarray, np.ndarray]:
    angle, z = np.meshgrid(np.linspace(0, 2 * np.pi, 180, endpoint=False), np.arange(0, 800, 2.0))
    normals = np.column_stack([np.cos(angle.ravel()), np.sin(angle.ravel()), 0 * z.ravel()])
    return np.column_stack([RADIUS_MM * normals[:, :2], z.ravel()]), normals


def _points(**moved: list[float]) -> dict[str, np.ndarray | None]:
    points = {
        "lateral_malleolus": [RADIUS_MM, 0.0, 65.0],  # x lateral: a right leg
        "medial_malleolus": [-RADIUS_MM, 0.0, 78.0],
        "ankle_axis_centre": [0.0, 0.0, 71.5],
        "knee_centre": [0.0, 0.0, 71.5 + 1.62 * FOOT_MM],
        "fibular_head": [RADIUS_MM, 0.0, 71.5 + 1.62 * FOOT_MM - 20.0],
        "heel": None,
    }
    points.update(moved)
    return {k: None if p is None else np.array(p, dtype=np.float64) for k, p in points.items()}


def _check(given: list[str], **moved: list[float]) -> list[str]:
    vertices, normals = _skin()
    return check_given_landmarks(
        _points(**moved), given, vertices, normals, np.zeros(3),
        foot_length_mm=FOOT_MM, side="right", leg="leg.stl, right leg",
    )  # fmt: skip


def test_landmarks_where_a_leg_has_them_pass_without_a_word() -> None:
    assert _check(list(_points())) == []


def test_a_landmark_off_the_skin_is_refused_with_its_distance() -> None:
    with pytest.raises(LandmarkError, match="lateral_malleolus lies 60 mm from the skin"):
        _check(["lateral_malleolus"], lateral_malleolus=[RADIUS_MM + 60.0, 0.0, 65.0])


def test_a_landmark_a_little_off_the_skin_is_a_warning_naming_it() -> None:
    off = 0.5 * (SKIN_WARNING_MM + SKIN_ERROR_MM)
    warnings = _check(["medial_malleolus"], medial_malleolus=[-RADIUS_MM - off, 0.0, 78.0])
    assert warnings == [
        f"leg.stl, right leg: the given medial_malleolus lies {off:.0f} mm from the skin; check it"
    ]


def test_a_joint_centre_may_lie_deep_but_not_outside() -> None:
    assert _check(["ankle_axis_centre"], ankle_axis_centre=[-30.0, 0.0, 71.5]) == []
    with pytest.raises(LandmarkError, match="ankle_axis_centre lies 30 mm outside the skin"):
        _check(["ankle_axis_centre"], ankle_axis_centre=[RADIUS_MM + 30.0, 0.0, 71.5])


def test_points_100_m_away_and_points_in_metres_are_told_apart() -> None:
    with pytest.raises(LandmarkError, match="lies 100 m from the skin") as far:
        _check(["lateral_malleolus"], lateral_malleolus=[RADIUS_MM + 1e5, 0.0, 65.0])
    assert "read in" not in str(far.value)
    with pytest.raises(
        LandmarkError, match="lands on the skin if read in m: give the points in mm"
    ):
        _check(["lateral_malleolus"], lateral_malleolus=[RADIUS_MM / 1000, 0.0, 0.065])


def test_swapped_malleoli_are_refused() -> None:
    with pytest.raises(
        LandmarkError, match="80 mm medial of the medial_malleolus: are the two swapped"
    ):
        _check(
            ["lateral_malleolus", "medial_malleolus"],
            lateral_malleolus=[-RADIUS_MM, 0.0, 78.0], medial_malleolus=[RADIUS_MM, 0.0, 65.0],
        )  # fmt: skip


def test_a_fibular_head_on_the_skin_but_at_no_adult_height_is_refused() -> None:
    high = 71.5 + 2.5 * FOOT_MM  # on the skin, 650 mm above the ankle
    with pytest.raises(LandmarkError, match="fibular_head lies 650 mm above the ankle centre"):
        _check(["fibular_head"], fibular_head=[RADIUS_MM, 0.0, high], knee_centre=None)


def test_a_fibular_head_above_the_knee_is_refused() -> None:
    knee = 71.5 + 1.62 * FOOT_MM
    with pytest.raises(LandmarkError, match="fibular_head lies 30 mm above the knee centre"):
        _check(["fibular_head"], fibular_head=[RADIUS_MM, 0.0, knee + 30.0])


def test_a_low_malleolus_is_a_warning_and_one_at_the_sole_an_error() -> None:
    warnings = _check(["lateral_malleolus"], lateral_malleolus=[RADIUS_MM, 0.0, 30.0])
    assert len(warnings) == 1 and "lateral_malleolus lies 30 mm above the sole" in warnings[0]
    assert "adults have 39-104 mm" in warnings[0]
    with pytest.raises(LandmarkError, match="lies 10 mm above the sole"):
        _check(["lateral_malleolus"], lateral_malleolus=[RADIUS_MM, 0.0, 10.0])
