"""Prescribe an AFO type and a sagittal stiffness range per side from gait trials.

Implements the heuristic of afo-engineering.md §2.5 (tag **D**: not a validated clinical rule;
the clinician can override the type and the stiffness) with the swing-holding floor of §2.2:
solid for spasticity, contracture or crouch; a PLS sized by the toe-clearance floor for
isolated dorsiflexor weakness; a dorsal leaf for plantarflexor weakness; the more supportive
when several apply. The rules and their constants are in :mod:`afofit.gait.rules`, the body
mass, holding moment and clearance floor in :mod:`afofit.gait.holding`; this module holds the
inputs and results, the clinician's overrides and the JSON form.

Each trial is judged alone; the most demanding trial drives (foot drop in multiple sclerosis
fluctuates with heat and fatigue) and every trial's numbers are kept in the spread.
Inside: mm, kg, N·mm, rad. The :class:`Prescription` holds N·m/deg, the clinician's unit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from afofit.anthropometry import BODY_MASS_RANGE_KG
from afofit.citations import cite
from afofit.clinical import ClinicalInputs, on_side
from afofit.errors import GaitError, InputError
from afofit.gait.holding import body_mass, body_numbers
from afofit.gait.model import REFERENCE, SIDES, Reason, SideGait, TrialGait
from afofit.gait.rules import COMPENSATION_FLAGS, Need, across_trials, format_k, side_need
from afofit.jsonready import rounded
from afofit.units import (
    mm_to_m,
    nm_per_deg_to_nmm_per_rad,
    nmm_per_rad_to_nm_per_deg,
    nmm_to_nm,
    rad_to_deg,
)

__all__ = [
    "Prescription",
    "Reason",
    "TrialSpread",
    "prescribe",
    "prescription_to_dict",
]


@dataclass(frozen=True, slots=True)
class TrialSpread:
    """One trial's key numbers for one side, in the clinician's units (None: not measured)."""

    trial: str
    cycles: int
    flags: tuple[str, ...]
    min_toe_clearance_mm: float | None
    ankle_at_contact_deg: float | None
    peak_stance_df_deg: float | None
    peak_swing_df_deg: float | None
    walking_speed_m_per_s: float | None
    stiffness_floor_nm_per_deg: float | None
    afo_type: str
    stiffness_nm_per_deg: tuple[float, float] | None


@dataclass(frozen=True, slots=True)
class Prescription:
    """The AFO for one side.

    Attributes
    ----------
    side : "left" or "right".
    afo_type : one of ``AFO_TYPES``.
    stiffness_nm_per_deg : (low, high) sagittal stiffness, N·m/deg, or None for no AFO.
    rationale : the reasons, decision first, each with its source.
    holding_moment_nm : static moment of the foot's weight about the ankle, N·m (None
        without a body mass).
    driving_trial : path of the trial that set the prescription (the most demanding).
    spread : every trial's numbers, in the order given.
    """

    side: str
    afo_type: str
    stiffness_nm_per_deg: tuple[float, float] | None
    rationale: tuple[Reason, ...]
    holding_moment_nm: float | None
    driving_trial: str
    spread: tuple[TrialSpread, ...] = field(default=())

    @property
    def stiffness_nmm_per_rad(self) -> tuple[float, float] | None:
        """The stiffness range in afofit's internal unit, N·mm/rad."""
        k = self.stiffness_nm_per_deg
        return (
            None
            if k is None
            else (nm_per_deg_to_nmm_per_rad(k[0]), nm_per_deg_to_nmm_per_rad(k[1]))
        )


def _spread(name: str, sg: SideGait, need: Need) -> TrialSpread:
    def deg(metric: str) -> float | None:
        value = sg.mean(metric)
        return None if value is None else rad_to_deg(value)

    speed = sg.mean("walking_speed_mm_per_s")
    k = need.k_nmm_per_rad
    return TrialSpread(
        trial=name,
        cycles=sg.cycles,
        flags=tuple(f.name for f in sg.flags),
        min_toe_clearance_mm=sg.mean("min_toe_clearance_mm"),
        ankle_at_contact_deg=deg("ankle_at_contact_rad"),
        peak_stance_df_deg=deg("peak_stance_df_rad"),
        peak_swing_df_deg=deg("peak_swing_df_rad"),
        walking_speed_m_per_s=None if speed is None else mm_to_m(speed),
        stiffness_floor_nm_per_deg=(
            None
            if need.floor_nmm_per_rad is None
            else nmm_per_rad_to_nm_per_deg(need.floor_nmm_per_rad)
        ),
        afo_type=need.afo_type,
        stiffness_nm_per_deg=None
        if k is None
        else (nmm_per_rad_to_nm_per_deg(k[0]), nmm_per_rad_to_nm_per_deg(k[1])),
    )


