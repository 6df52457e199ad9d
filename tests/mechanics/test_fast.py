"""The fast model: its shell elements against exact solutions (patch tests), its midsurface
against a tube's, the whole model against beam theory, and its calibration against the
committed table."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest
import trimesh

from afofit.errors import FitError
from afofit.mechanics import fast
from afofit.mechanics.fast import fast_stiffness, shell_model
from afofit.mechanics.midsurface import midsurface
from afofit.mechanics.plates import shell_stiffness_matrix
from tests.mechanics.beams import MODULUS_GPA, R_IN, R_OUT, beam_k, extruded_section, fixture

TABLE = Path(__file__).resolve().parents[2] / "bench" / "calibration" / "fast_model.md"
E_MPA, NU, T_MM = 1000.0, 0.3, 2.0


@pytest.fixture(scope="module")
def patch() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Six irregular triangles of a flat patch, turned and moved off the axes in 3D: its
    2D points, triangles, 3D nodes and the rotation."""
    flat = np.array([[0, 0], [10, 0], [10, 8], [0, 9], [4.5, 3.7], [7, 6]], float)
    triangles = np.array([[0, 1, 4], [1, 2, 5], [1, 5, 4], [2, 3, 5], [3, 4, 5], [3, 0, 4]])
    turn, _ = np.linalg.qr(np.random.default_rng(0).normal(size=(3, 3)))
    nodes = np.c_[flat, np.zeros(len(flat))] @ turn.T + [1.0, 2.0, 3.0]
    return flat, triangles, nodes, turn


def _energy(patch: tuple, local_field) -> float:  # type: ignore[type-arg, no-untyped-def]
    """2 × strain energy of the patch under a field given in its plane: ``local_field(x, y)``
    returns the displacement (3,) and rotation vector (3,), patch axes."""
    flat, triangles, nodes, turn = patch
    k = shell_stiffness_matrix(nodes, triangles, np.full(len(triangles), T_MM), E_MPA, NU)
    u = np.concatenate([np.r_[turn @ d, turn @ r] for d, r in (local_field(*p) for p in flat)])
    return float(u @ (k @ u))


def _area(flat: np.ndarray, triangles: np.ndarray) -> float:
    a, b, c = (flat[triangles[:, i]] for i in range(3))
    return float(np.sum(0.5 * np.abs(np.cross(np.c_[b - a, [0] * 6], np.c_[c - a, [0] * 6])[:, 2])))


def test_rigid_motions_cost_nothing(patch: tuple) -> None:  # type: ignore[type-arg]
    _, triangles, nodes, _ = patch
    k = shell_stiffness_matrix(nodes, triangles, np.full(len(triangles), T_MM), E_MPA, NU)
    assert abs(k - k.T).max() < 1e-9 * abs(k).max()
    for axis in range(6):
        move, spin = np.eye(3)[axis] if axis < 3 else np.zeros(3), np.zeros(3)
        if axis >= 3:
            spin = np.eye(3)[axis - 3]
        u = np.concatenate([np.r_[move + np.cross(spin, p), spin] for p in nodes])
        assert abs(u @ (k @ u)) < 1e-9 * abs(k).max(), axis
    # and nothing else: exactly six zero-energy modes
    values = np.linalg.eigvalsh(k.toarray())
    assert np.sum(values < 1e-9 * values.max()) == 6


@pytest.mark.parametrize(
    ("label", "w", "slope", "curvature"),
    [
        ("x²/2", lambda x, y: x * x / 2, lambda x, y: (x, 0.0), (1.0, 0.0, 0.0)),
        ("y²/2", lambda x, y: y * y / 2, lambda x, y: (0.0, y), (0.0, 1.0, 0.0)),
        ("xy", lambda x, y: x * y, lambda x, y: (y, x), (0.0, 0.0, 2.0)),
    ],
)
def test_the_plate_bends_exactly_at_constant_curvature(patch, label, w, slope, curvature) -> None:  # type: ignore[no-untyped-def]
    """The DKT patch test: w quadratic, rotation vector (∂w/∂y, −∂w/∂x): energy D κ·κ A."""

    def field(x: float, y: float) -> tuple[np.ndarray, np.ndarray]:
        wx, wy = slope(x, y)
        return np.array([0.0, 0.0, w(x, y)]), np.array([wy, -wx, 0.0])

    d = (
        E_MPA
        * T_MM**3
        / (12 * (1 - NU**2))
        * np.array([[1, NU, 0], [NU, 1, 0], [0, 0, (1 - NU) / 2]])
    )
    kappa = np.array(curvature)
    expected = kappa @ d @ kappa * _area(patch[0], patch[1])
    assert _energy(patch, field) == pytest.approx(expected, rel=1e-9), label


def test_the_membrane_stretches_exactly_at_constant_strain(patch) -> None:  # type: ignore[no-untyped-def]
    """The membrane patch test: u = 0.01 x, each corner's ω the field's rotation (zero)."""
    energy = _energy(patch, lambda x, y: (np.array([0.01 * x, 0.0, 0.0]), np.zeros(3)))
    expected = E_MPA / (1 - NU**2) * 1e-4 * T_MM * _area(patch[0], patch[1])
    assert energy == pytest.approx(expected, rel=1e-9)


