"""Prescribe an AFO type and a sagittal stiffness range per side from gait trials.

Implements the heuristic of afo-engineering.md §2.5 (tag **D**: not a validated clinical rule;
the clinician can override the type and the stiffness) with the swing-holding floor of §2.2:

1. spasticity (Modified Ashworth ≥ 1+), PF contracture or crouch → solid, k ≥ 4 N·m/deg;
2. isolated dorsiflexor weakness (foot-drop flags) → PLS, k from the toe-clearance floor;
3. plantarflexor weakness (``excess_stance_df`` or MRC ≤ 3/5) → spring-like dorsal leaf,
   k = 0.035–0.09 N·m/deg per kg;
4. several at once → the more supportive type and the larger stiffness.

Each trial is judged alone; the most demanding trial drives (foot drop in multiple sclerosis
fluctuates with heat and fatigue) and every trial's numbers are kept in the spread.
Inside: mm, kg, N·mm, rad. The :class:`Prescription` holds N·m/deg, the clinician's unit.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np

from afofit.errors import GaitError, InputError
from afofit.gait.model import SIDES, SideGait, TrialGait
from afofit.units import deg_to_rad, rad_to_deg

__all__ = [
    "AFO_TYPES",
    "ClinicalInputs",
    "Prescription",
    "Reason",
    "TrialSpread",
    "ashworth_score",
    "prescribe",
    "prescription_to_dict",
]

#: AFO types, least to most supportive; all but "none" are design profiles in profiles/designs.
AFO_TYPES: tuple[str, ...] = ("none", "pls", "semi-rigid", "solid")

_REF = "afo-engineering.md"
#: Foot mass over body mass, §2.2 [S44] (V, Plagenhoef 1983); unknown sex: the mean.
FOOT_MASS_FRACTION: dict[str | None, float] = {"male": 0.0143, "female": 0.0133, None: 0.0138}
#: Foot centre of mass from the heel, × foot length, §2.2 [S44] (V).
FOOT_COM_FRACTION = 0.50
#: Heel-to-ankle-axis distance, × foot length: middle of 0.20–0.25, §2.2 (U).
ANKLE_AXIS_FRACTION = 0.225
GRAVITY_M_PER_S2 = 9.81
#: Dynamic/safety factor on the static holding moment: 2–3 for swing, §2.2 (U). The upper
#: end is used when mild tone (MAS 1) adds to the gravity moment.
SAFETY_FACTOR = 2.0
SAFETY_FACTOR_TONE = 3.0
#: Toe clearance lost per radian of extra plantarflexion: 17.1 cm/rad ≈ 0.30 cm/deg, §2.2 [S46] (V).
MTC_MM_PER_RAD = 171.0
#: Healthy minimum toe clearance, young adults, §2.3 [S51] (A); used without a toe marker.
HEALTHY_MTC_MM = 13.0
#: Clamp of the allowed swing deflection: at least 1° (no brace holds tighter, D); at most the
#: 6.4° that erases the largest healthy MTC, 1.9 cm, §2.2 [S46] (D).
DEFLECTION_ALLOW_RAD = (deg_to_rad(1.0), deg_to_rad(6.4))
#: Typical PLS stiffness, §2.5 rule 2 (D); the top keeps loading-response PF free [S48].
PLS_RANGE_NM_PER_DEG = (0.3, 1.0)
#: Above this clearance floor a PLS would block loading-response PF: semi-rigid instead (D).
PLS_MAX_NM_PER_DEG = 1.5
#: Solid AFO: k ≥ ~4, §2.5 rule 1; UK rigid PP 4.4 ± 0.1, anterior ribs +22 % ≈ 5.4, §1.2 [S5].
SOLID_RANGE_NM_PER_DEG = (4.0, 5.4)
#: Spring-like dorsal leaf per kg body mass, §2.5 rule 3 (D from 2.8–6.6 N·m/deg [S7]).
DORSAL_LEAF_NM_PER_DEG_PER_KG = (0.035, 0.09)
#: A range is at least this wide (a PLS's top stays ≤ PLS_MAX): bench methods differ by a
#: median 27 %, §1.1 [S1] (V), so a narrower window could not be checked.
MIN_RANGE_FACTOR = 1.27
#: Modified Ashworth from which rule 1 applies ("1+" = 1.5), §2.5 rule 1.
MAS_SOLID = 1.5
#: MRC plantarflexor grade at or below which the calf counts as weak, §2.5 rules 2-3.
PF_WEAK_MRC = 3
#: Foot length without a scan: 0.152 × stature (Drillis-Contini, U), else a typical adult foot.
FOOT_PER_STATURE = 0.152
TYPICAL_FOOT_LENGTH_MM = 260.0

#: Flags (afofit.gait.model.Flag.name) that are signs of dorsiflexor weakness, §2.4.
FOOT_DROP_FLAGS = (
    "toe_drag",
    "reduced_toe_clearance",
    "reduced_swing_df",
    "foot_slap",
    "equinus_at_contact",
)
PF_WEAKNESS_FLAGS = ("excess_stance_df",)
CROUCH_FLAGS = ("crouch",)
#: Compensations that can hide a foot drop (normal clearance bought at the hip), §2.4.
COMPENSATION_FLAGS = ("steppage", "circumduction")

_MAS_GRADES = (0.0, 1.0, 1.5, 2.0, 3.0, 4.0)
_NM_PER_DEG = deg_to_rad(1.0) / 1000.0  # N·mm/rad → N·m/deg

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Reason:
    """One line of a prescription's rationale, with where its rule or number comes from."""

    text: str
    source: str


