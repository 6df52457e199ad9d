"""The engraved label: text checked, glyphs placed on the posterolateral calf reading
upwards (flipped on a left leg's mirrored frame), and a labelled shell that is one clean
solid passing every check, its volume smaller by the letters' area times their depth."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from afofit.design import resolve_design
from afofit.errors import InputError
from afofit.fitting import fit_leg, scan_legs
from afofit.geometry.label import (
    ANGLE_BEHIND_LATERAL_RAD,
    LABEL_DEPTH_MM,
    LabelPlacement,
    check_label,
    label_area_mm2,
    label_coordinates,
    label_depth,
    label_length_mm,
)
from afofit.profiles import load_design, load_material


def test_a_label_is_short_plain_text() -> None:
    assert check_label("  AFO-7 R 2026-12-01 ") == "AFO-7 R 2026-12-01"
    for bad in ("", "x" * 33, "naïve", "a;b"):
        with pytest.raises(InputError, match="--label"):
            check_label(bad)


def _ring(radius: float, z: float, angles: np.ndarray) -> np.ndarray:
    """Points on a circle about the z axis, ``angles`` from lateral (+x) towards the back (-y)."""
    return np.column_stack(
        [radius * np.cos(angles), -radius * np.sin(angles), np.full_like(angles, z)]
    )


def test_the_glyphs_sit_behind_the_lateral_side_and_read_upwards() -> None:
    place = LabelPlacement(np.array([0.0, 0.0, 1.0]), 200.0, mirrored=False)
    centre = _ring(50.0, 200.0, np.array([ANGLE_BEHIND_LATERAL_RAD]))
    along, up, radius = label_coordinates(centre, place)
    assert along[0] == pytest.approx(0.0) and up[0] == pytest.approx(0.0, abs=1e-9)
    assert radius[0] == pytest.approx(50.0)
    # a tenth of a radian further back is 5 mm towards the letters' tops
    _, up_back, _ = label_coordinates(
        _ring(50.0, 200.0, np.array([ANGLE_BEHIND_LATERAL_RAD + 0.1])), place
    )
    assert up_back[0] == pytest.approx(5.0)
    mirrored = LabelPlacement(place.axis, 200.0, mirrored=True)
    assert label_coordinates(
        _ring(50.0, 200.0, np.array([ANGLE_BEHIND_LATERAL_RAD + 0.1])), mirrored
    )[1][0] == pytest.approx(-5.0)
    # "I" is one upright stroke: cut at its middle, nothing far from the text
    depth = label_depth(
        np.vstack(
            [centre, _ring(50.0, 200.0, np.array([-1.0])), _ring(50.0, 400.0, np.array([0.8]))]
        ),
        "I",
        place,
    )
    assert depth[0] == pytest.approx(LABEL_DEPTH_MM, rel=0.02)
    assert depth[1] == 0.0 and depth[2] == 0.0


def test_a_labelled_shell_is_one_solid_that_passes_every_check(closed_leg: Path) -> None:
    anatomy, limbs = scan_legs(closed_leg)
    leg, limb = anatomy.legs[0], limbs[0]
    top = float(leg.frame.to_local(np.asarray(limb.vertices))[:, 2].max())
    design, material = load_design("pls"), load_material("pp-copolymer")
    plain = resolve_design(design, material, leg, top, thickness_mm=3.0)
    text = "AFO-7 R 2026-12-01"
    labelled = resolve_design(design, material, leg, top, thickness_mm=3.0, label=text)
    a, b = fit_leg(limb, leg, plain), fit_leg(limb, leg, labelled)
    assert b.passed, [c for c in b.checks if not c.passed]
    assert b.stats.watertight and len(b.shell_local.split(only_watertight=False)) == 1
    # The letters' area times the depth is what the cut removes.
    expected = label_area_mm2(text) * LABEL_DEPTH_MM
    removed = a.stats.volume_mm3 - b.stats.volume_mm3
    assert removed == pytest.approx(expected, rel=0.1), (removed, expected)  # measured 2 %
    assert b.params.summary()["label"]["text"] == text


def test_a_label_longer_than_the_calf_is_refused(closed_leg: Path) -> None:
    anatomy, limbs = scan_legs(closed_leg)
    leg, limb = anatomy.legs[0], limbs[0]
    top = float(leg.frame.to_local(np.asarray(limb.vertices))[:, 2].max())
    assert label_length_mm("W" * 32) > 300.0
    with pytest.raises(InputError, match="shorten the label"):
        resolve_design(load_design("pls"), load_material("pp-copolymer"), leg, top, label="W" * 32)
    assert math.isfinite(label_length_mm("AFO"))
