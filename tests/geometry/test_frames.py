"""Tests for afofit.geometry.frames: the leg frame's motions."""

from __future__ import annotations

import numpy as np
import pytest
import trimesh

from afofit.geometry.frames import LegFrame


def _frame(side: str, rotation: np.ndarray, origin: np.ndarray) -> LegFrame:
    # A right leg's lateral axis is +x of its local frame; a left leg's frame
    # keeps x lateral too, so it is a mirror image (det = -1).
    lateral, anterior, up = rotation
    if side == "left":
        lateral = -lateral
    return LegFrame(side, origin, up, anterior, lateral, up, 1.0, {})


@pytest.mark.parametrize("side", ["left", "right"])
def test_standing_moves_the_part_onto_the_bed_without_mirroring_it(side: str) -> None:
    rng = np.random.default_rng(5)
    rotation, _ = np.linalg.qr(rng.normal(size=(3, 3)))
    rotation *= np.sign(np.linalg.det(rotation))  # a proper rotation: the scan's pose
    origin = np.array([120.0, -40.0, 900.0])
    frame = _frame(side, rotation, origin)
    # A plate 200 × 80 × 5 mm lying on the floor of the leg's local frame, in the scan's pose.
    plate = trimesh.creation.box(extents=(80.0, 200.0, 5.0))
    plate.apply_translation((10.0, 60.0, 2.5))
    scan = trimesh.Trimesh(frame.to_scan(np.asarray(plate.vertices)), plate.faces)
    motion = frame.standing(np.asarray(scan.vertices))
    assert np.linalg.det(motion[:3, :3]) == pytest.approx(1.0)  # moved, never mirrored
    np.testing.assert_allclose(motion[:3, :3] @ motion[:3, :3].T, np.eye(3), atol=1e-12)
    placed = np.asarray(scan.vertices) @ motion[:3, :3].T + motion[:3, 3]
    assert placed[:, 2].min() == pytest.approx(0.0, abs=1e-9)
    np.testing.assert_allclose(np.ptp(placed, axis=0), [80.0, 200.0, 5.0], atol=1e-9)  # flat
    np.testing.assert_allclose(placed[:, :2].min(axis=0), -placed[:, :2].max(axis=0), atol=1e-9)
