"""Approximate signed-distance field of one leg: primitives, the foot outline,
dorsum and plantar height fields, the toes, and the combined field."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.interpolate import CubicSpline

from afofit.phantom.shape import PhantomAnatomy, pchip, shank_centre, shank_radius
from afofit.phantom.spec import FloatArray

__all__ = [
    "NO_FOOT",
    "FootFields",
    "foot_fields",
    "leg_field",
]

# ---------------------------------------------------------------------------
# Signed-distance primitives. Arrays broadcast: x (nx,1,1), y (1,ny,1), z (1,1,nz).
# ---------------------------------------------------------------------------


def _smin(a: FloatArray, b: FloatArray, k: float) -> FloatArray:
    """Polynomial smooth minimum (union) with blend radius k, mm."""
    h = np.maximum(k - np.abs(a - b), 0.0) / k
    return np.minimum(a, b) - h * h * (0.25 * k)


def _smax(a: FloatArray, b: FloatArray, k: float) -> FloatArray:
    return -_smin(-a, -b, k)


def _ellipsoid(x: Any, y: Any, z: Any, c: FloatArray, r: FloatArray) -> FloatArray:
    """Approximate ellipsoid distance, exact at the ends of the axes."""
    px, py, pz = (x - c[0]) / r[0], (y - c[1]) / r[1], (z - c[2]) / r[2]
    k0 = np.sqrt(px * px + py * py + pz * pz)
    k1 = np.sqrt((px / r[0]) ** 2 + (py / r[1]) ** 2 + (pz / r[2]) ** 2)
    return np.asarray(k0 * (k0 - 1.0) / np.maximum(k1, 1e-12), dtype=np.float64)


def _cone(x: Any, y: Any, z: Any, a: FloatArray, b: FloatArray, ra: float, rb: float) -> FloatArray:
    """Capsule from a (radius ra) to b (radius rb), linearly tapered."""
    ba = b - a
    px, py, pz = x - a[0], y - a[1], z - a[2]
    s = np.clip((px * ba[0] + py * ba[1] + pz * ba[2]) / float(ba @ ba), 0.0, 1.0)
    d = np.sqrt((px - s * ba[0]) ** 2 + (py - s * ba[1]) ** 2 + (pz - s * ba[2]) ** 2)
    return np.asarray(d - (ra + s * (rb - ra)), dtype=np.float64)


def _outline_distance(x: FloatArray, y: FloatArray, poly: FloatArray) -> FloatArray:
    """Signed 2-D distance (negative inside) from grid (x (nx,), y (ny,)) to a polygon."""
    px, py = x[:, None], y[None, :]
    d2 = np.full((x.size, y.size), np.inf)
    inside = np.zeros((x.size, y.size), dtype=bool)
    for (ax, ay), (bx, by) in zip(poly, np.roll(poly, -1, axis=0), strict=True):
        ex, ey = bx - ax, by - ay
        s = np.clip(((px - ax) * ex + (py - ay) * ey) / (ex * ex + ey * ey), 0.0, 1.0)
        d2 = np.minimum(d2, (px - ax - s * ex) ** 2 + (py - ay - s * ey) ** 2)
        crosses = (ay > py) != (by > py)
        x_cross = ax + (py - ay) * ex / np.where(ey == 0.0, 1.0, ey)
        inside ^= crosses & (px < x_cross)
    return np.where(inside, -1.0, 1.0) * np.sqrt(d2)


# Foot plan outline (x, y in foot lengths, counter-clockwise from the heel).
_OUTLINE = np.array(
    [
        (0.000, -0.195),
        (0.080, -0.170),
        (0.112, -0.100),
        (0.120, 0.000),
        (0.140, 0.120),
        (0.172, 0.250),
        (0.205, 0.340),
        (0.220, 0.400),
        (0.212, 0.455),
        (0.180, 0.500),
        (0.120, 0.545),
        (0.040, 0.575),
        (-0.050, 0.595),
        (-0.120, 0.590),
        (-0.152, 0.540),
        (-0.160, 0.470),
        (-0.150, 0.370),
        (-0.125, 0.250),
        (-0.108, 0.120),
        (-0.104, 0.000),
        (-0.108, -0.100),
        (-0.080, -0.170),
    ]
)
# Dorsum: height of the ridge (h_top at x_top), of the medial and lateral borders.
_DORSUM_Y = [-0.22, -0.10, 0.00, 0.10, 0.20, 0.30, 0.40, 0.50, 0.62]
_H_TOP = pchip(_DORSUM_Y, [0.09, 0.20, 0.30, 0.285, 0.245, 0.205, 0.170, 0.140, 0.090])
_H_MED = pchip(_DORSUM_Y, [0.08, 0.15, 0.20, 0.200, 0.180, 0.150, 0.130, 0.120, 0.075])
_H_LAT = pchip(_DORSUM_Y, [0.08, 0.12, 0.13, 0.115, 0.100, 0.090, 0.085, 0.080, 0.060])
_X_TOP = pchip(_DORSUM_Y, [0.00, 0.00, -0.01, -0.02, -0.03, -0.04, -0.055, -0.07, -0.07])
_X_MED = pchip(_DORSUM_Y, [-0.09, -0.105, -0.104, -0.108, -0.125, -0.145, -0.158, -0.158, -0.13])
_X_LAT = pchip(_DORSUM_Y, [0.09, 0.112, 0.120, 0.140, 0.172, 0.200, 0.220, 0.190, 0.13])


def _outline_polygon(an: PhantomAnatomy) -> FloatArray:
    """Smooth closed foot outline, (m, 2) mm."""
    pts = _OUTLINE * [an.foot_width_scale, 1.0] * an.fl_mm
    closed = np.vstack([pts, pts[:1]])
    s = np.r_[0.0, np.cumsum(np.linalg.norm(np.diff(closed, axis=0), axis=1))]
    spline = CubicSpline(s, closed, bc_type="periodic")
    return np.asarray(spline(np.linspace(0.0, s[-1], 240, endpoint=False)), dtype=np.float64)


def _dorsum_height(an: PhantomAnatomy, x: FloatArray, y: FloatArray) -> FloatArray:
    """Dorsal skin height over the plan grid, (nx, ny) mm."""
    fl = an.fl_mm
    v = np.clip(y / fl, -0.22, 0.62)[None, :]
    u = x[:, None] / (fl * an.foot_width_scale)
    x_top = _X_TOP(v)
    lateral = u > x_top
    edge = np.where(lateral, _X_LAT(v), _X_MED(v))
    s = np.clip((u - x_top) / (edge - x_top), 0.0, 1.4)
    h_edge = np.where(lateral, _H_LAT(v), _H_MED(v))
    top = _H_TOP(v)
    return np.asarray(fl * (h_edge + (top - h_edge) * (1.0 - s * s)), dtype=np.float64)


def _plantar_height(an: PhantomAnatomy, x: FloatArray, y: FloatArray) -> FloatArray:
    """Plantar skin height over the plan grid, (nx, ny) mm: flat, raised by the arch."""
    fl = an.fl_mm
    v = (y / fl)[None, :]
    along = np.clip((v - 0.04) / 0.42, 0.0, 1.0)
    lengthwise = np.sin(np.pi * along) ** 1.5
    u = x[:, None] / (fl * an.foot_width_scale)
    across = np.clip((0.02 - u) / 0.13, 0.0, 1.0) ** 1.6
    return an.arch_mm * lengthwise * across


@dataclass(frozen=True, slots=True)
class FootFields:
    """Pre-computed plan-view fields of the foot slab on the grid's (x, y)."""

    outline: FloatArray  # (nx, ny) signed 2-D distance, mm
    plantar: FloatArray  # (nx, ny) plantar height, mm
    dorsum: FloatArray  # (nx, ny) dorsal height, mm
    dorsum_norm: FloatArray  # (nx, ny) 1 / sqrt(1 + |grad dorsum|^2)