def test_the_membrane_bends_in_plane_without_locking() -> None:
    """A cantilever strip 100 × 10 mm, 2 × 40 × 4 triangles, bent in its plane by an end
    moment: Allman's membrane reads beam theory (E t h³ / 12 L) within 5 % (measured
    +3.9 %; +15 % on half as many, 2 × 20 × 2); constant-strain triangles read +22 % here and
    +86 % on the coarser mesh."""
    length, height, nx, ny = 100.0, 10.0, 40, 4
    x, y = np.meshgrid(np.linspace(0, length, nx + 1), np.linspace(0, height, ny + 1))
    nodes = np.c_[x.ravel(), y.ravel(), np.zeros(x.size)]
    ids = np.arange(x.size).reshape(ny + 1, nx + 1)
    a, b, c, d = (
        ids[:-1, :-1].ravel(),
        ids[:-1, 1:].ravel(),
        ids[1:, 1:].ravel(),
        ids[1:, :-1].ravel(),
    )
    triangles = np.r_[np.c_[a, b, c], np.c_[a, c, d]]
    k = shell_stiffness_matrix(nodes, triangles, np.full(len(triangles), T_MM), E_MPA, NU).tocsr()
    # Clamp x = 0 (all six), hold every w and θx, θy (in-plane problem); the end x = L turns
    # as a rigid edge: load its rotation through a linear tie u = −(y − h/2) θ, ω = θ.
    n = len(nodes)
    free = np.ones(6 * n, bool)
    free[np.ravel(6 * np.flatnonzero(nodes[:, 0] == 0.0)[:, None] + np.arange(6))] = False
    free[np.ravel(6 * np.arange(n)[:, None] + np.array([2, 3, 4]))] = False
    end = np.flatnonzero(nodes[:, 0] == length)
    tie = np.zeros(6 * n)
    tie[6 * end] = -(nodes[end, 1] - height / 2)
    tie[6 * end + 5] = 1.0
    free[6 * end] = free[6 * end + 5] = False
    kept = np.flatnonzero(free)
    basis = np.zeros((6 * n, len(kept) + 1))
    basis[kept, np.arange(len(kept))] = 1.0
    basis[:, -1] = tie
    reduced = basis.T @ (k @ basis)
    rhs = np.zeros(len(kept) + 1)
    rhs[-1] = 1.0
    rotation = np.linalg.solve(reduced, rhs)[-1]
    expected = E_MPA * T_MM * height**3 / 12.0 / length
    assert 1.0 / rotation == pytest.approx(expected, rel=0.05)


def test_the_midsurface_of_a_tube_lies_half_way_through_its_wall() -> None:
    tube = extruded_section(4.0)
    mid = midsurface(np.asarray(tube.vertices), np.asarray(tube.faces), edge_mm=4.0)
    radius = np.hypot(mid.nodes[:, 0], mid.nodes[:, 1])
    np.testing.assert_allclose(radius, (R_IN + R_OUT) / 2, atol=0.15)
    np.testing.assert_allclose(mid.thickness_mm, R_OUT - R_IN, atol=0.1)
    # one side only: its area is the midsurface's (2 π r L), not twice it
    area = trimesh.Trimesh(mid.nodes, mid.triangles, process=False).area
    assert area == pytest.approx(2 * math.pi * (R_IN + R_OUT) / 2 * 400.0, rel=0.03)


@pytest.mark.parametrize(("open_angle", "label"), [(0.0, "tube"), (1.5, "C-section")])
def test_the_shell_model_bends_as_beam_theory_says(open_angle: float, label: str) -> None:
    """The model of a straight thin-walled beam is beam theory within 3 %, under either cuff,
    before its calibration and after; its mesh's size changes it by under 3 %."""
    body = extruded_section(4.0, open_angle)
    expected = beam_k(4.0, open_angle)
    model = shell_model(body, fixture("guided"), MODULUS_GPA)
    for kind in ("guided", "free"):
        assert model.stiffness(kind) == pytest.approx(expected, rel=0.03), (label, kind)
        calibrated = fast_stiffness(body, fixture(kind), MODULUS_GPA)
        assert calibrated.sagittal_nm_per_deg == pytest.approx(expected, rel=0.03), (label, kind)
    finer = shell_model(body, fixture("guided"), MODULUS_GPA, edge_mm=3.0)
    assert finer.stiffness("guided") == pytest.approx(model.stiffness("guided"), rel=0.03)


def test_a_shell_that_does_not_span_the_fixture_is_refused() -> None:
    short = trimesh.creation.annulus(r_min=R_IN, r_max=R_OUT, height=50.0)
    with pytest.raises(FitError, match="does not hold this shell"):
        fast_stiffness(short, fixture("guided"), MODULUS_GPA)


def test_the_code_uses_the_calibration_table_s_factors() -> None:
    text = TABLE.read_text(encoding="utf-8")
    for kind, factor in fast.FACTORS.items():
        row = re.search(rf"^\| {kind} \| ([0-9.]+) \|$", text, re.M)
        assert row is not None, kind
        assert factor == pytest.approx(float(row.group(1)), abs=1e-4), kind


def test_the_stated_error_is_the_table_s() -> None:
    """ERROR_VS_FE, shown with every fast number, is what the calibration table measured,
    and it is within issue 11's 15 % on every shell, fitted and held out."""
    text = TABLE.read_text(encoding="utf-8")
    rows = re.findall(r"^\| (\S+) \| (fit|holdout) \| [0-9.]+ \| ([+-][0-9.]+)% \|", text, re.M)
    held_out = [r for r in rows if r[1] == "holdout"]
    assert len(rows) - len(held_out) >= 12 and len(held_out) >= 4
    errors = np.abs([float(r[2]) / 100 for r in rows])
    assert fast.ERROR_VS_FE["worst"] == pytest.approx(errors.max(), abs=0.0005)
    assert fast.ERROR_VS_FE["median"] == pytest.approx(np.median(errors), abs=0.0005)
    assert errors.max() <= 0.15
