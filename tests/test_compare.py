"""afofit compare: the candidates' syntax, the refusals before any work, and a comparison of
the three designs on one phantom leg (one scan read, ordered stiffness and swing drop, the
documented schema, a self-contained page)."""

from __future__ import annotations

import json
import math
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from typer.testing import CliRunner

from afofit.cli import app
from afofit.compare import (
    ASSUMED_BODY_MASS_KG,
    STANCE_MOMENT_NM_PER_KG,
    Candidate,
    candidate_request,
    check_candidates,
    compare,
    parse_candidate,
)
from afofit.errors import ExportError, InputError, ProfileError
from afofit.fitting import fit, shell_efforts
from afofit.gait.holding import MTC_MM_PER_RAD
from afofit.report.comparison import COMPARISON_SCHEMA, comparison_html, comparison_json
from afofit.report.html import external_references
from afofit.request import FitRequest
from afofit.threads import YIELD_NICENESS, usable_cores
from tests.conftest import error_text

runner = CliRunner()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("pls", Candidate("pls", "pls")),
        ("pls,thickness=3", Candidate("pls-3mm", "pls", thickness_mm=3.0)),
        ("pls, thickness=4mm, material=petg", Candidate("pls-4mm-petg", "pls", "petg", 4.0)),
        ("solid,name=rigid", Candidate("rigid", "solid")),
        ("pls,thickness=tuned", Candidate("pls-tuned", "pls", tuned=True)),
        ("my/own.toml,thickness=3.5", Candidate("own-3.5mm", "my/own.toml", thickness_mm=3.5)),
    ],
)
def test_candidate_syntax(text: str, expected: Candidate) -> None:
    assert parse_candidate(text) == expected


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("", "no design named"),
        ("pls,thick=3", "cannot read 'thick=3'"),
        ("pls,thickness=three", "is not a number of mm"),
        ("pls,thickness=-1", "must be > 0 mm"),
        ("pls,thickness=3,thickness=4", "thickness is given twice"),
        ("pls,name=../x", "cannot be a folder name"),
    ],
)
def test_a_bad_candidate_says_how_to_write_one(text: str, phrase: str) -> None:
    with pytest.raises(InputError, match="--design") as caught:
        parse_candidate(text)
    assert phrase in str(caught.value)


def test_bad_comparisons_are_refused_before_any_work() -> None:
    with pytest.raises(InputError, match="two or more candidates"):
        check_candidates([Candidate("pls", "pls")], "pp-copolymer")
    with pytest.raises(InputError, match="same brace"):
        check_candidates(
            [Candidate("a", "pls", thickness_mm=3.0), Candidate("b", "pls", "pp-copolymer", 3.0)],
            "pp-copolymer",
        )
    with pytest.raises(InputError, match="named 'a'"):
        check_candidates([Candidate("a", "pls"), Candidate("a", "solid")], "pp-copolymer")
    with pytest.raises(ProfileError):
        check_candidates([Candidate("a", "pls"), Candidate("b", "nonesuch")], "pp-copolymer")


@pytest.mark.parametrize(
    ("args", "phrase"),
    [
        (["--design", "pls"], "two or more candidates"),
        (["--design", "pls", "--design", "pls"], "named 'pls'"),
        (["--design", "pls", "--design", "wobbly"], "wobbly"),
        (["--design", "pls", "--design", "solid", "--side", "left"], "left"),
    ],
)
def test_compare_command_refuses_bad_requests_with_one_line(
    closed_leg: Path, tmp_path: Path, args: list[str], phrase: str
) -> None:
    out = tmp_path / "out"
    result = runner.invoke(app, ["compare", str(closed_leg), "-o", str(out), *args])
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert phrase in error_text(result.output)
    assert not out.exists()


@pytest.fixture(scope="module")
def three_designs(closed_leg: Path) -> tuple:
    calls: list[str] = []
    base = FitRequest(closed_leg, stiffness_nm_per_deg=(0.3, 1.0))
    candidates = [parse_candidate(t) for t in ("pls", "semi-rigid", "solid")]
    comparison = compare(base, candidates, progress=calls.append, workers=1)
    return comparison, comparison_json(comparison), calls


