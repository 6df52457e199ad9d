"""Follow-up visits, checked against known changes: the same leg re-meshed, moved and in
other units changes nothing; a calf swollen by 5 % between two levels is found there, and
the brace fitted to the old leg then presses there; mismatched inputs are refused."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import trimesh
from typer.testing import CliRunner

from afofit.cli import app
from afofit.errors import InputError
from afofit.fitting import scan_legs
from afofit.followup import follow_up
from afofit.phantom import PhantomSpec, make_phantom
from afofit.report.html import external_references

from .conftest import error_text

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "scans"
#: The swelling: girths × 1.05 from LOW to HIGH mm above the sole, ramped over RAMP mm.
LOW, HIGH, RAMP, FACTOR = 200.0, 300.0, 10.0, 1.05


def _leg(faces: int, side: str = "right") -> trimesh.Trimesh:
    spec = PhantomSpec(seed=5, faces=faces, pose="neutral", noise_mm=0.1, side=side)
    return make_phantom(spec).mesh


def _moved_to_cm(mesh: trimesh.Trimesh) -> trimesh.Trimesh:
    """``mesh`` turned and moved (a new pose) and written in cm."""
    moved = mesh.copy()
    turn = trimesh.transformations.rotation_matrix(1.1, [0.3, -0.5, 0.8])
    turn[:3, 3] = [120.0, -40.0, 300.0]
    moved.apply_transform(turn)
    moved.apply_scale(0.1)
    return moved


@pytest.fixture(scope="module")
def visits(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The old scan and its fitting, the same leg re-meshed and moved into cm, and that
    leg with its calf swollen (girths × 1.05 over 200-300 mm, in the old leg's frame)."""
    from afofit.export import write_fit
    from afofit.fitting import fit

    folder = tmp_path_factory.mktemp("followup")
    old = folder / "old.stl"
    _leg(40000).export(old)
    anatomy, _ = scan_legs(old)
    frame = anatomy.legs[0].frame
    again = _leg(60000)  # the same leg, meshed anew
    shank = frame.to_shank_local(np.asarray(again.vertices))
    z = shank[:, 2]
    weight = np.clip(np.minimum(z - (LOW - RAMP), (HIGH + RAMP) - z) / RAMP, 0.0, 1.0)
    swollen_shank = shank.copy()
    swollen_shank[:, :2] *= (1.0 + (FACTOR - 1.0) * weight)[:, None]  # every section scaled
    swollen = trimesh.Trimesh(frame.shank_to_scan(swollen_shank), again.faces, process=False)
    paths = {"old": old, "same": folder / "same_cm.stl", "swollen": folder / "swollen_cm.stl"}
    _moved_to_cm(again).export(paths["same"])
    _moved_to_cm(swollen).export(paths["swollen"])
    write_fit(fit(old, design="pls"), folder / "fit")
    paths["fit"] = folder / "fit"
    return paths


def test_the_same_leg_moved_remeshed_and_in_cm_has_not_changed(visits: dict[str, Path]) -> None:
    result = follow_up(visits["old"], visits["same"], visits["fit"])
    assert result.new.units_detected == "cm"
    assert result.registration.residual_mm < 0.2, result.registration
    change = np.array([g.change_pct for g in result.girths])
    levels = np.array([g.level_mm for g in result.girths])
    assert len(change) >= 40 and levels[0] == 10.0 and np.all(np.diff(levels) == 10.0)
    assert np.abs(change).max() <= 0.5, (levels[np.argmax(np.abs(change))], change)
    assert abs(result.volume_change_pct) <= 0.5
    assert abs(result.foot_length_mm[1] - result.foot_length_mm[0]) <= 1.0
    assert result.swelling is None and result.wasting is None
    assert result.afo is not None and result.afo.verdict == "still fits", result.afo.reasons
    assert result.afo.pressure_area_mm2 == 0.0 and result.afo.pressure_levels_mm is None


