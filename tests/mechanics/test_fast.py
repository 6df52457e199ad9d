"""The fast model: sections from a mesh against their exact values, its beam against beam
theory, and its calibration against the committed table."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest
import trimesh

from afofit.errors import FitError
from afofit.mechanics import fast
from afofit.mechanics.fast import beam_model, beam_peak_stress, fast_stiffness, shell_sections
from afofit.units import nmm_per_rad_to_nm_per_deg
from tests.mechanics.beams import (
    CLAMP_BELOW,
    CUFF_FROM,
    MODULUS_GPA,
    R_IN,
    R_OUT,
    beam_k,
    extruded_section,
    fixture,
)

TABLE = Path(__file__).resolve().parents[2] / "bench" / "calibration" / "fast_model.md"


def test_sections_of_a_tube_are_exact() -> None:
    tube = trimesh.creation.annulus(r_min=R_IN, r_max=R_OUT, height=200.0, sections=360)
    tube.apply_translation([3.0, -5.0, 60.0])  # off the origin: the centroid must follow
    s = shell_sections(np.asarray(tube.vertices), np.asarray(tube.faces), -30.0, 150.0)
    assert len(s.z_mm) == 90 and s.z_mm[0] == pytest.approx(-29.0)
    np.testing.assert_allclose(s.area_mm2, math.pi * (R_OUT**2 - R_IN**2), rtol=2e-4)
    np.testing.assert_allclose(s.centroid_mm, np.tile([3.0, -5.0], (90, 1)), atol=1e-9)
    i = math.pi / 4 * (R_OUT**4 - R_IN**4)
    np.testing.assert_allclose(s.second_moment_mm4[:, 0, 0], i, rtol=3e-4)
    np.testing.assert_allclose(s.second_moment_mm4[:, 1, 1], i, rtol=3e-4)
    np.testing.assert_allclose(s.second_moment_mm4[:, 0, 1], 0.0, atol=1e-6 * i)
    np.testing.assert_allclose(s.perimeter_mm, 2 * math.pi * (R_OUT + R_IN), rtol=1e-4)


@pytest.mark.parametrize(("open_angle", "label"), [(0.0, "tube"), (1.5, "C-section")])
def test_the_beam_bends_as_beam_theory_says(open_angle: float, label: str) -> None:
    """Before its calibration for shells, the model is plain beam theory (within 3 %)."""
    body = extruded_section(4.0, open_angle)
    model = beam_model(body, fixture("guided"), MODULUS_GPA, fibres=64)
    expected = beam_k(4.0, open_angle)
    for kind in ("guided", "free"):
        k = nmm_per_rad_to_nm_per_deg(1.0 / model.compliance(kind))
        assert k == pytest.approx(expected, rel=0.03), (label, kind, k, expected)
    if open_angle == 0.0:  # the outer fibre's stress M c / I
        ixx = math.pi / 4 * (R_OUT**4 - R_IN**4)
        peak, at = beam_peak_stress(model, fixture("guided"))
        assert peak == pytest.approx(5000.0 * R_OUT / ixx, rel=0.03)
        assert -CLAMP_BELOW < at[2] < CUFF_FROM


def test_a_shell_that_does_not_span_the_fixture_is_refused() -> None:
    short = trimesh.creation.annulus(r_min=R_IN, r_max=R_OUT, height=50.0)
    with pytest.raises(FitError, match="empty or open section"):
        fast_stiffness(short, fixture("guided"), MODULUS_GPA)


def test_the_code_uses_the_calibration_table_s_coefficients() -> None:
    text = TABLE.read_text(encoding="utf-8")
    number = r" ([0-9.e+-]+) \|"
    for kind, coefficients in fast.COEFFICIENTS.items():
        row = re.search(rf"^\| {kind} \|{number * 3}$", text, re.M)
        assert row is not None, kind
        assert coefficients == pytest.approx(tuple(map(float, row.groups())), rel=1e-4), kind


def test_the_stated_error_is_the_table_s() -> None:
    """ERROR_VS_FE, shown with every fast number, is what the calibration table measured."""
    text = TABLE.read_text(encoding="utf-8")
    rows = re.findall(r"^\| (\S+) \| (fit|holdout) \| [0-9.]+ \| ([+-][0-9.]+)% \|", text, re.M)
    held_out = [r for r in rows if r[1] == "holdout"]
    assert len(rows) - len(held_out) >= 12 and len(held_out) >= 4
    errors = np.abs([float(r[2]) / 100 for r in rows])
    assert fast.ERROR_VS_FE["worst"] == pytest.approx(errors.max(), abs=0.005)
    assert fast.ERROR_VS_FE["median"] == pytest.approx(np.median(errors), abs=0.005)
