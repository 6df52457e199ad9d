"""Per-cycle gait metrics of each side, and the flags they raise.

A stride runs from a foot strike to the next one of the same side and must contain a foot
off; strides with a missing ankle sample, or longer than ``MAX_STRIDE_RATIO`` × the side's
median (an event was missed), are skipped.

Definitions (all on the trial's own samples, no resampling or filtering unless said):

* **Event samples.** An event is read at the sample nearest its time, so values at foot
  strike and foot off are recorded samples (a lab's events sit on frames). A phase
  ``[a, b]`` is every sample from the one nearest ``a`` to the one nearest ``b``, inclusive.
* ``stride_time_s`` = next strike − strike (event times); ``cadence_steps_per_min`` =
  120 / stride time; ``stance_pct`` = (foot off − strike) / stride × 100.
* ``ankle_at_contact_rad``, ``ankle_at_toe_off_rad``: ankle sagittal at those samples.
* Loading response = strike to strike + ``LOADING_FRACTION`` (15 %) of the stride; it holds
  the first ankle trough after contact in healthy gait (≈ 10–12 %) and in foot slap.
  ``loading_pf_rad`` = ankle at contact − its minimum there (≥ 0);
  ``loading_pf_velocity_rad_per_s`` = the peak plantarflexion speed there, of the ankle
  low-passed at ``VELOCITY_CUTOFF_HZ`` (zero phase) then differentiated.
* ``peak_stance_df_rad``: maximum over [strike, foot off]; ``peak_swing_df_rad`` and
  ``mean_swing_df_rad``: maximum and mean over [foot off, next strike];
  ``peak_swing_knee_flexion_rad``, ``peak_swing_hip_flexion_rad``: maxima over swing.
* ``min_toe_clearance_mm``: the toe marker's lowest height over mid-swing
  (``MTC_WINDOW`` = 25–75 % of swing, where the healthy MTC falls, ≈ 51 % §2.3 [S46]), above
  its own stance level (median height over this stride's stance and the next one). When the
  trajectory has no distinct trough (hemiparetic toes, §2.4 [S58]) it is still the minimum
  over that window.
* ``circumduction_mm``: the toe marker's largest outward (away from the body) horizontal
  distance, in swing, from the straight line through its positions at foot off and at the
  next strike.
* ``walking_speed_mm_per_s``: the pelvis's forward travel over the stride (else the heel's)
  / stride time, minus the stance foot's forward speed (median over 20–80 % of stance: 0
  overground, minus the belt speed on a treadmill).
"""

from __future__ import annotations

import dataclasses
import itertools
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from afofit.errors import GaitError
from afofit.gait.events import events_for, lowpass, progression_direction
from afofit.gait.flags import flag_asymmetry, flag_side
from afofit.gait.model import METRICS, SIDES, EventTimes, GaitTrial, SideGait, TrialGait

__all__ = [
    "LOADING_FRACTION",
    "MAX_STRIDE_RATIO",
    "MTC_WINDOW",
    "VELOCITY_CUTOFF_HZ",
    "analyse_side",
    "analyse_trial",
]

#: Loading response as a fraction of the stride from the strike (§ module docstring).
LOADING_FRACTION = 0.15
#: Ankle low-pass before differentiating, Hz: keeps a 30-ms foot slap, removes marker noise
#: that differentiation would amplify (0.3° of noise at 100 Hz is ≈ 40°/s raw).
VELOCITY_CUTOFF_HZ = 15.0
#: Mid-swing window for the minimum toe clearance, fractions of swing.
MTC_WINDOW = (0.25, 0.75)
#: A stride longer than this × the side's median stride spans a missed event: skipped.
MAX_STRIDE_RATIO = 1.5
#: Stance window for the stance foot's speed, fractions of stance.
_STANCE_SPEED_WINDOW = (0.2, 0.8)


def _nearest(time_s: NDArray[np.float64], when: float) -> int:
    """Index of the sample nearest ``when``."""
    i = int(np.searchsorted(time_s, when))
    if i <= 0:
        return 0
    if i >= len(time_s):
        return len(time_s) - 1
    return i if time_s[i] - when < when - time_s[i - 1] else i - 1


def _strides(time_s: NDArray[np.float64], events: EventTimes) -> list[tuple[float, float, float]]:
    """(strike, foot off, next strike) times of the complete strides inside the trial."""
    strikes = np.sort(events.foot_strike_s)
    strikes = strikes[(strikes >= time_s[0]) & (strikes <= time_s[-1])]
    offs = np.sort(events.foot_off_s)
    if len(strikes) < 2:
        return []
    longest = MAX_STRIDE_RATIO * float(np.median(np.diff(strikes)))
    out = []
    for a, b in itertools.pairwise(strikes):
        inside = offs[(offs > a) & (offs < b)]
        if len(inside) and b - a <= longest:
            out.append((float(a), float(inside[0]), float(b)))
    return out


