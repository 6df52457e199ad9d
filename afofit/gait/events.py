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
dorsiflexion (the largest of the stride in healthy and in foot-drop gait). Foot off is
``_ANGLE_FO_BEFORE_PEAK_PF`` of a stride before the following peak plantarflexion; foot
strike is ``_ANGLE_FS_AFTER_KNEE_MIN`` after the knee's terminal-swing extension minimum
or, without a knee angle, ``_ANGLE_FS_BEFORE_PF_VELOCITY`` before the fastest loading-
response plantarflexion. The offsets are healthy timings read on the two reference files
(in-sample there); pathological timing differs, and a side without loading-response
plantarflexion (PiG right) gives no ankle-only strikes.

- HBM2, ankle + knee: strikes 22/22, median 0 ms, max 10; offs 20/21, median 0, max 10.
  Ankle only: strikes 21/22, median 10 ms, max 20.
- PiG, ankle + knee: strikes 6/6, median 20 ms, max 40; offs 6/7, median 0, max 10.
  Ankle only: strikes 3/6, median 10 ms, max 30.
- Synthetic 100 Hz: strikes median 10-15 ms (ankle only 12-18), max 31 ms; offs median
  3-4 ms, max 11. 60 Hz, slow, stance 68 %: strikes median 26 ms, max 57; offs 16 / 25.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.signal import butter, filtfilt, find_peaks

from afofit.errors import GaitError
from afofit.gait.model import SIDES, EventTimes, GaitTrial

__all__ = [
    "detect_events",
    "estimate_stride_time",
    "events_for",
    "lowpass",
    "match_events",
    "progression_direction",
]

log = logging.getLogger(__name__)

#: Low-pass of the Zeni signals and of the angles searched for landmarks, Hz: removes
#: marker jitter, keeps the once-per-stride shape.
ZENI_CUTOFF_HZ = 6.0
#: Peaks of one kind are at least this fraction of the estimated stride time apart.
MIN_PEAK_DISTANCE_STRIDES = 0.6
#: A peak must stand out by this fraction of the signal's 5–95 % range.
MIN_PROMINENCE_FRACTION = 0.2
#: Pelvis horizontal speed below which the trial is taken as treadmill walking, mm/s.
TREADMILL_SPEED_MM_PER_S = 100.0
#: Foot strike: the heel's forward speed over its stance speed, as a fraction of the walking
#: speed, below which the heel counts as landed (see ``_settle``). [D] chosen on the two
#: reference C3Ds, where the heel still moves at 0.2–0.4 of the walking speed at the lab's strike.
CONTACT_SPEED_FRACTION = 0.5
#: Stride times searched by the autocorrelation, s.
STRIDE_RANGE_S = (0.5, 3.0)

# Angle-only detector, fractions of the stride, read on the two healthy reference C3Ds:
# peak PF follows foot off by 3.5–3.8 %, the knee's terminal-swing extension minimum
# precedes foot strike by 2.7–5.7 %, the loading-response PF velocity peak follows it by
# 0.9–2.7 %.
_ANGLE_FO_BEFORE_PEAK_PF = 0.035
_ANGLE_FS_AFTER_KNEE_MIN = 0.03
_ANGLE_FS_BEFORE_PF_VELOCITY = 0.02


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


