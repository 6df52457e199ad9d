"""A gait analysis of one person: trials, pooled per-side results, prescription; and its JSON.

This is the edge where internal units (rad, mm, mm/s) become the clinic's (degrees, mm,
m/s): metric names change with them (``ankle_at_contact_rad`` → ``ankle_at_contact_deg``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from afofit.citations import cite
from afofit.clinical import ClinicalInputs
from afofit.gait.model import METRICS, REFERENCE, SIDES, TrialGait
from afofit.gait.prescribe import Prescription, prescription_to_dict
from afofit.jsonready import rounded
from afofit.units import rad_to_deg

__all__ = [
    "ABOVE_NORMAL",
    "BELOW_NORMAL",
    "METRIC_LABELS",
    "NORMAL_BANDS",
    "GaitAnalysis",
    "edge_metric",
    "gait_to_dict",
    "metric_rows",
    "pooled_metrics",
]

_REF = f"{REFERENCE} §2.3"

#: Typical healthy ranges shown beside the measured means (edge units), with their source.
#: Display only: the flags use their own thresholds (``afofit.gait.flags``).
NORMAL_BANDS: dict[str, tuple[float, float, str]] = {
    "ankle_at_contact_deg": (-5.0, 5.0, f"{_REF} [S47]: ≈ neutral"),
    "loading_pf_deg": (0.0, 15.0, f"{_REF} [S48, S49]: ≈ 5°, to ≈ 15°"),
    "peak_stance_df_deg": (5.0, 15.0, f"{_REF} [S47, S49]: 5–10° (+5° [D])"),
    "ankle_at_toe_off_deg": (-25.0, -10.0, f"{_REF} [S47, S49]: 15–25° PF"),
    "peak_swing_df_deg": (0.0, 10.0, f"{_REF} [S47]: back to ≈ neutral"),
    "min_toe_clearance_mm": (11.0, 24.0, f"{_REF} [S51, S46]: 11–13 mm; 19 ± 5 mm"),
    "walking_speed_m_per_s": (0.97, 1.71, f"{_REF} [S35]: slow to fast"),
    "peak_swing_knee_flexion_deg": (55.0, 75.0, f"{_REF} [S47]: ≈ 70°"),
}


#: The metrics a clinician reads first, in order, with their labels (edge names).
METRIC_LABELS: dict[str, str] = {
    "ankle_at_contact_deg": "ankle at initial contact (°)",
    "loading_pf_deg": "loading-response plantarflexion (°)",
    "loading_pf_velocity_deg_per_s": "its peak velocity (°/s)",
    "peak_stance_df_deg": "peak stance dorsiflexion (°)",
    "ankle_at_toe_off_deg": "ankle at toe-off (°)",
    "peak_swing_df_deg": "peak swing dorsiflexion (°)",
    "min_toe_clearance_mm": "minimum toe clearance (mm)",
    "walking_speed_m_per_s": "walking speed (m/s)",
    "cadence_steps_per_min": "cadence (steps/min)",
    "stance_pct": "stance (% of stride)",
    "peak_swing_knee_flexion_deg": "peak swing knee flexion (°)",
    "circumduction_mm": "circumduction (mm)",
}


#: How a table marks a mean below or above the typical healthy band (a symbol, not colour alone).
BELOW_NORMAL, ABOVE_NORMAL = "▼", "▲"


def _mark(mean: float, band: list[float] | None) -> str:
    if not band:
        return ""
    return BELOW_NORMAL if mean < band[0] else ABOVE_NORMAL if mean > band[1] else ""


def metric_rows(gait: dict[str, Any]) -> list[tuple[str, list[tuple[str, str] | None], str]]:
    """Rows of the metrics table from a ``gait`` dict (:func:`gait_to_dict`), for renderers.

    Each row: the label; per side ``("mean ± sd", mark)`` or None when the side lacks the
    metric, the mark :data:`BELOW_NORMAL` or :data:`ABOVE_NORMAL` when the mean lies outside
    the normal band, else ""; the normal band as text ("" when there is none).
    """
    rows = []
    for key, label in METRIC_LABELS.items():
        cells: list[tuple[str, str] | None] = []
        normal = ""
        for side in gait["sides"]:
            m = gait["sides"][side]["metrics"].get(key)
            if m is None:
                cells.append(None)
                continue
            band = m.get("normal")
            sd = f" ± {m['sd']:.1f}" if m.get("sd") is not None else ""
            cells.append((f"{m['mean']:.1f}{sd}", _mark(m["mean"], band)))
            normal = f"{band[0]:g} to {band[1]:g}" if band else normal
        if any(c is not None for c in cells):
            rows.append((label, cells, normal))
    return rows


def edge_metric(name: str) -> tuple[str, float]:
    """The edge name of an internal metric ``name`` and the factor that converts its values."""
    for suffix, new, factor in (
        ("_rad_per_s", "_deg_per_s", rad_to_deg(1.0)),
        ("_rad", "_deg", rad_to_deg(1.0)),
        ("_mm_per_s", "_m_per_s", 1e-3),
    ):
        if name.endswith(suffix):
            return name[: -len(suffix)] + new, factor
    return name, 1.0


@dataclass(frozen=True, slots=True)
class GaitAnalysis:
    """Everything ``afofit gait`` found.

    Attributes
    ----------
    trials : each file's trial, events and per-side results, in the order given.
    prescription : side → the AFO prescribed for it.
    clinical : the clinical inputs and overrides used.
    warnings : what a clinician should know (reader repairs, missing sides...).
    """

    trials: tuple[TrialGait, ...]
    prescription: dict[str, Prescription]
    clinical: ClinicalInputs
    warnings: tuple[str, ...]

    @property
    def sides(self) -> tuple[str, ...]:
        """Sides with at least one analysed stride, in ``SIDES`` order."""
        return tuple(s for s in SIDES if any(s in t.sides for t in self.trials))


def pooled_metrics(trials: tuple[TrialGait, ...], side: str) -> dict[str, dict[str, Any]]:
    """Mean, sd and count of each metric of ``side`` over all strides of ``trials``, edge units."""
    out: dict[str, dict[str, Any]] = {}
    for name in METRICS:
        pooled = np.concatenate(
            [
                t.sides[side].metrics[name]
                for t in trials
                if side in t.sides and name in t.sides[side].metrics
            ]
            or [np.zeros(0)]
        )
        pooled = pooled[np.isfinite(pooled)]
        if len(pooled) == 0:
            continue
        edge, factor = edge_metric(name)
        entry: dict[str, Any] = {
            "mean": rounded(factor * float(pooled.mean())),
            "sd": rounded(factor * float(pooled.std(ddof=1))) if len(pooled) > 1 else None,
            "n": len(pooled),
        }
        if edge in NORMAL_BANDS:
            lo, hi, _ = NORMAL_BANDS[edge]
            entry["normal"] = [lo, hi]
        out[edge] = entry
    return out


def _trial_dict(trial: TrialGait) -> dict[str, Any]:
    t = trial.trial
    return {
        "file": t.path,
        "rate_hz": rounded(t.rate_hz, 3),
        "start_s": rounded(float(t.time_s[0]), 4),
        "end_s": rounded(float(t.time_s[-1]), 4),
        "body_mass_kg": None if t.body_mass_kg is None else rounded(t.body_mass_kg, 2),
        "events_source": trial.events_source,
        "events": {
            side: {
                "foot_strike_s": [rounded(x, 4) for x in ev.foot_strike_s],
                "foot_off_s": [rounded(x, 4) for x in ev.foot_off_s],
            }
            for side, ev in trial.events.items()
        },
        "cycles": {side: sg.cycles for side, sg in trial.sides.items()},
        "metrics": {side: pooled_metrics((trial,), side) for side in trial.sides},
        "flags": {side: [f.name for f in sg.flags] for side, sg in trial.sides.items()},
        "notes": list(t.notes),
    }


def gait_to_dict(analysis: GaitAnalysis) -> dict[str, Any]:
    """The ``afofit gait --json`` contract for ``analysis`` (also fitting.json's ``gait``)."""
    sides: dict[str, Any] = {}
    for side in analysis.sides:
        flags: dict[str, dict[str, Any]] = {}
        for trial in analysis.trials:
            for f in trial.sides[side].flags if side in trial.sides else ():
                entry = flags.setdefault(
                    f.name,
                    {"name": f.name, "detail": f.detail, "source": cite(f.source), "trials": []},
                )
                if trial.trial.path not in entry["trials"]:
                    entry["trials"].append(trial.trial.path)
        sides[side] = {
            "cycles": sum(t.sides[side].cycles for t in analysis.trials if side in t.sides),
            "metrics": pooled_metrics(analysis.trials, side),
            "flags": list(flags.values()),
        }
    return {
        "convention": "ankle dorsiflexion positive, plantarflexion negative (Plug-in Gait)",
        "trials": [_trial_dict(t) for t in analysis.trials],
        "sides": sides,
        "prescription": prescription_to_dict(analysis.prescription),
        "warnings": list(analysis.warnings),
    }