NO_FOOT = None  # for field evaluations high on the shank, where the foot plays no part


def _toes(an: PhantomAnatomy) -> list[tuple[FloatArray, FloatArray, float, float]]:
    """Toe segments (start, end, start radius, end radius), mm; hallux first."""
    f = an.fl_mm
    w = an.foot_width_scale
    m1 = an.mtp1_mm
    tip = np.array([-0.07 * w * f, 0.78 * f, 0.05 * f])
    r_tip = 0.046 * f
    hallux_base = m1 + np.array([0.004 * f, 0.02 * f, -0.008 * f])
    segs = [(hallux_base, tip - np.array([0.0, r_tip, 0.0]), 0.052 * f, r_tip)]
    # Lesser toes 2..5, side by side lateral to the hallux, tips stepping back;
    # each has a raised proximal interphalangeal joint.
    m5 = an.mtp5_mm
    x = m1[0] + 0.004 * f + 0.052 * f
    r_prev = 0.0
    for i, (length, r_fl) in enumerate(
        [(0.205, 0.034), (0.190, 0.032), (0.170, 0.030), (0.150, 0.028)]
    ):
        r = r_fl * f
        x += 0.92 * (r_prev + r) if i else r
        r_prev = r
        s = (x - m1[0]) / (m5[0] - m1[0])
        base = m1 + s * (m5 - m1) + np.array([0.0, 0.035 * f, -0.015 * f])
        base[0] = x
        direction = np.array([0.03 - 0.05 * i / 3.0, 1.0, 0.0])
        direction /= np.linalg.norm(direction)
        end = base + direction * length * f
        end[2] = r + 0.002 * f
        mid = base + 0.55 * (end - base)
        mid[2] = base[2] + 0.018 * f
        segs.append((base, mid, r * 1.1, r))
        segs.append((mid, end, r, r * 0.92))
    return segs


