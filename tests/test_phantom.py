"""Tests for afofit.phantom: determinism, resolution, units, topology and ground truth."""

from __future__ import annotations

import dataclasses
import inspect
import json

import numpy as np
import pytest
import scipy.sparse as sp
import trimesh

from afofit.errors import InputError
from afofit.phantom import Phantom, PhantomSpec, make_phantom

# Keys of the real-scan truth files (tests/data and /work/shared/data/scans/*.truth.json).
SCAN_TRUTH_KEYS = [
    "case",
    "side",
    "units_in_file",
    "stature_mm",
    "faces",
    "ankle_joint_centre_mm",
    "knee_joint_centre_mm",
    "mtp1_joint_mm",
    "mtp5_joint_mm",
    "heel_posterior_mm",
    "toe_tip_mm",
    "foot_length_mm",
    "other_ankle_joint_centre_mm",
    "up_axis",
    "anterior_axis",
]
PHANTOM_EXTRA_KEYS = [
    "lateral_malleolus_mm",
    "medial_malleolus_mm",
    "fibular_head_mm",
    "malleolar_width_mm",
    "calf_girth_max_mm",
    "calf_girth_height_mm",
    "shank_length_mm",
    "scale_to_mm",
    "seed",
]
POINT_KEYS = [
    "ankle_joint_centre_mm",
    "knee_joint_centre_mm",
    "mtp1_joint_mm",
    "mtp5_joint_mm",
    "heel_posterior_mm",
    "toe_tip_mm",
    "lateral_malleolus_mm",
    "medial_malleolus_mm",
    "fibular_head_mm",
]
SMALL = 8000  # faces: keeps every phantom well under a second


def _spec(**changes: object) -> PhantomSpec:
    return dataclasses.replace(PhantomSpec(faces=SMALL, pose="neutral"), **changes)


def _boundary_loops(mesh: trimesh.Trimesh) -> list[np.ndarray]:
    """Vertex indices of each boundary loop (edges used by exactly one face)."""
    edges = np.sort(mesh.faces[:, [0, 1, 1, 2, 2, 0]].reshape(-1, 2), axis=1)
    unique, counts = np.unique(edges, axis=0, return_counts=True)
    assert counts.max() <= 2, "non-manifold edge"
    boundary = unique[counts == 1]
    if len(boundary) == 0:
        return []
    n = len(mesh.vertices)
    graph = sp.coo_matrix((np.ones(len(boundary)), (boundary[:, 0], boundary[:, 1])), (n, n))
    _, labels = sp.csgraph.connected_components(graph, directed=False)
    on_boundary = np.unique(boundary)
    return [on_boundary[labels[on_boundary] == k] for k in np.unique(labels[on_boundary])]


@pytest.fixture(scope="module")
def right() -> Phantom:
    return make_phantom(_spec())


@pytest.fixture(scope="module")
def posed() -> Phantom:
    return make_phantom(_spec(pose="random", seed=7, faces=12000))


@pytest.fixture(scope="module")
def both() -> Phantom:
    return make_phantom(_spec(side="both", seed=3))


def test_same_spec_gives_identical_arrays() -> None:
    spec = _spec(pose="random", seed=11, noise_mm=0.5, holes=4)
    a, b = make_phantom(spec), make_phantom(spec)
    assert a.mesh.vertices.tobytes() == b.mesh.vertices.tobytes()
    assert a.mesh.faces.tobytes() == b.mesh.faces.tobytes()
    assert json.dumps(a.truth) == json.dumps(b.truth)


def test_seed_changes_the_phantom(right: Phantom) -> None:
    other = make_phantom(_spec(seed=1))
    assert other.truth["ankle_joint_centre_mm"] != right.truth["ankle_joint_centre_mm"]


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"faces": 20000, "reaches_knee": False},
        {"open_sole": True},
        {"foot_length_mm": 150.0, "calf_girth_mm": 550.0, "faces": 10000},
    ],
    ids=["default", "mid-shank", "open-sole", "small-foot-big-calf"],
)
def test_face_count_is_within_15_percent_of_target(changes: dict[str, object]) -> None:
    spec = _spec(**changes)
    faces = len(make_phantom(spec).mesh.faces)
    assert abs(faces / spec.faces - 1.0) < 0.15