def ashworth_score(grade: str | float) -> float:
    """Convert a Modified Ashworth ``grade`` (0, 1, "1+", 2, 3, 4) to its score (1+ is 1.5).

    Raises
    ------
    InputError
        For anything else.
    """
    text = str(grade).strip()
    try:
        score = 1.5 if text == "1+" else float(text)
    except ValueError:
        score = math.nan
    if score not in _MAS_GRADES:
        raise InputError(
            f"Modified Ashworth grade {grade!r} is not one of 0, 1, 1+, 2, 3, 4 "
            "(1+ may be given as 1.5)"
        )
    return score


def _check_sides(name: str, value: object) -> None:
    if isinstance(value, Mapping):
        bad = [k for k in value if k not in SIDES]
        if bad:
            raise InputError(f"{name} names side(s) {bad}; use 'left' and/or 'right'")


def _on(value: T | Mapping[str, T] | None, side: str) -> T | None:
    """The value for ``side`` of a per-side-or-both input."""
    if isinstance(value, Mapping):
        return value.get(side)
    return value


def _values(value: T | Mapping[str, T] | None) -> list[T]:
    if value is None:
        return []
    return list(value.values()) if isinstance(value, Mapping) else [value]


@dataclass(frozen=True, slots=True)
class ClinicalInputs:
    """What the clinician knows that the gait files do not. Per-side inputs take one value for
    both sides or a ``{"left": ..., "right": ...}`` mapping.

    Parameters
    ----------
    body_mass_kg : float or None, 20–250 kg; None falls back to the trial files.
    sex : "male", "female" or None (foot mass 1.43 / 1.33 % of body mass; None → the mean).
    spasticity : Modified Ashworth score 0–4 per side (1+ = 1.5, see :func:`ashworth_score`).
    contracture : bool per side: passive dorsiflexion < 0° with the knee extended.
    pf_strength : MRC plantarflexor grade 0–5 per side, or None if not tested.
    foot_length_mm : per side, 110–380 mm (from the scan when fitting).
    body_height_mm : stature, 800–2300 mm; gives the foot length when there is no scan.
    crouch : bool per side: excessive knee flexion in midstance seen clinically.
    mtc_margin_mm : toe clearance kept in reserve when sizing the PLS, 0–30 mm.
    afo_type : clinician's AFO type per side (one of ``AFO_TYPES``), or None.
    stiffness_nm_per_deg : clinician's (low, high) stiffness per side, N·m/deg, or None.
    """

    body_mass_kg: float | None = None
    sex: str | None = None
    spasticity: float | Mapping[str, float] | None = None
    contracture: bool | Mapping[str, bool] = False
    pf_strength: int | Mapping[str, int] | None = None
    foot_length_mm: float | Mapping[str, float] | None = None
    body_height_mm: float | None = None
    crouch: bool | Mapping[str, bool] = False
    mtc_margin_mm: float = 5.0
    afo_type: str | Mapping[str, str] | None = None
    stiffness_nm_per_deg: tuple[float, float] | Mapping[str, tuple[float, float]] | None = None

    def __post_init__(self) -> None:
        for name in ("spasticity", "contracture", "pf_strength", "foot_length_mm", "crouch"):
            _check_sides(name, getattr(self, name))
        _check_sides("afo_type", self.afo_type)
        _check_sides("stiffness_nm_per_deg", self.stiffness_nm_per_deg)
        _range("body_mass_kg", self.body_mass_kg, 20.0, 250.0, "kg", "--mass")
        _range("body_height_mm", self.body_height_mm, 800.0, 2300.0, "mm", "--height")
        _range("mtc_margin_mm", self.mtc_margin_mm, 0.0, 30.0, "mm", "--mtc-margin")
        if self.sex not in ("male", "female", None):
            raise InputError(f"sex={self.sex!r}; use 'male', 'female' or leave it unset")
        for mas in _values(self.spasticity):
            if isinstance(mas, bool) or mas not in _MAS_GRADES:
                raise InputError(
                    f"spasticity={mas!r}: Modified Ashworth is one of 0, 1, 1.5 (1+), 2, 3, 4"
                )
        for grade in _values(self.pf_strength):
            if isinstance(grade, bool) or not isinstance(grade, int) or not 0 <= grade <= 5:
                raise InputError(f"pf_strength={grade!r}: MRC grade is a whole number 0..5")
        for flag in (*_values(self.contracture), *_values(self.crouch)):
            if not isinstance(flag, bool):
                raise InputError(f"contracture/crouch={flag!r}: must be true or false")
        for length in _values(self.foot_length_mm):
            _range("foot_length_mm", length, 110.0, 380.0, "mm", "--foot-length")
        for kind in _values(self.afo_type):
            if kind not in AFO_TYPES:
                raise InputError(f"afo_type={kind!r}; use one of {', '.join(AFO_TYPES)}")
        for pair in _values(self.stiffness_nm_per_deg):
            lo, hi = pair
            if not 0.0 < lo <= hi <= 20.0:
                raise InputError(
                    f"stiffness_nm_per_deg={tuple(pair)}; need 0 < low <= high <= 20 N·m/deg"
                )
        for side in SIDES:
            stiffness = _on(self.stiffness_nm_per_deg, side)
            if _on(self.afo_type, side) == "none" and stiffness is not None:
                raise InputError(f"{side}: a stiffness was given with afo_type 'none'; drop one")