def test_a_swollen_calf_is_found_where_it_swelled_and_the_brace_presses_there(
    visits: dict[str, Path],
) -> None:
    result = follow_up(visits["old"], visits["swollen"], visits["fit"])
    levels = np.array([g.level_mm for g in result.girths])
    change = np.array([g.change_pct for g in result.girths])
    inside = (levels >= LOW) & (levels <= HIGH)
    outside = (levels < LOW - RAMP) | (levels > HIGH + RAMP)
    assert inside.sum() == 11 and np.all(np.abs(change[inside] - 5.0) <= 1.0), change[inside]
    assert np.abs(change[outside]).max() <= 0.5, change[outside]
    assert result.swelling is not None and LOW - RAMP <= result.swelling.level_mm <= HIGH + RAMP
    assert result.volume_change_pct > 1.0
    brace = result.afo
    assert brace is not None and brace.verdict in ("refit", "adjust"), brace.reasons
    assert brace.pressure_levels_mm is not None
    low, high = brace.pressure_levels_mm
    assert LOW - 2 * RAMP <= low and high <= HIGH + 2 * RAMP, brace.pressure_levels_mm
    assert brace.pressure_area_mm2 > 1000.0


def test_the_command_writes_json_and_a_page_that_stands_alone(
    visits: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / "visit"
    args = ["follow-up", str(visits["old"]), str(visits["swollen"]), "--afo", str(visits["fit"])]
    result = CliRunner().invoke(app, [*args, "-o", str(out), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads((out / "follow-up.json").read_text())
    for key in ("side", "registration_residual_mm", "girth_change", "volume_change_pct",
                "foot_length_change_mm", "afo"):  # fmt: skip
        assert key in data
    assert set(data["girth_change"][0]) == {"level_mm", "old_mm", "new_mm", "change_pct"}
    assert data["afo"]["verdict"] in ("refit", "adjust")
    assert set(data["afo"]) >= {"reasons", "pressure_area_mm2", "pressure_levels_mm",
                                "loose_area_mm2"}  # fmt: skip
    page = (out / "follow-up.html").read_text()
    assert external_references(page) == [] and page.count("data:image/png;base64,") == 3
    again = CliRunner().invoke(app, [*args, "-o", str(tmp_path / "again")])
    assert again.exit_code == 0, again.output
    assert (tmp_path / "again" / "follow-up.json").read_bytes() == (
        out / "follow-up.json"
    ).read_bytes()  # the same inputs, the same bytes


def test_a_left_and_a_right_leg_are_refused(visits: dict[str, Path], tmp_path: Path) -> None:
    left = tmp_path / "left.stl"
    _leg(30000, side="left").export(left)
    with pytest.raises(InputError, match=r"is a right leg and left\.stl a left one"):
        follow_up(visits["old"], left)
    result = CliRunner().invoke(app, ["follow-up", str(visits["old"]), str(left), "-o",
                                      str(tmp_path / "out")])  # fmt: skip
    assert result.exit_code == 3 and not (tmp_path / "out").exists()


def test_a_brace_fitted_to_another_scan_is_refused(visits: dict[str, Path]) -> None:
    with pytest.raises(InputError, match=r"its brace was fitted to \S*old\.stl .*give the scan"):
        follow_up(visits["same"], visits["swollen"], visits["fit"])


@pytest.mark.skipif(
    not (SHARED / "ampscan_residual_limb_no_foot.stl").exists(),
    reason="../shared/data/scans/ampscan_residual_limb_no_foot.stl is not beside this checkout",
)
def test_a_scan_without_a_foot_is_refused(visits: dict[str, Path], tmp_path: Path) -> None:
    footless = SHARED / "ampscan_residual_limb_no_foot.stl"
    result = CliRunner().invoke(app, ["follow-up", str(visits["old"]), str(footless), "-o",
                                      str(tmp_path / "out")])  # fmt: skip
    assert result.exit_code == 6, error_text(result.output)


def test_a_damaged_fitting_folder_is_refused_before_any_work(
    visits: dict[str, Path], tmp_path: Path
) -> None:
    import shutil

    broken = tmp_path / "broken"
    shutil.copytree(visits["fit"], broken)
    data = json.loads((broken / "fitting.json").read_text())
    (broken / "fitting.json").write_text(json.dumps({**data, "legs": None}))
    with pytest.raises(InputError, match="has no legs or inputs"):
        follow_up(visits["old"], visits["same"], broken)
    (broken / "fitting.json").write_text(json.dumps(data))
    (broken / "afo.stl").unlink()
    with pytest.raises(InputError, match="holds no brace STL"):
        follow_up(visits["old"], visits["same"], broken)
    (broken / "fitting.json").write_text("{not json")
    with pytest.raises(InputError, match=r"no readable fitting\.json"):
        follow_up(visits["old"], visits["same"], broken)
