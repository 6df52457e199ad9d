"""The manifest: CSV and TOML give the same requests; every wrong row is named by its row
number before any work."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from afofit.batch.manifest import ManifestError, read_manifest
from afofit.errors import InputError


@pytest.fixture
def folder(tmp_path: Path, closed_leg: Path) -> Path:
    shutil.copy(closed_leg, tmp_path / "leg.stl")
    (tmp_path / "gait").mkdir()
    examples = Path(__file__).resolve().parents[2] / "examples"
    for name in ("demo_gait_rested.csv", "demo_gait_fatigued.csv"):
        shutil.copy(examples / name, tmp_path / "gait" / name)
    return tmp_path


def test_csv_and_toml_give_the_same_cases(folder: Path) -> None:
    (folder / "m.csv").write_text(
        "case_id,scan,gait,design,thickness,stiffness,strap_slots,mass,date,patient_ref\n"
        "p01,leg.stl,gait/demo_gait_rested.csv;gait/demo_gait_fatigued.csv,pls,,0.5-1.0,yes,"
        "70,2026-12-01,P-1\n"
        "\n"
        "p02,leg.stl,,solid,4.5,,,,,\n"
    )
    (folder / "m.toml").write_text(
        '[[case]]\ncase_id = "p01"\nscan = "leg.stl"\n'
        'gait = ["gait/demo_gait_rested.csv", "gait/demo_gait_fatigued.csv"]\n'
        'design = "pls"\nstiffness = "0.5-1.0"\nstrap_slots = true\nmass = 70\n'
        'date = "2026-12-01"\npatient_ref = "P-1"\n'
        '[[case]]\ncase_id = "p02"\nscan = "leg.stl"\ndesign = "solid"\nthickness = 4.5\n'
    )
    csv_cases, toml_cases = read_manifest(folder / "m.csv"), read_manifest(folder / "m.toml")
    assert [c.request for c in csv_cases] == [c.request for c in toml_cases]
    first, second = csv_cases
    assert (first.row, second.row) == (2, 4)  # the file's lines: the blank line is no case
    # the paths as the manifest wrote them, relative to its folder (the case runs there)
    assert first.request.scan == Path("leg.stl") and first.base == folder
    assert first.request.gait == (
        Path("gait/demo_gait_rested.csv"), Path("gait/demo_gait_fatigued.csv")
    )  # fmt: skip
    located = first.located()
    assert located.scan == folder / "leg.stl" and all(p.is_file() for p in located.input_files())
    assert first.request.stiffness_nm_per_deg == (0.5, 1.0)
    assert first.request.strap_slots is True and first.request.clinical.body_mass_kg == 70.0
    assert first.request.case_id == "p01" and first.patient_ref == "P-1"
    assert second.request.thickness_mm == 4.5 and second.request.design == "solid"
    assert second.request.material == "pp-copolymer"


def test_every_wrong_row_is_named_before_any_work(folder: Path) -> None:
    (folder / "m.csv").write_text(
        "case_id,scan,design,thickness,stiffness,date\n"
        "ok,leg.stl,pls,,,\n"
        "../x,leg.stl,pls,,,\n"
        "/abs,leg.stl,pls,,,\n"
        "a/b,leg.stl,pls,,,\n"
        "ok,leg.stl,solid,,,\n"
        "d1,leg.stl,wobbly,,,\n"
        "d2,missing.stl,pls,,,\n"
        "d3,leg.stl,pls,-2,,\n"
        "d4,leg.stl,pls,,30,\n"
        "d5,leg.stl,pls,,,1 May\n"
        ",leg.stl,pls,,,\n"
    )
    with pytest.raises(ManifestError) as caught:
        read_manifest(folder / "m.csv")
    text = str(caught.value)
    assert "10 wrong row(s)" in text
    for row, phrase in [
        (3, "cannot name a folder inside OUT"), (4, "cannot name a folder"),
        (5, "cannot name a folder"), (6, "already row 2's"), (7, "wobbly"),
        (8, "no such file"), (9, "must be > 0 mm"), (10, "0 < LOW <= HIGH <= 20"),
        (11, "YYYY-MM-DD"), (12, "case_id is empty"),
    ]:  # fmt: skip
        line = next(ln for ln in text.splitlines() if ln.strip().startswith(f"row {row}:"))
        assert phrase in line, (row, line)
    assert isinstance(caught.value, InputError) and caught.value.exit_code == 3


@pytest.mark.parametrize(
    ("name", "text", "phrase"),
    [
        ("m.csv", "case_id,scan,thicknes\np,leg.stl,3\n", "unknown column(s) 'thicknes'"),
        ("m.csv", "case_id,design\np,pls\n", "lacks scan"),
        ("m.csv", "case_id,scan\n", "holds no cases"),
        ("m.toml", "[case]\ncase_id = 'p'\n", "[[case]] table"),
        ("m.toml", "[[case]]\ncase_id = 'p\n", "not valid TOML"),
        ("m.yaml", "cases: []\n", ".csv or a .toml"),
    ],
)
def test_a_manifest_that_cannot_be_read_says_why(
    folder: Path, name: str, text: str, phrase: str
) -> None:
    (folder / name).write_text(text)
    with pytest.raises(ManifestError) as caught:
        read_manifest(folder / name)
    assert phrase in str(caught.value)


def test_the_slice_column_and_slice_all(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from afofit.slicing import SLICER_ENV

    monkeypatch.setenv(SLICER_ENV, "sh")  # a program to find: the manifest is what is checked
    (folder / "m.csv").write_text(
        "case_id,scan,material,slice\n"
        "p01,leg.stl,petg,yes\n"
        "p02,leg.stl,petg,\n"
        "p03,leg.stl,pa12,no\n"
    )
    cases = read_manifest(folder / "m.csv")
    assert [c.request.slice_gcode for c in cases] == [True, False, False]
    # --slice slices every case: a powder material cannot be, and its row says so
    with pytest.raises(ManifestError, match=r"row 4: --slice makes FFF G-code, and pa12"):
        read_manifest(folder / "m.csv", slice_all=True)
    (folder / "m.csv").write_text("case_id,scan,slice\np01,leg.stl,maybe\n")
    with pytest.raises(ManifestError, match="row 2: slice 'maybe': write yes or no"):
        read_manifest(folder / "m.csv")
    monkeypatch.setenv(SLICER_ENV, "no-such-slicer-here")
    (folder / "m.csv").write_text("case_id,scan,material,slice\np01,leg.stl,petg,yes\n")
    with pytest.raises(ManifestError, match=f"row 2: {SLICER_ENV}=no-such-slicer-here names no"):
        read_manifest(folder / "m.csv")
