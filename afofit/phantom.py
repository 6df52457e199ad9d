"""Parametric synthetic lower leg with foot, with known ground truth.

The phantom is afofit's self-contained test fixture and demo input. It is an
implicit surface (an approximate signed-distance field: a lofted shank of
star-shaped sections, a foot slab from plan-view height fields, heel, toes and
metatarsal heads, joined by a polynomial smooth minimum, plus Gaussian skin
bumps for the malleoli and the fibular head), meshed with marching cubes and
Taubin smoothing, and cut open at the top like a real scan. It is then posed,
converted to the requested units and optionally degraded with noise and holes.

Construction frame (neutral, RIGHT leg, mm): floor at z = 0, +z up, +y anterior
(toes), +x the subject's right (lateral for a right leg). A left leg is the
mirror image in x. ``pose="neutral"`` returns this frame (for ``side="both"``:
ankles on the x axis, symmetric about x = 0).

Ground truth (``Phantom.truth``). Points are (3,) lists in mm in the POSED frame
(file coordinates × ``scale_to_mm``), computed from the noise-free construction
before open_sole, noise and holes. The first keys match the real-scan truth
files: ``case``, ``side``, ``units_in_file``, ``stature_mm``, ``faces`` (in the
file), ``ankle_joint_centre_mm`` (midpoint of the malleolar apexes, by
definition), ``knee_joint_centre_mm`` (bounding-box centre of the section at the
joint line; None below the knee), ``mtp1_joint_mm``, ``mtp5_joint_mm``,
``heel_posterior_mm`` (posterior-most vertex below 0.3 FL), ``toe_tip_mm``
(anterior-most vertex), ``foot_length_mm`` ((toe - heel) · anterior),
``other_ankle_joint_centre_mm`` (the other leg's, for "both"), ``up_axis``,
``anterior_axis`` (unit vectors). Extras: ``lateral_malleolus_mm`` and
``medial_malleolus_mm`` (skin points furthest out along ±x of the construction
frame), ``fibular_head_mm`` (skin apex; None below the knee),
``malleolar_width_mm`` (apex distance along the mediolateral axis),
``calf_girth_max_mm`` and ``calf_girth_height_mm`` (largest convex-hull
perimeter of horizontal sections between 0.20 and 0.85 shank lengths above the
ankle and below the cut, and its height above the floor), ``shank_length_mm``
(ankle to knee centre; None below the knee), ``scale_to_mm``, ``seed``. For
``side="both"`` the top level describes the right leg (``faces`` counts both),
``legs`` holds the right and left per-leg dicts, and each leg's
``anterior_axis`` includes its toe-out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from numbers import Integral, Real
from typing import Any

import numpy as np
import trimesh
from numpy.typing import NDArray
from scipy import sparse
from scipy.interpolate import CubicSpline, PchipInterpolator
from scipy.optimize import brentq
from scipy.spatial import ConvexHull
from skimage.measure import marching_cubes

from afofit.errors import InputError
from afofit.units import SCALE_TO_MM

__all__ = ["Phantom", "PhantomSpec", "make_phantom"]

FloatArray = NDArray[np.float64]

_SIDES = ("left", "right", "both")
_POSES = ("random", "neutral")

# Independent random streams (children of default_rng(seed)), so that e.g.
# changing noise_mm does not change the anatomy or the pose.
_STREAM_ANATOMY, _STREAM_STANCE, _STREAM_POSE, _STREAM_NOISE, _STREAM_HOLES = range(5)
_N_STREAMS = 5

# Marching-cubes faces per (area / voxel^2) on the shank and on the foot (whose
# flat sole takes fewer), and the area below 0.3 foot lengths per FL^2;
# calibrated over the spec ranges. A mesh more than 10 % off is redone once.
_MC_FACES_PER_AREA_SHANK = 2.98
_MC_FACES_PER_AREA_FOOT = 2.48
_FOOT_AREA_PER_FL2 = 0.83
# Targets above this are meshed at a quarter and Loop-subdivided once.
_SUBDIVIDE_ABOVE_FACES = 150_000
# Plantar area share of the face count, removed again by open_sole.
_SOLE_FACE_FRACTION = 0.06


@dataclass(frozen=True, slots=True)
class PhantomSpec:
    """Parameters of a synthetic leg.

    Parameters
    ----------
    side : str
        "left", "right" or "both" (two separate legs).
    foot_length_mm : float
        Heel-to-toe length, 150..330 mm.
    calf_girth_mm : float
        Maximum calf girth (tape measure, i.e. convex-hull perimeter), 250..550 mm.
    seed : int
        Seed of every random step (anatomy variation, stance, pose, noise, holes), >= 0.
    noise_mm : float
        Standard deviation of Gaussian displacement along vertex normals, 0..3 mm.
    holes : int
        Number of small holes (radius 3-8 mm) punched in the surface, 0..50.
    pose : str
        "random" (uniform random rotation, translation up to ±400 mm per axis)
        or "neutral" (the construction frame).
    units : str
        Units of the mesh coordinates: "mm", "cm", "m" or "in".
    faces : int
        Target face count per leg (met within ±15 %), 2000..2_000_000.
    open_sole : bool
        Remove the plantar surface, as a standing scan has no sole.
    reaches_knee : bool
        True: the leg ends 0.25 foot lengths above the knee joint line.
        False: it ends at mid-shank, 0.55 shank lengths above the ankle.

    Raises
    ------
    InputError
        If a value is of the wrong type or out of range; the message names it.
    """

    side: str = "right"
    foot_length_mm: float = 260.0
    calf_girth_mm: float = 360.0
    seed: int = 0
    noise_mm: float = 0.0
    holes: int = 0
    pose: str = "random"
    units: str = "mm"
    faces: int = 60000
    open_sole: bool = False
    reaches_knee: bool = True

    def __post_init__(self) -> None:
        _check_choice("side", self.side, _SIDES)
        _check_choice("pose", self.pose, _POSES)
        _check_choice("units", self.units, tuple(SCALE_TO_MM))
        _check_range("foot_length_mm", self.foot_length_mm, 150.0, 330.0, "mm")
        _check_range("calf_girth_mm", self.calf_girth_mm, 250.0, 550.0, "mm")
        _check_range("noise_mm", self.noise_mm, 0.0, 3.0, "mm")
        _check_int("seed", self.seed, 0, 2**63 - 1)
        _check_int("holes", self.holes, 0, 50)
        _check_int("faces", self.faces, 2000, 2_000_000)
        for name in ("open_sole", "reaches_knee"):
            if not isinstance(getattr(self, name), bool):
                raise InputError(
                    f"PhantomSpec {name}={getattr(self, name)!r}; must be True or False."
                )


@dataclass(frozen=True, slots=True)
class Phantom:
    """A synthetic leg mesh and its ground truth.

    Attributes
    ----------
    mesh : trimesh.Trimesh
        The surface in ``spec.units``, in the posed frame, open at the top.
    truth : dict
        JSON-serialisable ground truth; points in the posed frame in mm
        (file coordinates × ``truth["scale_to_mm"]``).
    """

    mesh: trimesh.Trimesh
    truth: dict[str, Any] = field(repr=False)


def _check_choice(name: str, value: object, choices: tuple[str, ...]) -> None:
    if not isinstance(value, str) or value not in choices:
        raise InputError(f"PhantomSpec {name}={value!r}; must be one of {', '.join(choices)}.")


def _check_range(name: str, value: object, low: float, high: float, unit: str) -> None:
    ok = isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or not low <= float(value) <= high:  # type: ignore[arg-type]
        raise InputError(
            f"PhantomSpec {name}={value!r}; must be a number in {low:g}..{high:g} {unit}."
        )


def _check_int(name: str, value: object, low: int, high: int) -> None:
    ok = isinstance(value, Integral) and not isinstance(value, bool)
    if not ok or not low <= int(value) <= high:  # type: ignore[call-overload]
        raise InputError(f"PhantomSpec {name}={value!r}; must be an integer in {low}..{high}.")


# ---------------------------------------------------------------------------
# Anatomy: every dimension of one RIGHT leg in the neutral frame, in mm.
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Anatomy:
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


def _pchip(t: list[float], v: list[float]) -> PchipInterpolator:
    return PchipInterpolator(np.asarray(t), np.asarray(v), extrapolate=True)


# Shank model: section radius r(theta, t) around a centre line, t = (z - ankle_z) / shank.
# theta is measured from +x (lateral) toward +y (anterior); posterior is -90 deg,
# medial 180 deg. Bone-and-skin ellipse semi-axes, in foot lengths:
_T_KNOTS = [-0.30, -0.05, 0.0, 0.10, 0.25, 0.50, 0.70, 0.85, 1.0, 1.05, 1.16, 1.30]
# ML: the femoral condyles make the knee widest near the joint line.
_ML_BONE = _pchip(
    _T_KNOTS, [0.108, 0.106, 0.107, 0.113, 0.115, 0.118, 0.123, 0.136, 0.160, 0.166, 0.156, 0.160]
)
_AP_BONE = _pchip(
    _T_KNOTS, [0.098, 0.097, 0.098, 0.100, 0.100, 0.103, 0.108, 0.120, 0.148, 0.152, 0.155, 0.160]
)


def _muscle_envelope(t: FloatArray, calf_t: float) -> FloatArray:
    """Vertical profile (0..1) of the soft-tissue term; its maximum is at calf_t."""
    knots = [-0.4, 0.03, 0.20, 0.40, calf_t, calf_t + 0.14, 0.90, 1.0, 1.15, 1.40]
    values = [0.0, 0.0, 0.22, 0.72, 1.0, 0.84, 0.50, 0.46, 0.56, 1.10]
    return np.clip(np.asarray(_pchip(knots, values)(t), dtype=np.float64), 0.0, None)


# Vertical profile of circumferential fat: down to the ankle, up past the knee.
_FAT_ENVELOPE = _pchip(
    [-0.4, 0.0, 0.15, 0.40, 0.62, 0.90, 1.0, 1.4], [0.0, 0.15, 0.55, 0.90, 1.0, 0.90, 0.92, 1.1]
)
# The muscle term stops growing here (foot lengths); larger calves add fat.
_MUSCLE_MAX_FL = 0.15


def _bump(theta: FloatArray, centre_deg: float, width_deg: float) -> FloatArray:
    d = np.angle(np.exp(1j * (theta - math.radians(centre_deg))))
    return np.asarray(np.exp(-0.5 * (d / math.radians(width_deg)) ** 2), dtype=np.float64)


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


def _shank_radius(an: _Anatomy, theta: FloatArray, t: FloatArray) -> FloatArray:
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


def _shank_centre(an: _Anatomy, t: FloatArray) -> FloatArray:
    """Centre line of the shank sections, (n, 2) mm (x, y)."""
    w = np.clip(t, 0.0, 1.3)[:, None]
    base = np.array([0.006 * an.fl_mm, -0.008 * an.fl_mm])
    return base + w * an.axis_tilt_mm


def _shank_points(an: _Anatomy, t: FloatArray, n_theta: int = 360) -> FloatArray:
    """Points on analytic shank sections, (n, n_theta, 2) mm."""
    theta = np.linspace(-np.pi, np.pi, n_theta, endpoint=False)
    r = _shank_radius(an, theta, t)
    c = _shank_centre(an, t)
    unit = np.stack([np.cos(theta), np.sin(theta)], -1)
    return np.asarray(c[:, None, :] + r[:, :, None] * unit, dtype=np.float64)


def _hull_perimeter_mm(points: FloatArray) -> float:
    return float(ConvexHull(points).area)  # in 2-D, "area" is the perimeter


def _girth_range_mm(an: _Anatomy) -> tuple[float, float]:
    """Heights where the calf girth is measured: 0.20..0.85 shank lengths, below the cut."""
    return (
        an.ankle_z_mm + 0.2 * an.shank_mm,
        min(an.ankle_z_mm + 0.85 * an.shank_mm, an.top_z_mm - 0.5),
    )


def _analytic_max_girth(an: _Anatomy) -> float:
    z = np.linspace(*_girth_range_mm(an), 27)
    t = (z - an.ankle_z_mm) / an.shank_mm
    return max(_hull_perimeter_mm(p) for p in _shank_points(an, t, 240))


def _make_anatomy(spec: PhantomSpec, rng: np.random.Generator) -> _Anatomy:
    """Draw the seeded proportions, solve the calf term for the spec girth, place the bumps."""
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
    an = _Anatomy(
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
        return _analytic_max_girth(trial) - target

    muscle_max = _MUSCLE_MAX_FL * fl
    if girth_error(0.0, 0.0, 1.0) >= 0.0:  # a very thin calf for this foot: thinner bones
        bone = brentq(lambda s: girth_error(0.0, 0.0, s), 0.3, 1.0, xtol=1e-5)
        an = replace(an, bone_scale=float(bone))
    elif girth_error(muscle_max, 0.0, 1.0) >= 0.0:
        muscle = brentq(lambda m: girth_error(m, 0.0, 1.0), 0.0, muscle_max, xtol=1e-3)
        an = replace(an, muscle_mm=float(muscle))
    else:
        fat = brentq(lambda g: girth_error(muscle_max, g, 1.0), 0.0, target, xtol=1e-3)
        an = replace(an, muscle_mm=muscle_max, fat_mm=float(fat))
    return _measure_bumps(_place_bumps(an))


def _place_bumps(an: _Anatomy) -> _Anatomy:
    """Knee centre, and the skin bumps: malleoli, sub-malleolar hollows, fibular head."""
    f = an.fl_mm
    pts = _shank_points(an, np.array([1.0]), 720)[0]
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
        d = _field(an, _foot_fields(an, xs, nominal[1:2]), xs, nominal[1:2], nominal[2:3])
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
    theta = math.radians(-28.0)
    r = float(_shank_radius(an, np.array([theta]), np.array([t_fib]))[0, 0])
    c = _shank_centre(an, np.array([t_fib]))[0]
    u = np.array([math.cos(theta), math.sin(theta)])
    skin = np.r_[c + r * u, an.ankle_z_mm + an.shank_mm - 20.0]
    bumps.append((skin, np.array([0.06, 0.06, 0.07]) * f, 0.014 * f))
    return replace(an, knee_mm=knee, bumps=tuple(bumps))


def _measure_bumps(an: _Anatomy) -> _Anatomy:
    """Skin apexes of the malleoli (outermost in x) and fibular head, from the final field."""
    lat = _outermost_x(an, an.bumps[0][0] + [an.bumps[0][2], 0.0, 0.0], 1.0)
    med = _outermost_x(an, an.bumps[2][0] - [an.bumps[2][2], 0.0, 0.0], -1.0)
    centre, _, height = an.bumps[4]
    u = np.r_[centre[:2] - an.knee_mm[:2], 0.0]
    u /= np.linalg.norm(u)
    s = np.linspace(-0.5 * height, 2.0 * height, 121)
    line = centre + s[:, None] * u  # horizontal: one z, so take the grid's diagonal
    d = np.diagonal(_field(an, _NO_FOOT, line[:, 0], line[:, 1], line[:1, 2])[:, :, 0]).copy()
    i = int(np.nonzero(d > 0.0)[0][0])
    s_skin = s[i - 1] + (s[i] - s[i - 1]) * d[i - 1] / (d[i - 1] - d[i])
    return replace(
        an, lat_malleolus_mm=lat, med_malleolus_mm=med, fibular_head_mm=centre + s_skin * u
    )


def _outermost_x(an: _Anatomy, guess: FloatArray, sense: float) -> FloatArray:
    """The skin point with the largest sense * x near guess, mm (two grid refinements)."""
    centre = guess.copy()
    for half, n_yz in ((10.0, 21), (1.5, 16)):
        xs = centre[0] + np.linspace(-half, half, 81)
        ys = centre[1] + np.linspace(-half, half, n_yz)
        zs = centre[2] + np.linspace(-half, half, n_yz)
        d = _field(an, _foot_fields(an, xs, ys), xs, ys, zs)
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
_H_TOP = _pchip(_DORSUM_Y, [0.09, 0.20, 0.30, 0.285, 0.245, 0.205, 0.170, 0.140, 0.090])
_H_MED = _pchip(_DORSUM_Y, [0.08, 0.15, 0.20, 0.200, 0.180, 0.150, 0.130, 0.120, 0.075])
_H_LAT = _pchip(_DORSUM_Y, [0.08, 0.12, 0.13, 0.115, 0.100, 0.090, 0.085, 0.080, 0.060])
_X_TOP = _pchip(_DORSUM_Y, [0.00, 0.00, -0.01, -0.02, -0.03, -0.04, -0.055, -0.07, -0.07])
_X_MED = _pchip(_DORSUM_Y, [-0.09, -0.105, -0.104, -0.108, -0.125, -0.145, -0.158, -0.158, -0.13])
_X_LAT = _pchip(_DORSUM_Y, [0.09, 0.112, 0.120, 0.140, 0.172, 0.200, 0.220, 0.190, 0.13])


def _outline_polygon(an: _Anatomy) -> FloatArray:
    """Smooth closed foot outline, (m, 2) mm."""
    pts = _OUTLINE * [an.foot_width_scale, 1.0] * an.fl_mm
    closed = np.vstack([pts, pts[:1]])
    s = np.r_[0.0, np.cumsum(np.linalg.norm(np.diff(closed, axis=0), axis=1))]
    spline = CubicSpline(s, closed, bc_type="periodic")
    return np.asarray(spline(np.linspace(0.0, s[-1], 240, endpoint=False)), dtype=np.float64)


def _dorsum_height(an: _Anatomy, x: FloatArray, y: FloatArray) -> FloatArray:
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


def _plantar_height(an: _Anatomy, x: FloatArray, y: FloatArray) -> FloatArray:
    """Plantar skin height over the plan grid, (nx, ny) mm: flat, raised by the arch."""
    fl = an.fl_mm
    v = (y / fl)[None, :]
    along = np.clip((v - 0.04) / 0.42, 0.0, 1.0)
    lengthwise = np.sin(np.pi * along) ** 1.5
    u = x[:, None] / (fl * an.foot_width_scale)
    across = np.clip((0.02 - u) / 0.13, 0.0, 1.0) ** 1.6
    return an.arch_mm * lengthwise * across


@dataclass(frozen=True, slots=True)
class _Foot:
    """Pre-computed plan-view fields of the foot slab on the grid's (x, y)."""

    outline: FloatArray  # (nx, ny) signed 2-D distance, mm
    plantar: FloatArray  # (nx, ny) plantar height, mm
    dorsum: FloatArray  # (nx, ny) dorsal height, mm
    dorsum_norm: FloatArray  # (nx, ny) 1 / sqrt(1 + |grad dorsum|^2)


