"""Anatomy model of the phantom: the PhantomAnatomy record, the shank section profiles
(bone, muscle, fat, tendon and bony bumps), the shank radius and centre line,
and the analytic calf girth."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.interpolate import PchipInterpolator
from scipy.spatial import ConvexHull

from afofit.phantom.spec import FloatArray
from afofit.units import deg_to_rad

__all__ = [
    "MUSCLE_MAX_FL",
    "PhantomAnatomy",
    "analytic_max_girth",
    "girth_range_mm",
    "hull_perimeter_mm",
    "pchip",
    "shank_centre",
    "shank_points",
    "shank_radius",
]

# ---------------------------------------------------------------------------
# Anatomy: every dimension of one RIGHT leg in the neutral frame, in mm.
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PhantomAnatomy:
    fl_mm: float  # nominal foot length (spec)
    stature_mm: float
    ankle_z_mm: float  # height of the ankle joint centre
    shank_mm: float  # ankle centre to knee joint centre
    top_z_mm: float  # the mesh is cut open here
    calf_t: float  # height of the calf maximum, fraction of the shank
    muscle_mm: float  # scale of the calf muscle term (solved for the girth)
    fat_mm: float  # circumferential fat, > 0 only for girths beyond a muscular calf
    bone_scale: float  # < 1 only when the spec girth is below the bare-bone girth
    lat_malleolus_mm: FloatArray  # (3,) skin apex: nominal, then measured on the field
    med_malleolus_mm: FloatArray  # (3,) skin apex: nominal, then measured on the field
    mtp1_mm: FloatArray  # (3,) joint centre
    mtp5_mm: FloatArray  # (3,) joint centre
    fibular_head_mm: FloatArray  # (3,) skin apex
    knee_mm: FloatArray  # (3,) centre of the section at the joint line
    # skin displacements (centre on the bare skin (3,), sigma (3,), height): lateral
    # malleolus, its hollow, medial malleolus, its hollow, fibular head
    bumps: tuple[tuple[FloatArray, FloatArray, float], ...]
    arch_mm: float  # medial arch rise of the plantar surface
    foot_width_scale: float
    axis_tilt_mm: FloatArray  # (2,) x, y shift of the shank axis at the knee


def pchip(t: list[float], v: list[float]) -> PchipInterpolator:
    """A shape-preserving cubic through the knots ``t`` and values ``v`` (extrapolates)."""
    return PchipInterpolator(np.asarray(t), np.asarray(v), extrapolate=True)


# Shank model: section radius r(theta, t) around a centre line, t = (z - ankle_z) / shank.
# theta is measured from +x (lateral) toward +y (anterior); posterior is -90 deg,
# medial 180 deg. Bone-and-skin ellipse semi-axes, in foot lengths:
_T_KNOTS = [-0.30, -0.05, 0.0, 0.10, 0.25, 0.50, 0.70, 0.85, 1.0, 1.05, 1.16, 1.30]
# ML: the femoral condyles make the knee widest near the joint line.
_ML_BONE = pchip(
    _T_KNOTS, [0.108, 0.106, 0.107, 0.113, 0.115, 0.118, 0.123, 0.136, 0.160, 0.166, 0.156, 0.160]
)
_AP_BONE = pchip(
    _T_KNOTS, [0.098, 0.097, 0.098, 0.100, 0.100, 0.103, 0.108, 0.120, 0.148, 0.152, 0.155, 0.160]
)


def _muscle_envelope(t: FloatArray, calf_t: float) -> FloatArray:
    """Vertical profile (0..1) of the soft-tissue term; its maximum is at calf_t."""
    knots = [-0.4, 0.03, 0.20, 0.40, calf_t, calf_t + 0.14, 0.90, 1.0, 1.15, 1.40]
    values = [0.0, 0.0, 0.22, 0.72, 1.0, 0.84, 0.50, 0.46, 0.56, 1.10]
    return np.clip(np.asarray(pchip(knots, values)(t), dtype=np.float64), 0.0, None)


# Vertical profile of circumferential fat: down to the ankle, up past the knee.
_FAT_ENVELOPE = pchip(
    [-0.4, 0.0, 0.15, 0.40, 0.62, 0.90, 1.0, 1.4], [0.0, 0.15, 0.55, 0.90, 1.0, 0.90, 0.92, 1.1]
)
# The muscle term stops growing here (foot lengths); larger calves add fat.
MUSCLE_MAX_FL = 0.15


def _bump(theta: FloatArray, centre_deg: float, width_deg: float) -> FloatArray:
    d = np.angle(np.exp(1j * (theta - deg_to_rad(centre_deg))))
    return np.asarray(np.exp(-0.5 * (d / deg_to_rad(width_deg)) ** 2), dtype=np.float64)


def _band(t: FloatArray, t0: float, t1: float, ramp: float) -> FloatArray:
    """Smooth 0..1 window that is 1 on [t0, t1] with cosine ramps of width ramp."""
    up = np.clip((t - (t0 - ramp)) / ramp, 0.0, 1.0)
    down = np.clip(((t1 + ramp) - t) / ramp, 0.0, 1.0)
    return (0.5 - 0.5 * np.cos(np.pi * up)) * (0.5 - 0.5 * np.cos(np.pi * down))


def _muscle_angular(theta: FloatArray) -> FloatArray:
    """Angular distribution of the calf soft tissue: posteromedial maximum."""
    return (
        0.30
        + 1.00 * _bump(theta, -118, 48)
        + 0.62 * _bump(theta, -58, 36)
        + 0.25 * _bump(theta, 5, 35)
        + 0.12 * _bump(theta, 65, 25)
    )


def shank_radius(an: PhantomAnatomy, theta: FloatArray, t: FloatArray) -> FloatArray:
    """Section radius of the shank, mm; theta (m,) rad and t (n,) give (n, m)."""
    fl = an.fl_mm
    th = theta[None, :]
    tt = t[:, None]
    a = an.bone_scale * an.foot_width_scale * fl * _ML_BONE(tt)
    b = an.bone_scale * fl * _AP_BONE(tt)
    r = a * b / np.sqrt((b * np.cos(th)) ** 2 + (a * np.sin(th)) ** 2)
    r = r + an.muscle_mm * _muscle_envelope(tt, an.calf_t) * _muscle_angular(th)
    r = r + an.fat_mm * _FAT_ENVELOPE(tt)
    low = _band(tt, -0.12, 0.30, 0.12)  # Achilles tendon and the hollows beside it
    r = r + fl * low * (
        0.030 * _bump(th, -90, 13) - 0.012 * _bump(th, -135, 14) - 0.012 * _bump(th, -45, 14)
    )
    r = r + fl * 0.010 * _band(tt, 0.12, 0.85, 0.08) * _bump(th, 100, 10)  # tibial crest
    r = r + fl * 0.016 * _band(tt, 0.925, 0.925, 0.05) * _bump(th, 92, 18)  # tuberosity
    r = r + fl * 0.028 * _band(tt, 1.03, 1.11, 0.07) * _bump(th, 90, 32)  # patella
    r = r - fl * 0.010 * _band(tt, 0.99, 1.10, 0.06) * _bump(th, -90, 22)  # popliteal fossa
    return np.asarray(r, dtype=np.float64)


def shank_centre(an: PhantomAnatomy, t: FloatArray) -> FloatArray:
    """Centre line of the shank sections, (n, 2) mm (x, y)."""
    w = np.clip(t, 0.0, 1.3)[:, None]
    base = np.array([0.006 * an.fl_mm, -0.008 * an.fl_mm])
    return base + w * an.axis_tilt_mm


def shank_points(an: PhantomAnatomy, t: FloatArray, n_theta: int = 360) -> FloatArray:
    """Points on analytic shank sections, (n, n_theta, 2) mm."""
    theta = np.linspace(-np.pi, np.pi, n_theta, endpoint=False)
    r = shank_radius(an, theta, t)
    c = shank_centre(an, t)
    unit = np.stack([np.cos(theta), np.sin(theta)], -1)
    return np.asarray(c[:, None, :] + r[:, :, None] * unit, dtype=np.float64)


def hull_perimeter_mm(points: FloatArray) -> float:
    """Perimeter of the convex hull of 2-D ``points`` (n, 2), mm: a tape measure's girth."""
    return float(ConvexHull(points).area)  # in 2-D, "area" is the perimeter


def girth_range_mm(an: PhantomAnatomy) -> tuple[float, float]:
    """Heights where the calf girth is measured: 0.20..0.85 shank lengths, below the cut."""
    return (
        an.ankle_z_mm + 0.2 * an.shank_mm,
        min(an.ankle_z_mm + 0.85 * an.shank_mm, an.top_z_mm - 0.5),
    )


def analytic_max_girth(an: PhantomAnatomy) -> float:
    """The largest calf girth of the model ``an`` (convex hull of its sections), mm."""
    z = np.linspace(*girth_range_mm(an), 27)
    t = (z - an.ankle_z_mm) / an.shank_mm
    return max(hull_perimeter_mm(p) for p in shank_points(an, t, 240))