def _where_finished(outcome: Any, index: int) -> tuple[str, int, int, int]:
    """A comparison's ``finish``: which candidate, its place, the process it ran in and that
    process's priority (niceness)."""
    return outcome.candidate.name, index, os.getpid(), os.getpriority(os.PRIO_PROCESS, 0)


def test_candidates_fitted_in_parallel_give_the_same_answer(
    closed_leg: Path, three_designs: tuple
) -> None:
    """A process each at once: the same shells and numbers as one after another; each
    outcome is told as it comes (in any order), and the comparison lists them in the
    candidates' order. With more processes than cores, the heaviest candidates (by their
    shells' extent) keep a core each but one, and the others yield them the cores."""
    _, serial, _ = three_designs
    base = FitRequest(closed_leg, stiffness_nm_per_deg=(0.3, 1.0))
    names = ["pls", "semi-rigid", "solid"]
    candidates = [parse_candidate(t) for t in names]
    told: list[tuple[str, Any]] = []
    parallel = compare(
        base, candidates, workers=3, finish=_where_finished,
        on_outcome=lambda o, finished: told.append((o.candidate.name, finished)),
    )  # fmt: skip
    # Each built candidate was finished where it was fitted, in a process of its own, and
    # what that gave came with its outcome.
    assert sorted(name for name, _ in told) == names
    niceness = {}
    for name, (finished_name, index, pid, priority) in told:
        assert finished_name == name and index == names.index(name)
        assert pid != os.getpid()
        niceness[name] = priority
    assert [o.candidate.name for o in parallel.outcomes] == names
    for outcome, expected in zip(parallel.outcomes, serial["candidates"], strict=True):
        assert outcome.metrics is not None
        assert outcome.metrics.stiffness_nm_per_deg == pytest.approx(
            expected["stiffness"]["predicted_nm_per_deg"], abs=5e-5
        )
        assert outcome.metrics.mass_g == pytest.approx(expected["mass_g"], abs=0.05)
    here = os.getpriority(os.PRIO_PROCESS, 0)
    keeping = names[::-1][: usable_cores() - 1] if usable_cores() < 3 else names
    assert niceness == {n: here if n in keeping else max(here, YIELD_NICENESS) for n in names}


def test_the_heaviest_candidate_is_the_largest_shell(three_designs: tuple) -> None:
    """The work a candidate is expected to be (its shell's extent, from the shared skin
    samples alone) ranks the candidates as their shells' sizes do."""
    comparison, _, _ = three_designs
    requests = [o.request for o in comparison.outcomes]
    efforts = shell_efforts(comparison.prepared, requests)
    volumes = [o.result.legs[0].shell_local.volume for o in comparison.outcomes]
    faces = [len(o.result.legs[0].shell_local.faces) for o in comparison.outcomes]
    assert efforts[0] < efforts[1] < efforts[2]
    assert volumes[0] < volumes[1] < volumes[2] and faces[0] < faces[1] < faces[2]
    assert shell_efforts(replace(comparison.prepared, skins=()), requests) == [0.0] * 3


def test_the_scan_is_read_once_for_all_candidates(three_designs: tuple) -> None:
    _, _, calls = three_designs
    assert sum(stage.startswith("reading") for stage in calls) == 1
    assert [c for c in calls if c.startswith("candidate")] == [
        "candidate 1/3: pls", "candidate 2/3: semi-rigid", "candidate 3/3: solid"
    ]  # fmt: skip


def test_one_sampling_of_the_skin_serves_every_candidate(
    closed_leg: Path, three_designs: tuple
) -> None:
    """The skin is sampled once, for the widest candidate; a candidate's shell is then the
    one a lone fit builds, to a sliver of the crop and toe block's edges."""
    comparison, _, calls = three_designs
    assert [c for c in calls if c.startswith("sampling")] == ["sampling the right leg's skin"]
    base = FitRequest(closed_leg, stiffness_nm_per_deg=(0.3, 1.0))
    alone = fit(candidate_request(base, parse_candidate("pls"))).legs[0]
    shared = comparison.outcomes[0].result.legs[0]
    assert shared.passed and alone.passed
    assert shared.params.thickness_mm == alone.params.thickness_mm
    assert shared.shell_local.volume == pytest.approx(alone.shell_local.volume, rel=1e-3)
    assert shared.stiffness.result.sagittal_nm_per_deg == pytest.approx(
        alone.stiffness.result.sagittal_nm_per_deg, rel=5e-3
    )


