"""Plain data passed between the gait readers, event detection, metrics and prescription.

Conventions, fixed here for every reader and every later stage:

* Time is in seconds on the **file's own clock**: a C3D whose header says its first frame is
  249 (1-based; ezc3d reports 248) at 100 Hz starts at ``time_s[0] = 2.48``; event times are
  on the same clock (the overground reference file's force-plate onsets agree to 2 ms).
* Joint angles are in **radians** (degrees only at the edges: readers convert on the way in,
  reports on the way out). Each joint angle is an ``(n, 3)`` array of
  ``[sagittal, frontal, transverse]`` components, Plug-in Gait sense:

  - ankle sagittal: **dorsiflexion positive**, plantarflexion negative;
  - knee sagittal: flexion positive; hip sagittal: flexion positive;
  - hip frontal: adduction positive; pelvis frontal: obliquity, side up positive.

  A component the file does not carry is NaN.
* Marker positions are in **mm** in a lab frame rotated so that **+z is up**; the horizontal
  axes are the lab's (the reader does not guess the walking direction; the metrics take it
  from the pelvis or heel motion).
* Sides are the strings ``"left"`` and ``"right"``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from afofit.clinical import SIDES

__all__ = [
    "JOINTS",
    "MARKER_ROLES",
    "METRICS",
    "REFERENCE",
    "SIDES",
    "EventTimes",
    "Flag",
    "GaitTrial",
    "Reason",
    "SideGait",
    "TrialGait",
]

#: The reference every gait number cites (sections and source tags follow it).
REFERENCE = "afo-engineering.md"

#: Joints whose angles a reader may fill, keyed as ``(side, joint)``.
JOINTS: tuple[str, ...] = ("ankle", "knee", "hip", "pelvis")

#: Marker roles a reader may fill, keyed as ``(side, role)``:
#: ``heel`` (calcaneus: PiG ``LHEE``, HBM2 ``LHEE``), ``toe`` (forefoot: PiG ``LTOE``, HBM2
#: ``LMT2``, else ``LMT5``), ``ankle`` (lateral malleolus: PiG ``LANK``, HBM2 ``LLM``),
#: ``knee`` (lateral epicondyle), ``pelvis`` (sacrum or mid-PSIS; the same array for both
#: sides, stored under each).
MARKER_ROLES: tuple[str, ...] = ("heel", "toe", "ankle", "knee", "pelvis")


@dataclass(frozen=True, slots=True)
class EventTimes:
    """Gait events of one side, on the file's clock.

    Parameters
    ----------
    foot_strike_s : (k,) float, s, sorted ascending
    foot_off_s : (m,) float, s, sorted ascending
    """

    foot_strike_s: NDArray[np.float64]
    foot_off_s: NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class GaitTrial:
    """One walking trial as read from a file, before any event detection or metric.

    Parameters
    ----------
    path : str
        The file it was read from (as given).
    rate_hz : float
        Sample rate of ``time_s`` and of every array below.
    time_s : (n,) float, s
        Sample times on the file's own clock.
    angles_rad : dict
        ``(side, joint) -> (n, 3)`` float, rad, ``[sagittal, frontal, transverse]``; see the
        module docstring for signs. Only joints the file carries are present.
    markers_mm : dict
        ``(side, role) -> (n, 3)`` float, mm, +z up. Only roles the file carries are present.
    events : dict
        ``side -> EventTimes`` from the file itself; empty when the file has no events.
    body_mass_kg : float or None
        From the file when it says so (C3D ``PROCESSING:Bodymass``), else None.
    notes : tuple of str
        What the reader repaired or noticed (gaps interpolated, long gaps left as NaN,
        header counts that did not match, the up axis it chose); shown to the user.
    """

    path: str
    rate_hz: float
    time_s: NDArray[np.float64]
    angles_rad: dict[tuple[str, str], NDArray[np.float64]] = field(default_factory=dict)
    markers_mm: dict[tuple[str, str], NDArray[np.float64]] = field(default_factory=dict)
    events: dict[str, EventTimes] = field(default_factory=dict)
    body_mass_kg: float | None = None
    notes: tuple[str, ...] = ()

    @property
    def sides_with_ankle(self) -> tuple[str, ...]:
        """The sides whose ankle angle the trial carries, in ``SIDES`` order."""
        return tuple(s for s in SIDES if (s, "ankle") in self.angles_rad)


#: Every per-cycle metric name, with its unit in the name. A metric a trial cannot give
#: (no markers, no knee angle...) is absent from ``SideGait.metrics``, never zero.
METRICS: tuple[str, ...] = (
    "stride_time_s",
    "cadence_steps_per_min",
    "stance_pct",
    "walking_speed_mm_per_s",  # from pelvis (else heel) progression; needs markers
    "ankle_at_contact_rad",  # ankle sagittal at foot strike
    "loading_pf_rad",  # plantarflexion from contact to its trough in loading response (>= 0)
    "loading_pf_velocity_rad_per_s",  # peak plantarflexion velocity in loading response (>= 0)
    "peak_stance_df_rad",
    "ankle_at_toe_off_rad",  # ankle sagittal at foot off (negative = plantarflexed)
    "peak_swing_df_rad",
    "mean_swing_df_rad",
    "min_toe_clearance_mm",  # toe marker height above its own stance level, mid-swing minimum
    "peak_swing_knee_flexion_rad",
    "peak_swing_hip_flexion_rad",
    "circumduction_mm",  # peak lateral toe excursion in swing from the stance line
)


@dataclass(frozen=True, slots=True)
class Flag:
    """One sign of abnormal gait found on one side.

    Parameters
    ----------
    name : str
        One of ``toe_drag``, ``reduced_toe_clearance``, ``foot_slap``,
        ``equinus_at_contact``, ``steppage``, ``circumduction``, ``excess_stance_df``,
        ``reduced_swing_df``, ``asymmetry``.
    metric : str
        The metric in ``METRICS`` it was judged on.
    value : float
        The side's mean of that metric (internal units, as named).
    limit : float
        The threshold it crossed (same units).
    detail : str
        One sentence for a clinician, in degrees/cm/m/s (this text is an edge).
    source : str
        Where the threshold comes from, e.g. ``"afo-engineering.md §2.3 [S51]"``.
    """

    name: str
    metric: str
    value: float
    limit: float
    detail: str
    source: str


@dataclass(frozen=True, slots=True)
class Reason:
    """One line of a prescription's rationale, with where its rule or number comes from."""

    text: str
    source: str


