"""Output is all or nothing: a fitting's folder holds the whole previous state or the whole
new result, whatever fails or interrupts; a brace that failed a check is never left
looking printable."""

from __future__ import annotations

import os
import signal
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from afofit.cli import app
from afofit.errors import ExportError
from afofit.export import write_fit
from afofit.fitting import FitResult, fit
from afofit.geometry.checks import Check


@pytest.fixture(autouse=True)
def _no_pictures(monkeypatch: pytest.MonkeyPatch) -> None:
    """The report's 3D pictures are not what is tested here (and take seconds each)."""
    import afofit.report.html as html

    monkeypatch.setattr(html, "render_views", lambda shell, skin, **_: b"\x89PNG\r\n\x1a\n")


@pytest.fixture(scope="module")
def fitted(closed_leg: Path) -> FitResult:
    return fit(closed_leg, design="pls", thickness_mm=3.0, voxel_mm=1.5)


def failed(result: FitResult) -> FitResult:
    """The same result with its shell failing the minimum-wall check."""
    leg = result.legs[0]
    bad = Check("minimum wall", False, "thinnest wall 0.01 mm (need ≥ 2.85 mm)", 0.01)
    return replace(result, legs=(replace(leg, checks=(*leg.checks[:-1], bad)),))


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())} if folder.exists() else {}


def leftovers(parent: Path) -> list[str]:
    return [p.name for p in parent.iterdir() if p.name.startswith(".")]


def test_a_reused_folder_is_replaced_wholly(fitted: FitResult, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "fitting.json").write_text("{}")  # an earlier fitting, with both legs
    (out / "afo-left.stl").write_bytes(b"old")
    written = write_fit(fitted, out)
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in written)
    assert "afo-left.stl" not in snapshot(out) and leftovers(tmp_path) == []


