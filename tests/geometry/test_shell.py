"""The shell on a phantom leg: one closed solid that fits as designed, for each design family."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import igl
import numpy as np
import pytest
import trimesh
from scipy.spatial import cKDTree

from afofit.design import (
    STRAP_SLOT_INSET_MM,
    STRAP_SLOT_LENGTH_MM,
    DesignParameters,
    about_shank,
    resolve_design,
)
from afofit.fitting import MALLEOLI, LegFit, fit_leg, scan_legs
from afofit.geometry.shell import build_shell, face_lattice, skin_envelope
from afofit.geometry.trimline import trim_half_angle
from afofit.profiles import load_design, load_material
from afofit.tolerances import TOLERANCES as TOL

VOXEL_MM = 1.25  # the default


@pytest.fixture(scope="module")
def fits(closed_leg: Path) -> dict[str, LegFit]:
    anatomy, limbs = scan_legs(closed_leg)
    leg, limb = anatomy.legs[0], limbs[0]
    top = float(leg.frame.to_local(np.asarray(limb.vertices))[:, 2].max())
    out = {}
    for design, thickness in (("pls", 3.0), ("semi-rigid", 4.0), ("solid", 5.0)):
        params = resolve_design(
            load_design(design), load_material("pp-copolymer"), leg, top, thickness_mm=thickness,
            strap_slots=design == "solid",  # the solid's calf and ankle slots are checked too
        )  # fmt: skip
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
    assert s.min_wall_mm >= TOL.min_wall_fraction * t
    assert abs(s.clearance_median_mm - fit.params.clearance_mm) <= TOL.clearance_median_mm
    assert s.clearance_within_0_8_fraction >= TOL.clearance_band_fraction


def test_pls_leaves_the_malleoli_free_and_solid_covers_them(fits: dict[str, LegFit]) -> None:
    for name in ("lateral_malleolus", "medial_malleolus"):
        assert not fits["pls"].covers(name)
        assert fits["solid"].covers(name)
    # As fitting.json and the comparison say it (by side of the ankle).
    assert fits["pls"].malleoli_covered() == {"lateral": False, "medial": False}
    assert fits["solid"].malleoli_covered() == {"lateral": True, "medial": True}


@pytest.mark.parametrize("design", ["pls", "semi-rigid", "solid"])
def test_coverage_found_at_the_build_is_the_winding_numbers(
    fits: dict[str, LegFit], design: str
) -> None:
    # The fit tells coverage from the shell's grid; asked afresh (nothing found at the
    # build), the winding number of the shell at the same probes answers.
    fit = fits[design]
    assert fit.covered is not None and set(fit.covered) == set(MALLEOLI)
    assert replace(fit, covered=None).covering(MALLEOLI) == fit.covered


def _inside(fit: LegFit, points: np.ndarray) -> np.ndarray:
    mesh = fit.shell_local
    return (
        igl.fast_winding_number(
            np.asarray(mesh.vertices, dtype=np.float64),
            np.asarray(mesh.faces, dtype=np.int64),
            points,
        )
        > 0.5
    )


def _mid_wall(fit: LegFit, height: float, side: float, inset_mm: float) -> np.ndarray:
    """The middle of the wall at ``height``, ``inset_mm`` of arc in from the trim edge.

    The skin's radius about the shank axis at that angle is interpolated between the skin
    vertices near that height (a coarse scan may have none at the very angle)."""
    axis = fit.leg.frame.rotation @ fit.leg.frame.shank_up
    ankle_z = fit.leg.frame.to_local(fit.leg.landmarks_mm["ankle_axis_centre"][None, :])[0, 2]
    centre = axis * height / axis[2]
    skin = fit.skin_local.vertices
    ring = skin[np.abs(skin[:, 2] - height) < 1.5]
    on_side = np.sign(ring[:, 0] - centre[0]) == side
    radius, theta = about_shank(ring[on_side], axis)
    order = np.argsort(theta)
    alpha = float(trim_half_angle(np.array([height]), fit.params, ankle_z)[0])
    want = alpha - inset_mm / float(np.interp(alpha, theta[order], radius[order]))
    out = np.array([side * np.sin(want), -np.cos(want), 0.0])  # about_shank's angle, on the side
    reach = float(np.interp(want, theta[order], radius[order]))
    wall = fit.params.clearance_mm + 0.5 * fit.params.thickness_mm
    return np.array([centre[0], centre[1], height]) + (reach + wall) * out


def test_strap_slots_cut_through_the_wall(fits: dict[str, LegFit]) -> None:
    fit = fits["solid"]
    assert len(fit.params.strap_slot_heights_mm) == 2  # ankle and calf
    for height in fit.params.strap_slot_heights_mm:
        for side in (-1.0, 1.0):
            in_slot = _mid_wall(fit, height, side, STRAP_SLOT_INSET_MM)
            above = _mid_wall(
                fit, height + 0.5 * STRAP_SLOT_LENGTH_MM + 10.0, side, STRAP_SLOT_INSET_MM
            )
            assert not _inside(fit, in_slot[None, :])[0], (height, side)
            assert _inside(fit, above[None, :])[0], (height, side)


def test_the_shell_overlays_the_scan(fits: dict[str, LegFit]) -> None:
    fit = fits["pls"]
    back = fit.leg.frame.to_local(np.asarray(fit.shell_scan.vertices))
    np.testing.assert_allclose(back, fit.shell_local.vertices, atol=1e-6)
    assert fit.shell_scan.volume > 0  # still outward in the scan's frame


def test_the_same_inputs_give_the_same_shell(closed_leg: Path, fits: dict[str, LegFit]) -> None:
    fit = fits["pls"]
    anatomy, limbs = scan_legs(closed_leg)
    again = fit_leg(limbs[0], anatomy.legs[0], fit.params, voxel_mm=VOXEL_MM)
    np.testing.assert_array_equal(again.shell_scan.vertices, fit.shell_scan.vertices)
    np.testing.assert_array_equal(again.shell_scan.faces, fit.shell_scan.faces)


def test_an_open_sole_gets_a_whole_wall_down_to_the_plate(tmp_path: Path) -> None:
    # A standing scan's open sole whose side wall bulges out over the opening's
    # rim: the voxels just under the rim were once signed inside the leg and
    # the plate cut a crevice into the wall (0.60 × the thickness here).
    from afofit.export import write_phantom
    from afofit.phantom import PhantomSpec

    path = tmp_path / "open.ply"
    spec = PhantomSpec(
        side="left", foot_length_mm=281.94214437816777, calf_girth_mm=354.8380545400103,
        seed=5151, noise_mm=0.13552498132550475, holes=0, units="cm", faces=30000,
        open_sole=True, reaches_knee=True,
    )  # fmt: skip
    write_phantom(spec, path)
    anatomy, limbs = scan_legs(path)
    leg, limb = anatomy.legs[0], limbs[0]
    top = float(leg.frame.to_local(np.asarray(limb.vertices))[:, 2].max())
    params = resolve_design(
        load_design("pls"), load_material("pp-copolymer"), leg, top, thickness_mm=2.5
    )
    fit = fit_leg(limb, leg, params, voxel_mm=VOXEL_MM)
    assert fit.stats.min_wall_mm >= TOL.min_wall_fraction * 2.5
    assert not [c.name for c in fit.checks if not c.passed]


def _closed_cylinder(radius: float, height: float, step: float = 1.5) -> trimesh.Trimesh:
    """A closed cylinder standing on z = 0, its side in rings ``step`` mm apart, capped."""
    around = int(np.ceil(2.0 * np.pi * radius / step))
    up = int(np.ceil(height / step))
    theta = 2.0 * np.pi * np.arange(around) / around
    z = np.linspace(0.0, height, up + 1)
    ring = np.column_stack([radius * np.cos(theta), radius * np.sin(theta)])
    side = np.column_stack([np.tile(ring, (up + 1, 1)), np.repeat(z, around)])
    vertices = np.vstack([side, [[0.0, 0.0, 0.0], [0.0, 0.0, height]]])
    j = np.arange(around)
    faces = []
    for k in range(up):
        a, b = k * around + j, k * around + (j + 1) % around
        faces += [np.column_stack([a, b, b + around]), np.column_stack([a, b + around, a + around])]
    bottom, top = len(side), len(side) + 1
    faces.append(np.column_stack([np.full(around, bottom), (j + 1) % around, j]))
    last = up * around
    faces.append(np.column_stack([np.full(around, top), last + j, last + (j + 1) % around]))
    return trimesh.Trimesh(vertices, np.vstack(faces))


def _cylinder_design(clearance_mm: float, thickness_mm: float) -> DesignParameters:
    """A closed ring all round the shank up to 170 mm; the foot's trim plays no part."""
    return DesignParameters(
        name="ring", material=load_material("pp-copolymer"), trim="posterior", footplate="full",
        thickness_mm=thickness_mm, clearance_mm=clearance_mm, ankle_trim_rad=3.5,
        calf_trim_rad=3.5, proximal_height_mm=170.0, proximal_source="test",
        footplate_end=(np.array([0.0, 1000.0]), np.array([0.0, 1.0])), heel_wall_height_mm=40.0,
        toe_wall_height_mm=20.0, edge_radius_mm=2.0, strap_slots=False,
    )  # fmt: skip