def foot_fields(an: PhantomAnatomy, x: FloatArray, y: FloatArray) -> FootFields:
    """The foot's plan-view maps of anatomy ``an`` on the grid ``x`` (nx,), ``y`` (ny,), mm.

    Distance to the foot's outline, plantar and dorsal heights and the dorsum's slope
    factor: computed once per grid and passed to :func:`leg_field` as ``foot``.
    """
    dorsum = _dorsum_height(an, x, y)
    gx, gy = np.gradient(dorsum, x, y) if x.size > 1 and y.size > 1 else (0 * dorsum,) * 2
    return FootFields(
        _outline_distance(x, y, _outline_polygon(an)),
        _plantar_height(an, x, y),
        dorsum,
        1.0 / np.sqrt(1.0 + gx * gx + gy * gy),
    )


def leg_field(
    an: PhantomAnatomy,
    foot: FootFields | None,
    x: FloatArray,
    y: FloatArray,
    z: FloatArray,
    bare: bool = False,
) -> FloatArray:
    """Approximate signed distance (negative inside) on the grid x (nx,), y (ny,), z (nz,), mm.

    ``an`` is the leg's anatomy, ``foot`` its :func:`foot_fields` on the same x, y (None:
    computed here). ``bare`` leaves out the skin bumps (malleoli, fibular head), to place
    them.
    """
    f = an.fl_mm
    X, Y, Z = x[:, None, None], y[None, :, None], z[None, None, :]
    # Shank: per-height radius tables, linearly interpolated in theta.
    n_theta = 720
    theta = np.linspace(-np.pi, np.pi, n_theta + 1)
    t = (z - an.ankle_z_mm) / an.shank_mm
    r = shank_radius(an, theta, t)  # (nz, n_theta + 1)
    dt = 1e-3
    r_z = (shank_radius(an, theta, t + dt) - shank_radius(an, theta, t - dt)) / (
        2 * dt * an.shank_mm
    )
    r_theta = np.gradient(r, theta, axis=1)
    norm = 1.0 / np.sqrt(1.0 + (r_theta / r) ** 2 + r_z**2)
    c = shank_centre(an, t)
    dx = X - c[None, None, :, 0]
    dy = Y - c[None, None, :, 1]
    rho = np.sqrt(dx * dx + dy * dy)
    pos = (np.arctan2(dy, dx) + np.pi) * (n_theta / (2 * np.pi))
    i0 = np.minimum(pos.astype(np.int64), n_theta - 1)
    w = pos - i0
    k = np.arange(z.size)[None, None, :]
    r_at = r[k, i0] * (1 - w) + r[k, i0 + 1] * w
    d = (rho - r_at) * (norm[k, i0] * (1 - w) + norm[k, i0 + 1] * w)
    d = _smax(d, 0.12 * f - Z, 0.06 * f)  # the shank ends inside the hindfoot
    if foot is not None and z[0] < 0.5 * f:
        # Foot slab: plan outline, plantar and dorsal height fields, rounded edges.
        slab = _smax(foot.outline[:, :, None], foot.plantar[:, :, None] - Z, 0.035 * f)
        slab = _smax(slab, (Z - foot.dorsum[:, :, None]) * foot.dorsum_norm[:, :, None], 0.045 * f)
        d = _smin(d, slab, 0.05 * f)
        heel = _ellipsoid(
            X,
            Y,
            Z,
            np.array([0.004 * f, -0.118 * f, 0.10 * f]),
            np.array([0.115, 0.102, 0.125]) * f,
        )
        d = _smin(d, heel, 0.05 * f)
        scale = f / 260.0
        d = _smin(
            d, _ellipsoid(X, Y, Z, an.mtp1_mm, np.array([13.0, 15.0, 15.0]) * scale), 0.02 * f
        )
        d = _smin(
            d, _ellipsoid(X, Y, Z, an.mtp5_mm, np.array([10.0, 12.0, 11.0]) * scale), 0.02 * f
        )
        segments = _toes(an)
        toes = _cone(X, Y, Z, *segments[0])
        for segment in segments[1:]:
            toes = _smin(toes, _cone(X, Y, Z, *segment), 0.008 * f)
        d = _smin(d, toes, 0.025 * f)
        d = _smax(d, -Z, 0.012 * f)  # the floor
    if not bare:
        for centre, sigma, height in an.bumps:
            if z[-1] > centre[2] - 3.0 * sigma[2] and z[0] < centre[2] + 3.0 * sigma[2]:
                q = (
                    ((X - centre[0]) / sigma[0]) ** 2
                    + ((Y - centre[1]) / sigma[1]) ** 2
                    + ((Z - centre[2]) / sigma[2]) ** 2
                )
                d = d - height * np.exp(-0.5 * q)
    return np.asarray(d, dtype=np.float64)
