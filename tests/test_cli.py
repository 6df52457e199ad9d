"""The command line: help, version, exit codes and messages, the JSON contract, the README."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from afofit import __version__
from afofit.cli import app

from .conftest import shared_scan

runner = CliRunner()
README = Path(__file__).resolve().parents[1] / "README.md"
COMMANDS = ["phantom", "scan", "fit", "gait", "profiles"]


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert __version__ in result.output


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_and_is_in_the_readme(command: str) -> None:
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0
    assert "Usage" in result.output
    assert re.search(rf"afofit {command}\b", README.read_text()), (
        f"README lacks an `afofit {command}` example"
    )


def test_scan_errors_are_one_line_with_exit_code(tmp_path: Path) -> None:
    empty = tmp_path / "empty.stl"
    empty.write_bytes(b"")
    result = runner.invoke(app, ["scan", str(empty)])
    assert result.exit_code == 3
    assert "empty" in result.output
    assert "Traceback" not in result.output


def test_refuses_a_residual_limb_without_a_foot() -> None:
    path = shared_scan("ampscan_residual_limb_no_foot.stl")
    result = runner.invoke(app, ["scan", str(path)])
    assert result.exit_code == 6
    assert "not a lower leg with a foot" in result.output
    assert "Traceback" not in result.output


def test_scan_json_contract(phantom_file: Path) -> None:
    result = runner.invoke(app, ["scan", str(phantom_file), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["units_detected"] in {"mm", "cm", "m", "in"}
    assert isinstance(data["scale_to_mm"], float)
    assert isinstance(data["faces"], int)
    assert isinstance(data["warnings"], list)
    leg = data["legs"][0]
    assert leg["side"] in {"left", "right"}
    assert set(leg["frame"]) >= {"up", "anterior", "lateral"}
    assert set(leg["landmarks_mm"]) >= {
        "lateral_malleolus",
        "medial_malleolus",
        "ankle_axis_centre",
        "heel",
        "mtp1",
        "mtp5",
        "toe_tip",
        "knee_centre",
    }
    assert set(leg["measurements_mm"]) >= {
        "foot_length",
        "malleolar_width",
        "ankle_girth",
        "calf_girth_max",
        "shank_length",
    }
    assert set(leg["confidence"]) >= set(leg["landmarks_mm"])


def test_scan_table_is_the_default(phantom_file: Path) -> None:
    result = runner.invoke(app, ["scan", str(phantom_file)])
    assert result.exit_code == 0, result.output
    assert "ankle axis centre" in result.output
    assert "foot length" in result.output


def test_side_not_in_scan_is_refused(phantom_file: Path) -> None:
    truth = json.loads(phantom_file.with_suffix(".truth.json").read_text())
    other = "left" if truth["side"] == "right" else "right"
    result = runner.invoke(app, ["scan", str(phantom_file), "--side", other])
    assert result.exit_code == 3
    assert f"not a {other} one" in result.output


def test_phantom_command_writes_mesh_and_truth(tmp_path: Path) -> None:
    out = tmp_path / "leg.ply"
    result = runner.invoke(
        app, ["phantom", str(out), "--faces", "8000", "--units", "cm", "--seed", "2"]
    )
    assert result.exit_code == 0, result.output
    truth = json.loads((tmp_path / "leg.truth.json").read_text())
    assert truth["units_in_file"] == "cm" and truth["mesh_file"] == "leg.ply"
    assert out.stat().st_size > 0
    # leg.stl beside it would take leg.truth.json: refused, the first truth kept
    other = runner.invoke(app, ["phantom", str(tmp_path / "leg.stl"), "--faces", "8000"])
    assert other.exit_code == 5 and "holds the ground truth of leg.ply" in other.output
    assert json.loads((tmp_path / "leg.truth.json").read_text()) == truth
    assert not (tmp_path / "leg.stl").exists()
    again = runner.invoke(app, ["phantom", str(out), "--faces", "8000", "--seed", "3"])
    assert again.exit_code == 0  # the same mesh again: its own truth is replaced


def test_phantom_refuses_a_bad_output_before_work(tmp_path: Path) -> None:
    result = runner.invoke(app, ["phantom", str(tmp_path / "leg.txt")])
    assert result.exit_code == 5
    assert ".stl, .ply or .obj" in result.output
    assert list(tmp_path.iterdir()) == []


def test_profiles_lists_and_shows() -> None:
    listing = runner.invoke(app, ["profiles"])
    assert listing.exit_code == 0
    assert "pp-copolymer" in listing.output and "semi-rigid" in listing.output
    shown = runner.invoke(app, ["profiles", "pa12"])
    assert shown.exit_code == 0
    assert "modulus_gpa" in shown.output
    missing = runner.invoke(app, ["profiles", "steel"])
    assert missing.exit_code == 3
    assert "no profile named 'steel'" in missing.output


EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def test_gait_command_prints_json_and_writes_the_plot(tmp_path: Path) -> None:
    plot = tmp_path / "ankle.png"
    files = [str(EXAMPLES / "demo_gait_rested.csv"), str(EXAMPLES / "demo_gait_fatigued.csv")]
    result = runner.invoke(app, ["gait", *files, "--json", "--plot", str(plot), "--mass", "70"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [t["file"] for t in data["trials"]] == files
    assert data["prescription"]["right"]["afo_type"] != "none"
    assert any("--mass" in r["text"] or "70" in r["text"]
               for r in data["prescription"]["right"]["rationale"])  # fmt: skip
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    table = runner.invoke(app, ["gait", *files])
    assert table.exit_code == 0 and "prescription" in table.stdout
    # out-of-range means are marked by a symbol, not colour alone
    assert "-5.1 ± 3.4 ▼" in table.stdout and "▼ below, ▲ above" in table.stdout


@pytest.mark.parametrize(
    ("args", "phrase"),
    [
        (["--stiffness", "2,1"], "--stiffness"),
        (["--spasticity", "5"], "Modified Ashworth"),
        (["--spasticity", "up=1"], "--spasticity"),
        (["--pf-strength", "x"], "--pf-strength"),
        (["--contracture", "knee"], "--contracture"),
        (["--mass", "500"], "--mass"),
    ],
)
def test_gait_bad_options_get_one_line_and_exit_3(args: list[str], phrase: str) -> None:
    result = runner.invoke(app, ["gait", str(EXAMPLES / "demo_gait_rested.csv"), *args])
    assert result.exit_code == 3, result.output
    assert phrase in result.output


def test_a_plot_into_a_missing_folder_is_refused_before_work(tmp_path: Path) -> None:
    plot = tmp_path / "typo" / "ankle.png"
    result = runner.invoke(
        app, ["gait", str(EXAMPLES / "demo_gait_rested.csv"), "--plot", str(plot)]
    )
    assert result.exit_code == 5 and "create it first" in result.output
    assert not plot.parent.exists() and "Traceback" not in result.output


def test_gait_bad_file_gets_exit_3_and_no_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "trial.csv"
    bad.write_text("time,left_knee_deg\n0,1\n0.01,2\n")
    result = runner.invoke(app, ["gait", str(bad)])
    assert result.exit_code == 3
    assert "ankle" in result.output and "Traceback" not in result.output


def test_fit_and_stiffness_say_which_method_and_fixture(closed_leg: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    fitted = CliRunner().invoke(app, ["fit", str(closed_leg), "-o", str(out), "--thickness", "3"])
    assert fitted.exit_code == 0, fitted.output
    assert "ankle stiffness" in fitted.output and "fast model" in fitted.output
    block = json.loads((out / "fitting.json").read_text())["stiffness"]
    assert (
        block["method"] == "fast" and block["tuning"] is None and block["target_nm_per_deg"] is None
    )
    assert block["frontal_nm_per_deg"] > block["predicted_nm_per_deg"]  # a PLS twists less
    assert block["peak_stress_mpa"] is None  # FE's alone
    again = CliRunner().invoke(app, ["stiffness", str(out), "--method", "fast", "--json"])
    assert again.exit_code == 0, again.output
    leg = json.loads(again.stdout)["legs"][0]
    # The same shell read back (the STL stores float32) and the fixture rebuilt from the
    # landmarks fitting.json recorded: the same number to well within the model's error.
    assert leg["predicted_nm_per_deg"] == pytest.approx(block["predicted_nm_per_deg"], rel=2e-3)
    assert leg["fixture"]["cuff_constraint"] == block["fixture"]["cuff_constraint"]
    np.testing.assert_allclose(
        leg["fixture"]["axis_point_mm"], block["fixture"]["axis_point_mm"], atol=0.01
    )
    table = CliRunner().invoke(app, ["stiffness", str(out), "--method", "fast"])
    assert "by FE only (--method fe)" in table.output and "the fast model" in table.output


@pytest.mark.parametrize(
    ("args", "phrase"),
    [(["--stiffness-method", "exact"], "stiffness_method='exact'"),
     (["--stiffness", "30"], "--stiffness '30'")],
)  # fmt: skip
def test_bad_stiffness_options_fail_before_any_work(
    closed_leg: Path, tmp_path: Path, args: list[str], phrase: str
) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["fit", str(closed_leg), "-o", str(out), *args])
    assert result.exit_code == 3, result.output
    assert phrase in result.output and "Traceback" not in result.output and not out.exists()


def test_the_readme_s_exit_code_table_matches_the_errors() -> None:
    import afofit.errors as errors

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    table = readme.split("## Exit codes", 1)[1].split("\n## ", 1)[0]
    documented = {int(code) for code in re.findall(r"^\| (\d+) \|", table, re.M)}
    raised = {
        cls.exit_code
        for cls in vars(errors).values()
        if isinstance(cls, type) and issubclass(cls, errors.AfofitError)
    }
    assert documented == raised | {0, 2}, (documented, raised)  # 0 done, 2 usage (typer)