def _in_nm_per_deg(k: tuple[float, float] | None) -> tuple[float, float] | None:
    """A stiffness range (N·mm/rad) in the clinician's N·m/deg."""
    return None if k is None else (nmm_per_rad_to_nm_per_deg(k[0]), nmm_per_rad_to_nm_per_deg(k[1]))


def _trial_names(trials: Sequence[TrialGait]) -> list[str]:
    """Each trial's path as given, made unique with " (2)", " (3)"... when repeated."""
    names: list[str] = []
    for t in trials:
        name, n = t.trial.path, 1
        while name in names:
            n += 1
            name = f"{t.trial.path} ({n})"
        names.append(name)
    return names


def _stiffness(
    side: str, need: Need, clinical: ClinicalInputs, rationale: list[Reason], n_trials: int
) -> tuple[float, float] | None:
    """The side's stiffness range, N·mm/rad: the rule's, or the clinician's (in ``rationale``).

    ``need`` is the driving trial's need on ``side``; ``n_trials`` counts the trials, for the
    message. None when no AFO is indicated.

    Raises
    ------
    InputError
        A per-side stiffness for a side with no AFO indicated.
    GaitError
        A stiffness is needed and no body mass is known.
    """
    k = need.k_nmm_per_rad
    override = on_side(clinical.stiffness_nm_per_deg, side)
    if override is not None and need.afo_type == "none":
        if isinstance(clinical.stiffness_nm_per_deg, Mapping):
            raise InputError(
                f"{side}: a stiffness was given but no AFO is indicated on this side; "
                "also set the AFO type for it (--afo-type)"
            )
        rationale.append(
            Reason(
                "the clinician's stiffness is not applied: no AFO on this side",
                "set by the clinician",
            )
        )
    elif override is not None:
        was = f" (afofit's rule gave {format_k(k)})" if k is not None else ""
        rationale.insert(
            0,
            Reason(
                f"stiffness set by the clinician: {override[0]:g}–{override[1]:g} N·m/deg{was}",
                "set by the clinician",
            ),
        )
        k = (nm_per_deg_to_nmm_per_rad(override[0]), nm_per_deg_to_nmm_per_rad(override[1]))
    elif need.afo_type != "none" and (k is None or need.needs_mass):
        raise GaitError(
            f"{side} side: a {need.afo_type} AFO is indicated and its stiffness needs the body "
            f"mass, which neither the options nor the {n_trials} trial file(s) give (a mass "
            f"outside {BODY_MASS_RANGE_KG[0]:g}-{BODY_MASS_RANGE_KG[1]:g} kg is ignored). Pass "
            "--mass KG (or set the stiffness yourself with --stiffness LOW,HIGH in N·m/deg)."
        )
    return None if need.afo_type == "none" else k


def _no_afo_reasons(present: list[tuple[str, SideGait]]) -> list[Reason]:
    """Why no AFO is prescribed for a side seen in ``present`` (trial name, side gait)."""
    reasons = [
        Reason(
            f"no AFO: no foot-drop sign in {len(present)} trial(s), and no spasticity, "
            "contracture or plantarflexor weakness recorded",
            f"{REFERENCE} §2.4, §2.5 (D)",
        )
    ]
    seen = sorted({f.name for _, sg in present for f in sg.flags} & set(COMPENSATION_FLAGS))
    if seen:
        reasons.append(
            Reason(
                f"but {', '.join(seen)} was seen: a compensation that can hide a foot "
                "drop; check the ankle in swing",
                f"{REFERENCE} §2.4 [S56] (A), [S57] (V)",
            )
        )
    return reasons


