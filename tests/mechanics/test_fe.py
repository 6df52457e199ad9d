"""FE stiffness against beam theory: a closed tube and an open C-section, clamped at one end,
a rigid cap turned by a moment at the other (the fixture's clamp and cuff)."""

from __future__ import annotations

import math
from functools import cache

import pytest

pytest.importorskip("pymeshlab", reason="the FE extra is not installed: pip install afofit[fe]")
pytest.importorskip("gmsh", reason="the FE extra is not installed: pip install afofit[fe]")

from afofit.mechanics.fe import FEStiffness, fe_stiffness
from tests.mechanics.beams import (
    CLAMP_BELOW,
    CUFF_FROM,
    MODULUS_GPA,
    R_OUT,
    beam_k,
    extruded_section,
    fixture,
)


@cache
def solved(open_angle: float, cuff: str, h_mm: float = 4.0) -> FEStiffness:
    """The FE answer for a section in the fixture (cached: each is solved once per run)."""
    body = extruded_section(4.0, open_angle)
    assert body.is_watertight and body.volume > 0
    return fe_stiffness(body, fixture(cuff), MODULUS_GPA, 28.0, h_mm=h_mm)


@pytest.mark.parametrize(("open_angle", "label"), [(0.0, "tube"), (1.5, "C-section")])
def test_a_beam_in_the_fixture_bends_as_beam_theory_says(open_angle: float, label: str) -> None:
    expected = beam_k(4.0, open_angle)
    free, guided = solved(open_angle, "free"), solved(open_angle, "guided")
    # A moment about a principal axis bends without twist: free and guided agree.
    for k in (free.lower_bound_nm_per_deg, guided.sagittal_nm_per_deg):
        assert k == pytest.approx(expected, rel=0.03), (label, k, expected)
    # The bending stress M c / I at the outer fibre, away from the ends.
    outer_fibre = R_OUT if open_angle == 0.0 else None
    if outer_fibre is not None:
        ixx = nm_to_nmm(expected) * (CUFF_FROM + CLAMP_BELOW) / (MODULUS_GPA * 1000.0)
        assert guided.peak_stress_mpa == pytest.approx(5000.0 * outer_fibre / ixx, rel=0.1)


def nm_to_nmm(k_nm_per_deg: float) -> float:
    """N·m/deg back to N·mm/rad (for the stress check)."""
    return k_nm_per_deg * 1000.0 * 180.0 / math.pi


def test_refining_the_mesh_changes_k_by_under_3_percent() -> None:
    coarse, fine = solved(0.0, "guided"), solved(0.0, "guided", 3.0)
    change = abs(fine.sagittal_nm_per_deg / coarse.sagittal_nm_per_deg - 1.0)
    assert change < 0.03, change


def test_the_same_shell_gives_the_same_answer_twice() -> None:
    again = fe_stiffness(extruded_section(4.0, 1.5), fixture("guided"), MODULUS_GPA, 28.0)
    first = solved(1.5, "guided")
    assert again.sagittal_nm_per_deg == first.sagittal_nm_per_deg and again.tets == first.tets