def test_face_target_is_per_leg(both: Phantom) -> None:
    for leg in both.truth["legs"]:
        assert abs(leg["faces"] / SMALL - 1.0) < 0.15
    assert both.truth["faces"] == len(both.mesh.faces)
    assert sum(leg["faces"] for leg in both.truth["legs"]) == len(both.mesh.faces)


def test_per_leg_face_counts_follow_the_holes() -> None:
    holed = make_phantom(_spec(side="both", seed=3, holes=12))
    assert sum(leg["faces"] for leg in holed.truth["legs"]) == len(holed.mesh.faces)
    assert len(holed.mesh.split(only_watertight=False)) == 2


def test_units_scale_the_file_coordinates_only() -> None:
    in_mm = make_phantom(_spec(pose="random", seed=5))
    in_m = make_phantom(_spec(pose="random", seed=5, units="m"))
    np.testing.assert_allclose(
        in_m.mesh.vertices * 1000.0, in_mm.mesh.vertices, rtol=1e-12, atol=1e-9
    )
    np.testing.assert_array_equal(in_m.mesh.faces, in_mm.mesh.faces)
    assert in_m.truth["units_in_file"] == "m"
    assert in_m.truth["scale_to_mm"] == 1000.0
    for key in POINT_KEYS:  # truth stays in mm
        assert in_m.truth[key] == in_mm.truth[key]


def test_truth_has_the_scan_keys_and_is_json(posed: Phantom) -> None:
    truth = json.loads(json.dumps(posed.truth))
    assert list(truth)[: len(SCAN_TRUTH_KEYS)] == SCAN_TRUTH_KEYS
    assert set(PHANTOM_EXTRA_KEYS) <= set(truth)
    assert truth["faces"] == len(posed.mesh.faces)
    assert truth["case"] == "phantom_seed7_right"


def test_truth_is_consistent(posed: Phantom) -> None:
    t = {k: np.asarray(v) if isinstance(v, list) else v for k, v in posed.truth.items()}
    up, anterior = t["up_axis"], t["anterior_axis"]
    assert np.linalg.norm(up) == pytest.approx(1.0)
    assert np.linalg.norm(anterior) == pytest.approx(1.0)
    assert up @ anterior == pytest.approx(0.0, abs=1e-9)
    assert t["foot_length_mm"] == pytest.approx(260.0, rel=0.05)
    assert t["foot_length_mm"] == pytest.approx(
        (t["toe_tip_mm"] - t["heel_posterior_mm"]) @ anterior
    )
    assert t["calf_girth_max_mm"] == pytest.approx(360.0, rel=0.03)
    assert t["lateral_malleolus_mm"] @ up < t["medial_malleolus_mm"] @ up
    np.testing.assert_allclose(
        t["ankle_joint_centre_mm"], 0.5 * (t["lateral_malleolus_mm"] + t["medial_malleolus_mm"])
    )
    assert t["knee_joint_centre_mm"] @ up - t["ankle_joint_centre_mm"] @ up == pytest.approx(
        t["shank_length_mm"], rel=0.02
    )
    # The heel and toe points are vertices of the (noise-free) posed mesh.
    vertices_mm = posed.mesh.vertices * t["scale_to_mm"]
    for key in ("heel_posterior_mm", "toe_tip_mm"):
        assert np.linalg.norm(vertices_mm - t[key], axis=1).min() < 1e-6
    # Skin landmarks lie on the meshed skin (which smoothing moves by < 1.5 mm).
    _, distance, _ = trimesh.proximity.closest_point(
        posed.mesh,
        np.stack(
            [
                t[k] / t["scale_to_mm"]
                for k in ("lateral_malleolus_mm", "medial_malleolus_mm", "fibular_head_mm")
            ]
        ),
    )
    assert distance.max() < 1.5
    # Joint centres lie inside the leg.
    centres = np.stack(
        [
            t[k]
            for k in (
                "ankle_joint_centre_mm",
                "knee_joint_centre_mm",
                "mtp1_joint_mm",
                "mtp5_joint_mm",
            )
        ]
    )
    _, depth, _ = trimesh.proximity.closest_point(posed.mesh, centres)
    assert depth.min() > 5.0


