"""Design resolution: every bad request fails before any geometry is built."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from afofit.design import (
    MALLEOLUS_COVER_MM,
    SULCUS_BEHIND_MTP_MM,
    about_shank,
    resolve_design,
)
from afofit.errors import FitError, InputError
from afofit.fitting import analyse_scan
from afofit.profiles import load_design, load_material


@pytest.fixture(scope="module")
def leg(closed_leg: Path):
    return analyse_scan(closed_leg).legs[0]


def _local(leg, name: str) -> np.ndarray:
    return leg.frame.to_local(leg.landmarks_mm[name][None, :])[0]


def test_thickness_outside_the_materials_range_is_refused(leg) -> None:
    with pytest.raises(InputError, match=r"outside pp-copolymer's range 2\.5-6 mm"):
        resolve_design(
            load_design("pls"), load_material("pp-copolymer"), leg, 600.0, thickness_mm=8.0
        )


def test_a_scan_too_short_for_an_afo_is_refused(leg) -> None:
    ankle = _local(leg, "ankle_axis_centre")
    with pytest.raises(FitError, match="too short for an AFO"):
        resolve_design(
            load_design("pls"), load_material("pp-copolymer"), leg, float(ankle[2] + 60.0)
        )


def test_footplates_end_where_they_should(leg) -> None:
    design, material = load_design("pls"), load_material("pp-copolymer")
    mtp1, mtp5, toe = _local(leg, "mtp1"), _local(leg, "mtp5"), _local(leg, "toe_tip")
    ends = {}
    for plate in ("three-quarter", "sulcus", "full"):
        params = resolve_design(design, material, leg, 600.0, footplate=plate)
        point, direction = params.footplate_end
        ends[plate] = point @ direction
        if plate == "sulcus":  # just behind the oblique line of the metatarsal heads
            assert mtp1[:2] @ direction - ends[plate] == pytest.approx(
                SULCUS_BEHIND_MTP_MM, abs=1e-6
            )
            assert mtp5[:2] @ direction - ends[plate] == pytest.approx(
                SULCUS_BEHIND_MTP_MM, abs=1e-6
            )
        if plate == "full":
            assert ends[plate] > toe[1]


def test_pls_strut_width_sets_the_ankle_trim(leg) -> None:
    params = resolve_design(load_design("pls"), load_material("pp-copolymer"), leg, 600.0)
    radius = leg.measurements.ankle_girth_mm / (2 * math.pi)
    assert params.ankle_trim_rad * radius * 2 == pytest.approx(32.0)
    assert params.ankle_trim_rad < math.radians(60)


def test_solid_trim_runs_in_front_of_both_malleoli(leg) -> None:
    solid = resolve_design(load_design("solid"), load_material("pp-copolymer"), leg, 600.0)
    radius = leg.measurements.ankle_girth_mm / (2 * math.pi)
    axis = leg.frame.rotation @ leg.frame.shank_up
    for name in ("lateral_malleolus", "medial_malleolus"):
        p = leg.frame.to_local(leg.landmarks_mm[name][None, :])
        in_front_mm = (solid.ankle_trim_rad - about_shank(p, axis)[1][0]) * radius
        assert in_front_mm >= MALLEOLUS_COVER_MM - 1e-9
    assert solid.ankle_trim_rad >= math.radians(115)  # never behind the profile's angle


def test_strap_slots_calf_for_every_design_ankle_where_the_trim_has_room(leg) -> None:
    material = load_material("pp-copolymer")
    pls = resolve_design(load_design("pls"), material, leg, 600.0, strap_slots=True)
    solid = resolve_design(load_design("solid"), material, leg, 600.0, strap_slots=True)
    assert len(pls.strap_slot_heights_mm) == 1  # a PLS strut has no room for an ankle slot
    assert len(solid.strap_slot_heights_mm) == 2
    assert solid.strap_slot_heights_mm[-1] == pytest.approx(solid.proximal_height_mm - 35.0)
    assert solid.summary()["strap_slot_heights_mm"] == [
        round(z, 1) for z in solid.strap_slot_heights_mm
    ]
    plain = resolve_design(load_design("solid"), material, leg, 600.0)
    assert not plain.strap_slots and plain.strap_slot_heights_mm == ()  # the profile's default
