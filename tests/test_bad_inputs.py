"""Bad scans, built here as small as they can be: each gets its exit code, one sentence
naming the file and what to do, no traceback, and no output folder (issue 12)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import trimesh
from typer.testing import CliRunner

from afofit.cli import app
from afofit.phantom import PhantomSpec, make_phantom

from .conftest import error_text


def _leg(seed: int, side: str = "right", shift: float = 0.0) -> trimesh.Trimesh:
    mesh = make_phantom(PhantomSpec(seed=seed, side=side, faces=6000, pose="neutral")).mesh
    mesh.apply_translation([shift, 0.0, 0.0])
    return mesh


def _box(fine: bool) -> trimesh.Trimesh:
    box = trimesh.creation.box(extents=[120.0, 260.0, 450.0])  # a leg-sized box
    if fine:
        box = trimesh.Trimesh(*trimesh.remesh.subdivide_to_size(box.vertices, box.faces, 12.0))
    return box


def _km() -> trimesh.Trimesh:
    leg = _leg(1)
    leg.apply_scale(1e-6)  # a leg in kilometres
    return leg


CASES = {
    # name: (mesh, extra options, exit code, words the message must hold)
    "cube": (lambda: trimesh.creation.box(extents=[50.0] * 3), [], 6, "only 12 faces"),
    "one_triangle": (
        lambda: trimesh.Trimesh([[0, 0, 0], [1, 0, 0], [0, 1, 0]], [[0, 1, 2]]), [], 6,
        "only 1 face ",
    ),
    "box": (lambda: _box(fine=False), [], 6, "only 12 faces"),
    "fine_box": (lambda: _box(fine=True), [], 6, "not a lower leg with a foot"),
    "kilometres": (_km, [], 3, "Rescale the scan to mm, cm, m or in"),
    "cm_on_a_mm_scan": (
        lambda: _leg(1), ["--units", "cm"], 3, "It is a leg's size read with --units mm (",
    ),
    "kilometres_as_m": (_km, ["--units", "m"], 3, "as given by --units"),
    "three_legs": (
        lambda: trimesh.util.concatenate([_leg(1), _leg(1, shift=400.0), _leg(2, "left", -300.0)]),
        [], 3, "holds 3 limb-sized pieces",
    ),
    "two_right_legs": (
        lambda: trimesh.util.concatenate([_leg(1), _leg(1, shift=400.0)]), [], 3,
        "both look like right legs",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("command", ["scan", "fit"])
def test_a_bad_scan_gets_one_sentence_and_its_exit_code(
    case: str, command: str, tmp_path: Path
) -> None:
    make, options, code, words = CASES[case]
    scan = tmp_path / f"{case}.stl"
    make().export(scan)
    out = tmp_path / "out"
    args = [command, str(scan), *options, *(["-o", str(out)] if command == "fit" else [])]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == code, result.output
    text = error_text(result.output)
    assert text.startswith(f"error: {scan.name}:") and words in text, text
    assert "Traceback" not in result.output and not out.exists()


def _stl_bytes() -> bytes:
    return trimesh.exchange.stl.export_stl(_leg(1))


FILES = {
    # name: (bytes, exit code, words the message must hold)
    "truncated.stl": (lambda: _stl_bytes()[:-700], 3, "truncated or corrupt"),
    "cut_header.ply": (lambda: b"ply\nformat ascii 1.0\nelement vertex 3\n", 3, "no 'end_header'"),
    "out_of_range.obj": (
        lambda: b"v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\nf 1 2 99\n", 3,
        "line 5: the face points at vertex 99, which the file does not have",
    ),
    "zero_based.obj": (
        lambda: b"v 0 0 0\nv 1 0 0\nv 0 1 0\nf 0 1 2\n", 3, "(3 vertices; OBJ counts from 1)",
    ),
    "no_vertex_index.obj": (
        lambda: b"v 0 0 0\nv 1 0 0\nv 0 1 0\nf /1 /2 /3\n", 3, "line 4: the face names no vertex",
    ),
    "text_in_a_vertex.obj": (
        lambda: b"v 0 0 0\nv 1 zero 0\nv 0 1 0\nf 1 2 3\n", 3, "line 2: 'v 1 zero 0' is not x y z",
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(FILES))
def test_a_corrupt_file_says_what_is_wrong_with_it(name: str, tmp_path: Path) -> None:
    make, code, words = FILES[name]
    scan = tmp_path / name
    scan.write_bytes(make())
    result = CliRunner().invoke(app, ["scan", str(scan)])
    assert result.exit_code == code, result.output
    text = error_text(result.output)
    assert text.startswith(f"error: {name}:") and words in text and "Traceback" not in text


@pytest.mark.parametrize(("holds", "named"), [("ply", "stl"), ("obj", "stl"), ("stl", "ply")])
def test_a_misnamed_scan_is_read_by_its_content(holds: str, named: str, tmp_path: Path) -> None:
    import json

    leg = _leg(1)
    wrong = tmp_path / f"leg.{named}"
    right = tmp_path / f"leg_right.{holds}"
    for path in (wrong, right):
        leg.export(path, file_type=holds)
    a = CliRunner().invoke(app, ["scan", str(wrong), "--json"])
    b = CliRunner().invoke(app, ["scan", str(right), "--json"])
    assert a.exit_code == b.exit_code == 0, a.output
    first, second = json.loads(a.stdout), json.loads(b.stdout)
    assert any(f"named .{named} but holds {holds.upper()}" in w for w in first["warnings"])
    assert first["legs"][0]["landmarks_mm"] == second["legs"][0]["landmarks_mm"]


TRUTH_KEYS = {
    "lateral_malleolus": "lateral_malleolus_mm", "medial_malleolus": "medial_malleolus_mm",
    "ankle_axis_centre": "ankle_joint_centre_mm", "heel": "heel_posterior_mm",
    "mtp1": "mtp1_joint_mm", "mtp5": "mtp5_joint_mm", "toe_tip": "toe_tip_mm",
    "knee_centre": "knee_joint_centre_mm", "fibular_head": "fibular_head_mm",
}  # fmt: skip


def _phantom_with_landmarks(
    tmp_path: Path, seed: int, foot_mm: float = 260.0, calf_mm: float = 360.0
) -> tuple[Path, dict]:
    spec = PhantomSpec(seed=seed, foot_length_mm=foot_mm, calf_girth_mm=calf_mm, faces=20000)
    phantom = make_phantom(spec)
    scan = tmp_path / f"leg{seed}.stl"
    phantom.mesh.export(scan)
    return scan, {k: phantom.truth[v] for k, v in TRUTH_KEYS.items()}


@pytest.mark.parametrize(
    ("seed", "foot_mm", "calf_mm"), [(3, 220, 300), (4, 260, 360), (5, 300, 440)]
)
def test_true_landmarks_pass_without_a_warning(
    seed: int, foot_mm: float, calf_mm: float, tmp_path: Path
) -> None:
    import json

    scan, truth = _phantom_with_landmarks(tmp_path, seed, foot_mm, calf_mm)
    marks = tmp_path / "marks.json"
    marks.write_text(json.dumps(truth))
    result = CliRunner().invoke(app, ["scan", str(scan), "--landmarks", str(marks), "--json"])
    assert result.exit_code == 0, result.output
    assert not [w for w in json.loads(result.stdout)["warnings"] if "given" in w]


def _moved(truth: dict, name: str, by_mm: float, axis: str) -> dict:
    import numpy as np

    ankle = np.array(truth["ankle_axis_centre"])
    lateral = np.array(truth["lateral_malleolus"]) - np.array(truth["medial_malleolus"])
    up = np.array(truth["knee_centre"]) - ankle
    direction = {"lateral": lateral, "up": up}[axis]
    point = np.array(truth[name]) + by_mm * direction / np.linalg.norm(direction)
    return {name: point.tolist()}


BAD_LANDMARKS = {
    # name: (landmarks from the truth, words the message must hold)
    "100_m_away": (lambda t: _moved(t, "lateral_malleolus", 1e5, "lateral"), "lies 100 m from the skin"),
    "60_mm_off": (lambda t: _moved(t, "lateral_malleolus", 60.0, "lateral"), "lies 60 mm from the skin"),
    "swapped": (
        lambda t: {"lateral_malleolus": t["medial_malleolus"], "medial_malleolus": t["lateral_malleolus"]},
        "are the two swapped",
    ),
    "fibular_head_300_mm_high": (lambda t: _moved(t, "fibular_head", 300.0, "up"), "fibular_head lies"),
    "in_metres": (
        lambda t: {"heel": [c / 1000 for c in t["heel"]]}, "lands on the skin if read in m",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(BAD_LANDMARKS))
def test_a_given_landmark_off_the_leg_is_refused(case: str, tmp_path: Path) -> None:
    import json

    make, words = BAD_LANDMARKS[case]
    scan, truth = _phantom_with_landmarks(tmp_path, 6)
    marks = tmp_path / "marks.json"
    marks.write_text(json.dumps(make(truth)))
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["fit", str(scan), "--landmarks", str(marks), "-o", str(out)])
    text = error_text(result.output)
    assert result.exit_code == 3 and text.startswith(f"error: {scan.name}, right leg: "), text
    assert words in text and "Traceback" not in text and not out.exists()


EXAMPLE_GAIT = Path(__file__).resolve().parents[1] / "examples" / "demo_gait_rested.csv"


def _gait_csv(change) -> str:  # type: ignore[no-untyped-def]
    """The demo trial with ``change(header, rows)`` applied to its data rows."""
    lines = EXAMPLE_GAIT.read_text().splitlines()
    head = next(i for i, line in enumerate(lines) if line.startswith("time"))
    rows = [line.split(",") for line in lines[head + 1 :]]
    rows = change(lines[head].split(","), rows)
    return "\n".join([*lines[: head + 1], *(",".join(r) for r in rows)]) + "\n"


def _scaled_ankle(factor: float):  # type: ignore[no-untyped-def]
    def change(header: list[str], rows: list[list[str]]) -> list[list[str]]:
        k = header.index("left_ankle_deg")
        for row in rows:
            row[k] = f"{float(row[k]) * factor:.6g}"
        return rows

    return change


def _infinite(header: list[str], rows: list[list[str]]) -> list[list[str]]:
    rows[40][header.index("left_ankle_deg")] = "inf"
    return rows


BAD_GAIT = {
    # name: (change to the demo trial, words the message must hold)
    "one_row": (lambda header, rows: rows[:1], "no complete stride to analyse: 1 sample"),
    "ankle_x1000": (_scaled_ankle(1000.0), "the left ankle angle reaches"),
    "an_inf_cell": (_infinite, "line 44, column 'left_ankle_deg': 'inf' is not a finite number"),
}  # fmt: skip


@pytest.mark.parametrize("case", [*sorted(BAD_GAIT), "negative_mass"])
def test_a_bad_gait_file_gets_one_sentence_naming_it(case: str, tmp_path: Path) -> None:
    if case == "negative_mass":
        text = _gait_csv(lambda header, rows: rows).replace("body_mass_kg: 72", "body_mass_kg: -70")
        words = "line 2: body_mass_kg -70 is not a body mass (20-250 kg)"
    else:
        change, words = BAD_GAIT[case]
        text = _gait_csv(change)
    trial = tmp_path / f"{case}.csv"
    trial.write_text(text)
    result = CliRunner().invoke(app, ["gait", str(trial)])
    text = error_text(result.output)
    assert result.exit_code == 3 and text.startswith(f"error: {trial.name}: "), text
    assert words in text and "Traceback" not in text


def test_ankle_angles_in_radians_draw_a_note(tmp_path: Path) -> None:
    import json

    trial = tmp_path / "radians.csv"
    trial.write_text(_gait_csv(_scaled_ankle(np.pi / 180.0)))
    result = CliRunner().invoke(app, ["gait", str(trial), "--json"])
    notes = json.loads(result.stdout)["warnings"] if result.exit_code == 0 else [result.output]
    assert any("if the file holds radians, convert them to degrees" in n for n in notes), notes


def test_brackets_in_a_name_are_printed_as_they_are(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["scan", str(tmp_path / "scan[red].stl")])
    assert result.exit_code == 3 and "scan[red].stl: no such file" in result.output


def test_slice_for_a_powder_material_is_refused_before_any_work(
    closed_leg: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    args = ["fit", str(closed_leg), "-o", str(out), "--material", "pa12", "--slice"]
    result = CliRunner().invoke(app, args)
    text = error_text(result.output)
    assert result.exit_code == 3, text
    assert "--slice makes FFF G-code, and pa12 is printed by MJF" in text, text
    assert "send afo.3mf to that printer or bureau" in text and not out.exists()