def prescribe(trials: Sequence[TrialGait], clinical: ClinicalInputs) -> dict[str, Prescription]:
    """Choose the AFO type and stiffness range for each side seen in ``trials``.

    Parameters
    ----------
    trials : analysed trials of one person (e.g. rested, fatigued, hot); each is judged alone
        and the most demanding drives.
    clinical : clinical findings and the clinician's overrides.

    Returns
    -------
    dict
        ``side -> Prescription`` for each side with at least one stride, in ``SIDES`` order.

    Raises
    ------
    GaitError
        No trial has a complete stride; or a stiffness is needed and no body mass is known
        (the message names ``--mass``).
    InputError
        A per-side stiffness override is given for a side with no AFO indicated.
    """
    names = _trial_names(trials)
    mass, mass_reasons = body_mass(trials, clinical)
    result = {}
    for side in SIDES:
        present = [
            (n, t.sides[side]) for n, t in zip(names, trials, strict=True) if side in t.sides
        ]
        if not present:
            continue
        body = body_numbers(side, clinical, mass)
        need, worst, needs, rationale = side_need(side, present, clinical, body)
        rationale.extend(need.reasons)
        k = _stiffness(side, need, clinical, rationale, len(trials))
        if need.afo_type == "none" and on_side(clinical.afo_type, side) is None:
            rationale[:0] = _no_afo_reasons(present)
        if len(present) > 1:
            rationale.append(across_trials(present, needs, present[worst][0]))
        rationale.extend(mass_reasons)
        rationale.extend(body.reasons)
        moment = body.holding_moment_nmm
        result[side] = Prescription(
            side=side,
            afo_type=need.afo_type,
            stiffness_nm_per_deg=_in_nm_per_deg(k),
            rationale=tuple(rationale),
            holding_moment_nm=None if moment is None else nmm_to_nm(moment),
            driving_trial=present[worst][0],
            spread=tuple(_spread(n, sg, nd) for (n, sg), nd in zip(present, needs, strict=True)),
        )
    if not result:
        raise GaitError(
            f"none of the {len(trials)} trial(s) has a complete stride on either side, so there "
            "is nothing to prescribe from; check the foot-strike events in the files"
        )
    return result


def prescription_to_dict(prescriptions: Mapping[str, Prescription]) -> dict[str, Any]:
    """The JSON form of :func:`prescribe`'s result: plain types, stable key order, rounded.

    Parameters
    ----------
    prescriptions : ``side -> Prescription``.

    Returns
    -------
    dict
        ``{side: {"afo_type", "stiffness_nm_per_deg": [low, high] | None, "rationale":
        [{"text", "source"}], "holding_moment_nm", "driving_trial", "spread": {trial:
        {...}}}}``, sides in ``SIDES`` order; N·m/deg and N·m to 3 decimals, degrees and mm
        to 1.
    """
    out: dict[str, Any] = {}
    for side in (s for s in SIDES if s in prescriptions):
        p = prescriptions[side]
        k = p.stiffness_nm_per_deg
        out[side] = {
            "afo_type": p.afo_type,
            "stiffness_nm_per_deg": None if k is None else [rounded(k[0], 3), rounded(k[1], 3)],
            "rationale": [{"text": r.text, "source": cite(r.source)} for r in p.rationale],
            "holding_moment_nm": rounded(p.holding_moment_nm, 3),
            "driving_trial": p.driving_trial,
            "spread": {t.trial: _spread_dict(t) for t in p.spread},
        }
    return out


def _spread_dict(t: TrialSpread) -> dict[str, Any]:
    k = t.stiffness_nm_per_deg
    return {
        "cycles": int(t.cycles),
        "flags": list(t.flags),
        "min_toe_clearance_mm": rounded(t.min_toe_clearance_mm, 1),
        "ankle_at_contact_deg": rounded(t.ankle_at_contact_deg, 1),
        "peak_stance_df_deg": rounded(t.peak_stance_df_deg, 1),
        "peak_swing_df_deg": rounded(t.peak_swing_df_deg, 1),
        "walking_speed_m_per_s": rounded(t.walking_speed_m_per_s, 3),
        "stiffness_floor_nm_per_deg": rounded(t.stiffness_floor_nm_per_deg, 3),
        "afo_type": t.afo_type,
        "stiffness_nm_per_deg": None if k is None else [rounded(k[0], 3), rounded(k[1], 3)],
    }
