"""The clinical rules that choose an AFO type and stiffness for one side, and their constants.

Implements the heuristic of afo-engineering.md §2.5 (tag **D**: not a validated clinical rule;
the clinician can override the type and the stiffness) on the swing-holding floor of §2.2
(:mod:`afofit.gait.holding`):

1. spasticity (Modified Ashworth ≥ 1+), PF contracture or crouch → solid, k ≥ 4 N·m/deg
   (``_solid_part``);
2. isolated dorsiflexor weakness (foot-drop flags) → PLS, k from the toe-clearance floor
   (``_pls_part``);
3. plantarflexor weakness (``excess_stance_df`` or MRC ≤ 3/5) → spring-like dorsal leaf,
   k = 0.035–0.09 N·m/deg per kg (``_leaf_part``);
4. several at once → the more supportive type and the larger stiffness (``_trial_need``).

Each trial is judged alone; the most demanding trial drives (``side_need``).
:func:`afofit.gait.prescribe.prescribe` applies the clinician's overrides and builds the
:class:`~afofit.gait.prescribe.Prescription`. Inside: mm, kg, N·mm, rad.
"""

from __future__ import annotations

from dataclasses import dataclass

from afofit.clinical import AFO_TYPES, ClinicalInputs, on_side
from afofit.gait.holding import SAFETY_FACTOR, SAFETY_FACTOR_TONE, Body, clearance_floor
from afofit.gait.model import REFERENCE, Reason, SideGait
from afofit.units import nm_per_deg_to_nmm_per_rad, nmm_per_rad_to_nm_per_deg

__all__ = [
    "COMPENSATION_FLAGS",
    "CROUCH_FLAGS",
    "DORSAL_LEAF_NM_PER_DEG_PER_KG",
    "FOOT_DROP_FLAGS",
    "MAS_SOLID",
    "MIN_RANGE_FACTOR",
    "PF_WEAKNESS_FLAGS",
    "PF_WEAK_MRC",
    "PLS_MAX_NM_PER_DEG",
    "PLS_RANGE_NM_PER_DEG",
    "SOLID_RANGE_NM_PER_DEG",
    "Need",
    "across_trials",
    "format_k",
    "side_need",
]


#: AFO types, least to most supportive; all but "none" are design profiles in profiles/designs.
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


@dataclass(frozen=True, slots=True)
class Need:
    """What one trial asks for: type, stiffness (N·mm/rad) and why."""

    afo_type: str
    k_nmm_per_rad: tuple[float, float] | None
    reasons: tuple[Reason, ...]
    floor_nmm_per_rad: float | None  # the §2.2 clearance floor of this trial (spread)
    needs_mass: bool = False

    @property
    def severity(self) -> tuple[int, float]:
        return AFO_TYPES.index(self.afo_type), (self.k_nmm_per_rad or (-1.0, -1.0))[0]


def _nmm_per_rad(k_nm_per_deg: tuple[float, float]) -> tuple[float, float]:
    """A stiffness range given in N·m/deg, in N·mm/rad."""
    return nm_per_deg_to_nmm_per_rad(k_nm_per_deg[0]), nm_per_deg_to_nmm_per_rad(k_nm_per_deg[1])


def format_k(k_nmm_per_rad: tuple[float, float]) -> str:
    """``k_nmm_per_rad`` (low, high), N·mm/rad, as text in N·m/deg ("0.40–0.80 N·m/deg")."""
    lo, hi = (nmm_per_rad_to_nm_per_deg(k) for k in k_nmm_per_rad)
    return f"{lo:.2f}–{hi:.2f} N·m/deg"


def _widen(lo: float, hi: float) -> tuple[float, float]:
    return lo, max(hi, lo * MIN_RANGE_FACTOR)


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
    mas = on_side(clinical.spasticity, side) or 0.0
    contracture = bool(on_side(clinical.contracture, side))
    crouch = bool(on_side(clinical.crouch, side)) or bool(signs & set(CROUCH_FLAGS))
    strength = on_side(clinical.pf_strength, side)
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
            f"{REFERENCE} §2.5 rule 1 (D); rigid PP 4.4 N·m/deg §1.2 [S5] (V); §3",
        )
    ]
    if found.spastic and not found.contracture_or_crouch:
        reasons.append(
            Reason(
                "no contracture: patients without one walk better with dorsiflexion free in "
                "stance; consider a plantarflexion-stop articulated AFO",
                f"{REFERENCE} §2.1 [S38] (V)",
            )
        )
    return (
        "solid",
        (
            nm_per_deg_to_nmm_per_rad(SOLID_RANGE_NM_PER_DEG[0]),
            nm_per_deg_to_nmm_per_rad(SOLID_RANGE_NM_PER_DEG[1]),
        ),
        reasons,
    )


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
        reasons.append(Reason(text, f"{REFERENCE} §2.5 rule 2 (D); §2.4 [S55] (V)"))
    if 0 < found.mas < MAS_SOLID:
        reasons.append(
            Reason(
                "Modified Ashworth 1: tone adds to the holding moment, so SF 3 is used",
                f"{REFERENCE} §2.2 (U)",
            )
        )
    reasons.extend(floor_reasons)
    if floor is None:
        return "pls", None, reasons
    kind = "pls"
    if floor > nm_per_deg_to_nmm_per_rad(PLS_MAX_NM_PER_DEG):
        kind = "semi-rigid"
        reasons.append(
            Reason(
                f"the floor exceeds {PLS_MAX_NM_PER_DEG:g} N·m/deg: a PLS this stiff blocks "
                "loading-response plantarflexion → semi-rigid (trim line at the malleoli); a "
                "cushioned heel limits the knee-flexion moment at loading",
                f"{REFERENCE} §2.5 rule 2 upper limit (D); §3 [S48] (V)",
            )
        )
    elif floor > nm_per_deg_to_nmm_per_rad(PLS_RANGE_NM_PER_DEG[1]):
        reasons.append(
            Reason(
                "the floor is above the usual PLS range 0.3–1.0 N·m/deg: check loading-response "
                "plantarflexion and the knee at fitting",
                f"{REFERENCE} §2.5 rule 2 (D); §3 [S48] (V)",
            )
        )
    lo, hi = _widen(floor, nm_per_deg_to_nmm_per_rad(PLS_RANGE_NM_PER_DEG[1]))
    if kind == "pls":  # a PLS stiffer than PLS_MAX blocks loading-response PF
        hi = min(hi, nm_per_deg_to_nmm_per_rad(PLS_MAX_NM_PER_DEG))
    return kind, (lo, hi), reasons