@pytest.mark.parametrize(("radius", "clearance", "thickness"), [(40.0, 2.0, 3.0), (30.0, 1.0, 5.0)])
def test_a_cylinder_gets_a_wall_at_exact_offsets(
    radius: float, clearance: float, thickness: float
) -> None:
    """Analytic: round a closed cylinder of radius R the inner surface lies at R + clearance and
    the outer at R + clearance + thickness (measured mid-height, away from the ends)."""
    skin = _closed_cylinder(radius, 200.0)
    assert skin.is_watertight and skin.volume > 0
    landmarks: dict[str, np.ndarray | None] = {
        "ankle_axis_centre": np.array([0.0, 0.0, 60.0]),
        "heel": np.array([0.0, -radius, 5.0]),
    }
    params = _cylinder_design(clearance, thickness)
    shell = build_shell(skin, params, np.array([0.0, 0.0, 1.0]), landmarks, 200.0, VOXEL_MM)
    mesh = shell.mesh
    assert mesh.is_watertight and mesh.volume > 0
    v = np.asarray(mesh.vertices)
    mid = v[(v[:, 2] > 70.0) & (v[:, 2] < 130.0)]
    r = np.hypot(mid[:, 0], mid[:, 1])
    inner = r < radius + clearance + 0.5 * thickness
    assert inner.sum() > 1000 and (~inner).sum() > 1000
    assert np.abs(r[inner] - (radius + clearance)).max() < 0.3
    assert np.abs(r[~inner] - (radius + clearance + thickness)).max() < 0.3


