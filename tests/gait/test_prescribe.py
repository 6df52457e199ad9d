"""Prescription rules (afo-engineering.md §2.2, §2.5) against hand-computed cases.

Built from hand-made TrialGait objects, so these tests do not depend on the readers or the
metrics. Hand numbers: 70 kg male, 260 mm foot → m_foot = 0.0143·70 = 1.001 kg,
d = (0.50 − 0.225)·260 = 71.5 mm, M_hold = 1.001·9.81·0.0715 = 0.7021 N·m.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from afofit.clinical import AFO_TYPES, ClinicalInputs, ashworth_score
from afofit.errors import GaitError, InputError
from afofit.gait.model import EventTimes, Flag, GaitTrial, SideGait, TrialGait
from afofit.gait.prescribe import prescribe, prescription_to_dict
from afofit.profiles import builtin_profiles
from afofit.units import deg_to_rad

M_HOLD_NM = 0.0143 * 70 * 9.81 * 0.0715  # 0.70214


def flag(name: str) -> Flag:
    return Flag(name, "peak_swing_df_rad", 0.0, 0.0, f"{name} (test)", "test")


def side_gait(
    side: str = "left",
    flags: tuple[str, ...] = (),
    mtc_mm: float | None = None,
    cycles: int = 4,
) -> SideGait:
    metrics = {
        "ankle_at_contact_rad": np.full(cycles, deg_to_rad(-3.0)),
        "peak_stance_df_rad": np.full(cycles, deg_to_rad(9.0)),
        "peak_swing_df_rad": np.full(cycles, deg_to_rad(-2.0)),
        "walking_speed_mm_per_s": np.full(cycles, 1100.0),
    }
    if mtc_mm is not None:
        metrics["min_toe_clearance_mm"] = np.array([mtc_mm - 1, mtc_mm + 1] * (cycles // 2))
    return SideGait(
        side=side,
        cycles=cycles,
        metrics=metrics,
        ankle_cycle_rad=np.zeros((cycles, 101)),
        stance_end_pct=61.0,
        flags=tuple(flag(f) for f in flags),
    )


def trial(path: str, *sides: SideGait, mass: float | None = None) -> TrialGait:
    raw = GaitTrial(path=path, rate_hz=100.0, time_s=np.arange(10) / 100.0, body_mass_kg=mass)
    events = {s.side: EventTimes(np.array([0.0, 1.0]), np.array([0.6])) for s in sides}
    return TrialGait(raw, events, "file", {s.side: s for s in sides})


MALE70 = ClinicalInputs(body_mass_kg=70.0, sex="male", foot_length_mm=260.0)


def texts(p) -> str:  # type: ignore[no-untyped-def]
    return " | ".join(r.text for r in p.rationale)


# --- rule 2: isolated dorsiflexor weakness, the §2.2 floor -----------------------------------


def test_hand_computed_pls_floor() -> None:
    left = prescribe(
        [trial("rested.c3d", side_gait(flags=("reduced_swing_df",), mtc_mm=13.0))], MALE70
    )["left"]
    assert left.afo_type == "pls"
    assert left.holding_moment_nm == pytest.approx(0.702, abs=5e-4)
    assert left.holding_moment_nm == pytest.approx(M_HOLD_NM, rel=1e-9)
    # Δθ = (13 − 5) mm / 171 mm/rad = 2.680° (the brief's 0.30 cm/deg rounding gives 2.67°).
    allow_deg = math.degrees(8.0 / 171.0)
    assert allow_deg == pytest.approx(2.67, abs=0.015)
    lo, hi = left.stiffness_nm_per_deg
    assert lo == pytest.approx(2 * M_HOLD_NM / allow_deg, rel=1e-9)
    assert lo == pytest.approx(0.526, rel=0.005)  # 0.524 with 17.1 cm/rad
    assert hi == pytest.approx(1.0)  # top of the usual PLS range
    assert "2.68°" in texts(left) and "0.524 N·m/deg" in texts(left)
    assert left.stiffness_nmm_per_rad[0] == pytest.approx(lo * 1000 * 180 / math.pi)
    assert all(r.source for r in left.rationale)


def test_toe_drag_clamps_the_deflection_to_one_degree() -> None:
    left = prescribe([trial("t.c3d", side_gait(flags=("toe_drag",), mtc_mm=1.0))], MALE70)["left"]
    lo, hi = left.stiffness_nm_per_deg
    assert lo == pytest.approx(2 * M_HOLD_NM / 1.0)  # 1.404
    assert hi == pytest.approx(1.5)  # at least 27 % wide (§1.1 [S1]) but a PLS stays <= 1.5
    assert left.afo_type == "pls"
    assert "clamped to 1.0°" in texts(left) and "above the usual PLS range" in texts(left)


def test_high_floor_escalates_to_semi_rigid() -> None:
    heavy = ClinicalInputs(body_mass_kg=80.0, sex="male", foot_length_mm=260.0)
    left = prescribe([trial("t.c3d", side_gait(flags=("toe_drag",), mtc_mm=0.0))], heavy)["left"]
    assert left.afo_type == "semi-rigid"
    lo, hi = left.stiffness_nm_per_deg
    assert lo == pytest.approx(2 * M_HOLD_NM * 80 / 70)
    assert hi == pytest.approx(1.27 * lo)
    assert "blocks loading-response plantarflexion" in texts(left)


def test_large_clearance_clamps_to_6_4_degrees() -> None:
    left = prescribe([trial("t.c3d", side_gait(flags=("foot_slap",), mtc_mm=40.0))], MALE70)["left"]
    assert left.stiffness_nm_per_deg == pytest.approx((2 * M_HOLD_NM / 6.4, 1.0))
    assert "clamped to 6.4°" in texts(left)


def test_no_toe_marker_assumes_healthy_clearance() -> None:
    left = prescribe([trial("t.c3d", side_gait(flags=("reduced_swing_df",)))], MALE70)["left"]
    assert left.stiffness_nm_per_deg[0] == pytest.approx(2 * M_HOLD_NM / math.degrees(8 / 171))
    assert "healthy 13 mm is assumed" in texts(left)
    assert left.spread[0].min_toe_clearance_mm is None


def test_mild_tone_uses_the_upper_safety_factor() -> None:
    clinical = ClinicalInputs(body_mass_kg=70.0, sex="male", foot_length_mm=260.0, spasticity=1)
    left = prescribe([trial("t.c3d", side_gait(flags=("toe_drag",), mtc_mm=13.0))], clinical)[
        "left"
    ]
    assert left.afo_type == "pls"
    assert left.stiffness_nm_per_deg[0] == pytest.approx(3 * M_HOLD_NM / math.degrees(8 / 171))


def test_female_unknown_sex_and_foot_length_defaults() -> None:
    t = [trial("t.c3d", side_gait(flags=("toe_drag",), mtc_mm=13.0))]
    female = prescribe(t, ClinicalInputs(body_mass_kg=60.0, sex="female", foot_length_mm=240.0))
    assert female["left"].holding_moment_nm == pytest.approx(0.0133 * 60 * 9.81 * 0.275 * 0.240)
    unknown = prescribe(t, ClinicalInputs(body_mass_kg=60.0, body_height_mm=1700.0))["left"]
    assert unknown.holding_moment_nm == pytest.approx(0.0138 * 60 * 9.81 * 0.275 * 0.152 * 1.7)
    assert "mean of 1.43 %" in texts(unknown) and "0.152 × stature" in texts(unknown)
    typical = prescribe(t, ClinicalInputs(body_mass_kg=60.0, sex="male"))["left"]
    assert "typical adult 260 mm" in texts(typical)


# --- rules 1, 3, 4 and no signs ---------------------------------------------------------------


@pytest.mark.parametrize(
    "clinical",
    [
        ClinicalInputs(body_mass_kg=70.0, spasticity=ashworth_score("1+")),
        ClinicalInputs(body_mass_kg=70.0, spasticity={"left": 3}),
        ClinicalInputs(body_mass_kg=70.0, contracture=True),
        ClinicalInputs(crouch={"left": True}),  # a solid AFO needs no body mass
    ],
)
def test_spasticity_contracture_or_crouch_give_a_solid_afo(clinical: ClinicalInputs) -> None:
    left = prescribe([trial("t.c3d", side_gait(flags=("toe_drag",), mtc_mm=10.0))], clinical)[
        "left"
    ]
    assert left.afo_type == "solid"
    assert left.stiffness_nm_per_deg[0] >= 4.0
    assert "solid AFO" in texts(left)


def test_spasticity_on_one_side_only() -> None:
    clinical = ClinicalInputs(
        body_mass_kg=70.0, sex="male", foot_length_mm=260.0, spasticity={"right": 2}
    )
    t = trial(
        "t.c3d", side_gait("left", ("toe_drag",), 13.0), side_gait("right", ("toe_drag",), 13.0)
    )
    result = prescribe([t], clinical)
    assert (result["left"].afo_type, result["right"].afo_type) == ("pls", "solid")
    assert "plantarflexion-stop articulated" in texts(result["right"])  # no contracture [S38]


@pytest.mark.parametrize("how", ["strength", "flag"])
def test_plantarflexor_weakness_gives_a_dorsal_leaf_range(how: str) -> None:
    clinical = ClinicalInputs(body_mass_kg=70.0, pf_strength=3 if how == "strength" else None)
    flags = ("excess_stance_df",) if how == "flag" else ()
    left = prescribe([trial("t.c3d", side_gait(flags=flags, mtc_mm=20.0))], clinical)["left"]
    assert left.afo_type == "semi-rigid"
    assert left.stiffness_nm_per_deg == pytest.approx((0.035 * 70, 0.09 * 70))
    assert "no dorsal-leaf profile yet" in texts(left) and "1.1°" in texts(left)


def test_mixed_takes_the_larger_need_and_suggests_articulated() -> None:
    clinical = ClinicalInputs(body_mass_kg=70.0, sex="male", foot_length_mm=260.0, pf_strength=2)
    left = prescribe([trial("t.c3d", side_gait(flags=("toe_drag",), mtc_mm=13.0))], clinical)[
        "left"
    ]
    assert left.afo_type == "semi-rigid"
    assert left.stiffness_nm_per_deg == pytest.approx((2.45, 6.3))
    assert "articulated" in texts(left)
    assert "isolated dorsiflexor weakness" not in texts(left)


def test_no_signs_no_afo_and_no_mass_needed() -> None:
    t = [trial("a.c3d", side_gait(mtc_mm=15.0)), trial("b.c3d", side_gait(flags=("asymmetry",)))]
    left = prescribe(t, ClinicalInputs())["left"]
    assert left.afo_type == "none"
    assert left.stiffness_nm_per_deg is None and left.holding_moment_nm is None
    assert left.rationale[0].text.startswith("no AFO: no foot-drop sign in 2 trial(s)")


def test_compensation_alone_is_noted_not_prescribed() -> None:
    left = prescribe(
        [trial("a.c3d", side_gait(flags=("steppage",), mtc_mm=30.0))], ClinicalInputs()
    )
    assert left["left"].afo_type == "none"
    assert "steppage was seen" in left["left"].rationale[1].text
    both = prescribe(
        [trial("b.c3d", side_gait(flags=("circumduction", "toe_drag"), mtc_mm=3.0))], MALE70
    )
    assert "foot-drop signs: toe_drag, circumduction" in texts(both["left"])


# --- several trials, overrides, mass ----------------------------------------------------------


def test_worst_trial_drives_and_the_spread_lists_every_trial() -> None:
    rested = trial("rested.c3d", side_gait(flags=("reduced_swing_df",), mtc_mm=13.0))
    hot = trial("hot.c3d", side_gait(flags=("toe_drag", "reduced_toe_clearance"), mtc_mm=2.0))
    fine = trial("morning.c3d", side_gait(mtc_mm=18.0))
    left = prescribe([rested, hot, fine], MALE70)["left"]
    assert left.driving_trial == "hot.c3d"
    assert left.stiffness_nm_per_deg[0] == pytest.approx(2 * M_HOLD_NM / 1.0)
    assert [s.trial for s in left.spread] == ["rested.c3d", "hot.c3d", "morning.c3d"]
    floors = [s.stiffness_floor_nm_per_deg for s in left.spread]
    assert floors[0] == pytest.approx(0.5239, abs=1e-4) and floors[1] == pytest.approx(
        1.404, abs=1e-3
    )
    assert [s.afo_type for s in left.spread] == ["pls", "pls", "none"]
    assert "the most demanding trial, hot.c3d" in texts(left)
    spread = prescription_to_dict({"left": left})["left"]["spread"]
    assert list(spread) == ["rested.c3d", "hot.c3d", "morning.c3d"]
    assert spread["hot.c3d"]["min_toe_clearance_mm"] == 2.0
    assert spread["rested.c3d"]["peak_swing_df_deg"] == -2.0


def test_ties_go_to_the_first_trial_and_repeated_paths_stay_apart() -> None:
    a = trial("same.c3d", side_gait(flags=("toe_drag",), mtc_mm=13.0))
    left = prescribe([a, a], MALE70)["left"]
    assert left.driving_trial == "same.c3d"
    assert [s.trial for s in left.spread] == ["same.c3d", "same.c3d (2)"]


def test_clinician_overrides_win() -> None:
    t = [trial("t.c3d", side_gait(flags=("toe_drag",), mtc_mm=13.0))]
    typed = prescribe(t, ClinicalInputs(body_mass_kg=70.0, afo_type="solid"))["left"]
    assert typed.afo_type == "solid" and typed.stiffness_nm_per_deg[0] >= 4.0
    assert typed.rationale[0].source == "set by the clinician"
    assert "afofit's rule gave pls" in typed.rationale[0].text
    both = prescribe(t, ClinicalInputs(afo_type="pls", stiffness_nm_per_deg=(0.8, 1.2)))["left"]
    assert both.stiffness_nm_per_deg == pytest.approx((0.8, 1.2))
    assert [r.source for r in both.rationale[:2]] == ["set by the clinician"] * 2
    none = prescribe(t, ClinicalInputs(afo_type={"left": "none"}))["left"]
    assert none.afo_type == "none" and none.stiffness_nm_per_deg is None
    assert "no foot-drop sign" not in texts(none)


def test_stiffness_override_on_a_side_without_an_afo() -> None:
    t = [trial("t.c3d", side_gait("left", ("toe_drag",), 13.0), side_gait("right", (), 15.0))]
    both = prescribe(t, ClinicalInputs(stiffness_nm_per_deg=(0.5, 0.9)))
    assert both["left"].stiffness_nm_per_deg == pytest.approx((0.5, 0.9))
    assert both["right"].afo_type == "none" and both["right"].stiffness_nm_per_deg is None
    assert "not applied" in texts(both["right"])
    with pytest.raises(InputError, match="right: a stiffness was given"):
        prescribe(t, ClinicalInputs(body_mass_kg=70.0, stiffness_nm_per_deg={"right": (0.5, 0.9)}))


def test_missing_mass_names_the_option() -> None:
    t = [trial("t.c3d", side_gait(flags=("toe_drag",), mtc_mm=13.0))]
    with pytest.raises(GaitError, match="--mass"):
        prescribe(t, ClinicalInputs())
    with pytest.raises(GaitError, match="--mass"):
        prescribe([trial("t.c3d", side_gait())], ClinicalInputs(pf_strength=1))


def test_mass_from_the_trial_file() -> None:
    t = [
        trial("zero.c3d", side_gait(flags=("toe_drag",), mtc_mm=13.0), mass=0.0),
        trial("bad.c3d", side_gait(), mass=900.0),
        trial("good.c3d", side_gait(), mass=70.0),
    ]
    left = prescribe(t, ClinicalInputs(sex="male", foot_length_mm=260.0))["left"]
    assert left.holding_moment_nm == pytest.approx(M_HOLD_NM)
    assert "body mass 70 kg from good.c3d" in texts(left)
    assert "900 kg in bad.c3d ignored" in texts(left)


def test_absent_sides_are_absent_and_no_stride_is_an_error() -> None:
    result = prescribe([trial("t.c3d", side_gait("right", ("toe_drag",), 13.0))], MALE70)
    assert list(result) == ["right"]
    with pytest.raises(GaitError, match="complete stride"):
        prescribe([trial("t.c3d")], MALE70)


def test_afo_types_are_design_profiles() -> None:
    assert set(AFO_TYPES) - {"none"} <= set(builtin_profiles()["designs"])


# --- JSON contract -----------------------------------------------------------------------------


def _plain(value: object) -> bool:
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_plain(v) for v in value)
    return value is None or type(value) in (str, int, float, bool)


def test_json_shape_is_plain_ordered_and_rounded() -> None:
    t = trial("t.c3d", side_gait("right", ("toe_drag",), 13.0), side_gait("left", (), 15.0))
    data = prescription_to_dict(prescribe([t], MALE70))
    assert list(data) == ["left", "right"]
    right = data["right"]
    assert list(right) == [
        "afo_type",
        "stiffness_nm_per_deg",
        "rationale",
        "holding_moment_nm",
        "driving_trial",
        "spread",
    ]
    assert right["stiffness_nm_per_deg"] == [0.524, 1.0]
    assert right["holding_moment_nm"] == 0.702
    assert set(right["rationale"][0]) == {"text", "source"}
    assert data["left"]["stiffness_nm_per_deg"] is None
    assert _plain(data)
    assert json.loads(json.dumps(data)) == data


# --- clinical input validation ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"spasticity": 5}, "Modified Ashworth"),
        ({"spasticity": {"left": 2.5}}, "Modified Ashworth"),
        ({"pf_strength": 6}, "MRC"),
        ({"pf_strength": {"right": 4.5}}, "MRC"),
        ({"pf_strength": True}, "MRC"),
        ({"body_mass_kg": 10.0}, r"--mass 10 kg: use 20-250 kg \(body_mass_kg\)"),
        ({"body_mass_kg": 300.0}, "--mass"),
        ({"sex": "m"}, "--sex 'm'"),
        ({"foot_length_mm": 50.0}, "foot_length_mm"),
        ({"body_height_mm": 17.5}, "--height"),
        ({"mtc_margin_mm": -1.0}, "mtc_margin_mm"),
        ({"afo_type": "dorsal-leaf"}, "--afo-type 'dorsal-leaf'"),
        ({"stiffness_nm_per_deg": (2.0, 1.0)}, "0 < low <= high"),
        ({"contracture": {"both": True}}, "'left' and/or 'right'"),
        ({"contracture": "yes"}, "true or false"),
        ({"afo_type": "none", "stiffness_nm_per_deg": (1.0, 2.0)}, "afo_type 'none'"),
    ],
)
def test_clinical_inputs_are_validated(kwargs: dict, match: str) -> None:
    with pytest.raises(InputError, match=match):
        ClinicalInputs(**kwargs)


def test_ashworth_grades() -> None:
    assert [ashworth_score(g) for g in ("0", "1", "1+", "2", 3, 4.0)] == [0, 1, 1.5, 2, 3, 4]
    for bad in ("1-", "5", "x", 2.5):
        with pytest.raises(InputError, match="Modified Ashworth grade"):
            ashworth_score(bad)


# --- invariants ---------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    mass=st.floats(20.0, 250.0),
    mtc=st.floats(-10.0, 60.0),
    length=st.floats(110.0, 380.0),
    margin=st.floats(0.0, 30.0),
)
def test_foot_drop_prescription_invariants(
    mass: float, mtc: float, length: float, margin: float
) -> None:
    clinical = ClinicalInputs(
        body_mass_kg=mass, sex="female", foot_length_mm=length, mtc_margin_mm=margin
    )
    left = prescribe([trial("t.c3d", side_gait(flags=("toe_drag",), mtc_mm=mtc))], clinical)["left"]
    lo, hi = left.stiffness_nm_per_deg
    assert left.afo_type in ("pls", "semi-rigid")
    assert 0 < lo < hi
    if left.afo_type == "pls":
        assert hi == pytest.approx(min(max(1.0, 1.27 * lo), 1.5))
    else:
        assert hi == pytest.approx(1.27 * lo)
    moment = 0.0133 * mass * 9.81 * 0.275 * length / 1000
    assert 2 * moment / 6.4 - 1e-9 <= lo <= 2 * moment / 1.0 + 1e-9
    assert (left.afo_type == "semi-rigid") == (lo > 1.5)
