"""Gait events: take the file's, or find foot strikes and foot offs from markers or angles.

Two detectors, chosen per side by what the trial carries. Accuracy is measured by
``bench/gait_events.py`` (lab events hidden; matched = a detection within 60 ms; numbers are
matched/total, median and max |detected − reference|).

**Markers** (heel and/or toe), Zeni et al. 2008: along the walking direction, foot strike
is a maximum of (heel − pelvis), foot off a minimum of (toe − pelvis), after a 6-Hz
zero-phase 4th-order Butterworth low-pass; peaks of a kind are ≥ 0.6 stride apart (stride
from the autocorrelation). The direction is the pelvis's horizontal motion overground; on a
treadmill (pelvis nearly still) it is the axis the feet move along, heel to toe, and the
same signals work as the belt carries the stance foot back. Without a pelvis marker the
body is taken to move steadily at the feet's mean speed. Zeni's strike comes ≈ 30 ms
before the lab's on both reference files (the heel still moves at the pelvis's speed), so
each strike is moved on to when the heel has nearly stopped (``_settle``;
``CONTACT_SPEED_FRACTION`` was chosen on those files, so their strike numbers are
in-sample; pure Zeni: median 30 ms on HBM2, 30-50 ms on PiG).

- ``treadmill_hbm2_events.c3d`` (HBM2, 100 Hz): strikes 22/22, median 10 ms, max 20;
  offs 21/21, median 0 ms, max 10.
- ``overground_pig_fullbody.c3d`` (PiG, 100 Hz): strikes 6/6, median 15 ms, max 20; offs
  6/7, median 10 ms, max 20 (the 7th is 2 frames after the first frame, the toe already
  moving: no minimum inside the trial).
- Synthetic, 100 Hz, normal / foot drop / treadmill: median 4 ms, max 10 ms; 60 Hz, slow,
  stance 68 %: median 9 / 15 ms, max 20 / 22 ms (strike / off).

**Joint angles** (no heel or toe marker): each stride is anchored on its peak stance
dorsiflexion; see :mod:`afofit.gait.events_angles` for the timings and their accuracy.
"""

from __future__ import annotations

import logging

import numpy as np
from numpy.typing import ArrayLike, NDArray

from afofit.errors import GaitError
from afofit.gait.events_angles import events_from_angles
from afofit.gait.model import SIDES, EventTimes, GaitTrial
from afofit.gait.signals import (
    MIN_PEAK_DISTANCE_STRIDES,
    STRIDE_RANGE_S,
    ZENI_CUTOFF_HZ,
    bridge_gaps,
    clear_peaks,
    estimate_stride_time,
    lowpass,
)

__all__ = [
    "detect_events",
    "estimate_stride_time",
    "events_for",
    "lowpass",
    "match_events",
    "progression_direction",
]

log = logging.getLogger(__name__)

#: Pelvis horizontal speed below which the trial is taken as treadmill walking, mm/s.
TREADMILL_SPEED_MM_PER_S = 100.0
#: Foot strike: the heel's forward speed over its stance speed, as a fraction of the walking
#: speed, below which the heel counts as landed (see ``_settle``). [D] chosen on the two
#: reference C3Ds, where the heel still moves at 0.2–0.4 of the walking speed at the lab's strike.
CONTACT_SPEED_FRACTION = 0.5