def test_a_thicker_wall_needs_more_skin_and_joined_envelopes_cover_both(closed_leg: Path) -> None:
    anatomy, limbs = scan_legs(closed_leg)
    leg, limb = anatomy.legs[0], limbs[0]
    top = float(leg.frame.to_local(np.asarray(limb.vertices))[:, 2].max())
    material = load_material("pp-copolymer")
    pls = resolve_design(load_design("pls"), material, leg, top)
    solid = resolve_design(load_design("solid"), material, leg, top)
    thin, thick = skin_envelope(pls, 3.0), skin_envelope(pls, 6.0)
    assert thick.covers(thin) and not thin.covers(thick)
    # each wall's extra reach: above the top edge, on the toe block, behind it
    assert thick.crop_mm - thin.crop_mm == pytest.approx(3.0)
    assert thick.toe_top_mm - thin.toe_top_mm == pytest.approx(3.0)
    both = thick.join(skin_envelope(solid))
    assert both.covers(thick) and both.covers(skin_envelope(solid))


@pytest.mark.parametrize("max_edge_mm", [40.0, 10.0, 5.0, 2.5])
def test_face_lattice_adds_what_subdividing_a_uniform_mesh_would(max_edge_mm: float) -> None:
    # An icosphere's faces are all split to the same level at these sizes: the lattice
    # must give exactly the fine mesh's extra corners and centres, each once.
    sphere = trimesh.creation.icosphere(1, radius=50.0)
    points, normals = face_lattice(sphere, max_edge_mm)
    vertices, faces = trimesh.remesh.subdivide_to_size(
        sphere.vertices, sphere.faces, max_edge=max_edge_mm, max_iter=12
    )
    fine = trimesh.Trimesh(vertices, faces)  # merges the repeated corners
    expected = np.vstack([fine.vertices, fine.triangles_center])
    ours = np.vstack([sphere.vertices, sphere.triangles_center, points])
    assert len(ours) == len(expected)
    rows = np.unique(ours.round(6), axis=0)  # sorted rows (each point whole), each once
    assert len(rows) == len(ours)
    assert np.allclose(rows, np.unique(expected.round(6), axis=0))
    if max_edge_mm > sphere.edges_unique_length.max():
        assert len(points) == 0
        return
    assert np.allclose(np.linalg.norm(normals, axis=1), 1.0)
    # Each added point's normal is its face's (or, on an edge, between its two faces'):
    # within the angle a 30 mm face spans on a 50 mm sphere of the radius.
    outward = np.einsum("ij,ij->i", normals, points / np.linalg.norm(points, axis=1)[:, None])
    assert outward.min() > np.cos(np.radians(20.0))


