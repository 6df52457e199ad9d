"""The fitting report as a clinical document: its header and summary, the clearance map
against the shell's own clearance, escaping, the PDF (reproducible) and its refusal
without WeasyPrint, before any work."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import trimesh
from typer.testing import CliRunner

from afofit.cli import app
from afofit.errors import ExportError
from afofit.export import write_fit
from afofit.fitting import FitResult, fit, fit_prepared, prepare
from afofit.report.clearance import PRESSURE_BELOW_MM, clearance_map
from afofit.report.html import (
    ReportInfo,
    draw_ahead,
    external_references,
    fitting_html,
    shared_pictures,
)
from afofit.report.json import fitting_json
from afofit.request import FitRequest
from afofit.threads import SpareCore
from tests.conftest import error_text

runner = CliRunner()


@pytest.fixture(scope="module")
def fitted(closed_leg: Path) -> FitResult:
    return fit(closed_leg, design="pls", thickness_mm=3.0, voxel_mm=1.5)


def test_the_clearance_map_reads_a_known_gap() -> None:
    """A cylinder of skin inside a tube 2 mm off it: the inner surface reads 2 mm, nothing
    presses, nothing is loose; the outer surface is not counted."""
    skin = trimesh.creation.cylinder(radius=40.0, height=200.0, sections=256)
    shell = trimesh.creation.annulus(r_min=42.0, r_max=45.0, height=150.0, sections=256)
    m = clearance_map(shell, skin, clearance_mm=2.0, thickness_mm=3.0)
    inner = np.isfinite(m.gap_mm)
    np.testing.assert_allclose(m.gap_mm[inner], 2.0, atol=0.02)
    assert m.pressure_cm2 == 0.0 and m.loose_cm2 == 0.0
    expected = 2 * np.pi * 4.2 * 15.0  # the inner wall, cm²
    assert m.inner_cm2 == pytest.approx(expected, rel=0.01)
    # A tube pressed onto the skin presses all over.
    tight = trimesh.creation.annulus(r_min=40.2, r_max=43.0, height=150.0, sections=256)
    pressed = clearance_map(tight, skin, clearance_mm=2.0, thickness_mm=3.0)
    assert 0.2 < PRESSURE_BELOW_MM and pressed.pressure_cm2 == pytest.approx(
        2 * np.pi * 4.02 * 15.0, rel=0.01
    )


def test_the_checks_measure_the_gaps_the_clearance_map_shows(fitted: FitResult) -> None:
    """The report's map reads the gaps the shell's checks measured: the same areas as
    measuring the shell's faces against the scan afresh."""
    leg = fitted.legs[0]
    c, t = leg.params.clearance_mm, leg.params.thickness_mm
    afresh = clearance_map(leg.shell_local, leg.skin_local, c, t)
    reused = clearance_map(leg.shell_local, None, c, t, leg.stats.inner_gap_mm)
    np.testing.assert_array_equal(np.isfinite(reused.gap_mm), np.isfinite(afresh.gap_mm))
    np.testing.assert_allclose(reused.gap_mm, afresh.gap_mm, atol=1e-9)
    assert reused.inner_cm2 > 100.0 and reused.pressure_cm2 == afresh.pressure_cm2


