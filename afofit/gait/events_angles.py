"""Gait events from joint angles alone, for a side with no heel or toe marker.

Called by :func:`afofit.gait.events.detect_events`; the accuracy numbers below are measured
as described there (``bench/gait_events.py``).

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

from collections.abc import Iterable

import numpy as np
from numpy.typing import NDArray

from afofit.gait.model import EventTimes, GaitTrial
from afofit.gait.signals import (
    MIN_PEAK_DISTANCE_STRIDES,
    ZENI_CUTOFF_HZ,
    bridge_gaps,
    clear_peaks,
    estimate_stride_time,
    lowpass,
)

# Nothing public: :func:`afofit.gait.events.detect_events` is the entry point.
__all__ = ["events_from_angles"]

# Angle-only detector, fractions of the stride, read on the two healthy reference C3Ds:
# peak PF follows foot off by 3.5–3.8 %, the knee's terminal-swing extension minimum
# precedes foot strike by 2.7–5.7 %, the loading-response PF velocity peak follows it by
# 0.9–2.7 %.
_ANGLE_FO_BEFORE_PEAK_PF = 0.035
_ANGLE_FS_AFTER_KNEE_MIN = 0.03
_ANGLE_FS_BEFORE_PF_VELOCITY = 0.02


def events_from_angles(trial: GaitTrial, side: str) -> EventTimes:
    """Foot strikes and foot offs of ``side`` of ``trial`` from its ankle (and knee) angle."""
    t, rate, n = trial.time_s, trial.rate_hz, len(trial.time_s)
    ankle, missing = bridge_gaps(trial.angles_rad[(side, "ankle")][:, 0])
    ankle = lowpass(ankle, rate, ZENI_CUTOFF_HZ)
    knee_raw = trial.angles_rad.get((side, "knee"))
    knee = None
    if knee_raw is not None and np.isfinite(knee_raw[:, 0]).any():
        knee = lowpass(bridge_gaps(knee_raw[:, 0])[0], rate, ZENI_CUTOFF_HZ)
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
    tops = clear_peaks(ankle, missing, int(MIN_PEAK_DISTANCE_STRIDES * span), edges=False)
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
