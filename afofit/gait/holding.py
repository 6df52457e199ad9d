"""The body numbers of a prescription: body mass, holding moment and clearance floor.

afo-engineering.md §2.2: in swing the brace holds the foot's weight, a static moment
``M_hold = m_foot·g·d`` about the ankle (``body_numbers``); each radian the brace lets the foot
drop costs 17.1 cm of toe clearance, so keeping the measured clearance (less a margin)
takes at least ``k_min = SF·M_hold/Δθ_allow`` (``clearance_floor``). The §2.5 rules that
use these numbers are in :mod:`afofit.gait.rules`; :func:`afofit.gait.prescribe.prescribe`
puts them together.

Inside: mm, kg, N·mm, rad; :mod:`afofit.units` converts N·mm/rad to the clinician's N·m/deg.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from afofit.anthropometry import BODY_MASS_RANGE_KG, FOOT_PER_STATURE, TYPICAL_FOOT_LENGTH_MM
from afofit.clinical import ClinicalInputs, on_side
from afofit.gait.model import REFERENCE, Reason, SideGait, TrialGait
from afofit.units import deg_to_rad, nmm_per_rad_to_nm_per_deg, nmm_to_nm, rad_to_deg

__all__ = [
    "ANKLE_AXIS_FRACTION",
    "DEFLECTION_ALLOW_RAD",
    "FOOT_COM_FRACTION",
    "FOOT_MASS_FRACTION",
    "GRAVITY_M_PER_S2",
    "HEALTHY_MTC_MM",
    "MTC_MM_PER_RAD",
    "SAFETY_FACTOR",
    "SAFETY_FACTOR_TONE",
    "Body",
    "body_mass",
    "body_numbers",
    "clearance_floor",
]


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


@dataclass(frozen=True, slots=True)
class Body:
    """Per-side body numbers shared by every trial."""

    mass_kg: float | None
    holding_moment_nmm: float | None
    reasons: tuple[Reason, ...]


def body_mass(
    trials: Sequence[TrialGait], clinical: ClinicalInputs
) -> tuple[float | None, list[Reason]]:
    """The body mass, kg: the ``clinical`` one, else the first plausible one in the ``trials``."""
    if clinical.body_mass_kg is not None:
        return clinical.body_mass_kg, []
    found = [(t.trial.path, t.trial.body_mass_kg) for t in trials if t.trial.body_mass_kg]
    low, high = BODY_MASS_RANGE_KG
    usable = [(path, m) for path, m in found if low <= m <= high]
    reasons = [
        Reason(f"body mass {m:g} kg in {path} ignored: outside {low:g}–{high:g} kg", "afofit")
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


def body_numbers(side: str, clinical: ClinicalInputs, mass_kg: float | None) -> Body:
    """Foot mass, foot length and the static holding moment M_hold = m_foot·g·d (§2.2).

    ``side`` picks the ``clinical`` per-side inputs (foot length, sex); ``mass_kg`` is
    the body mass (None: no moment, the reasons say why).
    """
    src = f"{REFERENCE} §2.2 [S44] (V)"
    reasons = []
    length = on_side(clinical.foot_length_mm, side)
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
        return Body(None, None, tuple(reasons))
    foot_kg = fraction * mass_kg
    lever_mm = (FOOT_COM_FRACTION - ANKLE_AXIS_FRACTION) * length
    moment = foot_kg * GRAVITY_M_PER_S2 * lever_mm
    reasons.insert(
        0,
        Reason(
            f"holding moment M_hold = m_foot·g·d = {foot_kg:.3f} kg × 9.81 m/s² × {lever_mm:.1f} mm"
            f" = {nmm_to_nm(moment):.3f} N·m (foot {100 * fraction:.2f} % of {mass_kg:.4g} kg; "
            f"centre of mass at 50 % of the {length:.0f} mm foot, ankle axis at 22.5 %)",
            f"{src}; ankle axis at 20–25 % of foot length (U)",
        ),
    )
    return Body(mass_kg, moment, tuple(reasons))


def clearance_floor(
    sg: SideGait, body: Body, margin_mm: float, sf: float
) -> tuple[float | None, list[Reason]]:
    """k_min = SF·M_hold/Δθ_allow with Δθ_allow = (MTC − margin)/(17.1 cm/rad), clamped.

    ``sg`` is one side of one trial (its toe clearance), ``body`` its holding moment,
    ``margin_mm`` the clearance kept in reserve and ``sf`` the safety factor. Returns the
    floor in N·mm/rad (None without a body mass) and its reasons.
    """
    mtc = sg.mean("min_toe_clearance_mm")
    reasons = []
    if mtc is None:
        mtc = HEALTHY_MTC_MM
        reasons.append(
            Reason(
                f"no toe clearance measured (no toe marker, or no clear minimum [S58]): the "
                f"healthy {mtc:g} mm is assumed",
                f"{REFERENCE} §2.3 [S51] (A); §2.4 [S58] (V)",
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
    reasons.append(Reason(text, f"{REFERENCE} §2.2 [S46] (V), clamp 1–6.4° (D)"))
    if body.holding_moment_nmm is None:
        return None, reasons
    floor = sf * body.holding_moment_nmm / allow
    reasons.append(
        Reason(
            f"clearance floor k_min = SF {sf:g} × {nmm_to_nm(body.holding_moment_nmm):.3f} N·m / "
            f"{rad_to_deg(allow):.2f}° = {nmm_per_rad_to_nm_per_deg(floor):.3f} N·m/deg",
            f"{REFERENCE} §2.2 (D); SF 2–3 (U)",
        )
    )
    return floor, reasons
