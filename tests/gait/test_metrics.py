"""Per-cycle metrics and flags: known by construction, property-tested, and exact on real C3Ds."""

from __future__ import annotations

import dataclasses
import itertools
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from afofit.errors import GaitError
from afofit.gait.events import detect_events, match_events
from afofit.gait.flags import ASYMMETRY, THRESHOLDS, flag_asymmetry, flag_side
from afofit.gait.metrics import analyse_trial
from afofit.gait.model import METRICS, EventTimes, GaitTrial, TrialGait
from afofit.gait.synthetic import synthetic_trial
from afofit.units import deg_to_rad, rad_to_deg
from tests.gait.test_events import GAIT_DATA, real_trial

FOOT_DROP_SIGNS = {"reduced_swing_df", "toe_drag", "reduced_toe_clearance", "equinus_at_contact"}


def names(flags: tuple) -> set[str]:
    return {f.name for f in flags}


def frame(trial: GaitTrial, when: float) -> int:
    return int(np.argmin(np.abs(trial.time_s - when)))


def test_stride_time_and_stance_equal_the_construction() -> None:
    trial, truth = synthetic_trial(11, stance_frac=0.64, start_time_s=-3.2)
    result = analyse_trial(trial)
    assert result.events_source == "file"
    for side, sg in result.sides.items():
        strikes = truth.events[side].foot_strike_s
        assert sg.cycles == 6
        np.testing.assert_allclose(sg.metrics["stride_time_s"], np.diff(strikes)[:6], atol=1e-12)
        np.testing.assert_allclose(sg.metrics["stance_pct"], 64.0, atol=1e-9)
        assert sg.stance_end_pct == pytest.approx(64.0)
        np.testing.assert_allclose(sg.metrics["cadence_steps_per_min"], 120 / np.diff(strikes)[:6])
        assert sg.ankle_cycle_rad.shape == (6, 101)


def test_constant_swing_ankle_gives_that_swing_df() -> None:
    """Set the ankle to -8° from each foot off to the next strike: peak = mean = -8°."""
    trial, truth = synthetic_trial(5)
    ankle = trial.angles_rad[("left", "ankle")].copy()
    ev = truth.events["left"]
    for fo in ev.foot_off_s:
        later = ev.foot_strike_s[ev.foot_strike_s > fo]
        if len(later):
            ankle[frame(trial, fo) : frame(trial, later[0]) + 1, 0] = deg_to_rad(-8.0)
    angles = {**trial.angles_rad, ("left", "ankle"): ankle}
    sg = analyse_trial(dataclasses.replace(trial, angles_rad=angles)).sides["left"]
    np.testing.assert_allclose(sg.metrics["peak_swing_df_rad"], deg_to_rad(-8.0), atol=1e-15)
    np.testing.assert_allclose(sg.metrics["mean_swing_df_rad"], deg_to_rad(-8.0), atol=1e-15)
    np.testing.assert_allclose(sg.metrics["ankle_at_toe_off_rad"], deg_to_rad(-8.0), atol=1e-15)
    assert "reduced_swing_df" in names(sg.flags)


@pytest.mark.parametrize("treadmill", [False, True])
def test_walking_speed_and_normal_values(treadmill: bool) -> None:
    trial, _ = synthetic_trial(8, speed_mm_per_s=1100.0, treadmill=treadmill, heading_deg=35.0)
    for sg in analyse_trial(trial).sides.values():
        assert np.mean(sg.metrics["walking_speed_mm_per_s"]) == pytest.approx(1100.0, rel=0.03)
        assert rad_to_deg(np.mean(sg.metrics["peak_stance_df_rad"])) == pytest.approx(10, abs=1)
        assert rad_to_deg(np.mean(sg.metrics["peak_swing_df_rad"])) == pytest.approx(3, abs=1)
        assert np.mean(sg.metrics["min_toe_clearance_mm"]) == pytest.approx(15.0, abs=2.0)
        assert np.mean(sg.metrics["circumduction_mm"]) == pytest.approx(25.0, abs=4.0)
        assert sg.flags == ()