def test_stiffness_orders_the_designs_and_swing_drop_the_other_way(three_designs: tuple) -> None:
    _, data, _ = three_designs
    k = [c["stiffness"]["predicted_nm_per_deg"] for c in data["candidates"]]
    drop = [c["swing_drop_deg"] for c in data["candidates"]]
    assert k[0] < k[1] < k[2]
    assert drop[0] > drop[1] > drop[2]


def test_swing_and_stance_follow_their_stated_models(three_designs: tuple) -> None:
    """drop = M_hold / k, toes lower by 171 mm/rad × drop, stance = 0.062 N·m/kg × mass / k."""
    _, data, _ = three_designs
    loads = data["loads"]
    assert loads["body_mass_assumed"] and loads["body_mass_kg"] == ASSUMED_BODY_MASS_KG
    assert loads["stance_moment_nm"] == pytest.approx(STANCE_MOMENT_NM_PER_KG * 75.0)
    for c in data["candidates"]:
        k = c["stiffness"]["predicted_nm_per_deg"]

        # JSON rounds the angles to 0.01°, k to 4 decimals (5e-5 of k moves M / k by M / k²)
        def tol(angle: float, k: float = k) -> float:
            return 0.0051 + angle * 5e-5 / k

        drop = loads["holding_moment_nm"] / k
        assert c["swing_drop_deg"] == pytest.approx(drop, abs=tol(drop))
        loss = MTC_MM_PER_RAD * math.radians(c["swing_drop_deg"])
        assert c["toe_clearance_loss_mm"] == pytest.approx(loss, abs=0.11)
        stance = loads["stance_moment_nm"] / k
        assert c["stance_dorsiflexion_deg"] == pytest.approx(stance, abs=tol(stance))
        assert c["stance_peak_stress_mpa"] is None  # the fast model states no stress


def test_the_prescription_marks_the_candidates(three_designs: tuple) -> None:
    comparison, data, _ = three_designs
    assert data["prescription"]["stiffness_nm_per_deg"] == [0.3, 1.0]
    for c in data["candidates"]:
        k = c["stiffness"]["predicted_nm_per_deg"]
        assert c["meets_prescription"] is (0.3 <= k <= 1.0)
    assert "0.30-1.00 N·m/deg" in comparison.summary
    assert "The choice is the clinician's." in comparison.summary


def test_comparison_json_validates_against_its_schema(three_designs: tuple) -> None:
    _, data, _ = three_designs
    jsonschema.validate(json.loads(json.dumps(data)), COMPARISON_SCHEMA)
    assert {c["dir"] for c in data["candidates"]} == {"pls", "semi-rigid", "solid"}


