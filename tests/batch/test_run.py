"""A batch runs unattended: a corrupt scan and an impossible request fail alone, the others
are written whole; --resume runs nothing already done; a changed row reruns that case alone."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from afofit.batch import read_manifest, run_batch, write_summary
from afofit.batch.run import NOT_RERUN
from afofit.cli import app
from afofit.report.html import external_references
from tests.conftest import error_text

runner = CliRunner()
HEADER = "case_id,scan,design,thickness,material,stiffness\n"
ROWS = {
    "thin": "thin,leg.stl,pls,3,,",
    "rigid": "rigid,leg.stl,solid,4.5,,",
    "corrupt": "corrupt,bad.stl,pls,,,",
    "impossible": "impossible,leg.stl,pls,,pla,15",
}


def _manifest(folder: Path, rows: dict[str, str]) -> Path:
    path = folder / "cases.csv"
    path.write_text(HEADER + "\n".join(rows.values()) + "\n")
    return path


@pytest.fixture(scope="module")
def first_run(tmp_path_factory: pytest.TempPathFactory, closed_leg: Path) -> tuple:
    folder = tmp_path_factory.mktemp("batch")
    shutil.copy(closed_leg, folder / "leg.stl")
    (folder / "bad.stl").write_text("solid garbage\nendsolid garbage\n")
    cases = read_manifest(_manifest(folder, ROWS))
    out = folder / "out"
    out.mkdir()
    told: list[str] = []
    outcomes = run_batch(cases, out, workers=2, on_outcome=lambda o: told.append(o.case_id))
    data = write_summary(out, outcomes, "cases.csv")
    return folder, out, outcomes, data, told


def test_bad_cases_fail_alone_and_the_others_are_written(first_run: tuple) -> None:
    _, out, outcomes, data, told = first_run
    by_id = {o.case_id: o for o in outcomes}
    assert [o.case_id for o in outcomes] == list(ROWS)  # the manifest's order
    assert sorted(told) == sorted(ROWS)  # each told once, as it came
    assert by_id["thin"].status == by_id["rigid"].status == "done"
    for name in ("thin", "rigid"):
        assert {p.name for p in (out / name).iterdir()} == {
            "afo.stl", "afo-print.stl", "afo.3mf", "fitting.json", "report.html"
        }  # fmt: skip
        assert by_id[name].exit_code == 0 and by_id[name].checks_passed
    assert by_id["thin"].stiffness_nm_per_deg < by_id["rigid"].stiffness_nm_per_deg
    corrupt, impossible = by_id["corrupt"], by_id["impossible"]
    assert corrupt.status == "failed" and corrupt.exit_code == 3
    assert "bad.stl" in corrupt.message
    assert impossible.status == "failed" and impossible.exit_code == 4
    assert "out of reach" in impossible.message
    assert not (out / "corrupt").exists() and not (out / "impossible").exists()
    assert data["counts"] == {
        "done": 2, "checks failed": 0, "failed": 2, "skipped": 0, "pending": 0
    }  # fmt: skip
    assert data["failed"] == 2
    summary = (out / "summary.csv").read_text().splitlines()
    assert summary[0].startswith("case_id,row,status") and len(summary) == 5
    page = (out / "summary.html").read_text()
    assert external_references(page) == [] and 'href="thin/report.html"' in page
    assert json.loads((out / "summary.json").read_text()) == data


def test_resume_runs_nothing_done_and_a_changed_row_reruns_alone(first_run: tuple) -> None:
    folder, out, first, _, _ = first_run
    stamps = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    ok = {k: v for k, v in ROWS.items() if k in ("thin", "rigid")}
    again = run_batch(read_manifest(_manifest(folder, ok)), out, workers=2, resume=True)
    assert [o.status for o in again] == ["skipped", "skipped"]
    assert [o.key for o in again] == [o.key for o in first[:2]]
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()} == stamps
    changed = {**ok, "thin": "thin,leg.stl,pls,3.5,,"}
    rerun = run_batch(read_manifest(_manifest(folder, changed)), out, workers=2, resume=True)
    assert [o.status for o in rerun] == ["done", "skipped"]
    assert rerun[0].thickness_mm == 3.5 and rerun[0].key != first[0].key
    untouched = {p: t for p, t in stamps.items() if "rigid" in p.parts}
    assert all(p.stat().st_mtime_ns == t for p, t in untouched.items())


def test_the_command_refuses_a_bad_manifest_before_any_work(tmp_path: Path) -> None:
    (tmp_path / "m.csv").write_text("case_id,scan\n../up,none.stl\n")
    out = tmp_path / "out"
    result = runner.invoke(app, ["batch", str(tmp_path / "m.csv"), "-o", str(out)])
    assert result.exit_code == 3 and "Traceback" not in result.output
    assert "row 2: case_id '../up' cannot name a folder" in error_text(result.output)
    assert not out.exists()


def test_the_command_exits_8_when_a_case_failed(first_run: tuple, tmp_path: Path) -> None:
    folder = first_run[0]
    manifest = _manifest(folder, {"corrupt": ROWS["corrupt"]})
    out = tmp_path / "out"
    result = runner.invoke(app, ["batch", str(manifest), "-o", str(out), "--json"])
    assert result.exit_code == 8, result.output
    assert "1 of 1 case(s) failed" in error_text(result.output)
    data = json.loads((out / "summary.json").read_text())
    assert data["cases"][0]["status"] == "failed" and data["pending"] == []


def test_resume_does_not_rerun_a_failure_the_same_request_meets_again(first_run: tuple) -> None:
    """An unchanged corrupt scan or impossible request fails again without running; a
    changed one runs."""
    folder, out, _, _, _ = first_run
    bad = {k: v for k, v in ROWS.items() if k in ("corrupt", "impossible")}
    again = run_batch(read_manifest(_manifest(folder, bad)), out, workers=2, resume=True)
    assert [(o.status, o.exit_code, o.seconds) for o in again] == [
        ("failed", 3, 0.0),
        ("failed", 4, 0.0),
    ]
    assert all(o.message.startswith(NOT_RERUN) for o in again)
    assert "out of reach" in again[1].message
    (folder / "other.stl").write_text("solid other\nendsolid other\n")
    changed = {"corrupt": "corrupt,other.stl,pls,,,"}
    rerun = run_batch(read_manifest(_manifest(folder, changed)), out, workers=1, resume=True)
    assert rerun[0].status == "failed" and not rerun[0].message.startswith(NOT_RERUN)
    assert "other.stl" in rerun[0].message


def test_a_case_whose_process_is_killed_fails_alone_and_leaves_nothing(
    tmp_path: Path, closed_leg: Path
) -> None:
    """A worker killed mid-case (as the kernel kills one out of memory) is that case's
    failure, with the signal in its message, and its folder is not left half written."""
    import multiprocessing
    import os
    import signal
    import threading
    import time

    from afofit.batch.run import case_context, run_in_process

    shutil.copy(closed_leg, tmp_path / "leg.stl")
    (tmp_path / "cases.csv").write_text("case_id,scan\nkilled,leg.stl\n")
    (case,) = read_manifest(tmp_path / "cases.csv")
    out = tmp_path / "out"
    out.mkdir()

    def kill_the_worker() -> None:
        deadline = time.monotonic() + 60.0
        while time.monotonic() < deadline:
            workers = [p for p in multiprocessing.active_children() if p.name == "afofit-killed"]
            if workers and workers[0].pid is not None:
                time.sleep(1.0)  # well into the fitting
                os.kill(workers[0].pid, signal.SIGKILL)
                return
            time.sleep(0.05)

    killer = threading.Thread(target=kill_the_worker)
    killer.start()
    outcome = run_in_process(case_context(), case, out, None, True)
    killer.join()
    assert (outcome.case_id, outcome.status, outcome.exit_code) == ("killed", "failed", 1)
    assert outcome.message is not None
    assert "its process was killed (signal 9, out of memory?)" in outcome.message
    assert list(out.iterdir()) == []  # no folder, no partial files