def _range(name: str, value: float | None, lo: float, hi: float, unit: str, opt: str) -> None:
    if value is not None and not lo <= value <= hi:
        raise InputError(f"{name}={value} {unit} is outside {lo:g}..{hi:g} {unit}; check {opt}")


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
        return None if k is None else (k[0] / _NM_PER_DEG, k[1] / _NM_PER_DEG)


@dataclass(frozen=True, slots=True)
class _Body:
    """Per-side body numbers shared by every trial."""

    mass_kg: float | None
    holding_moment_nmm: float | None
    reasons: tuple[Reason, ...]


@dataclass(frozen=True, slots=True)
class _Need:
    """What one trial asks for: type, stiffness (N·mm/rad) and why."""

    afo_type: str
    k_nmm_per_rad: tuple[float, float] | None
    reasons: tuple[Reason, ...]
    floor_nmm_per_rad: float | None  # the §2.2 clearance floor of this trial (spread)
    needs_mass: bool = False

    @property
    def severity(self) -> tuple[int, float]:
        return AFO_TYPES.index(self.afo_type), (self.k_nmm_per_rad or (-1.0, -1.0))[0]


def _k(nm_per_deg: float) -> float:
    return nm_per_deg / _NM_PER_DEG


def _fmt_k(k_nmm_per_rad: tuple[float, float]) -> str:
    return f"{k_nmm_per_rad[0] * _NM_PER_DEG:.2f}–{k_nmm_per_rad[1] * _NM_PER_DEG:.2f} N·m/deg"


def _widen(lo: float, hi: float) -> tuple[float, float]:
    return lo, max(hi, lo * MIN_RANGE_FACTOR)