def _window(i: int, j: int, frac: tuple[float, float]) -> slice:
    """Samples from ``frac[0]`` to ``frac[1]`` of the way from index ``i`` to ``j``."""
    return slice(i + round(frac[0] * (j - i)), i + round(frac[1] * (j - i)) + 1)


def _ankle_stride(
    rows: dict[str, list[float]],
    ankle: NDArray[np.float64],
    velocity: NDArray[np.float64],
    index: tuple[int, int, int],
    times: tuple[float, float, float],
) -> None:
    """Append one stride's timing and ankle metrics to ``rows`` (metric name → values).

    ``ankle`` (n,) rad and its ``velocity`` (n,) rad/s over the trial; ``index`` holds
    the samples and ``times`` the times (s) of the stride's foot strike, foot off and
    next foot strike.
    """
    ia, io, ib = index
    a, fo, b = times
    stance, swing = slice(ia, io + 1), slice(io, ib + 1)
    rows["stride_time_s"].append(b - a)
    rows["cadence_steps_per_min"].append(120.0 / (b - a))
    rows["stance_pct"].append(100.0 * (fo - a) / (b - a))
    rows["ankle_at_contact_rad"].append(float(ankle[ia]))
    loading = slice(ia, ia + round(LOADING_FRACTION * (ib - ia)) + 1)
    rows["loading_pf_rad"].append(float(ankle[ia] - ankle[loading].min()))
    rows["loading_pf_velocity_rad_per_s"].append(max(0.0, float(-velocity[loading].min())))
    rows["peak_stance_df_rad"].append(float(ankle[stance].max()))
    rows["ankle_at_toe_off_rad"].append(float(ankle[io]))
    rows["peak_swing_df_rad"].append(float(ankle[swing].max()))
    rows["mean_swing_df_rad"].append(float(ankle[swing].mean()))


def analyse_side(
    trial: GaitTrial,
    side: str,
    events: EventTimes,
    direction: NDArray[np.float64] | None = None,
) -> SideGait | None:
    """Measure every stride of one side (no flags).

    Parameters
    ----------
    trial : GaitTrial
        Needs ``(side, "ankle")``; knee, hip and markers add their metrics.
    side : str
        ``"left"`` or ``"right"``.
    events : EventTimes
        That side's events, on the trial's clock.
    direction : (2,) float, optional
        Walking direction (``progression_direction``); needed for speed and circumduction.

    Returns
    -------
    SideGait or None
        None when the side has no usable stride.
    """
    t = trial.time_s
    ankle = trial.angles_rad[(side, "ankle")][:, 0]
    rows: dict[str, list[float]] = {name: [] for name in METRICS}
    cycles = []
    ok = np.isfinite(ankle)
    if not ok.any():
        return None
    smooth = np.interp(t, t[ok], ankle[ok])  # gaps bridged for the filter only
    velocity = np.gradient(lowpass(smooth, trial.rate_hz, VELOCITY_CUTOFF_HZ), t)
    knee = trial.angles_rad.get((side, "knee"))
    hip = trial.angles_rad.get((side, "hip"))
    toe = trial.markers_mm.get((side, "toe"))
    heel = trial.markers_mm.get((side, "heel"))
    body = trial.markers_mm.get((side, "pelvis"))
    body = body if body is not None else heel
    foot = toe if toe is not None else heel
    foot_speed = None  # forward speed of the foot, mm/s (0 in stance overground)
    if foot is not None and direction is not None:
        foot_speed = np.gradient(foot[:, :2] @ direction, t)
    strides = _strides(t, events)
    all_offs = np.sort(events.foot_off_s)
    for a, fo, b in strides:
        ia, io, ib = _nearest(t, a), _nearest(t, fo), _nearest(t, b)
        if not np.isfinite(ankle[ia : ib + 1]).all() or not ia < io < ib:
            continue
        stance, swing = slice(ia, io + 1), slice(io, ib + 1)
        m = rows
        _ankle_stride(m, ankle, velocity, (ia, io, ib), (a, fo, b))
        for name, joint in (
            ("peak_swing_knee_flexion_rad", knee),
            ("peak_swing_hip_flexion_rad", hip),
        ):
            if joint is not None:
                m[name].append(float(np.max(joint[swing, 0])))  # NaN if a sample is missing
        nxt = all_offs[all_offs > b]
        next_stance = slice(ib, _nearest(t, nxt[0]) + 1) if len(nxt) else slice(ib, ib + 1)
        if toe is not None:
            level = np.nanmedian(np.concatenate([toe[stance, 2], toe[next_stance, 2]]))
            m["min_toe_clearance_mm"].append(
                float(np.min(toe[_window(io, ib, MTC_WINDOW), 2]) - level)
            )
            if direction is not None:
                m["circumduction_mm"].append(_circumduction(toe[swing, :2], direction, side))
        if direction is not None and body is not None and foot_speed is not None:
            travel = float((body[ib, :2] - body[ia, :2]) @ direction) / (b - a)
            stance_speed = np.nanmedian(foot_speed[_window(ia, io, _STANCE_SPEED_WINDOW)])
            m["walking_speed_mm_per_s"].append(travel - float(stance_speed))
        grid = np.linspace(a, b, 101)
        cycles.append(np.interp(grid, t[ia : ib + 1], ankle[ia : ib + 1]))
    n = len(cycles)
    if n == 0:
        return None
    metrics = {
        name: np.asarray(values, dtype=np.float64)
        for name, values in rows.items()
        if len(values) == n
    }
    return SideGait(
        side=side,
        cycles=n,
        metrics=metrics,
        ankle_cycle_rad=np.vstack(cycles),
        stance_end_pct=float(metrics["stance_pct"].mean()),
    )


