"""The gait pipeline's edge: pooled metrics in clinic units, the JSON contract, side filtering."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from afofit.clinical import ClinicalInputs
from afofit.errors import InputError
from afofit.fitting import analyse_gait
from afofit.gait.analysis import edge_metric, gait_to_dict, pooled_metrics

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
DEMO = [EXAMPLES / "demo_gait_rested.csv", EXAMPLES / "demo_gait_fatigued.csv"]


@pytest.mark.parametrize(
    ("name", "edge", "factor"),
    [
        ("ankle_at_contact_rad", "ankle_at_contact_deg", 180 / math.pi),
        ("loading_pf_velocity_rad_per_s", "loading_pf_velocity_deg_per_s", 180 / math.pi),
        ("walking_speed_mm_per_s", "walking_speed_m_per_s", 1e-3),
        ("min_toe_clearance_mm", "min_toe_clearance_mm", 1.0),
        ("stance_pct", "stance_pct", 1.0),
    ],
)
def test_edge_metric_names_carry_the_new_unit(name: str, edge: str, factor: float) -> None:
    assert edge_metric(name) == (edge, pytest.approx(factor))


def test_pooled_metrics_are_the_mean_and_sd_over_every_stride_of_every_trial() -> None:
    analysis = analyse_gait(DEMO)
    per_cycle = np.concatenate(
        [t.sides["right"].metrics["peak_swing_df_rad"] for t in analysis.trials]
    )
    pooled = pooled_metrics(analysis.trials, "right")["peak_swing_df_deg"]
    assert pooled["n"] == len(per_cycle) == sum(t.sides["right"].cycles for t in analysis.trials)
    assert pooled["mean"] == pytest.approx(np.degrees(per_cycle.mean()), abs=1e-3)
    assert pooled["sd"] == pytest.approx(np.degrees(per_cycle.std(ddof=1)), abs=1e-3)


def test_demo_foot_drop_is_found_on_the_right_only_and_a_pls_is_prescribed() -> None:
    data = gait_to_dict(analyse_gait(DEMO))
    assert set(data) == {"convention", "trials", "sides", "prescription", "warnings"}
    right = {f["name"] for f in data["sides"]["right"]["flags"]}
    assert {"reduced_swing_df", "toe_drag"} <= right
    assert not {"reduced_swing_df", "toe_drag"} & {
        f["name"] for f in data["sides"]["left"]["flags"]
    }
    assert data["prescription"]["left"]["afo_type"] == "none"
    assert data["prescription"]["right"]["afo_type"] in ("pls", "semi-rigid")
    lo, hi = data["prescription"]["right"]["stiffness_nm_per_deg"]
    assert 0.0 < lo <= hi
    for trial in data["trials"]:
        assert trial["events_source"] == "file"
        assert set(trial["events"]) == {"left", "right"}
        assert trial["body_mass_kg"] == 72.0


def test_gait_json_is_stable_and_plain() -> None:
    one = json.dumps(gait_to_dict(analyse_gait(DEMO)), sort_keys=False)
    two = json.dumps(gait_to_dict(analyse_gait(DEMO)), sort_keys=False)
    assert one == two


def test_side_option_keeps_one_side_and_refuses_a_missing_one(tmp_path: Path) -> None:
    analysis = analyse_gait(DEMO, side="right")
    assert analysis.sides == ("right",)
    assert set(analysis.prescription) == {"right"}
    only_left = tmp_path / "left.csv"
    lines = (EXAMPLES / "demo_gait_rested.csv").read_text().splitlines()
    header = lines[2].split(",")
    keep = [i for i, h in enumerate(header) if not h.startswith("right_")]
    only_left.write_text(
        "\n".join([*lines[:2], *(",".join(row.split(",")[i] for i in keep) for row in lines[2:])])
    )
    with pytest.raises(InputError, match="no complete right stride"):
        analyse_gait([only_left], side="right")


def test_clinician_overrides_win_and_say_so() -> None:
    clinical = ClinicalInputs(afo_type="solid", stiffness_nm_per_deg=(4.0, 5.0))
    rx = analyse_gait(DEMO, side="right", clinical=clinical).prescription["right"]
    assert rx.afo_type == "solid"
    assert rx.stiffness_nm_per_deg == (4.0, 5.0)
    assert any("clinician" in r.source for r in rx.rationale)


def test_no_files_is_an_input_error() -> None:
    with pytest.raises(InputError, match="no gait file"):
        analyse_gait([])


def test_a_running_trial_is_named_as_one(tmp_path: Path) -> None:
    """Cadence 240 steps/min at 2.6 m/s: the walking bands do not apply, and it says so."""
    from afofit.export import write_gait_csv
    from afofit.fitting import analyse_gait
    from afofit.gait.synthetic import synthetic_trial

    running, _ = synthetic_trial(2, stride_time_s=0.5, stance_frac=0.5, speed_mm_per_s=2600.0)
    walking, _ = synthetic_trial(2)
    for name, trial in (("run.csv", running), ("walk.csv", walking)):
        write_gait_csv(trial, tmp_path / name, body_mass_kg=70.0)
    notes = analyse_gait([tmp_path / "run.csv", tmp_path / "walk.csv"]).warnings
    run = [n for n in notes if "looks like running" in n]
    assert run and all(n.startswith("run.csv:") for n in run), notes
    assert "for walking" in run[0]