def _mean(side: SideGait, metric: str) -> float | None:
    values = side.metrics.get(metric)
    if values is None:
        return None
    finite = np.asarray(values, dtype=float)
    finite = finite[np.isfinite(finite)]
    return float(finite.mean()) if finite.size else None


def _body(side: str, clinical: ClinicalInputs, mass_kg: float | None) -> _Body:
    """Foot mass, foot length and the static holding moment M_hold = m_foot·g·d (§2.2)."""
    src = f"{_REF} §2.2 [S44] (V)"
    reasons = []
    length = _on(clinical.foot_length_mm, side)
    if length is None and clinical.body_height_mm is not None:
        length = FOOT_PER_STATURE * clinical.body_height_mm
        reasons.append(
            Reason(
                f"foot length not measured: {length:.0f} mm taken as 0.152 × stature "
                f"{clinical.body_height_mm:.0f} mm; pass the scan or --foot-length",
                "Drillis-Contini body proportions (U)",
            )
        )
    elif length is None:
        length = TYPICAL_FOOT_LENGTH_MM
        reasons.append(
            Reason(
                f"foot length not measured: a typical adult {length:.0f} mm is assumed; "
                "pass the scan, --foot-length or --height",
                "afofit default (U)",
            )
        )
    fraction = FOOT_MASS_FRACTION[clinical.sex]
    if clinical.sex is None:
        reasons.append(
            Reason(
                "sex not given: foot mass taken as 1.38 % of body mass, the mean of 1.43 % "
                "(male) and 1.33 % (female)",
                src,
            )
        )
    if mass_kg is None:
        return _Body(None, None, tuple(reasons))
    foot_kg = fraction * mass_kg
    lever_mm = (FOOT_COM_FRACTION - ANKLE_AXIS_FRACTION) * length
    moment = foot_kg * GRAVITY_M_PER_S2 * lever_mm
    reasons.insert(
        0,
        Reason(
            f"holding moment M_hold = m_foot·g·d = {foot_kg:.3f} kg × 9.81 m/s² × {lever_mm:.1f} mm"
            f" = {moment / 1000:.3f} N·m (foot {100 * fraction:.2f} % of {mass_kg:.4g} kg; centre "
            f"of mass at 50 % of the {length:.0f} mm foot, ankle axis at 22.5 %)",
            f"{src}; ankle axis at 20–25 % of foot length (U)",
        ),
    )
    return _Body(mass_kg, moment, tuple(reasons))


def _clearance_floor(
    sg: SideGait, body: _Body, margin_mm: float, sf: float
) -> tuple[float | None, list[Reason]]:
    """k_min = SF·M_hold/Δθ_allow with Δθ_allow = (MTC − margin)/(17.1 cm/rad), clamped."""
    mtc = _mean(sg, "min_toe_clearance_mm")
    reasons = []
    if mtc is None:
        mtc = HEALTHY_MTC_MM
        reasons.append(
            Reason(
                f"no toe clearance measured (no toe marker, or no clear minimum [S58]): the "
                f"healthy {mtc:g} mm is assumed",
                f"{_REF} §2.3 [S51] (A); §2.4 [S58] (V)",
            )
        )
    raw = (mtc - margin_mm) / MTC_MM_PER_RAD
    allow = min(max(raw, DEFLECTION_ALLOW_RAD[0]), DEFLECTION_ALLOW_RAD[1])
    text = (
        f"allowed swing deflection Δθ = (mean minimum toe clearance {mtc:.1f} mm − margin "
        f"{margin_mm:g} mm) / 2.98 mm/deg (17.1 cm/rad) = {rad_to_deg(raw):.2f}°"
    )
    if allow != raw:
        why = (
            "the toes have no clearance to spare, so the brace must hold the foot nearly fully"
            if raw < allow
            else "clearance beyond healthy walking's 1.9 cm is compensation, not reserve"
        )
        text += f", clamped to {rad_to_deg(allow):.1f}° ({why})"
    reasons.append(Reason(text, f"{_REF} §2.2 [S46] (V), clamp 1–6.4° (D)"))
    if body.holding_moment_nmm is None:
        return None, reasons
    floor = sf * body.holding_moment_nmm / allow
    reasons.append(
        Reason(
            f"clearance floor k_min = SF {sf:g} × {body.holding_moment_nmm / 1000:.3f} N·m / "
            f"{rad_to_deg(allow):.2f}° = {floor * _NM_PER_DEG:.3f} N·m/deg",
            f"{_REF} §2.2 (D); SF 2–3 (U)",
        )
    )
    return floor, reasons