def _text(page: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", page).split())


def test_the_header_and_summary_say_what_and_for_whom(fitted: FitResult) -> None:
    data = fitting_json(fitted)
    info = ReportInfo("AFO-7", "P-12", "A. Clinician", "2026-11-30", "afofit fit leg.stl -o out")
    page = fitting_html(fitted, data, info)
    text = _text(page)
    for words in ("case AFO-7", "patient ref. P-12", "clinician A. Clinician",
                  "date 2026-11-30", "Right leg: pls in pp-copolymer, 3 mm",
                  "afo-print.stl (standing on its footplate", "Clearance map",
                  "Reproducibility", "afofit fit leg.stl -o out", data["request"]["key"],
                  data["inputs"]["sha256"]):  # fmt: skip
        assert words in text, words
    checks = len(data["checks"])
    assert f"all {checks} passed" in text
    assert external_references(page) == []  # self-contained: nothing fetched


def test_user_text_is_escaped(fitted: FitResult) -> None:
    page = fitting_html(fitted, fitting_json(fitted), ReportInfo(case_id="<script>x</script>"))
    assert "<script>" not in page and "&lt;script&gt;x&lt;/script&gt;" in page


def test_the_pdf_is_written_with_the_report_and_reproducible(
    fitted: FitResult, tmp_path: Path
) -> None:
    pytest.importorskip("weasyprint", reason="the PDF extra afofit[pdf] is not installed")
    info = ReportInfo(case_id="AFO-7", date="2026-11-30")
    hashes = []
    for name in ("a", "b"):
        written = write_fit(fitted, tmp_path / name, info=info, pdf=True)
        pdf = tmp_path / name / "report.pdf"
        assert pdf in written
        data = pdf.read_bytes()
        assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
        hashes.append(hashlib.sha256(data).hexdigest())
    assert hashes[0] == hashes[1]


@pytest.mark.usefixtures("no_weasyprint")
def test_a_pdf_without_weasyprint_is_refused_before_any_work(
    closed_leg: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    result = runner.invoke(app, ["fit", str(closed_leg), "-o", str(out), "--pdf"])
    assert result.exit_code == ExportError.exit_code
    said = error_text(result.output)
    assert "afofit[pdf]" in said and "reading" not in said
    assert not out.exists()


def test_a_bad_date_is_refused(closed_leg: Path, tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["fit", str(closed_leg), "-o", str(tmp_path / "o"), "--date", "30/11/2026"]
    )
    assert result.exit_code == 3 and "YYYY-MM-DD" in error_text(result.output)


def test_external_references_finds_what_a_page_would_fetch() -> None:
    inline = '<img src="data:image/png;base64,QUhttpQ"> <a href="#x">x</a> <a href="a/r.html">'
    assert external_references(inline) == []  # base64 may spell "http"; links are not fetched
    fetching = (
        '<img src="http://x/y.png"> <link rel=stylesheet href=style.css> '
        '<style>a{background:url( "https://f/a.png")} @import "b.css";</style> '
        "<script src=//cdn/x.js></script>"
    )
    assert external_references(fetching) == [
        "http://x/y.png", "style.css", "https://f/a.png", "b.css", "//cdn/x.js"
    ]  # fmt: skip


class _Recorder(SpareCore):
    """A helper that runs each call here, as handed over, and keeps the calls: it says
    it works in parallel, so the report hands its pictures over."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[Any, tuple[Any, ...]]] = []

    @property
    def parallel(self) -> bool:
        return True

    def submit(self, call: Any, *args: Any) -> Any:
        self.calls.append((call, args))
        return SpareCore().submit(call, *args)


def _same(a: Any, b: Any) -> bool:
    """Equal, arrays element by element, through tuples and dicts."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return bool(np.array_equal(a, b))
    if isinstance(a, (tuple, list)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return bool(a == b)


def test_the_landmarks_picture_drawn_ahead_is_the_one_the_report_asks_for(
    closed_leg: Path,
) -> None:
    # The helper keeps its last pictures by what they show: the picture started while the
    # shell is built is only found again if the report asks with the same skin and marks.
    request = FitRequest(closed_leg)
    prepared = prepare(request)
    ahead = _Recorder()
    draw_ahead(prepared, ahead)
    assert len(ahead.calls) == len(prepared.anatomy.legs) == 1
    result = fit_prepared(request, prepared)
    later = _Recorder()
    fitting_html(result, fitting_json(result), ReportInfo(date="2026-12-04"), later)
    skin_only = [args for _, args in later.calls if args[0] is None]
    assert len(skin_only) == 1
    assert _same(ahead.calls[0][1], skin_only[0])
    assert not _same(ahead.calls[0][1][2], {})  # the marks are there to compare


def test_pictures_drawn_once_for_every_candidate_are_the_ones_each_would_draw(
    closed_leg: Path,
) -> None:
    """A comparison draws the landmarks picture and the gait plot once (shared_pictures),
    and each candidate's report takes them: the same page as drawing its own, without
    asking for them again."""
    gait = Path(__file__).resolve().parents[2] / "examples" / "demo_gait_fatigued.csv"
    request = FitRequest(closed_leg, gait=(gait,), design="pls", thickness_mm=3.0)
    prepared = prepare(request)
    drawn = shared_pictures(prepared)
    assert set(drawn) == {f"landmarks {leg.side}" for leg in prepared.anatomy.legs} | {"gait"}
    result = fit_prepared(request, prepared)
    data, info = fitting_json(result), ReportInfo(date="2026-12-04")
    own, given = _Recorder(), _Recorder()
    page = fitting_html(result, data, info, own)
    assert fitting_html(result, data, info, given, drawn) == page
    assert sum(args[0] is None for _, args in own.calls) == 1  # its own landmarks picture
    assert sum(args[0] is None for _, args in given.calls) == 0  # none: it was given
