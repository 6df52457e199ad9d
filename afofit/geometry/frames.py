"""The leg's anatomical frame: the one module that turns scanner coordinates into anatomy.

Conventions
-----------
- ``up`` is perpendicular to the sole, from the foot towards the knee.
- ``anterior`` points from the heel towards the toes, perpendicular to ``up``.
- ``lateral`` points away from the body's midline, perpendicular to both.
  For a right leg (up, anterior, lateral) is right-handed; for a left leg it is
  the mirror image. Local coordinates are therefore mirror-free: ``x`` lateral,
  ``y`` anterior, ``z`` up, in mm, so landmark code never asks which side it is on.
- ``up`` is the sole's normal; the shank's own axis is ``shank_up``. Their
  angle in the sagittal plane is the shank-to-vertical angle.
- The local origin is the point where the shank axis meets the sole's plane.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import ConvexHull

from afofit.units import deg_to_rad

__all__ = ["FOOT_ZONE_MM", "LegFrame", "estimate_frame", "shank_axis", "sole_normal"]

Vec = NDArray[np.float64]

#: The foot is what lies below this height above the sole, mm (the frame's foot zone).
FOOT_ZONE_MM = 70.0


@dataclass(frozen=True, slots=True)
class LegFrame:
    """An anatomical frame for one leg, in the scan's frame, mm.

    Attributes
    ----------
    side : "left" or "right".
    origin : (3,) mm, the shank axis at the level of the sole.
    up, anterior, lateral : (3,) unit vectors.
    side_confidence : 0..1, how strongly the independent side cues agree.
    side_cues : each cue's vote, +1 = right, -1 = left.
    """

    side: str
    origin: Vec
    up: Vec
    anterior: Vec
    lateral: Vec
    shank_up: Vec
    side_confidence: float
    side_cues: dict[str, float]

    @property
    def rotation(self) -> NDArray[np.float64]:
        """(3, 3): rows are lateral, anterior, up; ``local = (p - origin) @ rotation.T``."""
        return np.vstack([self.lateral, self.anterior, self.up])

    def with_side(self, side: str) -> LegFrame:
        """This frame with its side set to ``side`` ("left" | "right"): the lateral axis follows."""
        if side == self.side:
            return self
        return replace(self, side=side, lateral=-self.lateral)

    def to_local(self, points: NDArray[np.float64]) -> NDArray[np.float64]:
        """Scan-frame points (n, 3) mm → local (lateral, anterior, up) mm."""
        return (np.asarray(points, dtype=np.float64) - self.origin) @ self.rotation.T

    def to_scan(self, local: NDArray[np.float64]) -> NDArray[np.float64]:
        """Local (lateral, anterior, up) points (n, 3) mm → scan frame, mm."""
        return np.asarray(local, dtype=np.float64) @ self.rotation + self.origin

    def standing(self, points: NDArray[np.float64]) -> NDArray[np.float64]:
        """(4, 4) rigid motion that stands scan-frame ``points`` upright on a printer's bed.

        The leg's up becomes +z with the lowest point at z = 0 (a shell stands
        on its flat footplate), the foot points along +y, and the points are
        centred on x = y = 0. A proper rotation: where the local frame is a
        mirror image (a left leg), its lateral axis is turned round, so the
        part is moved, never mirrored.
        """
        rotation = self.rotation.copy()
        if np.linalg.det(rotation) < 0.0:
            rotation[0] = -rotation[0]
        moved = (np.asarray(points, dtype=np.float64) - self.origin) @ rotation.T
        low, high = moved.min(axis=0), moved.max(axis=0)
        shift = -np.array([0.5 * (low[0] + high[0]), 0.5 * (low[1] + high[1]), low[2]])
        out = np.eye(4)
        out[:3, :3] = rotation
        out[:3, 3] = shift - rotation @ self.origin
        return out

    @property
    def shank_rotation(self) -> NDArray[np.float64]:
        """(3, 3): the shank's frame, rows lateral, anterior, shank axis (``up`` tilted onto it)."""
        anterior = _unit(self.anterior - (self.anterior @ self.shank_up) * self.shank_up)
        lateral = _unit(self.lateral - (self.lateral @ self.shank_up) * self.shank_up)
        lateral = _unit(lateral - (lateral @ anterior) * anterior)
        return np.vstack([lateral, anterior, self.shank_up])

    def to_shank_local(self, points: NDArray[np.float64]) -> NDArray[np.float64]:
        """Scan-frame points (n, 3) mm → shank coordinates (lateral, anterior, along the shank), mm.

        Cross-sections at constant shank height are perpendicular to the
        shank, as a tape measure goes round it.
        """
        return (np.asarray(points, dtype=np.float64) - self.origin) @ self.shank_rotation.T

    def shank_to_scan(self, local: NDArray[np.float64]) -> NDArray[np.float64]:
        """Shank coordinates (n, 3) mm → scan frame, mm."""
        return np.asarray(local, dtype=np.float64) @ self.shank_rotation + self.origin

    @property
    def shank_to_vertical_rad(self) -> float:
        """Shank's angle from the sole's normal in the sagittal plane, radians, forward +."""
        return float(np.arctan2(self.shank_up @ self.anterior, self.shank_up @ self.up))