def _circumduction(toe_xy: NDArray[np.float64], direction: NDArray[np.float64], side: str) -> float:
    """Largest outward distance, mm, of a swing toe path from the line through its ends."""
    chord = toe_xy[-1] - toe_xy[0]
    length = float(np.hypot(*chord))
    axis = chord / length if length > 50.0 else direction  # a near-still foot: walking axis
    rel = toe_xy - toe_xy[0]
    left_of_axis = axis[0] * rel[:, 1] - axis[1] * rel[:, 0]  # +z up: positive = left
    outward = left_of_axis if side == "left" else -left_of_axis
    return float(np.nanmax(outward))


#: A trial shorter than this, or with fewer samples, cannot hold a stride (one takes about
#: 1 s; 0.5 s is a fast runner's), and its events cannot be searched for.
MIN_DURATION_S = 0.5
MIN_SAMPLES = 10


def analyse_trial(
    trial: GaitTrial,
    events: dict[str, EventTimes] | None = None,
    *,
    use_file_events: bool = True,
    events_source: str = "detected",
) -> TrialGait:
    """Measure every stride of each side and flag signs of foot drop.

    Parameters
    ----------
    trial : GaitTrial
    events : dict, optional
        ``side -> EventTimes`` to use; by default ``events_for(trial, use_file_events)``.
    use_file_events : bool
        When ``events`` is None: prefer the file's own events (else detect them).
    events_source : str
        ``"file"`` or ``"detected"``, recorded when ``events`` is given.

    Returns
    -------
    TrialGait
        With a ``SideGait`` (metrics and flags) for each side that has a complete stride.

    Raises
    ------
    GaitError
        No side has an ankle angle and a complete stride (strike, foot off, strike).
    """
    duration = float(trial.time_s[-1] - trial.time_s[0])
    if len(trial.time_s) < MIN_SAMPLES or duration < MIN_DURATION_S:
        raise GaitError(
            f"{Path(trial.path).name}: no complete stride to analyse: {len(trial.time_s)} "
            f"sample{'s' * (len(trial.time_s) != 1)} over {duration:.2f} s (a stride takes about "
            f"1 s). Export the whole trial, at least {MIN_DURATION_S:g} s of walking."
        )
    if events is None:
        events, events_source = events_for(trial, use_file_events)
    direction = None
    if any(role in ("heel", "toe") for _, role in trial.markers_mm):
        direction = progression_direction(trial)[0]
    measured: dict[str, SideGait] = {}
    for side in SIDES:
        if side in events and (side, "ankle") in trial.angles_rad:
            sg = analyse_side(trial, side, events[side], direction)
            if sg is not None:
                measured[side] = sg
    if not measured:
        counts = {s: len(e.foot_strike_s) for s, e in events.items()}
        raise GaitError(
            f"{trial.path}: no complete stride to analyse (ankle angle present on "
            f"{list(trial.sides_with_ankle)}, foot strikes per side {counts}). A stride needs "
            "two foot strikes with a foot off between and no gap in the ankle angle; record "
            "a longer trial or fill the marker gaps."
        )
    asymmetry = flag_asymmetry(measured)
    sides = {
        side: dataclasses.replace(sg, flags=flag_side(sg) + asymmetry.get(side, ()))
        for side, sg in measured.items()
    }
    return TrialGait(trial=trial, events=events, events_source=events_source, sides=sides)
