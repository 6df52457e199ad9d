"""required(): a landmark a step cannot do without is fetched, or named in a LandmarkError."""

from __future__ import annotations

import numpy as np
import pytest

from afofit.errors import LandmarkError
from afofit.geometry.required import required


def test_present_landmarks_come_back_in_the_order_asked() -> None:
    heel, toe = np.zeros(3), np.ones(3)
    got = required({"toe_tip": toe, "heel": heel, "knee_centre": None}, "heel", "toe_tip")
    assert got[0] is heel and got[1] is toe


def test_a_missing_landmark_is_named_with_the_way_to_give_it() -> None:
    points = {"heel": np.zeros(3), "knee_centre": None}
    with pytest.raises(LandmarkError, match=r"no knee centre and toe tip.*--landmarks"):
        required(points, "heel", "knee_centre", "toe_tip")
