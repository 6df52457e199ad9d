"""Cross-sections and girths against shapes of known size."""

from __future__ import annotations

import math

import numpy as np
import pytest
import trimesh

from afofit.geometry.measure import Sections, hull_perimeter


def test_girth_of_a_cylinder_is_its_circumference() -> None:
    cyl = trimesh.creation.cylinder(radius=50.0, height=200.0, sections=256)
    sections = Sections.from_mesh(np.asarray(cyl.vertices), np.asarray(cyl.faces))
    # A 256-gon's perimeter is 2 n r sin(pi / n).
    expected = 2 * 256 * 50.0 * math.sin(math.pi / 256)
    for z in (-90.0, 0.0, 42.5):
        assert sections.girth(z) == pytest.approx(expected, rel=1e-9)
        assert sections.width(z) == pytest.approx(100.0, rel=1e-3)


def test_girth_bridges_a_concavity_like_a_tape() -> None:
    # Two touching boxes in an L: the tape spans the notch.
    a = trimesh.creation.box(extents=(40, 10, 10))
    b = trimesh.creation.box(extents=(10, 40, 10))
    b.apply_translation((-15, 15, 0))
    both = trimesh.util.concatenate([a, b])
    sections = Sections.from_mesh(np.asarray(both.vertices), np.asarray(both.faces))
    pts = sections.points(0.0)
    assert sections.girth(0.0) == pytest.approx(hull_perimeter(pts))
    assert sections.girth(0.0) < 40 + 10 + 40 + 10 + 30 + 30  # the L's own outline


def test_no_section_outside_the_shape() -> None:
    cyl = trimesh.creation.cylinder(radius=5.0, height=10.0)
    sections = Sections.from_mesh(np.asarray(cyl.vertices), np.asarray(cyl.faces))
    assert len(sections.points(50.0)) == 0
    assert math.isnan(sections.girth(50.0))
