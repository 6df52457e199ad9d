"""The shell checks on solids whose answers are known: a hollow box, crossing boxes, printers."""

from __future__ import annotations

import dataclasses

import igl
import numpy as np
import pytest
import trimesh

from afofit.geometry.checks import (
    ShellStats,
    chord_thickness,
    keep_skin_tree,
    printer_placement,
    run_checks,
    self_intersecting_pairs,
    skin_distances,
    skin_key,
    skin_penetration,
    toe_clearance,
)
from afofit.geometry.meshing import mesh_level_set
from afofit.tolerances import TOLERANCES as TOL


def _hollow_box(outer: float, wall: float) -> trimesh.Trimesh:
    """A closed box with a box-shaped cavity: two surfaces, the inner one facing in."""
    out = trimesh.creation.box(extents=(outer, outer, outer))
    cavity = trimesh.creation.box(extents=(outer - 2 * wall,) * 3)
    cavity.invert()
    return trimesh.util.concatenate([out, cavity])


def test_chord_thickness_is_the_wall_of_a_hollow_box() -> None:
    box = _hollow_box(40.0, 3.0)
    chords = chord_thickness(box)
    # Every corner ray runs along the (diagonal) corner normal: the middle of
    # a face would read exactly 3; a corner reads the diagonal through the wall.
    assert np.all(np.isfinite(chords))
    assert chords.min() >= 3.0 - 2e-3  # rays start 1 µm inside the surface
    flat = trimesh.creation.box(extents=(40.0, 40.0, 3.0)).subdivide().subdivide()
    middle = np.abs(flat.vertices[:, :2]).max(axis=1) < 15.0
    assert np.allclose(chord_thickness(flat)[middle], 3.0, atol=2e-3)


def test_self_intersections_found_only_where_solids_cross() -> None:
    one = trimesh.creation.box(extents=(10.0, 10.0, 10.0))
    assert self_intersecting_pairs(one) == 0
    other = one.copy()
    other.apply_translation([5.0, 5.0, 5.0])
    assert self_intersecting_pairs(trimesh.util.concatenate([one, other])) > 0
    apart = one.copy()
    apart.apply_translation([20.0, 0.0, 0.0])
    assert self_intersecting_pairs(trimesh.util.concatenate([one, apart])) == 0


def _ball_on_grid(centre: tuple[float, float, float], radius: float) -> trimesh.Trimesh:
    """A ball marching cubes meshes on a 1.25 mm grid whose origin is (-20, -20, -20)."""
    h, origin = 1.25, np.full(3, -20.0)
    axes = [origin[0] + h * np.arange(33)] * 3
    x, y, z = np.meshgrid(*axes, indexing="ij")
    field = np.sqrt((x - centre[0]) ** 2 + (y - centre[1]) ** 2 + (z - centre[2]) ** 2) - radius
    return mesh_level_set(field.astype(np.float32), origin, h)[0]


def test_self_intersections_on_a_marching_cubes_grid_are_those_the_tree_finds() -> None:
    grid = (np.full(3, -20.0), 1.25)
    one = _ball_on_grid((0.0, 0.0, 0.0), 10.0)
    assert self_intersecting_pairs(one, grid) == self_intersecting_pairs(one) == 0
    # Two balls crossing: every crossing pair lies in one cell, and both searches count them.
    two = trimesh.util.concatenate([one, _ball_on_grid((6.3, 1.1, 0.4), 9.0)])
    crossing = self_intersecting_pairs(two)
    assert crossing > 50
    assert self_intersecting_pairs(two, grid) == crossing
    # A grid the mesh was not meshed on (shifted half a cell) is not trusted: the tree decides.
    assert self_intersecting_pairs(two, (grid[0] + 0.625, 1.25)) == crossing
    # Nothing to cross: no faces, or one.
    one_face = trimesh.Trimesh(one.vertices, one.faces[:1], process=False)
    assert self_intersecting_pairs(one_face, grid) == self_intersecting_pairs(one_face) == 0
    nothing = trimesh.Trimesh(np.zeros((0, 3)), np.zeros((0, 3), dtype=np.int64), process=False)
    assert self_intersecting_pairs(nothing, grid) == 0