def progression_direction(trial: GaitTrial) -> tuple[NDArray[np.float64], bool]:
    """Find the walking direction in the lab's horizontal plane.

    Overground it is the mean horizontal velocity of the pelvis (else of the mean of both
    heels, else of any foot marker). When that is below ``TREADMILL_SPEED_MM_PER_S`` the
    trial is taken as treadmill walking and the direction is the principal axis of the
    feet's horizontal motion, pointing from heel to toe (else towards the fast, swing-phase
    motion of the foot).

    Parameters
    ----------
    trial : GaitTrial
        Needs a pelvis, heel or toe marker.

    Returns
    -------
    direction : (2,) float
        Unit vector along the lab's horizontal (x, y) axes.
    treadmill : bool
        True when the body barely moves forward.

    Raises
    ------
    GaitError
        The trial has no heel or toe marker, or they never move.
    """
    feet = _foot_markers(trial)
    if not feet:
        raise GaitError(
            f"{trial.path}: no heel or toe marker; the walking direction cannot be found. "
            "Export the heel and toe markers (e.g. LHEE, LTOE) with the trial."
        )
    body = _body_reference(trial)
    for reference in [body] if body is not None else feet:
        velocity = _mean_velocity(trial.time_s, reference)
        speed = float(np.hypot(*velocity))
        if speed >= TREADMILL_SPEED_MM_PER_S:
            return velocity / speed, False
    # Treadmill: the feet move back and forth along the belt.
    points = np.concatenate([m[:, :2] - np.nanmean(m[:, :2], axis=0) for m in feet])
    points = points[np.isfinite(points).all(axis=1)]
    if len(points) < 3:
        raise GaitError(f"{trial.path}: the foot markers are empty (all samples missing).")
    _, vectors = np.linalg.eigh(points.T @ points)
    axis = np.asarray(vectors[:, -1], dtype=np.float64)
    pairs = [
        (trial.markers_mm[(s, "heel")], trial.markers_mm[(s, "toe")])
        for s in SIDES
        if (s, "heel") in trial.markers_mm and (s, "toe") in trial.markers_mm
    ]
    if pairs:
        ahead = np.concatenate([(toe - heel)[:, :2] @ axis for heel, toe in pairs])
        sign = np.sign(np.nanmean(ahead))
    else:
        # Swing is the short, fast forward part of the foot's cycle: positive skew.
        step = np.concatenate([np.gradient(m[:, :2] @ axis) for m in feet])
        sign = np.sign(np.nanmean(step**3))
    return axis * (sign if sign != 0 else 1.0), True


def _foot_markers(trial: GaitTrial) -> list[NDArray[np.float64]]:
    """Every heel and toe marker trajectory the trial carries."""
    return [
        trial.markers_mm[(s, r)]
        for s in SIDES
        for r in ("heel", "toe")
        if (s, r) in trial.markers_mm
    ]


def _mean_velocity(time_s: NDArray[np.float64], xyz: NDArray[np.float64]) -> NDArray[np.float64]:
    """Least-squares horizontal velocity of a trajectory, (2,) mm/s (NaN samples skipped)."""
    ok = np.isfinite(xyz[:, :2]).all(axis=1)
    if ok.sum() < 2:
        return np.zeros(2)
    t = time_s[ok] - time_s[ok].mean()
    xy = xyz[ok, :2] - xyz[ok, :2].mean(axis=0)
    return np.asarray(t @ xy / (t @ t), dtype=np.float64)


def _body_reference(trial: GaitTrial) -> NDArray[np.float64] | None:
    """The pelvis trajectory, else the mean of both heels, else None; (n, 3) mm."""
    for side in SIDES:
        if (side, "pelvis") in trial.markers_mm:
            return trial.markers_mm[(side, "pelvis")]
    heels = [trial.markers_mm[(s, "heel")] for s in SIDES if (s, "heel") in trial.markers_mm]
    if len(heels) == 2:
        return np.asarray(0.5 * (heels[0] + heels[1]), dtype=np.float64)
    return None