_NO_FOOT = None  # for field evaluations high on the shank, where the foot plays no part


def _toes(an: _Anatomy) -> list[tuple[FloatArray, FloatArray, float, float]]:
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


def _foot_fields(an: _Anatomy, x: FloatArray, y: FloatArray) -> _Foot:
    dorsum = _dorsum_height(an, x, y)
    gx, gy = np.gradient(dorsum, x, y) if x.size > 1 and y.size > 1 else (0 * dorsum,) * 2
    return _Foot(
        _outline_distance(x, y, _outline_polygon(an)),
        _plantar_height(an, x, y),
        dorsum,
        1.0 / np.sqrt(1.0 + gx * gx + gy * gy),
    )


def _field(
    an: _Anatomy,
    foot: _Foot | None,
    x: FloatArray,
    y: FloatArray,
    z: FloatArray,
    bare: bool = False,
) -> FloatArray:
    """Approximate signed distance (negative inside) on the grid x (nx,), y (ny,), z (nz,), mm.

    ``bare`` leaves out the skin bumps (malleoli, fibular head), to place them.
    """
    f = an.fl_mm
    X, Y, Z = x[:, None, None], y[None, :, None], z[None, None, :]
    # Shank: per-height radius tables, linearly interpolated in theta.
    n_theta = 720
    theta = np.linspace(-np.pi, np.pi, n_theta + 1)
    t = (z - an.ankle_z_mm) / an.shank_mm
    r = _shank_radius(an, theta, t)  # (nz, n_theta + 1)
    dt = 1e-3
    r_z = (_shank_radius(an, theta, t + dt) - _shank_radius(an, theta, t - dt)) / (
        2 * dt * an.shank_mm
    )
    r_theta = np.gradient(r, theta, axis=1)
    norm = 1.0 / np.sqrt(1.0 + (r_theta / r) ** 2 + r_z**2)
    c = _shank_centre(an, t)
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