def _leaf_part(found: _Findings, mass_kg: float | None) -> _Part:
    """§2.5 rule 3: a spring-like dorsal leaf, 0.035-0.09 N·m/deg per kg (semi-rigid profile)."""
    lo, hi = DORSAL_LEAF_NM_PER_DEG_PER_KG
    reasons = [
        Reason(
            f"plantarflexor weakness ({', '.join(found.pf_weak) or 'set by the clinician'}) → "
            f"spring-like dorsal-leaf AFO, {lo}–{hi} N·m/deg per kg body mass; afofit has no "
            "dorsal-leaf profile yet, so the nearest existing design, semi-rigid, is used",
            f"{REFERENCE} §2.5 rule 3 (D from §2.1 [S7] (V))",
        ),
        Reason(
            "titrate: each +1 N·m/deg lowers peak stance dorsiflexion by about 1.1°; the best "
            "stiffness is often below supplier body-weight tables (by 1.2 ± 1.3 N·m/deg)",
            f"{REFERENCE} §2.1 [S7], [S37] (V)",
        ),
    ]
    k = None if mass_kg is None else _nmm_per_rad((lo * mass_kg, hi * mass_kg))
    return "semi-rigid", k, reasons


def _trial_need(
    side: str, sg: SideGait, clinical: ClinicalInputs, body: Body, forced: str | None
) -> Need:
    """Apply §2.5 rules 1-4 to one trial; with ``forced``, size the clinician's type instead."""
    found = _findings(side, sg, clinical)
    sf = SAFETY_FACTOR_TONE if 0 < found.mas < MAS_SOLID else SAFETY_FACTOR
    floor, floor_reasons = clearance_floor(sg, body, clinical.mtc_margin_mm, sf)
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
                f"{REFERENCE} §2.5 rule 4 (D)",
            )
        )
    kind = forced or max((p[0] for p in parts), key=AFO_TYPES.index, default="none")
    if kind == "none":
        return Need("none", None, tuple(reasons), floor)
    ranges = [p[1] for p in parts if p[1] is not None]
    missing = len(ranges) < len(parts)
    if missing and kind == "solid":
        reasons.append(
            Reason("no body mass: the clearance floor was not compared with 4 N·m/deg", "afofit")
        )
    k = (max(r[0] for r in ranges), max(r[1] for r in ranges)) if ranges else None
    return Need(kind, k, tuple(reasons), floor, needs_mass=missing and kind != "solid")


def across_trials(present: list[tuple[str, SideGait]], needs: list[Need], driving: str) -> Reason:
    """One line on how the trials differ and which one sets the prescription.

    ``present`` is each trial's (name, side gait), ``needs`` their needs in the same
    order, ``driving`` the name of the trial that sets the prescription.
    """
    signed = [n for (n, sg), need in zip(present, needs, strict=True) if need.afo_type != "none"]
    floors = [
        nmm_per_rad_to_nm_per_deg(need.floor_nmm_per_rad)
        for need in needs
        if need.floor_nmm_per_rad
    ]
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


def side_need(
    side: str,
    present: list[tuple[str, SideGait]],
    clinical: ClinicalInputs,
    body: Body,
) -> tuple[Need, int, list[Need], list[Reason]]:
    """The driving need of one side, its trial index, every trial's own need, override lines.

    ``present`` is each trial's (name, gait of this ``side``); ``clinical`` the clinician's
    inputs (an AFO type it forces); ``body`` the side's mass and holding moment.
    """
    needs = [_trial_need(side, sg, clinical, body, None) for _, sg in present]
    forced = on_side(clinical.afo_type, side)
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