def test_a_folder_of_other_files_is_refused_untouched(fitted: FitResult, tmp_path: Path) -> None:
    out = tmp_path / "thesis"
    out.mkdir()
    (out / "chapter1.tex").write_text("precious")
    with pytest.raises(ExportError, match="not an afofit fitting"):
        write_fit(fitted, out)
    assert snapshot(out) == {"chapter1.tex": b"precious"}


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere: no permission to deny")
def test_an_unwritable_place_is_refused_before_any_work(closed_leg: Path, tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        result = CliRunner().invoke(app, ["fit", str(closed_leg), "-o", str(locked / "out")])
    finally:
        locked.chmod(0o700)
    assert result.exit_code == 5 and "permission denied" in result.output


@pytest.mark.parametrize("at", [1, 2, 3])
def test_an_interruption_while_writing_leaves_the_previous_state(
    fitted: FitResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, at: int
) -> None:
    """Ctrl-C at the first, second or third file: the earlier result stays whole."""
    import afofit.atomic as atomic
    import afofit.export as export

    out = tmp_path / "out"
    write_fit(fitted, out)
    before = snapshot(out)
    real, calls = atomic.write_atomic, []

    def interrupted(path: Path, write):  # type: ignore[no-untyped-def]
        calls.append(path)
        if len(calls) == at:
            raise KeyboardInterrupt
        return real(path, write)

    monkeypatch.setattr(export, "write_atomic", interrupted)  # the STLs, 3MF, pictures
    monkeypatch.setattr(atomic, "write_atomic", interrupted)  # the JSON and the page
    with pytest.raises(KeyboardInterrupt):
        write_fit(fitted, out)
    assert snapshot(out) == before and leftovers(tmp_path) == []
    fresh = tmp_path / "fresh"
    calls.clear()
    with pytest.raises(KeyboardInterrupt):
        write_fit(fitted, fresh)
    assert not fresh.exists() and leftovers(tmp_path) == []  # no empty folder either


def test_a_ctrl_c_during_the_swap_waits_for_it(
    fitted: FitResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A SIGINT between the two renames is held until the new result is in place."""
    out = tmp_path / "out"
    write_fit(failed(fitted), out)  # the previous state: a failed fitting, no STL
    real_rename = Path.rename

    def rename(self: Path, target: Path) -> Path:
        if self.name == "out":  # the first rename: the old folder moves aside
            os.kill(os.getpid(), signal.SIGINT)
        return real_rename(self, target)

    monkeypatch.setattr(Path, "rename", rename)
    with pytest.raises(KeyboardInterrupt):
        write_fit(fitted, out)
    assert "afo.stl" in snapshot(out) and leftovers(tmp_path) == []  # the whole new one


def test_a_failed_brace_exits_7_and_writes_nothing_printable(
    fitted: FitResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib

    fit_module = importlib.import_module("afofit.fitting")
    monkeypatch.setattr(fit_module, "fit", lambda request, progress, spare, ahead: failed(fitted))
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["fit", "leg.stl", "-o", str(out)])
    assert result.exit_code == 7, result.output
    assert "failed its minimum wall check" in result.output and "Traceback" not in result.output
    assert sorted(snapshot(out)) == ["fitting.json", "report.html"]
    kept = CliRunner().invoke(app, ["fit", "leg.stl", "-o", str(out), "--keep-failed"])
    assert kept.exit_code == 7
    assert sorted(snapshot(out)) == [
        "afo-FAILED.3mf", "afo-FAILED.stl", "afo-print-FAILED.stl", "fitting.json", "report.html",
    ]  # fmt: skip


def test_the_place_is_checked_before_any_work(
    closed_leg: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An -o the user cannot write into is refused at once (root can write anywhere, so the
    refusal is simulated where the check asks the OS)."""
    import importlib

    import afofit.export as export

    fit_module = importlib.import_module("afofit.fitting")
    monkeypatch.setattr(export, "_writable", lambda folder: False)
    monkeypatch.setattr(
        fit_module, "fit", lambda request, progress: pytest.fail("work before the check")
    )
    result = CliRunner().invoke(app, ["fit", str(closed_leg), "-o", str(tmp_path / "out")])
    assert result.exit_code == 5 and "permission denied" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "out").exists()


def test_a_ctrl_c_as_the_temporary_folder_is_made_leaves_nothing(
    fitted: FitResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SIGINT just after the temporary folder exists, before its name is known to the writer."""
    import tempfile

    real = tempfile.mkdtemp

    def made_then_interrupted(*args, **kwargs):  # type: ignore[no-untyped-def]
        made = real(*args, **kwargs)
        os.kill(os.getpid(), signal.SIGINT)
        return made

    monkeypatch.setattr(tempfile, "mkdtemp", made_then_interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_fit(fitted, tmp_path / "out")
    assert sorted(p.name for p in tmp_path.iterdir()) == []


@pytest.mark.parametrize("stage", ["choosing the design", "building", "writing"])
def test_ctrl_c_at_any_stage_of_fit_leaves_the_old_or_the_whole_new_result(
    closed_leg: Path, tmp_path: Path, stage: str
) -> None:
    """A real ``afofit fit`` in a subprocess, sent SIGINT as it logs ``stage`` on stderr."""
    import subprocess
    import sys

    out = tmp_path / "out"
    out.mkdir()
    (out / "fitting.json").write_text('{"afofit_version": "earlier"}')
    (out / "afo.stl").write_bytes(b"an earlier brace")
    before = snapshot(out)
    args = [sys.executable, "-m", "afofit", "fit", str(closed_leg), "-o", str(out)]
    run = subprocess.Popen(
        [*args, "--design", "pls", "--thickness", "3"],
        stderr=subprocess.PIPE,
        text=True,
        # as a shell starts a command: Ctrl-C's default action, whatever this worker inherited
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    assert run.stderr is not None
    seen = []
    for line in run.stderr:
        seen.append(line)
        if line.split(" s  ", 1)[-1].startswith(stage):
            run.send_signal(signal.SIGINT)
            break
    try:  # (a process that hangs as it stops fails here, not the whole run)
        _, rest = run.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        run.kill()
        run.wait()
        pytest.fail(f"interrupted at {stage!r}, it did not end within 120 s")
    assert any(stage in line for line in seen), f"no {stage!r} stage in: {''.join(seen)}{rest}"
    assert run.returncode != 0, f"interrupted at {stage!r}, it finished: {rest}"
    after = snapshot(out)
    new = sorted(after) == ["afo-print.stl", "afo.stl", "fitting.json", "report.html"]
    assert after == before or (new and b'"afofit_version": "earlier"' not in after["fitting.json"])
    assert leftovers(tmp_path) == []