def test_the_command_writes_every_candidate_and_a_self_contained_page(
    closed_leg: Path, tmp_path: Path
) -> None:
    out = tmp_path / "cmp"
    result = runner.invoke(
        app,
        ["compare", str(closed_leg), "-o", str(out), "--design", "pls,thickness=3",
         "--design", "pls,thickness=4", "--mass", "70", "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data == json.loads((out / "comparison.json").read_text())
    assert not data["loads"]["body_mass_assumed"] and data["loads"]["body_mass_kg"] == 70.0
    thin, thick = data["candidates"]
    assert thin["stiffness"]["predicted_nm_per_deg"] < thick["stiffness"]["predicted_nm_per_deg"]
    assert thin["mass_g"] < thick["mass_g"]
    for name in ("pls-3mm", "pls-4mm"):
        assert {p.name for p in (out / name).iterdir()} == {
            "afo.stl", "afo-print.stl", "afo.3mf", "fitting.json", "report.html"
        }  # fmt: skip
        fitting = json.loads((out / name / "fitting.json").read_text())
        assert fitting["design"]["thickness_mm"] == float(name[4])
    # Nothing else in the folder: the pictures drawn once for every candidate's report
    # were kept beside them while they were written, and are gone.
    assert {p.name for p in out.iterdir()} == {
        "comparison.json", "comparison.html", "pls-3mm", "pls-4mm"
    }  # fmt: skip
    reports = [(out / name / "report.html").read_text() for name in ("pls-3mm", "pls-4mm")]
    alt = 'alt="the scanned leg with its landmarks" src="data:image/png;base64,'
    landmarks = [r.split(alt)[1].split('"')[0] for r in reports]
    assert len(landmarks[0]) > 1000 and landmarks[0] == landmarks[1]
    page = (out / "comparison.html").read_text()
    assert external_references(page) == []
    assert page.count("data:image/png;base64,") == 3  # chart, lines, the candidates on the leg


def test_the_comparison_is_headed_like_its_reports_and_filed_as_pdf(
    closed_leg: Path, tmp_path: Path
) -> None:
    """--case-id, --patient-ref, --clinician and --date head the comparison page as they
    head each candidate's report; --pdf writes the page and each report as PDF too."""
    pytest.importorskip("weasyprint", reason="the PDF extra afofit[pdf] is not installed")
    out = tmp_path / "cmp"
    result = runner.invoke(
        app,
        ["compare", str(closed_leg), "-o", str(out), "--design", "pls,thickness=3",
         "--design", "pls,thickness=4", "--case-id", "AFO-9", "--patient-ref", "P<12>",
         "--clinician", "J. Doe", "--date", "2026-12-04", "--pdf"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    page = (out / "comparison.html").read_text()
    header = page.split("<div class='header'>")[1].split("</table></div>")[0]
    for text in ("AFO-9", "P&lt;12&gt;", "J. Doe", "2026-12-04"):
        assert text in header
    assert "<title>AFO comparison AFO-9:" in page
    assert "Made by <code>afofit" in page  # (the command line: here pytest's)
    assert (out / "comparison.pdf").read_bytes().startswith(b"%PDF-")
    for name in ("pls-3mm", "pls-4mm"):
        report = (out / name / "report.html").read_text()
        assert "AFO-9" in report and "J. Doe" in report
        assert (out / name / "report.pdf").read_bytes().startswith(b"%PDF-")


@pytest.mark.usefixtures("no_weasyprint")
def test_a_comparison_pdf_without_weasyprint_is_refused_before_any_work(
    closed_leg: Path, tmp_path: Path
) -> None:
    out = tmp_path / "cmp"
    result = runner.invoke(
        app, ["compare", str(closed_leg), "-o", str(out), "--design", "pls", "--design", "solid",
              "--pdf"],
    )  # fmt: skip
    assert result.exit_code == ExportError.exit_code
    said = error_text(result.output)
    assert "afofit[pdf]" in said and "reading" not in said
    assert not out.exists()


def test_a_gait_that_prescribes_no_afo_for_the_leg_is_said_so(tmp_path: Path) -> None:
    """The demo gait's foot drop is on the right: compared on a left leg, the candidates
    have no range to meet, and the page says why (the gait found no sign on that side)
    rather than asking for a gait it was given."""
    from afofit.export import write_phantom
    from afofit.phantom import PhantomSpec

    leg = tmp_path / "left.stl"
    write_phantom(PhantomSpec(side="left", seed=21, faces=20000), leg)
    gait = Path(__file__).resolve().parents[1] / "examples" / "demo_gait_fatigued.csv"
    base = FitRequest(leg, gait=(gait,))
    comparison = compare(base, [parse_candidate("pls"), parse_candidate("solid")])
    assert comparison.prescription_nm_per_deg is None and comparison.prescribed_type == "none"
    summary = comparison.summary
    assert summary.startswith("The gait prescribes no AFO for the left leg (no foot-drop sign")
    assert "give --stiffness" in summary and "give --gait" not in summary
    page = comparison_html(comparison, comparison_json(comparison))
    assert "prescription: none for the left leg from the gait" in page
