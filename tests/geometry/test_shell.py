"""The shell on a phantom leg: one closed solid that fits as designed, for each design family."""

from __future__ import annotations

from pathlib import Path

import igl
import numpy as np
import pytest

from afofit.design import resolve_design
from afofit.fit import LegFit, _analyse, fit_leg
from afofit.profiles import load_design, load_material

VOXEL_MM = 1.25  # the default


@pytest.fixture(scope="module")
def fits(closed_leg: Path) -> dict[str, LegFit]:
    anatomy, limbs = _analyse(closed_leg)
    leg, limb = anatomy.legs[0], limbs[0]
    top = float(leg.frame.to_local(np.asarray(limb.vertices))[:, 2].max())
    out = {}
    for design, thickness in (("pls", 3.0), ("semi-rigid", 4.0), ("solid", 5.0)):
        params = resolve_design(
            load_design(design), load_material("pp-copolymer"), leg, top, thickness_mm=thickness
        )
        out[design] = fit_leg(limb, leg, params, voxel_mm=VOXEL_MM)
    return out


@pytest.mark.parametrize("design", ["pls", "semi-rigid", "solid"])
def test_every_check_passes(fits: dict[str, LegFit], design: str) -> None:
    fit = fits[design]
    failed = [f"{c.name}: {c.detail}" for c in fit.checks if not c.passed]
    assert not failed
    s, t = fit.stats, fit.params.thickness_mm
    assert s.watertight and s.winding_consistent and s.volume_mm3 > 0
    assert s.self_intersections == 0
    assert s.min_wall_mm >= 0.95 * t
    assert abs(s.clearance_median_mm - fit.params.clearance_mm) <= 0.3
    assert s.clearance_within_0_8_fraction >= 0.9


def _covered(fit: LegFit, name: str) -> bool:
    """Is there shell just outside this landmark's skin (clearance + half the wall)?"""
    frame = fit.leg.frame
    point = frame.to_local(fit.leg.landmarks_mm[name][None, :])[0]
    outward = np.sign(point[0]) * np.array([1.0, 0.0, 0.0])
    relief = fit.params.reliefs.get(name, (None, 0.0))[1]
    probe = point + outward * (fit.params.clearance_mm + relief + 0.5 * fit.params.thickness_mm)
    mesh = fit.shell_local
    winding = igl.fast_winding_number(
        np.asarray(mesh.vertices, dtype=np.float64),
        np.asarray(mesh.faces, dtype=np.int64),
        probe[None, :],
    )
    return bool(winding[0] > 0.5)


def test_pls_leaves_the_malleoli_free_and_solid_covers_them(fits: dict[str, LegFit]) -> None:
    for name in ("lateral_malleolus", "medial_malleolus"):
        assert not _covered(fits["pls"], name)
        assert _covered(fits["solid"], name)


def test_the_shell_overlays_the_scan(fits: dict[str, LegFit]) -> None:
    fit = fits["pls"]
    back = fit.leg.frame.to_local(np.asarray(fit.shell_scan.vertices))
    np.testing.assert_allclose(back, fit.shell_local.vertices, atol=1e-6)
    assert fit.shell_scan.volume > 0  # still outward in the scan's frame


def test_the_same_inputs_give_the_same_shell(closed_leg: Path, fits: dict[str, LegFit]) -> None:
    fit = fits["pls"]
    anatomy, limbs = _analyse(closed_leg)
    again = fit_leg(limbs[0], anatomy.legs[0], fit.params, voxel_mm=VOXEL_MM)
    np.testing.assert_array_equal(again.shell_scan.vertices, fit.shell_scan.vertices)
    np.testing.assert_array_equal(again.shell_scan.faces, fit.shell_scan.faces)