def test_face_lattice_fills_large_faces_to_the_spacing() -> None:
    # A mixed mesh: every point of a face lies within the spacing of a sample.
    box = trimesh.creation.box(extents=(30.0, 7.0, 2.0))
    points, _ = face_lattice(box, 3.0)
    samples = np.vstack([box.vertices, box.triangles_center, points])
    surface, _ = trimesh.sample.sample_surface_even(box, 4000, seed=1)
    gap, _ = cKDTree(samples).query(surface)
    assert gap.max() <= 3.0
    assert len(face_lattice(box, 100.0)[0]) == 0  # nothing to fill in


def test_skipping_the_faces_that_face_away_from_the_skin_changes_no_statistic(
    closed_leg: Path, fits: dict[str, LegFit], monkeypatch: pytest.MonkeyPatch
) -> None:
    # fit_leg measures the exact skin distance only for faces that face their skin sample
    # (FACING_AWAY): with every face measured, every check and every face's gap is the same.
    fit_module = sys.modules["afofit.fitting"]  # the package's `fit` names the function
    anatomy, limbs = scan_legs(closed_leg)
    leg, limb = anatomy.legs[0], limbs[0]
    solid = fits["solid"]
    monkeypatch.setattr(fit_module, "FACING_AWAY", -1.01)
    every = fit_leg(limb, leg, solid.params, voxel_mm=VOXEL_MM)
    assert [(c.name, c.value) for c in every.checks] == [(c.name, c.value) for c in solid.checks]
    assert np.array_equal(every.stats.inner_gap_mm, solid.stats.inner_gap_mm, equal_nan=True)


def test_the_grid_tells_the_material_as_the_winding_number_does() -> None:
    """The grid's test is checked against the mesh's own winding number at 200k points
    round a cylinder's wall (inside the material, in the gap, in the skin, beyond): every
    point it knows, it knows right, and it knows nearly all of them."""
    skin = _closed_cylinder(40.0, 200.0)
    landmarks: dict[str, np.ndarray | None] = {
        "ankle_axis_centre": np.array([0.0, 0.0, 60.0]),
        "heel": np.array([0.0, -40.0, 5.0]),
    }
    shell = build_shell(
        skin, _cylinder_design(2.0, 3.0), np.array([0.0, 0.0, 1.0]), landmarks, 200.0, VOXEL_MM
    )
    rng = np.random.default_rng(11)
    low, high = shell.mesh.bounds
    points = rng.uniform(low - 5.0, high + 5.0, size=(200_000, 3))
    winding = igl.fast_winding_number(
        np.asarray(shell.mesh.vertices), np.asarray(shell.mesh.faces), points
    )
    inside = winding > 0.5
    known, told = shell.in_material(points)
    assert inside.sum() > 1000  # the test asks about the material too
    assert np.array_equal(told[known], inside[known])
    assert known.mean() > 0.999
    # The mixed cells (the surface's own) were told by crossings, and right.
    r = np.hypot(points[:, 0], points[:, 1])
    at_surface = (np.minimum(np.abs(r - 42.0), np.abs(r - 45.0)) < 0.5) & (points[:, 2] > 20.0)
    assert at_surface.sum() > 1000 and known[at_surface].mean() > 0.999
