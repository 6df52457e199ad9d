"""What a reader sees cites the literature (author, year), not the reference file's entries."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from afofit.citations import CITATIONS, cite

SOURCES = Path(__file__).resolve().parents[1] / "afofit"


def test_every_entry_the_code_cites_has_a_name() -> None:
    used = {
        key.strip()
        for path in SOURCES.rglob("*.py")
        for group in re.findall(r"\[(S\d+(?:,\s*S\d+)*)\]", path.read_text(encoding="utf-8"))
        for key in group.split(",")
    }
    assert used and used <= set(CITATIONS), sorted(used - set(CITATIONS))


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("afo-engineering.md §2.2 [S46] (V), clamp 1–6.4° (D)",
         "Moosabhoy & Gard 2006 (V), clamp 1–6.4° (D)"),
        ("afo-engineering.md §2.4 [S54, S55]", "Podiapaedia, drop foot gait; review of drop-foot "
         "AFOs, Sci World J 2014"),
        ("afo-engineering.md §2.2 (D); SF 2–3 (U)", "derived (D); SF 2–3 (U)"),
        ("afo-engineering.md §2.5 rule 2 (D)", "afofit's prescription rule 2 (D)"),
        ("trial file", "trial file"),
    ],
)  # fmt: skip
def test_sources_read_as_citations(source: str, expected: str) -> None:
    assert cite(source) == expected


def test_the_gait_json_names_no_reference_file() -> None:
    from afofit.fitting import analyse_gait
    from afofit.gait.analysis import gait_to_dict

    examples = Path(__file__).resolve().parents[1] / "examples"
    data = gait_to_dict(analyse_gait([examples / "demo_gait_fatigued.csv"]))
    text = str(data)
    assert "afo-engineering" not in text and not re.search(r"\[S\d+", text)