def _zeni(trial: GaitTrial, side: str, direction: NDArray[np.float64]) -> EventTimes:
    """Foot strikes and foot offs of one side from its heel/toe markers (Zeni 2008)."""
    t = trial.time_s
    heel = trial.markers_mm.get((side, "heel"))
    toe = trial.markers_mm.get((side, "toe"))
    strike_marker = heel if heel is not None else toe
    off_marker = toe if toe is not None else heel
    if strike_marker is None or off_marker is None:
        raise GaitError(f"{side} side: no heel or toe marker to find the gait events from.")

    def along(xyz: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.asarray(xyz[:, :2] @ direction, dtype=np.float64)

    pelvis = next(
        (trial.markers_mm[(s, "pelvis")] for s in SIDES if (s, "pelvis") in trial.markers_mm), None
    )
    if pelvis is not None:
        reference = along(pelvis)
    else:
        # No pelvis: a body moving steadily at the feet's mean speed (0 on a treadmill).
        feet = _foot_markers(trial)
        speed = float(np.mean([_mean_velocity(t, m) @ direction for m in feet]))
        reference = speed * (t - t[0])
    filtered = {}
    for kind, marker in (("strike", strike_marker), ("off", off_marker)):
        raw, missing = bridge_gaps(along(marker))
        filtered[kind] = (lowpass(raw, trial.rate_hz, ZENI_CUTOFF_HZ), missing)
    ref = lowpass(bridge_gaps(reference)[0], trial.rate_hz, ZENI_CUTOFF_HZ)
    strike_signal = filtered["strike"][0] - ref
    off_signal = filtered["off"][0] - ref
    stride = estimate_stride_time(strike_signal, trial.rate_hz)
    stride = stride or estimate_stride_time(off_signal, trial.rate_hz)
    if stride is None:
        log.info("%s %s: no stride period found; peaks kept 0.3 s apart", trial.path, side)
        stride = STRIDE_RANGE_S[0]
    distance = int(MIN_PEAK_DISTANCE_STRIDES * stride * trial.rate_hz)
    strikes = clear_peaks(strike_signal, filtered["strike"][1], distance)
    strikes = _settle(strikes, filtered["strike"][0], ref, stride * trial.rate_hz)
    offs = clear_peaks(-off_signal, filtered["off"][1], distance)
    return EventTimes(
        foot_strike_s=t[strikes].astype(np.float64), foot_off_s=t[offs].astype(np.float64)
    )


def _settle(
    strikes: NDArray[np.intp],
    heel: NDArray[np.float64],
    body: NDArray[np.float64],
    stride_frames: float,
) -> NDArray[np.intp]:
    """Move each Zeni foot strike on to when the heel has nearly stopped on the ground.

    Zeni's maximum of heel − pelvis is where the heel's forward speed falls to the pelvis's,
    before the heel lands (≈ 30 ms on the reference C3Ds, 20 ms on the synthetic trials).
    The strike is moved forward to the first frame, within 10 % of a stride, where the
    heel's forward speed above its own stance speed (0 overground, minus the belt on a
    treadmill) is at most ``CONTACT_SPEED_FRACTION`` of the walking speed.

    Parameters
    ----------
    strikes : (k,) int
        Zeni foot-strike frames.
    heel, body : (n,) float, mm
        Filtered heel and pelvis (or stand-in) positions along the walking direction.
    stride_frames : float
        Estimated stride, frames.
    """
    v_heel = np.gradient(heel)
    v_body = np.gradient(body)
    n = len(heel)
    levels = {}
    for i in strikes:
        a, b = int(i + 0.1 * stride_frames), int(i + 0.3 * stride_frames)
        if b < n:
            levels[int(i)] = float(np.median(v_heel[a:b]))
    if not levels:
        return strikes
    fallback = float(np.median(list(levels.values())))
    settled = []
    for i in strikes:
        level = levels.get(int(i), fallback)
        a, b = max(0, int(i - 0.5 * stride_frames)), min(n, int(i + 0.5 * stride_frames))
        speed = float(np.median(v_body[a:b])) - level
        j, end = int(i), min(n - 1, int(i + 0.1 * stride_frames))
        if speed > 0:
            while j < end and v_heel[j] - level > CONTACT_SPEED_FRACTION * speed:
                j += 1
            if j == end:
                j = int(i)  # never settled (gap, stumble): keep Zeni's frame
        settled.append(j)
    return np.asarray(settled, dtype=np.intp)


def detect_events(trial: GaitTrial) -> tuple[dict[str, EventTimes], str]:
    """Find each side's foot strikes and foot offs, ignoring the file's own events.

    Parameters
    ----------
    trial : GaitTrial
        Needs, per side, a heel or toe marker (Zeni detector) or an ankle angle.

    Returns
    -------
    events : dict
        ``side -> EventTimes`` on the trial's clock, for every side that could be detected.
    method : str
        How, per side, e.g. ``"left: markers (Zeni 2008); right: ankle angle"``.

    Raises
    ------
    GaitError
        No side has a heel, toe or ankle angle.
    """
    events: dict[str, EventTimes] = {}
    methods = []
    direction: NDArray[np.float64] | None = None
    for side in SIDES:
        if (side, "heel") in trial.markers_mm or (side, "toe") in trial.markers_mm:
            if direction is None:
                direction, _ = progression_direction(trial)
            events[side] = _zeni(trial, side, direction)
            methods.append(f"{side}: markers (Zeni 2008)")
        elif (side, "ankle") in trial.angles_rad:
            events[side] = events_from_angles(trial, side)
            how = "ankle and knee angles" if (side, "knee") in trial.angles_rad else "ankle angle"
            methods.append(f"{side}: {how}")
    if not events:
        raise GaitError(
            f"{trial.path}: no heel or toe marker and no ankle angle on either side; gait "
            "events cannot be found. Export the trial with its foot markers or its gait "
            "events (Foot Strike / Foot Off)."
        )
    return events, "; ".join(methods)


def events_for(trial: GaitTrial, use_file_events: bool = True) -> tuple[dict[str, EventTimes], str]:
    """Choose the events to analyse: the file's own when usable, else detected ones.

    The file's events are used when every side with an ankle angle has at least two foot
    strikes in them (a lab's events usually come from force plates or a checked detector).

    Parameters
    ----------
    trial : GaitTrial
    use_file_events : bool
        False to always detect (e.g. to check a lab's events).

    Returns
    -------
    events : dict
        ``side -> EventTimes``.
    source : str
        ``"file"`` or ``"detected"``.

    Raises
    ------
    GaitError
        Detection was needed and the trial lacks what it needs (see ``detect_events``).
    """
    sides = trial.sides_with_ankle or tuple(trial.events)
    usable = bool(trial.events) and all(
        side in trial.events and len(trial.events[side].foot_strike_s) >= 2 for side in sides
    )
    if use_file_events and usable:
        return dict(trial.events), "file"
    events, _ = detect_events(trial)
    return events, "detected"


def match_events(
    detected: ArrayLike, reference: ArrayLike, tolerance_s: float
) -> tuple[NDArray[np.float64], int]:
    """Pair detected event times with reference ones, one to one, nearest first.

    Parameters
    ----------
    detected : (k,) float, s
    reference : (m,) float, s
        E.g. the lab's foot strikes of one side.
    tolerance_s : float
        Largest |detected − reference| that counts as a match, s.

    Returns
    -------
    errors_s : (matched,) float, s
        detected − reference of each matched reference event, in reference order.
    unmatched : int
        Reference events with no detected event within the tolerance.
    """
    det = np.asarray(detected, dtype=np.float64).ravel()
    ref = np.asarray(reference, dtype=np.float64).ravel()
    if len(det) == 0 or len(ref) == 0:
        return np.zeros(0), len(ref)
    gap = np.abs(det[None, :] - ref[:, None])
    pairs = sorted(zip(*np.nonzero(gap <= tolerance_s), strict=True), key=lambda p: gap[p])
    used_ref: dict[int, int] = {}
    used_det: set[int] = set()
    for r, d in pairs:
        if r not in used_ref and d not in used_det:
            used_ref[int(r)] = int(d)
            used_det.add(int(d))
    order = sorted(used_ref)
    errors = np.array([det[used_ref[r]] - ref[r] for r in order], dtype=np.float64)
    return errors, len(ref) - len(order)
