"""The toes as one block: outline round the tips, flat under the pads, joined to the foot."""

from __future__ import annotations

import numpy as np
import trimesh

from afofit.geometry.toes import toe_block

SPACING_MM = 0.8
Y_START_MM = 0.0


def _forefoot() -> tuple[np.ndarray, np.ndarray]:
    """Skin samples of a forefoot: a rounded slab behind y = 0 and five capsule toes ahead.

    The toes are 16 mm thick, 4 mm apart, their pads at 2 mm above the floor;
    the slab is a rounded box 90 mm wide.
    """
    parts = []
    slab = trimesh.creation.box(extents=(90.0, 60.0, 30.0))
    slab.apply_translation([0.0, -25.0, 17.0])
    parts.append(slab)
    for k, length in enumerate((45.0, 40.0, 36.0, 32.0, 26.0)):
        toe = trimesh.creation.capsule(height=length, radius=8.0, count=[24, 24])
        toe.apply_transform(trimesh.transformations.rotation_matrix(np.pi / 2, [1, 0, 0]))
        toe.apply_translation([-32.0 + 16.0 * k, 0.5 * length, 10.0])
        parts.append(toe)
    points, normals = [], []
    for part in parts:
        sampled, face = trimesh.sample.sample_surface_even(
            part, 40000, radius=0.5 * SPACING_MM, seed=3
        )
        points.append(sampled)
        normals.append(part.face_normals[face])
    return np.vstack(points), np.vstack(normals)


def test_block_replaces_the_toes_and_keeps_the_foot() -> None:
    points, normals = _forefoot()
    out_p, out_n, feet = toe_block(points, normals, Y_START_MM, SPACING_MM, min_top_mm=25.0)
    behind = points[:, 1] <= Y_START_MM
    # Everything behind the start is untouched, and comes first.
    np.testing.assert_array_equal(out_p[: behind.sum()], points[behind])
    block = out_p[behind.sum() :]
    block_n = out_n[behind.sum() :]
    assert np.allclose(np.linalg.norm(block_n, axis=1), 1.0)
    # The block's bottom is the toes' lower envelope: under the toes (their first 20 mm,
    # gaps included) flat at the pads' height (2 mm), never above it.
    bottom = block[block_n[:, 2] < -0.9]
    under_toes = bottom[
        (bottom[:, 1] > 5.0) & (bottom[:, 1] < 20.0) & (np.abs(bottom[:, 0]) < 32.0)
    ]
    assert under_toes[:, 2].max() <= 2.0 + 0.3
    assert np.ptp(under_toes[:, 2]) < 1.0
    # Its top stands at least min_top_mm high.
    top = block[block_n[:, 2] > 0.9]
    assert top[:, 2].min() >= 25.0 - 1e-9
    # Its outline closes the 4 mm gaps between the toes: at y = 10 mm the bottom
    # runs unbroken from the first toe to the fifth.
    row = np.sort(bottom[np.abs(bottom[:, 1] - 10.0) < 0.5 * SPACING_MM][:, 0])
    assert row.min() < -35.0 and row.max() > 35.0
    assert np.diff(row).max() < 2.0 * SPACING_MM
    # The sides' feet lie round the outline, at the bottom.
    assert len(feet) > 20 and np.all(feet[:, 2] < 8.0)


def test_no_toes_ahead_means_no_toe_skin_and_no_crash() -> None:
    """Metatarsal heads given at (or past) the toe tips leave nothing to block: the skin is
    sampled without a block or toe skin instead of failing on an empty selection."""
    import trimesh

    from afofit.geometry.shell import skin_samples

    box = trimesh.creation.box(extents=(90.0, 250.0, 60.0))
    box.apply_translation([0.0, 100.0, 30.0])  # y -25..225, z 0..60
    # Fine faces, so smoothing rounds the corners a little and does not shrink the box.
    foot = trimesh.Trimesh(*trimesh.remesh.subdivide_to_size(box.vertices, box.faces, 4.0))
    foot.merge_vertices()
    inside = np.array([0.0, 100.0, 30.0])
    with_toes = skin_samples(foot, inside, 0.8, 250.0, toes_from_mm=190.0, toe_top_mm=20.0)
    assert with_toes.toes is not None and len(with_toes.toes.points)
    past_the_tips = skin_samples(foot, inside, 0.8, 250.0, toes_from_mm=226.0, toe_top_mm=20.0)
    assert past_the_tips.toes is None