def estimate_stride_time(signal: ArrayLike, rate_hz: float) -> float | None:
    """Estimate the stride time of a once-per-stride signal by autocorrelation.

    Parameters
    ----------
    signal : (n,) float
        E.g. heel − pelvis along the walking direction; NaN-free.
    rate_hz : float
        Sample rate, Hz.

    Returns
    -------
    float or None
        The lag of the highest autocorrelation peak within ``STRIDE_RANGE_S`` (the biased
        estimate falls with the lag, so the stride beats its multiples), s; None when the
        trial is too short or not periodic.
    """
    x = np.asarray(signal, dtype=np.float64)
    x = x - x.mean()
    n = len(x)
    if n < 3 or not np.any(x):
        return None
    ac = np.correlate(x, x, mode="full")[n - 1 :] / (x @ x)
    lo = max(1, int(STRIDE_RANGE_S[0] * rate_hz))
    hi = min(int(STRIDE_RANGE_S[1] * rate_hz), int(0.8 * n))
    if hi <= lo + 2:
        return None
    peaks, props = find_peaks(ac[: hi + 1], height=0.2)
    keep = peaks >= lo
    if not np.any(keep):
        return None
    best = peaks[keep][np.argmax(props["peak_heights"][keep])]
    return float(best / rate_hz)


def lowpass(x: NDArray[np.float64], rate_hz: float, cutoff_hz: float) -> NDArray[np.float64]:
    """Low-pass a NaN-free signal: zero-phase 4th-order Butterworth.

    Parameters
    ----------
    x : (n,) float
    rate_hz : float
        Sample rate, Hz.
    cutoff_hz : float
        Cut-off, Hz; at or above 0.9 × Nyquist, or for very short signals, ``x`` is
        returned unchanged.
    """
    nyquist = 0.5 * rate_hz
    if cutoff_hz >= 0.9 * nyquist or len(x) <= 15:
        return x
    b, a = butter(4, cutoff_hz / nyquist)
    return np.asarray(filtfilt(b, a, x), dtype=np.float64)


