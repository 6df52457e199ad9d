"""Tuning a design to a target stiffness, against a stiffness law with a known answer."""

from __future__ import annotations

import math
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from afofit.design import DesignParameters, resolve_design
from afofit.errors import FitError
from afofit.fitting import scan_legs
from afofit.profiles import load_design, load_material
from afofit.tuning import (
    STRUT_WIDTH_RANGE_MM,
    TOLERANCE,
    strut_width_mm,
    tune_design,
    with_strut_width,
)

RADIUS_MM = 40.0


@cache
def _params(scan: Path, design: str) -> DesignParameters:
    anatomy, limbs = scan_legs(scan)
    leg = anatomy.legs[0]
    top = float(leg.frame.to_local(np.asarray(limbs[0].vertices))[:, 2].max())
    return resolve_design(load_design(design), load_material("pp-copolymer"), leg, top)


def law(p: DesignParameters) -> float:
    """A stiffness with the shape the FE study found: ∝ t^1.6, and ∝ strut width^1.8."""
    width = strut_width_mm(p, RADIUS_MM)
    k = 0.04 * p.thickness_mm**1.6
    return k * (width / 32.0) ** 1.8 if width is not None else 40.0 * k


def test_strut_width_round_trips_through_the_trim_angle(closed_leg: Path) -> None:
    pls = _params(closed_leg, "pls")
    wide = with_strut_width(pls, 40.0, RADIUS_MM)
    assert strut_width_mm(wide, RADIUS_MM) == pytest.approx(40.0)
    assert wide.ankle_trim_rad == pytest.approx(0.5)
    assert strut_width_mm(_params(closed_leg, "solid"), RADIUS_MM) is None


@pytest.mark.parametrize("target", [0.2, 0.35, 0.6])
def test_thickness_alone_reaches_a_target_within_range(closed_leg: Path, target: float) -> None:
    pls = with_strut_width(_params(closed_leg, "pls"), 32.0, RADIUS_MM)
    calls: list[float] = []

    def predict(p: DesignParameters) -> float:
        calls.append(p.thickness_mm)
        return law(p)

    tuned = tune_design(pls, target, predict, RADIUS_MM)
    assert abs(tuned.predicted_nm_per_deg / target - 1) <= TOLERANCE / 2
    assert tuned.predicted_nm_per_deg == law(tuned.params)  # it reports what it measured
    expected_t = (target / 0.04) ** (1 / 1.6)
    assert tuned.params.thickness_mm == pytest.approx(expected_t, rel=0.04)
    assert set(tuned.changed) == {"thickness_mm"}
    assert len(calls) <= 3 and len(tuned.steps) == len(calls)


def test_a_pls_beyond_its_thickest_widens_its_strut(closed_leg: Path) -> None:
    pls = with_strut_width(_params(closed_leg, "pls"), 32.0, RADIUS_MM)
    target = 0.04 * 6.0**1.6 * (40.0 / 32.0) ** 1.8  # 6 mm (the thickest) and a 40 mm strut
    tuned = tune_design(pls, target, law, RADIUS_MM)
    assert tuned.params.thickness_mm == 6.0
    width = strut_width_mm(tuned.params, RADIUS_MM)
    assert width is not None and width == pytest.approx(40.0, rel=0.06)
    assert tuned.changed["strut_width_mm"][0] == pytest.approx(32.0)


def test_a_target_out_of_reach_is_refused_with_what_is_reachable(closed_leg: Path) -> None:
    pls = with_strut_width(_params(closed_leg, "pls"), 32.0, RADIUS_MM)
    stiffest = 0.04 * 6.0**1.6 * (STRUT_WIDTH_RANGE_MM[1] / 32.0) ** 1.8
    with pytest.raises(FitError) as error:
        tune_design(pls, 5.0, law, RADIUS_MM)
    message = str(error.value)
    assert "out of reach for pls" in message and f"{stiffest:.2f} N·m/deg" in message
    assert "semi-rigid, solid" in message
    solid = _params(closed_leg, "solid")
    with pytest.raises(FitError, match=r"most flexible.*\(2\.5 mm\).*\(pls\)") as error:
        tune_design(solid, 0.5, law, RADIUS_MM)
    assert f"{40 * 0.04 * 2.5**1.6:.2f}" in str(error.value)


def test_a_target_met_at_the_start_changes_nothing(closed_leg: Path) -> None:
    pls = _params(closed_leg, "pls")
    tuned = tune_design(pls, law(pls) * 1.02, law, RADIUS_MM)
    assert tuned.params == pls and tuned.changed == {} and len(tuned.steps) == 1
    assert not math.isnan(tuned.predicted_nm_per_deg)


def test_a_scaled_refusal_judges_its_direction_on_the_scaled_stiffness(closed_leg: Path) -> None:
    """FE read half the fast model: shells predicted 1.2-1.5 are 0.6-0.75, short of 1.0."""
    from afofit.tuning import OutOfReachError, TuningStep

    pls = _params(closed_leg, "pls")
    steps = [TuningStep(5.0, 40.0, 1.2), TuningStep(6.0, 44.0, 1.5)]
    error = OutOfReachError(pls, 1.0, steps, RADIUS_MM, 0.5, "; scaled")
    assert error.nearest_step == steps[1] and error.nearest.thickness_mm == 6.0
    assert "the stiffest shell it reaches measures 0.75 N·m/deg (6 mm, strut 44 mm; scaled)" in str(
        error
    )


def test_the_changes_read_the_same_in_the_table_and_the_report() -> None:
    from afofit.tuning import describe_changes

    changed = {"thickness_mm": [3.5, 5.0], "strut_width_mm": [32.0, 41.18]}
    assert describe_changes(changed) == "thickness 3.5 → 5.0 mm, strut width 32.0 → 41.2 mm"
    assert describe_changes({}) == "no change needed"