def _corners(x: float, y: float, z: float) -> np.ndarray:
    return np.array([[a, b, c] for a in (0, x) for b in (0, y) for c in (0, z)], dtype=float)


@pytest.mark.parametrize(
    ("dims", "fits"),
    [
        ((214, 290, 455), True),  # upright, square on the bed
        ((214, 320, 455), False),  # no turn of a full 214 x 320 rectangle fits 300 x 300
        ((400, 400, 700), False),
    ],
)
def test_printer_placement_of_boxes(dims: tuple[float, float, float], fits: bool) -> None:
    assert (printer_placement(_corners(*dims), (300.0, 300.0, 605.0)) is not None) is fits


def test_a_part_too_tall_to_stand_lies_down() -> None:
    placement = printer_placement(_corners(120, 250, 620), (300.0, 700.0, 200.0))
    assert placement is not None and placement.startswith(("lying", "on its side"))


def test_a_long_footplate_fits_across_the_bed() -> None:
    # An L in plan (shank 100 x 100, foot 40 wide running 330 forward), 450 tall:
    # too long to sit square on a 300 mm bed, but it fits set at an angle.
    shank = _corners(100, 100, 450)
    foot = _corners(40, 330, 20) + np.array([30.0, 0.0, 0.0])
    placement = printer_placement(np.vstack([shank, foot]), (300.0, 300.0, 605.0))
    assert placement is not None and "angle" in placement


def _stats(**changes: object) -> ShellStats:
    good = ShellStats(
        faces=1000, volume_mm3=1e5, watertight=True, winding_consistent=True, min_wall_mm=3.0,
        wall_p05_mm=3.0, thinnest_feature_mm=3.0, clearance_median_mm=2.0, clearance_p05_mm=1.8,
        clearance_p95_mm=2.2, clearance_within_0_8_fraction=1.0, self_intersections=0,
        extents_mm=(300.0, 200.0, 100.0), hull_mm=_corners(100, 200, 300),
    )  # fmt: skip
    return dataclasses.replace(good, **changes)  # type: ignore[arg-type]


def test_a_good_shell_passes_every_check() -> None:
    checks = run_checks(_stats(), clearance_mm=2.0, thickness_mm=3.0, min_wall_process_mm=0.8)
    assert [c.name for c in checks if not c.passed] == []


def test_the_thresholds_themselves_pass() -> None:
    at_limits = _stats(
        min_wall_mm=TOL.min_wall_fraction * 3.0,
        clearance_median_mm=2.0 - TOL.clearance_median_mm + 1e-9,  # at the limit, less rounding
        clearance_within_0_8_fraction=TOL.clearance_band_fraction,
        penetration_mm=TOL.max_penetration_mm,
        skin_inside=1,
    )
    checks = run_checks(at_limits, clearance_mm=2.0, thickness_mm=3.0, min_wall_process_mm=0.8)
    assert [c.name for c in checks if not c.passed] == []
    wall = next(c for c in checks if c.name == "minimum wall")
    assert "95 % of 3 mm" in wall.detail  # the report states the tolerance it applied


@pytest.mark.parametrize(
    ("change", "failed"),
    [
        ({"watertight": False}, "watertight"),
        ({"volume_mm3": -5.0}, "outward normals"),
        ({"self_intersections": 3}, "self-intersections"),
        ({"min_wall_mm": TOL.min_wall_fraction * 3.0 - 0.01}, "minimum wall"),
        ({"clearance_median_mm": 2.0 + TOL.clearance_median_mm + 0.01}, "clearance"),
        ({"clearance_within_0_8_fraction": TOL.clearance_band_fraction - 0.01}, "clearance"),
        ({"hull_mm": _corners(400, 400, 700)}, "build volume"),
        ({"thinnest_feature_mm": 0.5}, "smallest feature"),
        ({"penetration_mm": TOL.max_penetration_mm + 0.01, "skin_inside": 3},
         "skin inside the shell"),
    ],
)  # fmt: skip
def test_each_failure_is_named(change: dict[str, object], failed: str) -> None:
    checks = run_checks(
        _stats(**change), clearance_mm=2.0, thickness_mm=3.0, min_wall_process_mm=0.8
    )
    assert [c.name for c in checks if not c.passed] == [failed]
    assert all(c.detail for c in checks)