@dataclass(frozen=True, slots=True)
class _Findings:
    """The signs of one side in one trial, with the clinical findings."""

    drop: tuple[str, ...]  # foot-drop flags present
    compensation: tuple[str, ...]  # steppage, circumduction
    pf_weak: tuple[str, ...]  # why the plantarflexors count as weak (empty: they do not)
    spastic: tuple[str, ...]  # why rule 1 applies (empty: it does not)
    mas: float
    contracture_or_crouch: bool


def _findings(side: str, sg: SideGait, clinical: ClinicalInputs) -> _Findings:
    signs = {f.name for f in sg.flags}
    mas = _on(clinical.spasticity, side) or 0.0
    contracture = bool(_on(clinical.contracture, side))
    crouch = bool(_on(clinical.crouch, side)) or bool(signs & set(CROUCH_FLAGS))
    strength = _on(clinical.pf_strength, side)
    pf_weak = [f"MRC {strength}/5"] if strength is not None and strength <= PF_WEAK_MRC else []
    spastic = [f"Modified Ashworth {mas:g}"] if mas >= MAS_SOLID else []
    spastic += ["PF contracture"] * contracture + ["crouch"] * crouch
    return _Findings(
        drop=tuple(f for f in FOOT_DROP_FLAGS if f in signs),
        compensation=tuple(f for f in COMPENSATION_FLAGS if f in signs),
        pf_weak=(*pf_weak, *(f for f in PF_WEAKNESS_FLAGS if f in signs)),
        spastic=tuple(spastic),
        mas=mas,
        contracture_or_crouch=contracture or crouch,
    )


_Part = tuple[str, tuple[float, float] | None, list[Reason]]  # type, k (N·mm/rad), reasons


def _solid_part(found: _Findings) -> _Part:
    """§2.5 rule 1: a solid AFO, k >= 4 N·m/deg."""
    reasons = [
        Reason(
            f"solid AFO, k ≥ 4 N·m/deg ({', '.join(found.spastic) or 'set by the clinician'}): "
            "trim line anterior to the malleoli; cast at the contracture angle and tune the "
            "shank angle with footwear",
            f"{_REF} §2.5 rule 1 (D); rigid PP 4.4 N·m/deg §1.2 [S5] (V); §3",
        )
    ]
    if found.spastic and not found.contracture_or_crouch:
        reasons.append(
            Reason(
                "no contracture: patients without one walk better with dorsiflexion free in "
                "stance; consider a plantarflexion-stop articulated AFO",
                f"{_REF} §2.1 [S38] (V)",
            )
        )
    return "solid", (_k(SOLID_RANGE_NM_PER_DEG[0]), _k(SOLID_RANGE_NM_PER_DEG[1])), reasons


def _pls_part(found: _Findings, floor: float | None, floor_reasons: list[Reason]) -> _Part:
    """§2.5 rule 2: a PLS from the §2.2 clearance floor (semi-rigid when the floor is high)."""
    reasons = []
    if found.drop:
        text = f"foot-drop signs: {', '.join(found.drop + found.compensation)}"
        if not found.spastic and not found.pf_weak:
            text += (
                "; isolated dorsiflexor weakness (no spasticity recorded, plantarflexors ≥ 4/5 "
                "or not tested) → posterior leaf spring (PLS), trim line behind the malleoli"
            )
        reasons.append(Reason(text, f"{_REF} §2.5 rule 2 (D); §2.4 [S55] (V)"))
    if 0 < found.mas < MAS_SOLID:
        reasons.append(
            Reason(
                "Modified Ashworth 1: tone adds to the holding moment, so SF 3 is used",
                f"{_REF} §2.2 (U)",
            )
        )
    reasons.extend(floor_reasons)
    if floor is None:
        return "pls", None, reasons
    kind = "pls"
    if floor > _k(PLS_MAX_NM_PER_DEG):
        kind = "semi-rigid"
        reasons.append(
            Reason(
                f"the floor exceeds {PLS_MAX_NM_PER_DEG:g} N·m/deg: a PLS this stiff blocks "
                "loading-response plantarflexion → semi-rigid (trim line at the malleoli); a "
                "cushioned heel limits the knee-flexion moment at loading",
                f"{_REF} §2.5 rule 2 upper limit (D); §3 [S48] (V)",
            )
        )
    elif floor > _k(PLS_RANGE_NM_PER_DEG[1]):
        reasons.append(
            Reason(
                "the floor is above the usual PLS range 0.3–1.0 N·m/deg: check loading-response "
                "plantarflexion and the knee at fitting",
                f"{_REF} §2.5 rule 2 (D); §3 [S48] (V)",
            )
        )
    lo, hi = _widen(floor, _k(PLS_RANGE_NM_PER_DEG[1]))
    if kind == "pls":  # a PLS stiffer than PLS_MAX blocks loading-response PF
        hi = min(hi, _k(PLS_MAX_NM_PER_DEG))
    return kind, (lo, hi), reasons