def test_truth_is_the_construction_not_the_noisy_surface() -> None:
    clean = make_phantom(_spec(seed=2))
    noisy = make_phantom(_spec(seed=2, noise_mm=2.0, holes=10))
    assert noisy.truth == {**clean.truth, "faces": noisy.truth["faces"]}
    assert len(noisy.mesh.faces) < len(clean.mesh.faces)
    assert len(_boundary_loops(noisy.mesh)) > 1


def test_left_is_the_mirror_of_right(right: Phantom) -> None:
    left = make_phantom(_spec(side="left"))
    np.testing.assert_array_equal(left.mesh.vertices, right.mesh.vertices * [-1.0, 1.0, 1.0])
    np.testing.assert_array_equal(left.mesh.faces, right.mesh.faces[:, ::-1])
    assert left.mesh.volume == pytest.approx(right.mesh.volume)  # winding flipped too
    for key in POINT_KEYS:
        np.testing.assert_allclose(left.truth[key], np.multiply(right.truth[key], [-1, 1, 1]))
    assert left.truth["lateral_malleolus_mm"][0] < left.truth["medial_malleolus_mm"][0]
    assert right.truth["lateral_malleolus_mm"][0] > right.truth["medial_malleolus_mm"][0]


def test_both_gives_two_separate_legs(both: Phantom) -> None:
    assert len(both.mesh.split(only_watertight=False)) == 2
    right_leg, left_leg = both.truth["legs"]
    assert (right_leg["side"], left_leg["side"]) == ("right", "left")
    gap = np.linalg.norm(
        np.subtract(right_leg["ankle_joint_centre_mm"], left_leg["ankle_joint_centre_mm"])
    )
    assert 160.0 <= gap <= 220.0
    assert right_leg["other_ankle_joint_centre_mm"] == left_leg["ankle_joint_centre_mm"]
    assert both.truth["ankle_joint_centre_mm"] == right_leg["ankle_joint_centre_mm"]
    # Toes out by 0-12 degrees: the right foot points to +x, the left to -x.
    for leg, sense in ((right_leg, 1.0), (left_leg, -1.0)):
        anterior = np.asarray(leg["anterior_axis"])
        toe_out = np.degrees(np.arctan2(sense * anterior[0], anterior[1]))
        assert 0.0 <= toe_out <= 12.0


def test_open_sole_removes_the_plantar_faces() -> None:
    spec = _spec(open_sole=True)
    mesh = make_phantom(spec).mesh
    fl = spec.foot_length_mm
    loops = _boundary_loops(mesh)
    assert len(loops) >= 2
    lowest = min(mesh.vertices[loop, 2].min() for loop in loops)
    assert lowest < 0.05 * fl
    low = mesh.triangles_center[:, 2] < 0.05 * fl
    assert not np.any(low & (mesh.face_normals[:, 2] < -0.6))
    assert len(mesh.split(only_watertight=False)) == 1


@pytest.mark.parametrize("reaches_knee", [True, False])
def test_neutral_mesh_is_closed_except_the_top(reaches_knee: bool) -> None:
    mesh = make_phantom(_spec(reaches_knee=reaches_knee)).mesh
    loops = _boundary_loops(mesh)
    assert len(loops) == 1
    top = mesh.vertices[:, 2].max()
    np.testing.assert_allclose(mesh.vertices[loops[0], 2], top)
    assert mesh.is_winding_consistent
    assert len(mesh.split(only_watertight=False)) == 1
    assert mesh.volume > 0.0  # outward normals


def test_mid_shank_phantom_has_no_knee(right: Phantom) -> None:
    truth = make_phantom(_spec(reaches_knee=False)).truth
    assert truth["knee_joint_centre_mm"] is None
    assert truth["fibular_head_mm"] is None
    assert truth["shank_length_mm"] is None
    assert truth["calf_girth_max_mm"] == pytest.approx(360.0, rel=0.03)
    assert right.truth["knee_joint_centre_mm"] is not None


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("side", "up"),
        ("foot_length_mm", 149.0),
        ("foot_length_mm", 331.0),
        ("foot_length_mm", float("nan")),
        ("foot_length_mm", "260"),
        ("calf_girth_mm", 249.0),
        ("calf_girth_mm", 551.0),
        ("seed", -1),
        ("seed", 1.5),
        ("noise_mm", -0.1),
        ("noise_mm", 3.5),
        ("holes", 51),
        ("holes", True),
        ("pose", "sitting"),
        ("units", "ft"),
        ("faces", 1999),
        ("faces", 2_000_001),
        ("open_sole", 1),
        ("reaches_knee", "yes"),
    ],
)
def test_bad_spec_values_raise_input_error(name: str, value: object) -> None:
    with pytest.raises(InputError, match=name):
        PhantomSpec(**{name: value})  # type: ignore[arg-type]