def _unit(v: Vec) -> Vec:
    return v / np.linalg.norm(v)


def _principal_axis(points: Vec, weights: NDArray[np.float64] | None = None) -> tuple[Vec, Vec]:
    """Weighted centroid and first principal direction of ``points`` (n, 3)."""
    w = np.ones(len(points)) if weights is None else weights
    centre = np.average(points, axis=0, weights=w)
    d = points - centre
    cov = (d * w[:, None]).T @ d / w.sum()
    _, vecs = np.linalg.eigh(cov)
    return centre, vecs[:, -1]


def _perpendicular(d: Vec, axis: Vec) -> Vec:
    return d - np.outer(d @ axis, axis)


def shank_axis(points: Vec, weights: NDArray[np.float64]) -> tuple[Vec, Vec]:
    """Find the shank's long axis and which end carries the foot.

    The first principal axis of a leg-with-foot leans towards the foot, so it is
    only a start: the foot end is the end whose points spread furthest from
    the axis, and the axis is then refitted through the centroids of slices of
    the shank alone (well above the foot), three times.

    Parameters
    ----------
    points : (n, 3) mm, surface samples (face centroids).
    weights : (n,) sample areas, mm².

    Returns
    -------
    point : (3,) mm, a point on the axis.
    up : (3,) unit, from the foot towards the top of the scan.
    """
    centre, axis = _principal_axis(points, weights)
    h = (points - centre) @ axis
    lo, hi = np.percentile(h, [0.5, 99.5])
    quarter = 0.25 * (hi - lo)
    spreads = []
    for end in (h <= lo + quarter, h >= hi - quarter):
        sub = points[end]
        offsets = _perpendicular(sub - sub.mean(axis=0), axis)
        spreads.append(np.percentile(np.linalg.norm(offsets, axis=1), 98))
    if spreads[1] > spreads[0]:
        axis = -axis  # the foot is at the high end: make the axis point away from it
    point = centre
    for _ in range(3):
        h = (points - point) @ axis
        bottom = np.percentile(h, 0.2)
        top = np.percentile(h, 99.8)
        span = top - bottom
        start = bottom + max(0.3 * span, 130.0)
        stop = bottom + min(0.85 * span, 420.0)
        if stop - start < 40.0:  # short scan: use what there is above the foot
            start, stop = bottom + 0.5 * span, top
        edges = np.linspace(start, stop, 9)
        idx = np.digitize(h, edges) - 1
        centroids, masses = [], []
        for k in range(len(edges) - 1):
            sel = idx == k
            if sel.sum() < 8:
                continue
            centroids.append(np.average(points[sel], axis=0, weights=weights[sel]))
            masses.append(weights[sel].sum())
        if len(centroids) < 3:
            break
        c = np.asarray(centroids)
        new_point, new_axis = _principal_axis(c, np.asarray(masses))
        if new_axis @ axis < 0:
            new_axis = -new_axis
        point, axis = new_point, new_axis
    return point, _unit(axis)


def _forefoot_slant(local_w: Vec, local_a: Vec) -> float:
    """Slope of the forefoot's front edge, d(anterior reach)/d(w).

    The great toe reaches furthest forward and the metatarsal heads run
    obliquely back towards the fifth, so the front edge falls from the
    medial to the lateral border: the slope's sign says where medial is.
    """
    reach = local_a.max()
    length = reach - local_a.min()
    fore = local_a > reach - 0.3 * length
    w = local_w[fore]
    a = local_a[fore]
    edges = np.linspace(w.min(), w.max(), 11)
    idx = np.clip(np.digitize(w, edges) - 1, 0, 9)
    xs, ys = [], []
    for k in range(10):
        sel = idx == k
        if sel.sum() >= 3:
            xs.append(0.5 * (edges[k] + edges[k + 1]))
            ys.append(a[sel].max())
    if len(xs) < 3:
        return 0.0
    slope = np.polyfit(np.asarray(xs), np.asarray(ys), 1)[0]
    return float(slope)


