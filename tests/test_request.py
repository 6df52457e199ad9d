"""FitRequest: plain data with a stable key; fit() takes it and writes nothing."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from afofit.clinical import ClinicalInputs
from afofit.errors import InputError
from afofit.request import FitRequest


def _tree(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` with the SHA-256 of its bytes."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_paths_and_sequences_are_normalised_so_equal_requests_are_equal(tmp_path: Path) -> None:
    a = FitRequest(str(tmp_path / "leg.stl"), gait=[str(tmp_path / "t.csv")], landmarks="m.json")
    b = FitRequest(tmp_path / "leg.stl", gait=(tmp_path / "t.csv",), landmarks=Path("m.json"))
    assert a == b
    assert isinstance(a.scan, Path) and a.gait == (tmp_path / "t.csv",)


def test_to_dict_is_json_and_names_every_field(tmp_path: Path) -> None:
    request = FitRequest(
        tmp_path / "leg.stl", design="solid", thickness_mm=4.5, stiffness_nm_per_deg=(3, 4),
        clinical=ClinicalInputs(body_mass_kg=70.0, spasticity={"left": 1.5}), case_id="MS-017",
    )  # fmt: skip
    data = json.loads(json.dumps(request.to_dict()))
    assert data["scan"] == str(tmp_path / "leg.stl")
    assert data["stiffness_nm_per_deg"] == [3.0, 4.0]
    assert data["clinical"]["spasticity"] == {"left": 1.5}
    assert data["case_id"] == "MS-017"
    assert set(data) == set(FitRequest.__dataclass_fields__)


def test_the_key_follows_the_content_and_the_options_not_the_paths(tmp_path: Path) -> None:
    scan = tmp_path / "leg.stl"
    scan.write_bytes(b"solid leg\nendsolid leg\n")
    moved = tmp_path / "elsewhere" / "copy.stl"
    moved.parent.mkdir()
    shutil.copy(scan, moved)
    key = FitRequest(scan, design="pls").key()
    assert len(key) == 64 and key == FitRequest(scan, design="pls").key()
    assert FitRequest(moved, design="pls").key() == key  # same bytes, another folder
    assert FitRequest(scan, design="solid").key() != key  # another option
    scan.write_bytes(b"solid leg\n\nendsolid leg\n")
    assert FitRequest(scan, design="pls").key() != key  # another file content


def test_a_missing_input_file_cannot_be_keyed(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot be read"):
        FitRequest(tmp_path / "nowhere.stl").key()


@pytest.mark.parametrize(
    "kwargs",
    [{"stiffness_nm_per_deg": (2.0, 1.0)}, {"stiffness_nm_per_deg": (0.0, 1.0)}, {"voxel_mm": 0}],
)
def test_impossible_values_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(InputError):
        FitRequest(Path("leg.stl"), **kwargs)  # type: ignore[arg-type]


def test_fit_is_pure_and_its_result_carries_the_request(
    closed_leg: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from afofit.export import write_fit
    from afofit.fitting import fit
    from afofit.report.json import fitting_json

    work = tmp_path / "work"
    work.mkdir()
    (work / "old.txt").write_text("kept")
    monkeypatch.chdir(work)  # a relative write would land here
    before, scan_folder = _tree(work), _tree(closed_leg.parent)
    request = FitRequest(closed_leg, design="pls", thickness_mm=3.0, voxel_mm=1.5)
    result = fit(request)
    assert _tree(work) == before and _tree(closed_leg.parent) == scan_folder
    assert result.request is request and result.passed
    data = fitting_json(result)
    assert data["request"]["key"] == request.key()
    assert data["request"]["thickness_mm"] == 3.0
    assert data["inputs"]["options"]["design"] == "pls"
    # A request and keywords together are refused (they could disagree).
    with pytest.raises(TypeError, match="FitRequest"):
        fit(request, design="solid")
    # The writer writes what the result holds, and only into its folder.
    write_fit(result, work / "out")
    assert json.loads((work / "out" / "fitting.json").read_text()) == data
    written = ("afo-print.stl", "afo.3mf", "afo.stl", "fitting.json", "report.html")
    assert sorted(_tree(work)) == ["old.txt", *(f"out/{n}" for n in written)]