# ---------------------------------------------------------------------------
# Meshing.
# ---------------------------------------------------------------------------


def _estimated_area_mm2(an: _Anatomy) -> tuple[float, float]:
    """Surface area below the cut: the shank (a parametric surface) and the foot, mm^2."""
    z0 = 0.3 * an.fl_mm
    z = np.linspace(z0, an.top_z_mm, 61)
    theta = np.linspace(-np.pi, np.pi, 181)
    t = (z - an.ankle_z_mm) / an.shank_mm
    r = _shank_radius(an, theta, t)  # (nz, ntheta)
    c = _shank_centre(an, t)
    px = c[:, None, 0] + r * np.cos(theta)
    py = c[:, None, 1] + r * np.sin(theta)
    pz = np.broadcast_to(z[:, None], r.shape)
    p = np.stack([px, py, pz], axis=-1)
    du = p[1:, :-1] - p[:-1, :-1]
    dv = p[:-1, 1:] - p[:-1, :-1]
    shank = float(np.linalg.norm(np.cross(du, dv), axis=-1).sum())
    return shank, _FOOT_AREA_PER_FL2 * an.fl_mm**2


def _voxel_mm(an: _Anatomy, faces: float) -> float:
    """Voxel edge that gives about `faces` marching-cubes triangles, mm."""
    shank, foot = _estimated_area_mm2(an)
    return math.sqrt((_MC_FACES_PER_AREA_SHANK * shank + _MC_FACES_PER_AREA_FOOT * foot) / faces)