def _malleolar_asymmetry(local_w: Vec, local_a: Vec, local_z: Vec, foot_length: float) -> float:
    """How much the +w ankle prominence sits lower and more posterior than the -w one, mm.

    The lateral malleolus is lower and more posterior than the medial one, so a
    positive value says +w is lateral.
    """
    band = (local_z > 0.14 * foot_length) & (local_z < 0.42 * foot_length)
    band &= np.abs(local_a) < 0.14 * foot_length
    if band.sum() < 10:
        return 0.0
    w, a, z = local_w[band], local_a[band], local_z[band]
    plus, minus = np.argmax(w), np.argmin(w)
    return float((z[minus] - z[plus]) + (a[minus] - a[plus]))


def sole_normal(foot_points: Vec, up_guess: Vec) -> Vec:
    """Unit normal of the plane the foot stands on, pointing up (into the foot).

    ``foot_points`` (n, 3) mm are the foot's surface samples; ``up_guess``
    (the shank axis) tells down from up.

    The floor touches the foot at the heel, the metatarsal heads and the
    toes; the convex hull of the foot spans that plane with large facets whose
    normals point down. Their area-weighted mean normal is the sole's, even
    when the scan has no sole (a standing scan): the hull bridges the opening.
    """
    hull = ConvexHull(foot_points)
    normals = hull.equations[:, :3]
    tri = foot_points[hull.simplices]
    areas = 0.5 * np.linalg.norm(np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]), axis=1)
    down = normals @ -up_guess > np.cos(deg_to_rad(40.0))
    if areas[down].sum() <= 0.0:
        return up_guess
    mean = -(normals[down] * areas[down, None]).sum(axis=0)
    return _unit(mean)


def estimate_frame(points: Vec, weights: NDArray[np.float64], side: str | None = None) -> LegFrame:
    """Estimate the anatomical frame and side of one leg, in any pose.

    ``up`` is the normal of the sole (the vertical of a foot standing flat),
    ``anterior`` the foot's long axis in the sole's plane; the shank's own
    axis is kept as ``shank_up``: the two differ by the shank-to-vertical
    angle. The side comes from two independent shape cues: the slant of the
    forefoot's front edge (the great toe reaches furthest) and the malleoli
    (the lateral one lower and further back), each voting in -1..1.

    Parameters
    ----------
    points : (n, 3) mm, surface samples of one leg (face centroids).
    weights : (n,) mm², sample areas.
    side : "left" | "right" to impose the side; None to detect it.

    Returns
    -------
    LegFrame
    """
    point, shank_up = shank_axis(points, weights)
    z = (points - point) @ shank_up
    foot = z < np.percentile(z, 0.1) + FOOT_ZONE_MM
    up = sole_normal(points[foot], shank_up)
    d = points - point
    z = d @ up
    floor = float(np.percentile(z, 0.1))
    z = z - floor
    # The shank axis meets the floor plane here: the local origin.
    origin = point + shank_up * (floor / float(shank_up @ up))
    d = points - origin
    foot = z < FOOT_ZONE_MM
    q = _perpendicular(d[foot], up)
    _, along = _principal_axis(q, weights[foot])
    along = _unit(_perpendicular(along[None, :], up)[0])
    if np.average(q, axis=0, weights=weights[foot]) @ along < 0:
        along = -along  # most of the foot's area lies in front of the shank: the toes
    anterior = along
    left_if_right = _unit(np.cross(up, anterior))  # the body's left, whichever leg this is
    w_all = d @ left_if_right
    a_all = d @ anterior
    foot_length = float(a_all[foot].max() - a_all[foot].min())
    slant = _forefoot_slant(w_all[foot], a_all[foot])
    asym = _malleolar_asymmetry(w_all, a_all, z, foot_length)
    # +1 votes right. Slant > 0: medial is +w (the body's left), so a right leg.
    # Asymmetry > 0: +w is lateral, so a left leg.
    cues = {"forefoot": float(np.tanh(slant / 0.15)), "malleoli": float(-np.tanh(asym / 6.0))}
    # The forefoot cue is the stronger: smoothed or swollen ankles show no
    # malleolar bumps, and then that cue is noise.
    vote = cues["forefoot"] + 0.5 * cues["malleoli"]
    if side is None:
        side = "right" if vote >= 0 else "left"
    lateral = -left_if_right if side == "right" else left_if_right
    return LegFrame(
        side=side,
        origin=origin,
        up=up,
        anterior=anterior,
        lateral=lateral,
        shank_up=shank_up,
        side_confidence=float(min(1.0, abs(vote) / 1.5)),
        side_cues=cues,
    )
