"""Bad scans, built here as small as they can be: each gets its exit code, one sentence
naming the file and what to do, no traceback, and no output folder (issue 12)."""

from __future__ import annotations

from pathlib import Path

import pytest
import trimesh
from typer.testing import CliRunner

from afofit.cli import app
from afofit.phantom import PhantomSpec, make_phantom


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
    "kilometres": (_km, [], 3, "Give the scan's true units with --units"),
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
    text = " ".join(result.output.split())
    assert text.startswith(f"error: {scan.name}:") and words in text, text
    assert "Traceback" not in result.output and not out.exists()


def _stl_bytes() -> bytes:
    return trimesh.exchange.stl.export_stl(_leg(1))


FILES = {
    # name: (bytes, exit code, words the message must hold)
    "truncated.stl": (lambda: _stl_bytes()[:-700], 3, "truncated or corrupt"),
    "out_of_range.obj": (
        lambda: b"v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\nf 1 2 99\n", 3,
        "faces point at vertices the file does not have",
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(FILES))
def test_a_corrupt_file_says_what_is_wrong_with_it(name: str, tmp_path: Path) -> None:
    make, code, words = FILES[name]
    scan = tmp_path / name
    scan.write_bytes(make())
    result = CliRunner().invoke(app, ["scan", str(scan)])
    assert result.exit_code == code, result.output
    text = " ".join(result.output.split())
    assert text.startswith(f"error: {name}:") and words in text and "Traceback" not in text


def test_a_ply_named_stl_is_read_by_its_content(tmp_path: Path) -> None:
    leg = _leg(1)
    named = tmp_path / "leg.stl"
    named.write_bytes(trimesh.exchange.ply.export_ply(leg))
    right = tmp_path / "leg.ply"
    right.write_bytes(trimesh.exchange.ply.export_ply(leg))
    a = CliRunner().invoke(app, ["scan", str(named), "--json"])
    b = CliRunner().invoke(app, ["scan", str(right), "--json"])
    assert a.exit_code == b.exit_code == 0, a.output
    import json

    first, second = json.loads(a.stdout), json.loads(b.stdout)
    assert any("named .stl but holds PLY" in w for w in first["warnings"])
    assert first["legs"][0]["landmarks_mm"] == second["legs"][0]["landmarks_mm"]