def _grid_axes(an: _Anatomy, voxel_mm: float) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Grid coordinates (x, y, z), mm, covering the leg with two voxels of margin."""
    f = an.fl_mm
    cap_z = an.top_z_mm + 3.0 * voxel_mm
    z_pts = np.linspace(0.1 * f, cap_z, 60)
    pts = _shank_points(an, (z_pts - an.ankle_z_mm) / an.shank_mm, 180).reshape(-1, 2)
    lo = np.minimum(pts.min(0), [-0.19 * f, -0.24 * f]) - 2.5 * voxel_mm - 10.0
    hi = np.maximum(pts.max(0), [0.25 * f, 0.80 * f]) + 2.5 * voxel_mm + 10.0
    # Half-voxel offset in z: no grid node lies on the floor.
    axes = [np.arange(lo[i], hi[i] + voxel_mm, voxel_mm) for i in range(2)]
    z = np.arange(-2.5 * voxel_mm, cap_z + 2.0 * voxel_mm, voxel_mm)
    return axes[0], axes[1], z


def _sample_field(an: _Anatomy, voxel_mm: float) -> tuple[NDArray[np.float32], FloatArray]:
    """Signed-distance samples on the grid, (nx, ny, nz) float32, and the grid origin, mm."""
    x, y, z = _grid_axes(an, voxel_mm)
    foot = _foot_fields(an, x, y)
    cap_z = an.top_z_mm + 3.0 * voxel_mm
    volume = np.empty((x.size, y.size, z.size), dtype=np.float32)
    chunk = max(1, int(2_000_000 // (x.size * y.size)))  # bounds the temporaries' memory
    for start in range(0, z.size, chunk):
        zc = z[start : start + chunk]
        d = _field(an, foot, x, y, zc)
        volume[:, :, start : start + chunk] = np.maximum(d, zc[None, None, :] - cap_z)
    return volume, np.array([x[0], y[0], z[0]])


def _face_components(faces: NDArray[np.int64]) -> NDArray[np.int64]:
    """Label of each face's edge-connected component, (m,) int (vertex-only contacts split)."""
    m = len(faces)
    edges = np.sort(faces[:, [0, 1, 1, 2, 2, 0]].reshape(-1, 2), axis=1)
    owner = np.repeat(np.arange(m), 3)
    order = np.lexsort((edges[:, 1], edges[:, 0]))
    edges, owner = edges[order], owner[order]
    same = np.all(edges[1:] == edges[:-1], axis=1)
    graph = sparse.coo_matrix(
        (np.ones(int(same.sum())), (owner[:-1][same], owner[1:][same])), shape=(m, m)
    )
    labels = sparse.csgraph.connected_components(graph, directed=False)[1]
    return np.asarray(labels, dtype=np.int64)