def test_every_spec_field_is_documented() -> None:
    doc = inspect.getdoc(PhantomSpec) or ""
    for spec_field in dataclasses.fields(PhantomSpec):
        assert f"{spec_field.name} :" in doc
    assert "spec :" in (inspect.getdoc(make_phantom) or "")


def test_smooth_malleoli_hide_the_bumps_but_keep_the_joint() -> None:
    """The same seed with malleoli="smooth": the same joint centre in the truth, and the skin
    over each malleolus lower by most of the bump's height (2-3.6 % of foot length, of which
    a fifth is kept)."""
    bumps = make_phantom(PhantomSpec(seed=4, faces=20000, pose="neutral"))
    smooth = make_phantom(PhantomSpec(seed=4, faces=20000, pose="neutral", malleoli="smooth"))
    for key in ("ankle_joint_centre_mm", "lateral_malleolus_mm", "medial_malleolus_mm"):
        np.testing.assert_allclose(smooth.truth[key], bumps.truth[key], err_msg=key)
    assert (bumps.truth["malleoli"], smooth.truth["malleoli"]) == ("bumps", "smooth")
    for key, sense in (("lateral_malleolus_mm", 1.0), ("medial_malleolus_mm", -1.0)):
        apex = np.asarray(bumps.truth[key])

        def reach(mesh: trimesh.Trimesh, apex: np.ndarray = apex, sense: float = sense) -> float:
            v = np.asarray(mesh.vertices)
            near = np.all(np.abs(v[:, 1:] - apex[1:]) < 3.0, axis=1)
            return float((sense * v[near, 0]).max())

        assert reach(bumps.mesh) - reach(smooth.mesh) > 0.7 * 0.02 * 260.0, key


def test_a_swollen_calf_is_the_same_leg_with_its_calf_sections_scaled() -> None:
    """calf_swelling_pct scales every section across the ankle-knee axis over the calf: the
    same vertices elsewhere, the truth's calf girth measured on the swollen leg."""
    from afofit.phantom.make import SWELLING_FROM, SWELLING_RAMP_MM, SWELLING_TO

    base = PhantomSpec(seed=11, faces=20000, pose="neutral")
    plain = make_phantom(base)
    swollen = make_phantom(dataclasses.replace(base, calf_swelling_pct=5.0))
    assert swollen.truth["calf_swelling_pct"] == 5.0 and "calf_swelling_pct" not in plain.truth
    ankle = np.asarray(plain.truth["ankle_joint_centre_mm"])
    knee = np.asarray(plain.truth["knee_joint_centre_mm"])
    axis = (knee - ankle) / np.linalg.norm(knee - ankle)
    length = float(np.linalg.norm(knee - ankle))
    before, after = np.asarray(plain.mesh.vertices), np.asarray(swollen.mesh.vertices)
    along = (before - ankle) @ axis
    outside = (along < SWELLING_FROM * length - SWELLING_RAMP_MM) | (
        along > SWELLING_TO * length + SWELLING_RAMP_MM
    )
    inside = (along > SWELLING_FROM * length) & (along < SWELLING_TO * length)
    np.testing.assert_allclose(after[outside], before[outside], atol=1e-9)
    radial = lambda v: np.linalg.norm((v - ankle) - np.outer((v - ankle) @ axis, axis), axis=1)  # noqa: E731
    np.testing.assert_allclose(radial(after[inside]), 1.05 * radial(before[inside]), rtol=1e-9)
    ratio = swollen.truth["calf_girth_max_mm"] / plain.truth["calf_girth_max_mm"]
    assert 1.0 < ratio <= 1.05 + 1e-9