def _leaf_part(found: _Findings, mass_kg: float | None) -> _Part:
    """§2.5 rule 3: a spring-like dorsal leaf, 0.035-0.09 N·m/deg per kg (semi-rigid profile)."""
    lo, hi = DORSAL_LEAF_NM_PER_DEG_PER_KG
    reasons = [
        Reason(
            f"plantarflexor weakness ({', '.join(found.pf_weak) or 'set by the clinician'}) → "
            f"spring-like dorsal-leaf AFO, {lo}–{hi} N·m/deg per kg body mass; afofit has no "
            "dorsal-leaf profile yet, so the nearest existing design, semi-rigid, is used",
            f"{_REF} §2.5 rule 3 (D from §2.1 [S7] (V))",
        ),
        Reason(
            "titrate: each +1 N·m/deg lowers peak stance dorsiflexion by about 1.1°; the best "
            "stiffness is often below supplier body-weight tables (by 1.2 ± 1.3 N·m/deg)",
            f"{_REF} §2.1 [S7], [S37] (V)",
        ),
    ]
    k = None if mass_kg is None else (_k(lo * mass_kg), _k(hi * mass_kg))
    return "semi-rigid", k, reasons


def _trial_need(
    side: str, sg: SideGait, clinical: ClinicalInputs, body: _Body, forced: str | None
) -> _Need:
    """Apply §2.5 rules 1-4 to one trial; with ``forced``, size the clinician's type instead."""
    found = _findings(side, sg, clinical)
    sf = SAFETY_FACTOR_TONE if 0 < found.mas < MAS_SOLID else SAFETY_FACTOR
    floor, floor_reasons = _clearance_floor(sg, body, clinical.mtc_margin_mm, sf)
    parts: list[_Part] = []
    if found.spastic or forced == "solid":
        parts.append(_solid_part(found))
    if found.drop or forced in ("pls", "semi-rigid"):
        parts.append(_pls_part(found, floor, floor_reasons))
    if found.pf_weak and forced != "pls":
        parts.append(_leaf_part(found, body.mass_kg))
    reasons = [r for part in parts for r in part[2]]
    if found.drop and found.pf_weak:
        reasons.append(
            Reason(
                "dorsiflexor and plantarflexor needs conflict (free plantarflexion at loading, "
                "resisted dorsiflexion in stance): the larger stiffness is taken; consider an "
                "articulated AFO with separate PF and DF resistance",
                f"{_REF} §2.5 rule 4 (D)",
            )
        )
    kind = forced or max((p[0] for p in parts), key=AFO_TYPES.index, default="none")
    if kind == "none":
        return _Need("none", None, tuple(reasons), floor)
    ranges = [p[1] for p in parts if p[1] is not None]
    missing = len(ranges) < len(parts)
    if missing and kind == "solid":
        reasons.append(
            Reason("no body mass: the clearance floor was not compared with 4 N·m/deg", "afofit")
        )
    k = (max(r[0] for r in ranges), max(r[1] for r in ranges)) if ranges else None
    return _Need(kind, k, tuple(reasons), floor, needs_mass=missing and kind != "solid")