def _largest_component(
    vertices: FloatArray, faces: NDArray[np.int64]
) -> tuple[FloatArray, NDArray[np.int64]]:
    labels = _face_components(faces)
    return _compact(vertices, faces[labels == np.argmax(np.bincount(labels))])


def _compact(
    vertices: FloatArray, faces: NDArray[np.int64]
) -> tuple[FloatArray, NDArray[np.int64]]:
    """Drop unreferenced vertices, keeping the order of the rest."""
    used = np.zeros(len(vertices), dtype=bool)
    used[faces] = True
    new_index = np.cumsum(used) - 1
    return vertices[used], new_index[faces]


def _taubin(vertices: FloatArray, faces: NDArray[np.int64], iterations: int = 10) -> FloatArray:
    """Taubin lambda|mu smoothing with the umbrella operator; removes voxel steps, keeps volume."""
    n = len(vertices)
    edges = faces[:, [0, 1, 1, 2, 2, 0]].reshape(-1, 2)
    edges = np.unique(np.sort(edges, axis=1), axis=0)
    rows, cols = edges.ravel("F"), edges[:, ::-1].ravel("F")
    adj = sparse.coo_matrix((np.ones(2 * len(edges)), (rows, cols)), shape=(n, n)).tocsr()
    degree = np.asarray(adj.sum(axis=1)).ravel()
    mean = sparse.diags(1.0 / degree) @ adj
    v = vertices.copy()
    for i in range(iterations):
        v = v + (0.5 if i % 2 == 0 else -0.53) * (mean @ v - v)
    return v