@pytest.mark.parametrize("depth", [0.0, 0.4, 1.6])
def test_skin_pressing_into_a_wall_is_measured_to_its_depth(depth: float) -> None:
    """A plate 4 mm thick (z 0..4) and skin a bumpy sheet 2 mm above it whose bump (a
    sphere cap of radius 10 mm) reaches ``depth`` into the plate."""
    plate = trimesh.creation.box(extents=(60.0, 60.0, 4.0))
    plate.apply_translation([0.0, 0.0, 2.0])
    x, y = np.meshgrid(np.linspace(-25, 25, 101), np.linspace(-25, 25, 101))
    cap = np.sqrt(np.clip(100.0 - x**2 - y**2, 0.0, None))  # 0..10 mm over r < 10 mm
    z = 4.0 + 2.0 + np.clip(cap - (10.0 - 2.0 - depth), 0.0, None) * -1.0
    sheet = trimesh.Trimesh(np.column_stack([x.ravel(), y.ravel(), z.ravel()]), process=False)
    deepest, inside = skin_penetration(plate, sheet)
    assert deepest == pytest.approx(depth, abs=0.02)
    assert (inside > 0) == (depth > 0)


@pytest.mark.parametrize(("lift", "nearest"), [(0.0, 2.0), (1.0, 1.0)])
def test_toe_clearance_is_the_gap_from_the_toes_skin_to_the_shell(
    lift: float, nearest: float
) -> None:
    """A plate 4 mm thick (z 0..4) and skin a sheet 2 mm above it, a bump ahead of y = 0
    (a sphere cap at y = 10) coming down ``lift`` mm towards it: the toes' gap is
    measured ahead of y = 0 only, the least at the bump and the median the sheet's."""
    plate = trimesh.creation.box(extents=(60.0, 60.0, 4.0))
    plate.apply_translation([0.0, 0.0, 2.0])
    x, y = np.meshgrid(np.linspace(-25, 25, 101), np.linspace(-25, 25, 101))
    cap = np.sqrt(np.clip(100.0 - x**2 - (y - 10.0) ** 2, 0.0, None))
    z = 6.0 - np.clip(cap - (10.0 - lift), 0.0, None)
    sheet = trimesh.Trimesh(np.column_stack([x.ravel(), y.ravel(), z.ravel()]), process=False)
    least, median = toe_clearance(plate, sheet, toes_from_mm=0.0, reach_mm=5.0)
    assert least == pytest.approx(nearest, abs=0.02)
    assert median == pytest.approx(2.0, abs=0.02)
    # Skin farther than the reach is not wrapped by the shell: no gap to report.
    assert np.isnan(toe_clearance(plate, sheet, toes_from_mm=0.0, reach_mm=0.5)[0])


def test_a_kept_skin_tree_answers_as_a_fresh_search() -> None:
    # A sphere of radius 50: a point's distance is | |p| - 50 | to within the facets' sag.
    skin = trimesh.creation.icosphere(5, radius=50.0)
    points = np.random.default_rng(2).normal(size=(500, 3)) * 40.0
    vertices, faces = np.asarray(skin.vertices), np.asarray(skin.faces, dtype=np.int64)
    key = skin_key(skin)
    assert key == skin_key(trimesh.Trimesh(vertices.copy(), faces.copy(), process=False))
    keep_skin_tree(key, vertices, faces)
    squared, closest = skin_distances(key, points, vertices, faces)
    fresh = igl.point_mesh_squared_distance(points, vertices, faces)
    assert np.array_equal(squared, fresh[0]) and np.array_equal(closest, fresh[2])
    assert np.allclose(np.sqrt(squared), np.abs(np.linalg.norm(points, axis=1) - 50.0), atol=0.05)
    # A key not kept (another process's) is built from the arrays given.
    again, _ = skin_distances(key + 1, points, vertices, faces)
    assert np.array_equal(again, squared)