def _fill(x: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Linearly bridge NaN samples; return the filled signal and the mask of missing ones."""
    missing = ~np.isfinite(x)
    if missing.all():
        return np.zeros_like(x), missing
    if missing.any():
        idx = np.arange(len(x))
        x = x.copy()
        x[missing] = np.interp(idx[missing], idx[~missing], x[~missing])
    return x, missing


def _peaks(
    x: NDArray[np.float64], missing: NDArray[np.bool_], distance: int, edges: bool = True
) -> NDArray[np.intp]:
    """Indices of the clear maxima of ``x`` at least ``distance`` apart, not in a gap.

    A maximum must rise ``MIN_PROMINENCE_FRACTION`` of the signal's 5–95 % range above the
    lower ground on both sides; with ``edges``, within ``distance`` of either end of the
    trial, where the outer side is cut short, the inner side alone counts.
    """
    spread = float(np.percentile(x, 95) - np.percentile(x, 5))
    if spread <= 0:
        return np.zeros(0, dtype=np.intp)
    need = MIN_PROMINENCE_FRACTION * spread
    idx, props = find_peaks(x, distance=max(1, distance), prominence=0.0)
    left = x[idx] - x[props["left_bases"]]
    right = x[idx] - x[props["right_bases"]]
    keep = np.minimum(left, right) >= need
    if edges:
        near_start, near_end = idx < distance, idx > len(x) - 1 - distance
        keep |= (near_start & (right >= need)) | (near_end & (left >= need))
    idx = idx[keep]
    return np.asarray(idx[~missing[idx]], dtype=np.intp)


def _zeni(trial: GaitTrial, side: str, direction: NDArray[np.float64]) -> EventTimes:
    """Foot strikes and foot offs of one side from its heel/toe markers (Zeni 2008)."""
    t = trial.time_s
    heel = trial.markers_mm.get((side, "heel"))
    toe = trial.markers_mm.get((side, "toe"))
    strike_marker = heel if heel is not None else toe
    off_marker = toe if toe is not None else heel
    assert strike_marker is not None and off_marker is not None

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
        raw, missing = _fill(along(marker))
        filtered[kind] = (lowpass(raw, trial.rate_hz, ZENI_CUTOFF_HZ), missing)
    ref = lowpass(_fill(reference)[0], trial.rate_hz, ZENI_CUTOFF_HZ)
    strike_signal = filtered["strike"][0] - ref
    off_signal = filtered["off"][0] - ref
    stride = estimate_stride_time(strike_signal, trial.rate_hz)
    stride = stride or estimate_stride_time(off_signal, trial.rate_hz)
    if stride is None:
        log.info("%s %s: no stride period found; peaks kept 0.3 s apart", trial.path, side)
        stride = STRIDE_RANGE_S[0]
    distance = int(MIN_PEAK_DISTANCE_STRIDES * stride * trial.rate_hz)
    strikes = _peaks(strike_signal, filtered["strike"][1], distance)
    strikes = _settle(strikes, filtered["strike"][0], ref, stride * trial.rate_hz)
    offs = _peaks(-off_signal, filtered["off"][1], distance)
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


def _from_angles(trial: GaitTrial, side: str) -> EventTimes:
    """Foot strikes and foot offs of one side from its ankle (and knee) sagittal angle."""
    t, rate, n = trial.time_s, trial.rate_hz, len(trial.time_s)
    ankle, missing = _fill(trial.angles_rad[(side, "ankle")][:, 0])
    ankle = lowpass(ankle, rate, ZENI_CUTOFF_HZ)
    knee_raw = trial.angles_rad.get((side, "knee"))
    knee = None
    if knee_raw is not None and np.isfinite(knee_raw[:, 0]).any():
        knee = lowpass(_fill(knee_raw[:, 0])[0], rate, ZENI_CUTOFF_HZ)
    stride = estimate_stride_time(knee if knee is not None else ankle, rate)
    stride = stride or estimate_stride_time(ankle, rate)
    if stride is None:
        return EventTimes(np.zeros(0), np.zeros(0))
    span = round(stride * rate)
    # Foot strike landmark: the knee's terminal-swing extension (else the ankle's steepest
    # plantarflexion), a minimum inside a window; None when it sits on the window's edge.
    landmark = knee if knee is not None else np.gradient(ankle)
    shift = _ANGLE_FS_AFTER_KNEE_MIN if knee is not None else -_ANGLE_FS_BEFORE_PF_VELOCITY

    def strike_in(lo: float, hi: float) -> float | None:
        a, b = max(0, int(lo)), min(n, int(hi) + 1)
        if b - a < 3:
            return None
        k = a + int(np.argmin(landmark[a:b]))
        return None if k in (a, b - 1) or missing[k] else k + shift * span

    # Peak stance dorsiflexion, the largest of each stride in healthy and foot-drop gait,
    # anchors each cycle (two-sided prominence: no half peaks at the trial's ends). Peak PF
    # follows it within 40 % of a stride; the strike precedes it by 20–65 %.
    tops = _peaks(ankle, missing, int(MIN_PEAK_DISTANCE_STRIDES * span), edges=False)
    offs, strikes = [], []
    for top in tops:
        strikes.append(strike_in(top - 0.65 * span, top - 0.2 * span))
        hi = min(n, top + int(0.4 * span) + 1)
        pf = top + int(np.argmin(ankle[top:hi]))
        if pf in (top, hi - 1) or missing[pf]:
            continue  # not a trough inside the window (trial end or gap)
        fo = pf - _ANGLE_FO_BEFORE_PEAK_PF * span
        offs.append(fo)
        if top == tops[-1]:  # the strike after the last stance peak
            strikes.append(strike_in(fo + 0.2 * span, fo + 0.55 * span))
    found = [s for s in strikes if s is not None]
    return EventTimes(foot_strike_s=_frame_times(t, found), foot_off_s=_frame_times(t, offs))


def _frame_times(t: NDArray[np.float64], positions: Iterable[float]) -> NDArray[np.float64]:
    """Times of the frames nearest fractional sample ``positions`` (inside the trial)."""
    idx = np.rint(np.asarray(list(positions), dtype=np.float64)).astype(np.intp)
    idx = idx[(idx >= 0) & (idx < len(t))]
    return np.asarray(np.unique(t[idx]), dtype=np.float64)


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
            events[side] = _from_angles(trial, side)
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