def test_metrics_the_trial_cannot_give_are_absent() -> None:
    trial, _ = synthetic_trial(2, with_markers=False)
    no_knee = {k: v for k, v in trial.angles_rad.items() if k[1] != "knee"}
    sg = analyse_trial(dataclasses.replace(trial, angles_rad=no_knee)).sides["right"]
    missing = {
        "walking_speed_mm_per_s",
        "min_toe_clearance_mm",
        "circumduction_mm",
        "peak_swing_knee_flexion_rad",
    }
    assert set(sg.metrics) == set(METRICS) - missing
    assert all(len(v) == sg.cycles for v in sg.metrics.values())


def test_severe_foot_drop_with_compensations_is_flagged() -> None:
    trial, _ = synthetic_trial(
        6, foot_drop={"left": 1.0}, steppage={"left": 1.0}, circumduction_mm={"left": 60.0}
    )
    result = analyse_trial(trial)
    left = names(result.sides["left"].flags)
    assert FOOT_DROP_SIGNS | {"foot_slap", "steppage", "circumduction", "asymmetry"} <= left
    assert result.sides["right"].flags == ()
    drop = next(f for f in result.sides["left"].flags if f.name == "reduced_swing_df")
    assert drop.value < drop.limit == 0.0
    assert re.search(r"-\d+\.\d°", drop.detail) and "[S47]" in drop.source


def test_threshold_table_is_sourced_and_converted_once() -> None:
    for rule in (*THRESHOLDS, *ASYMMETRY):
        assert rule.metric in METRICS
        assert "[S" in rule.source or "[D]" in rule.source, rule
        if rule.unit in ("deg", "deg/s"):
            assert rule.limit == pytest.approx(deg_to_rad(rule.value))
        else:
            assert rule.limit == rule.value


def test_asymmetry_needs_both_sides() -> None:
    trial, _ = synthetic_trial(1, foot_drop={"right": 1.0})
    sides = analyse_trial(trial).sides
    assert flag_asymmetry({"right": sides["right"]}) == {"right": ()}
    assert names(flag_asymmetry(sides)["right"]) == {"asymmetry"}
    assert flag_asymmetry(sides)["left"] == ()
    assert flag_side(sides["left"]) == ()


def test_no_complete_stride_is_a_gait_error() -> None:
    trial, truth = synthetic_trial(0)
    one = {s: EventTimes(e.foot_strike_s[:1], e.foot_off_s) for s, e in truth.events.items()}
    with pytest.raises(GaitError, match="no complete stride"):
        analyse_trial(trial, one)


def test_file_and_detected_events_give_the_same_metrics() -> None:
    trial, _ = synthetic_trial(9, foot_drop={"left": 0.6})
    by_file = analyse_trial(trial)
    detected = analyse_trial(trial, use_file_events=False)
    assert detected.events_source == "detected"
    _same_means(by_file, detected)


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    rate_hz=st.sampled_from([60.0, 100.0, 120.0, 200.0]),
    speed=st.floats(500.0, 1600.0),
    severity=st.floats(0.0, 1.0),
    offset_s=st.floats(-10.0, 1000.0),
    treadmill=st.booleans(),
    heading_deg=st.floats(0.0, 360.0),
)
def test_property_events_recovered_and_foot_drop_flagged_iff_severe(
    seed: int,
    rate_hz: float,
    speed: float,
    severity: float,
    offset_s: float,
    treadmill: bool,
    heading_deg: float,
) -> None:
    """Measured over 300 random trials: median ≤ 28 ms, max ≤ 31 ms, flags exact."""
    trial, truth = synthetic_trial(
        seed,
        rate_hz=rate_hz,
        speed_mm_per_s=speed,
        foot_drop={"left": severity},
        start_time_s=offset_s,
        treadmill=treadmill,
        heading_deg=heading_deg,
        noise_deg=0.5,
        with_events=False,
    )
    detected, _ = detect_events(trial)
    lo, hi = trial.time_s[0] + 0.1, trial.time_s[-1] - 0.1
    for side, ev in truth.events.items():
        for kind in ("foot_strike_s", "foot_off_s"):
            ref = getattr(ev, kind)
            err, unmatched = match_events(
                getattr(detected[side], kind), ref[(ref > lo) & (ref < hi)], 0.05
            )
            assert (
                unmatched == 0 and np.median(np.abs(err)) <= 0.030 and np.max(np.abs(err)) <= 0.040
            )
    result = analyse_trial(trial)
    assert result.events_source == "detected"
    left, right = names(result.sides["left"].flags), names(result.sides["right"].flags)
    assert right == set()  # the normal side is never flagged
    if severity >= 0.4:
        assert "reduced_swing_df" in left
    if severity <= 0.1:
        assert "reduced_swing_df" not in left
    if severity == 0.0:
        assert left == set()


