"""One seeded subject: proportions drawn from the seed, the calf term solved for
the spec girth, and the malleolus and fibular-head skin bumps placed and then
measured on the field."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
from scipy.optimize import brentq

from afofit.phantom.field import NO_FOOT, foot_fields, leg_field
from afofit.phantom.shape import (
    MUSCLE_MAX_FL,
    PhantomAnatomy,
    analytic_max_girth,
    shank_centre,
    shank_points,
    shank_radius,
)
from afofit.phantom.spec import FloatArray, PhantomSpec
from afofit.units import deg_to_rad

__all__ = [
    "SMOOTH_MALLEOLI_HEIGHT",
    "SMOOTH_MALLEOLI_WIDTH",
    "make_anatomy",
]

#: ``malleoli="smooth"``: the malleolar bumps and their hollows at this fraction of
#: their height, and this many times as wide.
SMOOTH_MALLEOLI_HEIGHT = 0.2
SMOOTH_MALLEOLI_WIDTH = 1.5


def make_anatomy(spec: PhantomSpec, rng: np.random.Generator) -> PhantomAnatomy:
    """Draw the seeded proportions, solve the calf term for the spec girth, place the bumps.

    ``spec`` gives the sizes; ``rng`` is the seeded generator every draw comes from.
    """
    fl = float(spec.foot_length_mm)

    def vary(sd: float) -> float:  # a few % of variation, truncated at 2 sd
        return float(1.0 + sd * np.clip(rng.standard_normal(), -2.0, 2.0))

    shank_factor = vary(0.025)
    shank = 1.62 * fl * shank_factor
    ankle_z = 0.27 * fl * vary(0.02)
    width = vary(0.025)
    calf_t = float(rng.uniform(0.60, 0.65))
    arch = float(rng.uniform(10.0, 15.0)) * fl / 260.0
    tilt = rng.normal(0.0, 0.012, 2) * fl
    jitter = rng.normal(0.0, 0.006, (4, 3)) * fl  # landmark placement, mm
    knee_z = ankle_z + shank
    top = knee_z + 0.25 * fl if spec.reaches_knee else ankle_z + 0.55 * shank
    height = ankle_z / (0.27 * fl)
    lat = np.array([0.145 * width, -0.04, 0.25 * height]) * fl + jitter[0]
    med = np.array([-0.13 * width, 0.02, 0.30 * height]) * fl + jitter[1]
    mtp1 = np.array([(-0.16 * width) * fl + 12.0, 0.50 * fl, 0.09 * fl]) + jitter[2] * [1, 1, 0.3]
    mtp5 = np.array([(0.22 * width) * fl - 10.0, 0.43 * fl, 0.07 * fl]) + jitter[3] * [1, 1, 0.3]
    zero = np.zeros(3)
    an = PhantomAnatomy(
        fl,
        fl / 0.152 * shank_factor,
        ankle_z,
        shank,
        top,
        calf_t,
        0.0,
        0.0,
        1.0,
        lat,
        med,
        mtp1,
        mtp5,
        zero,
        zero,
        (),
        arch,
        width,
        tilt,
    )
    target = float(spec.calf_girth_mm)

    def girth_error(muscle: float, fat: float, bone: float) -> float:
        trial = replace(an, muscle_mm=muscle, fat_mm=fat, bone_scale=bone)
        return analytic_max_girth(trial) - target

    muscle_max = MUSCLE_MAX_FL * fl
    if girth_error(0.0, 0.0, 1.0) >= 0.0:  # a very thin calf for this foot: thinner bones
        bone = brentq(lambda s: girth_error(0.0, 0.0, s), 0.3, 1.0, xtol=1e-5)
        an = replace(an, bone_scale=float(bone))
    elif girth_error(muscle_max, 0.0, 1.0) >= 0.0:
        muscle = brentq(lambda m: girth_error(m, 0.0, 1.0), 0.0, muscle_max, xtol=1e-3)
        an = replace(an, muscle_mm=float(muscle))
    else:
        fat = brentq(lambda g: girth_error(muscle_max, g, 1.0), 0.0, target, xtol=1e-3)
        an = replace(an, muscle_mm=muscle_max, fat_mm=float(fat))
    an = _measure_bumps(_place_bumps(an))
    if spec.malleoli == "smooth":
        # The bones stay where they are (the truth keeps the apexes just measured);
        # the soft tissue over them hides the bumps.
        an = replace(an, bumps=_smoothed_malleoli(an.bumps))
    return an


def _smoothed_malleoli(
    bumps: tuple[tuple[FloatArray, FloatArray, float], ...],
) -> tuple[tuple[FloatArray, FloatArray, float], ...]:
    """The malleoli's bumps and hollows (the first four) lower and wider; the rest as they are."""
    return tuple(
        (centre, sigma * SMOOTH_MALLEOLI_WIDTH, height * SMOOTH_MALLEOLI_HEIGHT)
        if k < 4
        else (centre, sigma, height)
        for k, (centre, sigma, height) in enumerate(bumps)
    )