def _spread(name: str, sg: SideGait, need: _Need) -> TrialSpread:
    def deg(metric: str) -> float | None:
        value = _mean(sg, metric)
        return None if value is None else rad_to_deg(value)

    speed = _mean(sg, "walking_speed_mm_per_s")
    k = need.k_nmm_per_rad
    return TrialSpread(
        trial=name,
        cycles=sg.cycles,
        flags=tuple(f.name for f in sg.flags),
        min_toe_clearance_mm=_mean(sg, "min_toe_clearance_mm"),
        ankle_at_contact_deg=deg("ankle_at_contact_rad"),
        peak_stance_df_deg=deg("peak_stance_df_rad"),
        peak_swing_df_deg=deg("peak_swing_df_rad"),
        walking_speed_m_per_s=None if speed is None else speed / 1000.0,
        stiffness_floor_nm_per_deg=(
            None if need.floor_nmm_per_rad is None else need.floor_nmm_per_rad * _NM_PER_DEG
        ),
        afo_type=need.afo_type,
        stiffness_nm_per_deg=None if k is None else (k[0] * _NM_PER_DEG, k[1] * _NM_PER_DEG),
    )


def _body_mass(
    trials: Sequence[TrialGait], clinical: ClinicalInputs
) -> tuple[float | None, list[Reason]]:
    """The body mass: the clinician's, else the first plausible one in the trial files."""
    if clinical.body_mass_kg is not None:
        return clinical.body_mass_kg, []
    found = [(t.trial.path, t.trial.body_mass_kg) for t in trials if t.trial.body_mass_kg]
    usable = [(path, m) for path, m in found if 20.0 <= m <= 250.0]
    reasons = [
        Reason(f"body mass {m:g} kg in {path} ignored: outside 20–250 kg", "afofit")
        for path, m in found
        if (path, m) not in usable
    ]
    if not usable:
        return None, reasons
    path, mass = usable[0]
    reasons.append(
        Reason(f"body mass {mass:.4g} kg from {path}; --mass overrides it", "trial file")
    )
    masses = [m for _, m in usable]
    if max(masses) - min(masses) > 1.0:
        reasons.append(
            Reason(
                f"the trial files disagree on body mass ({min(masses):.4g}–{max(masses):.4g} kg); "
                f"{mass:.4g} kg is used",
                "trial file",
            )
        )
    return mass, reasons


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


def _across(present: list[tuple[str, SideGait]], needs: list[_Need], driving: str) -> Reason:
    """One line on how the trials differ and which one sets the prescription."""
    signed = [n for (n, sg), need in zip(present, needs, strict=True) if need.afo_type != "none"]
    floors = [need.floor_nmm_per_rad * _NM_PER_DEG for need in needs if need.floor_nmm_per_rad]
    text = f"{len(present)} trials; an AFO is indicated in {len(signed)}"
    if signed:
        text += f" ({', '.join(signed)})"
    if floors:
        text += f"; clearance floor {min(floors):.2f}–{max(floors):.2f} N·m/deg across trials"
    text += (
        f"; the most demanding trial, {driving}, sets the prescription because foot drop can "
        "vary with heat and fatigue (see the spread)"
    )
    return Reason(text, "afofit: the worst trial drives (D)")