def _cut_above(
    vertices: FloatArray, faces: NDArray[np.int64], z_cut: float
) -> tuple[FloatArray, NDArray[np.int64]]:
    """Remove the surface above the plane z = z_cut, splitting crossing triangles exactly."""
    v = vertices.copy()
    on_plane = np.abs(v[:, 2] - z_cut) < 1e-6
    v[on_plane, 2] = z_cut - 1e-6  # no vertex exactly on the plane
    below = v[:, 2] < z_cut
    fb = below[faces]
    count = fb.sum(axis=1)
    keep = faces[count == 3]
    # Rotate each crossing face so its odd vertex (the one on its own side) comes first.
    odd = np.where(count[:, None] == 1, fb, ~fb)
    roll = np.argmax(odd, axis=1)
    cross = (count == 1) | (count == 2)
    idx = (roll[cross, None] + np.arange(3)[None, :]) % 3
    rf = np.take_along_axis(faces[cross], idx, axis=1)
    ccount = count[cross]
    # New vertices: one per crossing edge, shared by both faces on that edge.
    edge_pairs = np.vstack([rf[:, [0, 1]], rf[:, [0, 2]]])
    key = np.sort(edge_pairs, axis=1)
    unique, inverse = np.unique(key, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    za, zb = v[unique[:, 0], 2], v[unique[:, 1], 2]
    s = (z_cut - za) / (zb - za)
    new_v = v[unique[:, 0]] + s[:, None] * (v[unique[:, 1]] - v[unique[:, 0]])
    new_v[:, 2] = z_cut
    m = len(rf)
    p01 = len(v) + inverse[:m]
    p02 = len(v) + inverse[m:]
    one = ccount == 1  # odd vertex below: keep the tip triangle
    tri_a = np.column_stack([rf[one, 0], p01[one], p02[one]])
    two = ~one  # odd vertex above: keep the quad, as two triangles
    tri_b = np.column_stack([rf[two, 1], rf[two, 2], p02[two]])
    tri_c = np.column_stack([rf[two, 1], p02[two], p01[two]])
    out_faces = np.vstack([keep, tri_a, tri_b, tri_c])
    return _compact(np.vstack([v, new_v]), out_faces)


def _mesh_leg(an: _Anatomy, target_faces: int) -> tuple[FloatArray, NDArray[np.int64]]:
    """Noise-free closed-below, open-top surface of one RIGHT leg, neutral frame, mm."""
    subdivide = target_faces > _SUBDIVIDE_ABOVE_FACES
    mc_faces = target_faces / 4.0 if subdivide else float(target_faces)
    voxel = _voxel_mm(an, mc_faces)
    for _attempt in range(2):
        volume, origin = _sample_field(an, voxel)
        verts, faces, _, _ = marching_cubes(
            volume,
            level=0.0,
            spacing=(voxel,) * 3,
            gradient_direction="descent",
            allow_degenerate=False,
        )
        del volume
        below = (verts[faces, 2].mean(axis=1) + origin[2]) < an.top_z_mm
        ratio = np.count_nonzero(below) / mc_faces
        if abs(ratio - 1.0) < 0.1:
            break
        voxel *= math.sqrt(ratio)
    vertices = verts.astype(np.float64) + origin
    faces = faces.astype(np.int64)
    vertices, faces = _largest_component(vertices, faces)
    vertices = _taubin(vertices, faces)
    if subdivide:
        vertices, faces = trimesh.remesh.subdivide_loop(vertices, faces, iterations=1)
        faces = faces.astype(np.int64)
    return _cut_above(vertices, faces, an.top_z_mm)


# ---------------------------------------------------------------------------
# Ground truth, stance, pose, degradation.
# ---------------------------------------------------------------------------


def _max_girth(
    vertices: FloatArray, faces: NDArray[np.int64], z_lo: float, z_hi: float
) -> tuple[float, float]:
    """Largest convex-hull perimeter of horizontal sections in [z_lo, z_hi], and its height, mm."""
    edges = np.unique(np.sort(faces[:, [0, 1, 1, 2, 2, 0]].reshape(-1, 2), axis=1), axis=0)
    za, zb = vertices[edges[:, 0], 2], vertices[edges[:, 1], 2]
    edges = edges[(np.maximum(za, zb) >= z_lo) & (np.minimum(za, zb) <= z_hi)]
    a, b = vertices[edges[:, 0]], vertices[edges[:, 1]]

    def girth(z: float) -> float:
        cross = (a[:, 2] < z) != (b[:, 2] < z)
        s = (z - a[cross, 2]) / (b[cross, 2] - a[cross, 2])
        pts = a[cross, :2] + s[:, None] * (b[cross, :2] - a[cross, :2])
        return _hull_perimeter_mm(pts) if len(pts) >= 3 else 0.0

    heights = np.arange(z_lo, z_hi, 2.0)
    best = float(heights[np.argmax([girth(z) for z in heights])])
    fine = np.clip(np.arange(best - 2.0, best + 2.01, 0.25), z_lo, z_hi)
    girths = [girth(z) for z in fine]
    i = int(np.argmax(girths))
    return float(girths[i]), float(fine[i])


def _leg_truth(
    an: _Anatomy, vertices: FloatArray, faces: NDArray[np.int64], reaches_knee: bool
) -> dict[str, Any]:
    """Ground truth of one noise-free RIGHT leg in the neutral frame (points (3,) mm)."""
    f = an.fl_mm
    low = vertices[:, 2] < 0.3 * f
    heel = vertices[low][np.argmin(vertices[low, 1])]
    toe = vertices[np.argmax(vertices[:, 1])]
    girth, girth_z = _max_girth(vertices, faces, *_girth_range_mm(an))
    return {
        "stature_mm": an.stature_mm,
        "ankle_joint_centre_mm": 0.5 * (an.lat_malleolus_mm + an.med_malleolus_mm),
        "knee_joint_centre_mm": an.knee_mm if reaches_knee else None,
        "mtp1_joint_mm": an.mtp1_mm,
        "mtp5_joint_mm": an.mtp5_mm,
        "heel_posterior_mm": heel,
        "toe_tip_mm": toe,
        "lateral_malleolus_mm": an.lat_malleolus_mm,
        "medial_malleolus_mm": an.med_malleolus_mm,
        "fibular_head_mm": an.fibular_head_mm if reaches_knee else None,
        # bimalleolar breadth: apex-to-apex distance along the mediolateral axis
        "malleolar_width_mm": float(an.lat_malleolus_mm[0] - an.med_malleolus_mm[0]),
        "calf_girth_max_mm": girth,
        "calf_girth_height_mm": girth_z,
        "shank_length_mm": float(
            np.linalg.norm(an.knee_mm - 0.5 * (an.lat_malleolus_mm + an.med_malleolus_mm))
        )
        if reaches_knee
        else None,
    }


_POINT_KEYS = (
    "ankle_joint_centre_mm",
    "knee_joint_centre_mm",
    "mtp1_joint_mm",
    "mtp5_joint_mm",
    "heel_posterior_mm",
    "toe_tip_mm",
    "lateral_malleolus_mm",
    "medial_malleolus_mm",
    "fibular_head_mm",
)


def _transform_leg(
    vertices: FloatArray,
    faces: NDArray[np.int64],
    truth: dict[str, Any],
    rotation: FloatArray,
    translation: FloatArray,
    mirror: bool,
) -> tuple[FloatArray, NDArray[np.int64], dict[str, Any]]:
    """Mirror in x (optionally), then rotate and translate a leg and its truth points."""
    flip = np.array([-1.0 if mirror else 1.0, 1.0, 1.0])
    out = dict(truth)
    for key in _POINT_KEYS:
        if out[key] is not None:
            out[key] = rotation @ (np.asarray(out[key]) * flip) + translation
    for key, axis in (("up_axis", (0.0, 0.0, 1.0)), ("anterior_axis", (0.0, 1.0, 0.0))):
        out[key] = rotation @ np.asarray(out.get(key, axis))
    faces = faces[:, ::-1] if mirror else faces  # mirroring flips the winding
    return (vertices * flip) @ rotation.T + translation, faces, out


def _rotation_z(angle_rad: float) -> FloatArray:
    c, s = math.cos(angle_rad), math.sin(angle_rad)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def _random_pose(rng: np.random.Generator) -> tuple[FloatArray, FloatArray]:
    """Uniform random rotation (normalised Gaussian quaternion) and a translation of ±400 mm."""
    w, x, y, z = rng.standard_normal(4)
    n = math.sqrt(w * w + x * x + y * y + z * z)
    w, x, y, z = w / n, x / n, y / n, z / n
    rotation = np.array(
        [
            [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
            [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
            [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
        ]
    )
    return rotation, rng.uniform(-400.0, 400.0, 3)


def _open_sole(
    vertices: FloatArray, faces: NDArray[np.int64], fl_mm: float
) -> tuple[FloatArray, NDArray[np.int64]]:
    """Remove downward-facing faces within 0.05 foot lengths of the floor (neutral frame).

    Islands left under the toes are dropped too, as a scanner would not see them.
    """
    tri = vertices[faces]
    normal = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    n_z = normal[:, 2] / np.maximum(np.linalg.norm(normal, axis=1), 1e-300)
    plantar = (n_z < -0.6) & (tri[:, :, 2].mean(axis=1) < 0.05 * fl_mm)
    return _largest_component(vertices, faces[~plantar])


def _add_noise(
    vertices: FloatArray, faces: NDArray[np.int64], sd_mm: float, rng: np.random.Generator
) -> FloatArray:
    normals = trimesh.Trimesh(vertices, faces, process=False).vertex_normals
    normals = np.asarray(normals, dtype=np.float64)
    return vertices + normals * rng.normal(0.0, sd_mm, len(vertices))[:, None]


def _hole_mask(
    vertices: FloatArray, faces: NDArray[np.int64], count: int, rng: np.random.Generator
) -> NDArray[np.bool_]:
    """Mask of the faces to keep after punching `count` holes, (m,) bool.

    A hole deletes the faces within 3-8 mm of a random surface point (area-weighted);
    any speck a hole ring cuts off (< 1 % of the faces) goes too.
    """
    tri = vertices[faces]
    area = 0.5 * np.linalg.norm(np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]), axis=1)
    centroids = tri.mean(axis=1)
    seeds = rng.choice(len(faces), size=count, p=area / area.sum())
    radii = rng.uniform(3.0, 8.0, count)
    keep = np.ones(len(faces), dtype=bool)
    keep[seeds] = False
    for face, radius in zip(seeds, radii, strict=True):
        keep &= np.linalg.norm(centroids - centroids[face], axis=1) >= radius
    labels = _face_components(faces[keep])
    sizes = np.bincount(labels)
    keep[np.flatnonzero(keep)[sizes[labels] < 0.01 * len(labels)]] = False
    return keep


def _json_ready(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(v) for v in value]
    if isinstance(value, np.ndarray):
        return [float(v) for v in value]
    if isinstance(value, np.floating | np.integer):
        return value.item()
    return value


def make_phantom(spec: PhantomSpec) -> Phantom:
    """Build a synthetic lower leg with foot, and its exact ground truth.

    Parameters
    ----------
    spec : PhantomSpec
        Size, side, pose, units, resolution and degradation of the phantom.

    Returns
    -------
    Phantom
        ``mesh``: (n, 3) float vertices in ``spec.units``, posed, open at the top
        (and at the sole if ``spec.open_sole``). ``truth``: points in mm in the
        posed frame, built from the noise-free construction; the module
        docstring lists the keys.

    Notes
    -----
    The same spec gives byte-identical vertices and faces. Each random step
    draws from its own child of ``numpy.random.default_rng(spec.seed)``.
    """
    streams = np.random.default_rng(spec.seed).spawn(_N_STREAMS)
    an = _make_anatomy(spec, streams[_STREAM_ANATOMY])
    target = spec.faces / (1.0 - _SOLE_FACE_FRACTION) if spec.open_sole else spec.faces
    vertices, faces = _mesh_leg(an, round(target))
    truth = _leg_truth(an, vertices, faces, spec.reaches_knee)
    if spec.open_sole:
        vertices, faces = _open_sole(vertices, faces, an.fl_mm)
    identity = np.eye(3)
    if spec.side == "both":
        stance = streams[_STREAM_STANCE]
        toe_out = np.radians(stance.uniform(0.0, 12.0, 2))  # right, left
        gap_mm = float(stance.uniform(160.0, 220.0))
        ankle = np.asarray(truth["ankle_joint_centre_mm"])
        legs = []
        for mirror, angle in ((False, -toe_out[0]), (True, toe_out[1])):
            pivot = ankle * [-1.0 if mirror else 1.0, 1.0, 1.0]
            rot = _rotation_z(float(angle))
            legs.append(_transform_leg(vertices, faces, truth, rot, pivot - rot @ pivot, mirror))
        # Ankles gap_mm apart, widened if needed to keep the legs 5 mm apart in x.
        right_medial = legs[0][0][:, 0].min() - legs[0][2]["ankle_joint_centre_mm"][0]
        left_medial = legs[1][0][:, 0].max() - legs[1][2]["ankle_joint_centre_mm"][0]
        half = 0.5 * max(gap_mm, 5.0 + left_medial - right_medial)
        placed = []
        for (v, fc, tr), sense in zip(legs, (1.0, -1.0), strict=True):
            shift = np.array(
                [
                    sense * half - tr["ankle_joint_centre_mm"][0],
                    -tr["ankle_joint_centre_mm"][1],
                    0.0,
                ]
            )
            placed.append(_transform_leg(v, fc, tr, identity, shift, False))
        parts = placed
    else:
        parts = [_transform_leg(vertices, faces, truth, identity, np.zeros(3), spec.side == "left")]
    if spec.pose == "random":
        rotation, translation = _random_pose(streams[_STREAM_POSE])
        parts = [_transform_leg(v, fc, tr, rotation, translation, False) for v, fc, tr in parts]
    offsets = np.cumsum([0] + [len(v) for v, _, _ in parts])
    all_v = np.vstack([v for v, _, _ in parts])
    all_f = np.vstack([fc + o for (_, fc, _), o in zip(parts, offsets, strict=False)])
    if spec.noise_mm > 0.0:
        all_v = _add_noise(all_v, all_f, float(spec.noise_mm), streams[_STREAM_NOISE])
    leg_of_face = np.repeat(np.arange(len(parts)), [len(fc) for _, fc, _ in parts])
    if spec.holes > 0:
        keep = _hole_mask(all_v, all_f, int(spec.holes), streams[_STREAM_HOLES])
        all_v, all_f = _compact(all_v, all_f[keep])
        leg_of_face = leg_of_face[keep]
    scale = SCALE_TO_MM[spec.units]
    mesh = trimesh.Trimesh(all_v / scale, all_f, process=False)
    leg_faces = np.bincount(leg_of_face, minlength=len(parts))
    leg_truths = []
    sides = ("right", "left") if spec.side == "both" else (spec.side,)
    for (_, _, tr), side, n_faces in zip(parts, sides, leg_faces, strict=True):
        leg_truths.append({**tr, "side": side, "faces": int(n_faces)})
    return Phantom(mesh, _json_ready(_assemble_truth(spec, leg_truths, len(all_f), scale)))


def _assemble_truth(
    spec: PhantomSpec, legs: list[dict[str, Any]], faces: int, scale: float
) -> dict[str, Any]:
    """Order the keys like the real-scan truth files, then the phantom extras."""
    leg_keys = _POINT_KEYS[:6]  # the points the real-scan truth files carry

    def one(leg: dict[str, Any], other: dict[str, Any] | None, n_faces: int) -> dict[str, Any]:
        up = np.asarray(leg["up_axis"])
        anterior = np.asarray(leg["anterior_axis"])
        out: dict[str, Any] = {
            "case": f"phantom_seed{spec.seed}_{spec.side}",
            "side": leg["side"],
            "units_in_file": spec.units,
            "stature_mm": leg["stature_mm"],
            "faces": n_faces,
        }
        out.update({k: leg[k] for k in leg_keys})
        out["foot_length_mm"] = float(
            (np.asarray(leg["toe_tip_mm"]) - np.asarray(leg["heel_posterior_mm"])) @ anterior
        )
        out["other_ankle_joint_centre_mm"] = (
            None if other is None else other["ankle_joint_centre_mm"]
        )
        out["up_axis"] = up
        out["anterior_axis"] = anterior
        for k in (
            "lateral_malleolus_mm",
            "medial_malleolus_mm",
            "fibular_head_mm",
            "malleolar_width_mm",
            "calf_girth_max_mm",
            "calf_girth_height_mm",
            "shank_length_mm",
        ):
            out[k] = leg[k]
        out["scale_to_mm"] = scale
        out["seed"] = spec.seed
        return out

    if len(legs) == 1:
        return one(legs[0], None, faces)
    right, left = legs
    top = one(right, left, faces)
    top["legs"] = [one(right, left, right["faces"]), one(left, right, left["faces"])]
    return top