def _place_bumps(an: PhantomAnatomy) -> PhantomAnatomy:
    """Knee centre, and the skin bumps: malleoli, sub-malleolar hollows, fibular head."""
    f = an.fl_mm
    pts = shank_points(an, np.array([1.0]), 720)[0]
    knee = np.r_[0.5 * (pts.min(0) + pts.max(0)), an.ankle_z_mm + an.shank_mm]
    bumps = []
    # Malleoli: a smooth skin displacement centred where the bare leg's skin
    # meets the line through the nominal apex; its height makes up the rest.
    for nominal, sense, sigma in (
        (an.lat_malleolus_mm, 1.0, (0.05, 0.036, 0.052)),
        (an.med_malleolus_mm, -1.0, (0.05, 0.044, 0.046)),
    ):
        out = np.linspace(0.0, 0.3 * f, 1201)  # distance outward along sense * x
        xs = np.sort(sense * out)
        d = leg_field(an, foot_fields(an, xs, nominal[1:2]), xs, nominal[1:2], nominal[2:3])
        d_out = d[:, 0, 0] if sense > 0 else d[::-1, 0, 0]
        i = int(np.nonzero(d_out > 0.0)[0][0])  # first sample outside the bare skin
        step = out[i] - out[i - 1]
        skin_x = sense * (out[i - 1] + step * d_out[i - 1] / (d_out[i - 1] - d_out[i]))
        height = float(np.clip(sense * (nominal[0] - skin_x), 0.02 * f, 0.036 * f))
        bumps.append((np.array([skin_x, nominal[1], nominal[2]]), np.array(sigma) * f, height))
        hollow = np.array(
            [skin_x - sense * 0.01 * f, nominal[1] + 0.025 * f, nominal[2] - 0.085 * f]
        )
        bumps.append((hollow, np.array([0.03, 0.05, 0.025]) * f, -0.008 * f))
    # Fibular head: posterolateral, 20 mm below the joint line.
    t_fib = 1.0 - 20.0 / an.shank_mm
    theta = deg_to_rad(-28.0)
    r = float(shank_radius(an, np.array([theta]), np.array([t_fib]))[0, 0])
    c = shank_centre(an, np.array([t_fib]))[0]
    u = np.array([math.cos(theta), math.sin(theta)])
    skin = np.r_[c + r * u, an.ankle_z_mm + an.shank_mm - 20.0]
    bumps.append((skin, np.array([0.06, 0.06, 0.07]) * f, 0.014 * f))
    return replace(an, knee_mm=knee, bumps=tuple(bumps))


def _measure_bumps(an: PhantomAnatomy) -> PhantomAnatomy:
    """Skin apexes of the malleoli (outermost in x) and fibular head, from the final field."""
    lat = _outermost_x(an, an.bumps[0][0] + [an.bumps[0][2], 0.0, 0.0], 1.0)
    med = _outermost_x(an, an.bumps[2][0] - [an.bumps[2][2], 0.0, 0.0], -1.0)
    centre, _, height = an.bumps[4]
    u = np.r_[centre[:2] - an.knee_mm[:2], 0.0]
    u /= np.linalg.norm(u)
    s = np.linspace(-0.5 * height, 2.0 * height, 121)
    line = centre + s[:, None] * u  # horizontal: one z, so take the grid's diagonal
    d = np.diagonal(leg_field(an, NO_FOOT, line[:, 0], line[:, 1], line[:1, 2])[:, :, 0]).copy()
    i = int(np.nonzero(d > 0.0)[0][0])
    s_skin = s[i - 1] + (s[i] - s[i - 1]) * d[i - 1] / (d[i - 1] - d[i])
    return replace(
        an, lat_malleolus_mm=lat, med_malleolus_mm=med, fibular_head_mm=centre + s_skin * u
    )


def _outermost_x(an: PhantomAnatomy, guess: FloatArray, sense: float) -> FloatArray:
    """The skin point with the largest sense * x near guess, mm (two grid refinements)."""
    centre = guess.copy()
    for half, n_yz in ((10.0, 21), (1.5, 16)):
        xs = centre[0] + np.linspace(-half, half, 81)
        ys = centre[1] + np.linspace(-half, half, n_yz)
        zs = centre[2] + np.linspace(-half, half, n_yz)
        d = leg_field(an, foot_fields(an, xs, ys), xs, ys, zs)
        if sense < 0:
            xs, d = -xs[::-1], d[::-1]  # work in the sense * x coordinate
        out = d > 0.0
        # outermost inside->outside crossing along x for every (y, z)
        last_in = (out.shape[0] - 1) - np.argmax(~out[::-1], axis=0)
        last_in = np.clip(last_in, 0, out.shape[0] - 2)
        d0 = np.take_along_axis(d, last_in[None], 0)[0]
        d1 = np.take_along_axis(d, last_in[None] + 1, 0)[0]
        x_skin = xs[last_in] + (xs[1] - xs[0]) * d0 / np.where(d0 == d1, 1.0, d0 - d1)
        j, k = np.unravel_index(np.argmax(x_skin), x_skin.shape)
        centre = np.array([sense * x_skin[j, k], ys[j], zs[k]])
    return centre