@dataclass(frozen=True, slots=True)
class SideGait:
    """Gait of one side over the cycles of one trial.

    Parameters
    ----------
    side : str
    cycles : int
        Complete strides (foot strike to next foot strike) analysed.
    metrics : dict
        ``name -> (cycles,)`` float per-cycle values, names from ``METRICS``.
    ankle_cycle_rad : (cycles, 101) float, rad
        Ankle sagittal angle resampled over 0..100 % of each stride.
    stance_end_pct : float
        Mean foot-off position in the stride, %.
    flags : tuple of Flag
    """

    side: str
    cycles: int
    metrics: dict[str, NDArray[np.float64]]
    ankle_cycle_rad: NDArray[np.float64]
    stance_end_pct: float
    flags: tuple[Flag, ...] = ()

    def mean(self, metric: str) -> float | None:
        """The mean of ``metric`` over the strides (NaN strides left out); None if none."""
        values = self.metrics.get(metric)
        if values is None:
            return None
        finite = np.asarray(values, dtype=np.float64)
        finite = finite[np.isfinite(finite)]
        return float(finite.mean()) if finite.size else None


@dataclass(frozen=True, slots=True)
class TrialGait:
    """A trial with its events and per-side results.

    Parameters
    ----------
    trial : GaitTrial
    events : dict
        ``side -> EventTimes`` actually used.
    events_source : str
        ``"file"`` or ``"detected"``.
    sides : dict
        ``side -> SideGait`` for each side with at least one complete stride.
    """

    trial: GaitTrial
    events: dict[str, EventTimes]
    events_source: str
    sides: dict[str, SideGait]