def _same_means(a: TrialGait, b: TrialGait) -> None:
    """Side means of two analyses of one trial agree within event-timing effects."""
    tol = {
        "stride_time_s": 0.01,
        "stance_pct": 2.0,
        "walking_speed_mm_per_s": 20.0,
        "loading_pf_velocity_rad_per_s": deg_to_rad(25.0),
        "min_toe_clearance_mm": 2.0,
        "circumduction_mm": 3.0,
        "ankle_at_toe_off_rad": deg_to_rad(3.0),  # push-off: ≈ 250°/s, so 10 ms is 2.5°
    }
    for side, sg in a.sides.items():
        other = b.sides[side]
        for name, values in sg.metrics.items():
            if name == "cadence_steps_per_min":
                continue
            limit = tol.get(name, deg_to_rad(1.0))  # every other metric is an angle
            assert np.mean(values) == pytest.approx(np.mean(other.metrics[name]), abs=limit), name


@pytest.mark.slow
def test_lab_and_detected_events_agree_on_hbm2() -> None:
    trial = real_trial("treadmill_hbm2_events.c3d")
    _same_means(analyse_trial(trial), analyse_trial(trial, use_file_events=False))


@pytest.mark.slow
@pytest.mark.parametrize("name", ["treadmill_hbm2_events.c3d", "overground_pig_fullbody.c3d"])
def test_healthy_reference_trials_raise_no_flags(name: str) -> None:
    result = analyse_trial(real_trial(name))
    assert result.events_source == "file"
    assert {s: names(sg.flags) for s, sg in result.sides.items()} == {"left": set(), "right": set()}


@pytest.mark.slow
@pytest.mark.parametrize("name", ["treadmill_hbm2_events.c3d", "overground_pig_fullbody.c3d"])
def test_ankle_metrics_reproduce_the_files_model_outputs_exactly(name: str) -> None:
    """Straight from ezc3d, in degrees: ankle at each strike and peak stance DF per stride.

    metrics.py reads an event at the sample nearest its time, and a phase as the samples
    from the nearest one of its start to the nearest one of its end, inclusive.
    """
    result = analyse_trial(real_trial(name))
    import ezc3d

    c3d = ezc3d.c3d(str(GAIT_DATA / name))
    par = c3d["parameters"]
    labels = list(par["POINT"]["LABELS"]["value"])
    rate = float(par["POINT"]["RATE"]["value"][0])
    n = c3d["data"]["points"].shape[2]
    time_s = (c3d["header"]["points"]["first_frame"] + np.arange(n)) / rate
    ev = par["EVENT"]
    for side, prefix in (("left", "L"), ("right", "R")):
        ankle_deg = c3d["data"]["points"][0, labels.index(prefix + "AnkleAngles"), :]
        pick = [
            (label, float(when))
            for ctx, label, when in zip(
                ev["CONTEXTS"]["value"], ev["LABELS"]["value"], ev["TIMES"]["value"][1], strict=True
            )
            if ctx.lower() == side
        ]
        strikes = sorted(w for lab, w in pick if lab == "Foot Strike")
        offs = sorted(w for lab, w in pick if lab == "Foot Off")
        at_contact, peak_df = [], []
        for a, b in itertools.pairwise(strikes):
            fo = [o for o in offs if a < o < b]
            ia = int(np.argmin(np.abs(time_s - a)))
            io = int(np.argmin(np.abs(time_s - fo[0])))
            at_contact.append(ankle_deg[ia])
            peak_df.append(ankle_deg[ia : io + 1].max())
        sg = result.sides[side]
        assert sg.cycles == len(strikes) - 1
        got_contact = np.rad2deg(sg.metrics["ankle_at_contact_rad"])
        got_peak = np.rad2deg(sg.metrics["peak_stance_df_rad"])
        np.testing.assert_allclose(got_contact, at_contact, rtol=0, atol=1e-9)
        np.testing.assert_allclose(got_peak, peak_df, rtol=0, atol=1e-9)
