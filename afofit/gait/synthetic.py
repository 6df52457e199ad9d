"""Synthetic walking trials with known events and a known amount of foot drop.

Used by the tests (known truth for event detection and metrics), the property tests and
demos. Everything is built on a per-side gait phase: each stride runs from a foot strike to
the next, stance ends at ``stance_frac`` of it. Joint curves are drawn on a *canonical*
cycle whose stance is 0..60 % and warped onto the requested stance fraction.

* Ankle: a blend, by severity ``s`` in 0..1, of a normal curve (0° at contact, -6° loading
  trough, +10° peak stance DF, -18° at toe off, -20° peak PF just after, back to ≈ +3° in
  swing; afo-engineering.md §2.3 [S47, S49]) and a foot-drop curve (contact at -10°
  (forefoot contact), a 30-ms plantarflexion of 10° (foot slap, §2.4 [S54, S55]), -15° all
  through swing).
* Knee and hip sagittal: normal curves (knee ≈ 65° peak swing flexion, hip ≈ 33°; §2.3
  [S47]), plus ``steppage`` extra swing flexion (up to +25° knee, +20° hip; §2.4 [S56]).
* Markers (mm, +z up): a pelvis moving at ``speed_mm_per_s`` (or standing still on a
  treadmill, whose belt carries the stance foot back), heel and toe still in stance (moving
  back at belt speed on a treadmill) and moving forward in swing along a profile whose
  speed rises and falls steeply at toe off and contact (as real feet do), so that the Zeni
  signals peak within about a frame of the true events. The toe's swing height is a normal
  trajectory (early-swing peak, minimum toe clearance ≈ 15 mm at mid-swing, §2.3 [S51])
  changed by the joint angles through the sensitivities of §2.2 [S46]: 3.0 mm per degree of
  ankle, 1.66 mm/deg hip, 0.44 mm/deg knee; then kept above the floor (a dragging toe
  reads ≈ 0 mm).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.interpolate import PchipInterpolator
from scipy.special import betainc

from afofit.gait.model import SIDES, EventTimes, GaitTrial
from afofit.units import deg_to_rad

__all__ = ["SyntheticTruth", "synthetic_trial"]

#: Canonical stance fraction the curves below are drawn on.
_CANON_STANCE = 0.6

# Control points (canonical phase, degrees). Normal ankle: §2.3 [S47, S49]; the drop curve
# is the severity-1 foot drop of the module docstring.
_ANKLE_NORMAL = (
    (0.00, 0.0),
    (0.05, -4.0),
    (0.10, -6.0),
    (0.20, -1.5),
    (0.30, 4.0),
    (0.40, 8.5),
    (0.47, 10.0),
    (0.53, 5.0),
    (0.60, -18.0),
    (0.64, -20.0),
    (0.72, -8.0),
    (0.80, 1.0),
    (0.87, 3.0),
    (0.95, 1.0),
)
_ANKLE_DROP = (
    (0.00, -10.0),
    (0.03, -20.0),
    (0.10, -14.0),
    (0.20, -4.0),
    (0.30, 2.0),
    (0.45, 6.0),
    (0.53, 2.0),
    (0.60, -18.0),
    (0.64, -20.0),
    (0.72, -16.0),
    (0.80, -15.0),
    (0.90, -14.0),
    (0.96, -12.0),
)
_KNEE = (
    (0.00, 5.0),
    (0.15, 18.0),
    (0.40, 5.0),
    (0.60, 38.0),
    (0.73, 65.0),
    (0.85, 40.0),
    (0.97, 3.0),
)
_HIP = (
    (0.00, 30.0),
    (0.15, 28.0),
    (0.50, -8.0),
    (0.60, -2.0),
    (0.75, 25.0),
    (0.87, 33.0),
)
# Steppage at severity 1: extra swing flexion, degrees (§2.4 [S56]; sizes [D]).
_STEPPAGE_KNEE_DEG = 25.0
_STEPPAGE_HIP_DEG = 20.0
# Toe-height sensitivities, mm per degree: §2.2 [S46] (17.1 / 9.5 / 2.5 cm/rad).
_MTC_PER_DEG = {"ankle": 171.0 * deg_to_rad(1.0), "hip": 95.0 * deg_to_rad(1.0)}
_MTC_PER_DEG["knee"] = 25.0 * deg_to_rad(1.0)
# Toe marker height above its stance level in normal swing (swing fraction, mm): an early
# peak, the minimum toe clearance at mid-swing (15 mm, §2.3 [S51]), a late peak, and the
# toe still up at heel strike.
_TOE_SWING = ((0.0, 0.0), (0.2, 55.0), (0.5, 15.0), (0.85, 35.0), (1.0, 30.0))
_HEEL_SWING = ((0.0, 60.0), (0.3, 180.0), (0.8, 60.0), (1.0, 0.0))
_FOOT_LENGTH_MM = 170.0  # heel marker to toe marker
_HEEL_MARKER_MM = 50.0  # marker heights above the floor when the foot is flat
_TOE_MARKER_MM = 35.0
_PELVIS_HEIGHT_MM = 950.0
_STEP_WIDTH_MM = 160.0
_SWING_BULGE_MM = 25.0  # normal outward toe excursion in swing (healthy here 16-41 mm)
# Swing travel profile: a regularised incomplete beta function; speed ∝ w^0.2 (1 - w)^0.5,
# so the foot leaves the floor already fast (as the toe marker does after rolling over the
# forefoot) and meets it decelerating steeply (as the heel does). Peak ≈ 2.9 × walking speed.
_SWING_PROFILE = (1.2, 1.5)
_FOOT_FLAT = 0.08  # canonical phase when the forefoot is down after a heel strike
_HEEL_OFF = 0.40  # canonical phase when the heel starts to rise


@dataclass(frozen=True, slots=True)
class SyntheticTruth:
    """What a synthetic trial was built from.

    Parameters
    ----------
    events : dict
        ``side -> EventTimes`` of every event inside the trial, on its clock.
    stride_time_s : float
        Nominal stride time (each stride varies by the jitter).
    stance_frac : float
        Foot off as a fraction of every stride.
    speed_mm_per_s : float
        Walking speed (belt speed on a treadmill).
    foot_drop : dict
        ``side -> severity`` 0..1 used.
    steppage : dict
        ``side -> severity`` 0..1 used.
    """

    events: dict[str, EventTimes]
    stride_time_s: float
    stance_frac: float
    speed_mm_per_s: float
    foot_drop: dict[str, float]
    steppage: dict[str, float]


def _periodic(points: tuple[tuple[float, float], ...]) -> PchipInterpolator:
    """A smooth interpolant through ``points`` (phase 0..1, value) that repeats every cycle."""
    x = np.array([p[0] for p in points])
    y = np.array([p[1] for p in points])
    return PchipInterpolator(np.concatenate([x - 1, x, x + 1]), np.tile(y, 3))


def _open(points: tuple[tuple[float, float], ...]) -> PchipInterpolator:
    """A smooth interpolant through ``points`` over 0..1 (not repeating)."""
    return PchipInterpolator([p[0] for p in points], [p[1] for p in points])


def _canonical(phase: NDArray[np.float64], stance_frac: float) -> NDArray[np.float64]:
    """Map stride phase (stance ends at ``stance_frac``) to the canonical phase (at 0.6)."""
    stance = phase < stance_frac
    return np.where(
        stance,
        _CANON_STANCE * phase / stance_frac,
        _CANON_STANCE + (1 - _CANON_STANCE) * (phase - stance_frac) / (1 - stance_frac),
    )


def _swing_bump(psi: NDArray[np.float64]) -> NDArray[np.float64]:
    """0 in stance, a smooth bump over swing peaking at 0.8 (canonical phase)."""
    w = np.clip((psi - _CANON_STANCE) / (1 - _CANON_STANCE), 0.0, 1.0)
    return np.asarray(np.sin(np.pi * w) ** 2, dtype=np.float64)


def _soft_floor(h: NDArray[np.float64], eps_mm: float = 3.0) -> NDArray[np.float64]:
    """Keep a height above 0 smoothly: ≈ h well above the floor, → 0+ when pushed below."""
    return 0.5 * (h + np.sqrt(h * h + eps_mm * eps_mm))


def synthetic_trial(
    seed: int = 0,
    *,
    rate_hz: float = 100.0,
    strides: int = 6,
    stride_time_s: float = 1.1,
    stance_frac: float = 0.6,
    speed_mm_per_s: float = 1200.0,
    foot_drop: dict[str, float] | None = None,
    steppage: dict[str, float] | None = None,
    circumduction_mm: dict[str, float] | None = None,
    noise_deg: float = 0.3,
    marker_noise_mm: float = 0.5,
    stride_jitter: float = 0.02,
    start_time_s: float = 0.0,
    heading_deg: float = 0.0,
    treadmill: bool = False,
    with_markers: bool = True,
    with_events: bool = True,
) -> tuple[GaitTrial, SyntheticTruth]:
    """Build a walking trial with known events and known foot drop.

    Parameters
    ----------
    seed : int
        Seed of the random stride jitter and noise; the same seed gives the same trial.
    rate_hz : float
        Sample rate, Hz.
    strides : int
        Complete strides of each side inside the trial (>= 1).
    stride_time_s : float
        Nominal stride time, s; each stride varies by ``stride_jitter``.
    stance_frac : float
        Foot off as a fraction of the stride (0.5..0.8).
    speed_mm_per_s : float
        Walking speed, mm/s (belt speed when ``treadmill``).
    foot_drop : dict, optional
        ``side -> severity`` in 0..1 (0 normal, 1 severe: plantarflexed ≈ -15° in swing,
        contact at -10°, foot slap, toe clearance ≈ 0 mm).
    steppage : dict, optional
        ``side -> severity`` in 0..1 of extra swing knee (+25°) and hip (+20°) flexion.
    circumduction_mm : dict, optional
        ``side -> extra`` outward toe excursion at mid-swing, mm.
    noise_deg : float
        Standard deviation of white noise on every joint angle, degrees.
    marker_noise_mm : float
        Standard deviation of white noise on every marker coordinate, mm.
    stride_jitter : float
        Relative standard deviation of the stride times.
    start_time_s : float
        Time of the first sample (a file clock offset), s.
    heading_deg : float
        Walking direction in the lab's horizontal plane, degrees from +x towards +y.
    treadmill : bool
        Pelvis stays in place and the stance foot moves back at the belt speed.
    with_markers : bool
        Fill heel, toe and pelvis markers (else angles only).
    with_events : bool
        Put the true events in ``GaitTrial.events`` (as a file with events would).

    Returns
    -------
    trial : GaitTrial
    truth : SyntheticTruth

    Raises
    ------
    ValueError
        A parameter is out of range (this is a test helper, not user input).
    """
    # Longer than 60 lines on purpose: the generator is one recipe (timing, angles,
    # markers, events) read top to bottom against the docstring; it makes test and demo
    # inputs and is not on the fitting path.
    foot_drop = {s: float((foot_drop or {}).get(s, 0.0)) for s in SIDES}
    steppage = {s: float((steppage or {}).get(s, 0.0)) for s in SIDES}
    circumduction_mm = {s: float((circumduction_mm or {}).get(s, 0.0)) for s in SIDES}
    if not 0.5 <= stance_frac <= 0.8:
        raise ValueError(f"stance_frac={stance_frac}; must be within 0.5..0.8")
    if strides < 1 or rate_hz <= 0 or stride_time_s <= 0 or speed_mm_per_s <= 0:
        raise ValueError("strides, rate_hz, stride_time_s and speed_mm_per_s must be > 0")
    if any(not 0 <= v <= 1 for v in (*foot_drop.values(), *steppage.values())):
        raise ValueError(f"severities must be within 0..1: {foot_drop}, {steppage}")
    rng = np.random.default_rng(seed)

    # Left foot strikes: two strides before the window to two after, so every sample has a
    # phase; the right side strikes half way between.
    n_strikes = strides + 6
    periods = stride_time_s * (1 + stride_jitter * rng.standard_normal(n_strikes - 1))
    left_fs = np.concatenate([[0.0], np.cumsum(periods)]) - 2 * stride_time_s
    right_fs = 0.5 * (left_fs[:-1] + left_fs[1:])
    strikes = {"left": left_fs, "right": right_fs}
    # Window: from a quarter stride before the first left strike at >= 0 to just after the
    # right side's last complete stride, so each side has `strides` complete strides.
    first = int(np.searchsorted(left_fs, 0.0))
    t_start = left_fs[first] - 0.25 * stride_time_s
    t_end = right_fs[first + strides] + 0.15 * stride_time_s
    n = math.floor((t_end - t_start) * rate_hz) + 1
    t_rel = t_start + np.arange(n) / rate_hz  # construction clock
    time_s = start_time_s + np.arange(n) / rate_hz  # file clock
    offset = start_time_s - t_start

    ankle_n, ankle_d = _periodic(_ANKLE_NORMAL), _periodic(_ANKLE_DROP)
    knee_c, hip_c = _periodic(_KNEE), _periodic(_HIP)
    angles: dict[tuple[str, str], NDArray[np.float64]] = {}
    markers: dict[tuple[str, str], NDArray[np.float64]] = {}
    events: dict[str, EventTimes] = {}
    # Progression frame: x forward, y left, z up; rotated into the lab at the end.
    lateral_sign = {"left": 1.0, "right": -1.0}
    for side in SIDES:
        fs = strikes[side]
        k = np.clip(np.searchsorted(fs, t_rel, side="right") - 1, 0, len(fs) - 2)
        phase = (t_rel - fs[k]) / (fs[k + 1] - fs[k])
        psi = _canonical(phase, stance_frac)
        sev, step = foot_drop[side], steppage[side]
        ankle_normal = ankle_n(psi)
        ankle = (1 - sev) * ankle_normal + sev * ankle_d(psi)
        bump = _swing_bump(psi)
        knee = knee_c(psi) + step * _STEPPAGE_KNEE_DEG * bump
        hip = hip_c(psi) + step * _STEPPAGE_HIP_DEG * bump
        for joint, curve in (("ankle", ankle), ("knee", knee), ("hip", hip)):
            deg = np.zeros((n, 3))
            deg[:, 0] = curve + noise_deg * rng.standard_normal(n)
            angles[(side, joint)] = deg_to_rad(1.0) * deg
        pelvis = np.zeros((n, 3))
        pelvis[:, 1] = 4.0 * np.sin(2 * np.pi * phase) * lateral_sign[side]  # obliquity
        angles[(side, "pelvis")] = deg_to_rad(1.0) * pelvis

        fo = fs[:-1] + stance_frac * np.diff(fs)
        in_window = (t_start <= fs) & (fs <= t_rel[-1])
        fo_in = (t_start <= fo) & (fo <= t_rel[-1])
        events[side] = EventTimes(
            foot_strike_s=np.asarray(fs[in_window] + offset, dtype=np.float64),
            foot_off_s=np.asarray(fo[fo_in] + offset, dtype=np.float64),
        )
        if with_markers:
            # Toe clearance change from the joint angles, §2.2 [S46].
            change = (
                _MTC_PER_DEG["ankle"] * (ankle - ankle_normal)
                + _MTC_PER_DEG["hip"] * step * _STEPPAGE_HIP_DEG * bump
                + _MTC_PER_DEG["knee"] * step * _STEPPAGE_KNEE_DEG * bump
            )
            heel, toe = _foot_markers(
                t_rel, fs, k, phase, psi, stance_frac, speed_mm_per_s, change, sev
            )
            w = np.clip((phase - stance_frac) / (1 - stance_frac), 0, 1)
            bulge = (_SWING_BULGE_MM + circumduction_mm[side]) * np.sin(np.pi * w) ** 2
            y = lateral_sign[side] * (
                0.5 * _STEP_WIDTH_MM + np.where(phase >= stance_frac, bulge, 0)
            )
            heel[:, 1] = y
            toe[:, 1] = y
            markers[(side, "heel")] = heel
            markers[(side, "toe")] = toe

    if with_markers:
        lphase = _phase_of(t_rel, left_fs)
        pelvis_mm = np.column_stack(
            [
                speed_mm_per_s * t_rel + 10.0 * np.sin(4 * np.pi * lphase),
                15.0 * np.sin(2 * np.pi * lphase),
                _PELVIS_HEIGHT_MM + 15.0 * np.cos(4 * np.pi * lphase),
            ]
        )
        heading = deg_to_rad(heading_deg)
        rot = np.array(
            [
                [math.cos(heading), -math.sin(heading), 0.0],
                [math.sin(heading), math.cos(heading), 0.0],
                [0.0, 0.0, 1.0],
            ]
        )
        lab_origin = np.array([-1500.0, 300.0, 0.0])

        def to_lab(xyz: NDArray[np.float64]) -> NDArray[np.float64]:
            xyz = xyz.copy()
            if treadmill:
                xyz[:, 0] -= speed_mm_per_s * t_rel
            noise = marker_noise_mm * rng.standard_normal((n, 3))
            return np.asarray(xyz @ rot.T + lab_origin + noise, dtype=np.float64)

        markers = {key: to_lab(xyz) for key, xyz in markers.items()}
        pelvis_lab = to_lab(pelvis_mm)
        for side in SIDES:
            markers[(side, "pelvis")] = pelvis_lab  # one array, stored under each side

    trial = GaitTrial(
        path=f"synthetic:seed={seed}",
        rate_hz=float(rate_hz),
        time_s=time_s,
        angles_rad=angles,
        markers_mm=markers,
        events=dict(events) if with_events else {},
        body_mass_kg=70.0,
        notes=("synthetic trial",),
    )
    truth = SyntheticTruth(
        events=events,
        stride_time_s=stride_time_s,
        stance_frac=stance_frac,
        speed_mm_per_s=speed_mm_per_s,
        foot_drop=foot_drop,
        steppage=steppage,
    )
    return trial, truth


def _phase_of(t: NDArray[np.float64], fs: NDArray[np.float64]) -> NDArray[np.float64]:
    """Stride phase 0..1 of each time ``t`` between the strikes ``fs``."""
    k = np.clip(np.searchsorted(fs, t, side="right") - 1, 0, len(fs) - 2)
    return np.asarray((t - fs[k]) / (fs[k + 1] - fs[k]), dtype=np.float64)


def _foot_markers(
    t: NDArray[np.float64],
    fs: NDArray[np.float64],
    k: NDArray[np.intp],
    phase: NDArray[np.float64],
    psi: NDArray[np.float64],
    stance_frac: float,
    speed_mm_per_s: float,
    change_mm: NDArray[np.float64],
    severity: float,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Heel and toe marker positions of one side in the progression frame, overground.

    The heel lands at a footprint ahead of the pelvis; the foot is flat from ``_FOOT_FLAT``
    to ``_HEEL_OFF``, then rolls on the toe until foot off. In swing both markers travel to
    their next contact positions along the same profile; heights follow ``_TOE_SWING`` and
    ``_HEEL_SWING`` plus the joint-driven toe clearance ``change_mm``.
    """
    n = len(t)
    # Heel footprint of each stride: ahead of the pelvis at contact by a quarter stride
    # (about half a step, the pelvis being midway between the feet).
    footprint = speed_mm_per_s * fs + 0.25 * speed_mm_per_s * np.mean(np.diff(fs))
    stance = phase < stance_frac
    w = np.clip((phase - stance_frac) / (1 - stance_frac), 0.0, 1.0)
    toe_swing, heel_swing = _open(_TOE_SWING), _open(_HEEL_SWING)
    # Heights above the flat-foot level, mm.
    window = np.clip(w / 0.15, 0, 1)  # joint-driven change fades in after toe off
    toe_h_swing = _soft_floor(toe_swing(w) + window * change_mm)
    # Contact height: the toe is up at heel strike (30 mm), less with equinus; the heel is
    # up at a forefoot contact.
    toe_contact = float(_soft_floor(np.array([30.0 - 30.0 * severity]))[0])
    heel_contact = 30.0 * severity
    flat = _FOOT_FLAT * (1 - 0.5 * severity)  # foot slap: forefoot down sooner
    load = np.clip(psi / flat, 0, 1)
    smooth = 0.5 - 0.5 * np.cos(np.pi * load)  # 0 at contact, 1 at foot flat
    roll = np.clip((psi - _HEEL_OFF) / (_CANON_STANCE - _HEEL_OFF), 0, 1)
    heel_to = float(_HEEL_SWING[0][1])
    toe_h = np.where(stance, toe_contact * (1 - smooth), toe_h_swing)
    heel_h_stance = np.where(psi < flat, heel_contact * (1 - smooth), heel_to * roll**2)
    heel_h = np.where(stance, heel_h_stance, heel_swing(w) + heel_contact * w**4)
    heel_h = np.maximum(heel_h, 0.0)
    # Horizontal: stance positions from the rigid foot, swing along _SWING_PROFILE.
    fp = footprint[k]
    heel_x_stance = np.where(
        psi < flat,
        fp,
        fp + _FOOT_LENGTH_MM - np.sqrt(np.maximum(_FOOT_LENGTH_MM**2 - heel_h**2, 0.0)),
    )
    toe_x_stance = np.where(
        psi < flat,
        fp + np.sqrt(np.maximum(_FOOT_LENGTH_MM**2 - toe_h**2, 0.0)),
        fp + _FOOT_LENGTH_MM,
    )
    heel_x_to = fp + _FOOT_LENGTH_MM - math.sqrt(_FOOT_LENGTH_MM**2 - heel_to**2)
    toe_x_to = fp + _FOOT_LENGTH_MM
    nxt = footprint[np.minimum(k + 1, len(footprint) - 1)]
    prof = betainc(_SWING_PROFILE[0], _SWING_PROFILE[1], w)
    heel_x_swing = heel_x_to + (nxt - heel_x_to) * prof
    toe_next = nxt + math.sqrt(_FOOT_LENGTH_MM**2 - toe_contact**2)
    toe_x_swing = toe_x_to + (toe_next - toe_x_to) * prof
    heel = np.zeros((n, 3))
    toe = np.zeros((n, 3))
    heel[:, 0] = np.where(stance, heel_x_stance, heel_x_swing)
    toe[:, 0] = np.where(stance, toe_x_stance, toe_x_swing)
    heel[:, 2] = _HEEL_MARKER_MM + heel_h
    toe[:, 2] = _TOE_MARKER_MM + toe_h
    return heel, toe