def _side(
    side: str,
    present: list[tuple[str, SideGait]],
    clinical: ClinicalInputs,
    body: _Body,
) -> tuple[_Need, int, list[_Need], list[Reason]]:
    """The driving need of one side, its trial index, every trial's own need, override lines."""
    needs = [_trial_need(side, sg, clinical, body, None) for _, sg in present]
    forced = _on(clinical.afo_type, side)
    sized = needs
    if forced is not None:
        sized = [_trial_need(side, sg, clinical, body, forced) for _, sg in present]
    # The most supportive type, then the stiffest; ties go to the first trial given.
    worst = max(range(len(sized)), key=lambda i: (sized[i].severity, -i))
    need, notes = sized[worst], []
    if forced is not None:
        rule = max(needs, key=lambda n: n.severity).afo_type
        notes.append(
            Reason(
                f"AFO type set by the clinician: {forced} (afofit's rule gave {rule}); the "
                f"stiffness below is sized for {forced}",
                "set by the clinician",
            )
        )
    return need, worst, needs, notes


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
    mass, mass_reasons = _body_mass(trials, clinical)
    result = {}
    for side in SIDES:
        present = [
            (n, t.sides[side]) for n, t in zip(names, trials, strict=True) if side in t.sides
        ]
        if not present:
            continue
        body = _body(side, clinical, mass)
        need, worst, needs, rationale = _side(side, present, clinical, body)
        rationale.extend(need.reasons)
        k = need.k_nmm_per_rad
        override = _on(clinical.stiffness_nm_per_deg, side)
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
            was = f" (afofit's rule gave {_fmt_k(k)})" if k is not None else ""
            rationale.insert(
                0,
                Reason(
                    f"stiffness set by the clinician: {override[0]:g}–{override[1]:g} N·m/deg{was}",
                    "set by the clinician",
                ),
            )
            k = (_k(override[0]), _k(override[1]))
        elif need.afo_type != "none" and (k is None or need.needs_mass):
            raise GaitError(
                f"{side} side: a {need.afo_type} AFO is indicated and its stiffness needs the body "
                f"mass, which neither the inputs nor the {len(trials)} trial file(s) give. "
                "Pass --mass KG (or set the stiffness yourself with --stiffness LOW HIGH)."
            )
        if need.afo_type == "none":
            k = None
        if need.afo_type == "none" and _on(clinical.afo_type, side) is None:
            rationale.insert(
                0,
                Reason(
                    f"no AFO: no foot-drop sign in {len(present)} trial(s), and no spasticity, "
                    "contracture or plantarflexor weakness recorded",
                    f"{_REF} §2.4, §2.5 (D)",
                ),
            )
            seen = sorted({f.name for _, sg in present for f in sg.flags} & set(COMPENSATION_FLAGS))
            if seen:
                rationale.insert(
                    1,
                    Reason(
                        f"but {', '.join(seen)} was seen: a compensation that can hide a foot "
                        "drop; check the ankle in swing",
                        f"{_REF} §2.4 [S56] (A), [S57] (V)",
                    ),
                )
        if len(present) > 1:
            rationale.append(_across(present, needs, present[worst][0]))
        rationale.extend(mass_reasons)
        rationale.extend(body.reasons)
        moment = body.holding_moment_nmm
        result[side] = Prescription(
            side=side,
            afo_type=need.afo_type,
            stiffness_nm_per_deg=None if k is None else (k[0] * _NM_PER_DEG, k[1] * _NM_PER_DEG),
            rationale=tuple(rationale),
            holding_moment_nm=None if moment is None else moment / 1000.0,
            driving_trial=present[worst][0],
            spread=tuple(_spread(n, sg, nd) for (n, sg), nd in zip(present, needs, strict=True)),
        )
    if not result:
        raise GaitError(
            f"none of the {len(trials)} trial(s) has a complete stride on either side, so there "
            "is nothing to prescribe from; check the foot-strike events in the files"
        )
    return result


def _r(value: float | None, digits: int) -> float | None:
    return None if value is None else round(float(value), digits)


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
            "stiffness_nm_per_deg": None if k is None else [_r(k[0], 3), _r(k[1], 3)],
            "rationale": [{"text": r.text, "source": r.source} for r in p.rationale],
            "holding_moment_nm": _r(p.holding_moment_nm, 3),
            "driving_trial": p.driving_trial,
            "spread": {t.trial: _spread_dict(t) for t in p.spread},
        }
    return out


def _spread_dict(t: TrialSpread) -> dict[str, Any]:
    k = t.stiffness_nm_per_deg
    return {
        "cycles": int(t.cycles),
        "flags": list(t.flags),
        "min_toe_clearance_mm": _r(t.min_toe_clearance_mm, 1),
        "ankle_at_contact_deg": _r(t.ankle_at_contact_deg, 1),
        "peak_stance_df_deg": _r(t.peak_stance_df_deg, 1),
        "peak_swing_df_deg": _r(t.peak_swing_df_deg, 1),
        "walking_speed_m_per_s": _r(t.walking_speed_m_per_s, 3),
        "stiffness_floor_nm_per_deg": _r(t.stiffness_floor_nm_per_deg, 3),
        "afo_type": t.afo_type,
        "stiffness_nm_per_deg": None if k is None else [_r(k[0], 3), _r(k[1], 3)],
    }
