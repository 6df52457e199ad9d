"""Signs of abnormal gait (foot drop and its compensations) judged from per-cycle metrics.

Every threshold lives in ``THRESHOLDS`` below, in clinical units (degrees, degrees per
second, mm) with its source; ``limit`` holds it in internal units, converted once. Tags: a
``[Sxx]`` is a reference of ``afo-engineering.md``; ``[D]`` marks our own heuristic with its
reasoning, to be overridden by the clinician. Each threshold is judged on the side's mean
over its strides.

Healthy reference values used to check the heuristics (side means, this package's metric
definitions, the two healthy C3Ds in ``shared/data/gait``: HBM2 treadmill, PiG overground)
are quoted as "healthy here".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from afofit.gait.model import METRICS, REFERENCE, SIDES, Flag, SideGait
from afofit.units import deg_to_rad, rad_to_deg

__all__ = ["ASYMMETRY", "THRESHOLDS", "Threshold", "flag_asymmetry", "flag_side"]


def _same(value: float) -> float:
    """mm and percentage points are already internal units."""
    return value


_TO_INTERNAL: dict[str, Callable[[float], float]] = {
    "deg": deg_to_rad,
    "deg/s": deg_to_rad,
    "mm": _same,
    "%": _same,
}


@dataclass(frozen=True, slots=True)
class Threshold:
    """One rule: flag ``flag`` when the side's mean ``metric`` is beyond ``value``.

    Parameters
    ----------
    flag : str
        ``Flag.name`` it raises.
    metric : str
        A name in ``METRICS``.
    above : bool
        True: flagged above ``value``; False: below.
    value : float
        In ``unit`` (clinical units, as the sources give them).
    unit : str
        ``"deg"``, ``"deg/s"``, ``"mm"`` or ``"%"`` (percentage points).
    label : str
        What the metric is, for the sentence shown to the clinician.
    meaning : str
        What crossing it means.
    source : str
        Where the number comes from.
    """

    flag: str
    metric: str
    above: bool
    value: float
    unit: str
    label: str
    meaning: str
    source: str
    limit: float = field(init=False)

    def __post_init__(self) -> None:
        if self.metric not in METRICS:
            raise ValueError(f"unknown metric {self.metric!r}")
        object.__setattr__(self, "limit", float(_TO_INTERNAL[self.unit](self.value)))


# fmt: off
#: Per-side rules. Order: the core foot-drop signs first.
THRESHOLDS: tuple[Threshold, ...] = (
    # Swing: the foot should come back to ≈ neutral for clearance, §2.3 [S47]; not doing
    # so is the core foot-drop sign, §2.4 [S55]. Limit at neutral [D] (healthy here ≥ 0.9°).
    Threshold("reduced_swing_df", "peak_swing_df_rad", False, 0.0, "deg",
              "Peak ankle dorsiflexion in swing", "the foot stays plantarflexed through swing",
              f"{REFERENCE} §2.3 [S47], §2.4 [S55]; limit at neutral [D]"),
    # Toe drag, §2.4 [S55]: 5 mm [D] = under half the elderly MTC of 11 mm [S51], about the
    # scatter of a toe marker's stance height.
    Threshold("toe_drag", "min_toe_clearance_mm", False, 5.0, "mm",
              "Minimum toe clearance in mid-swing", "the toe scrapes or drags",
              f"{REFERENCE} §2.4 [S55]; 5 mm [D] under half the 11 mm of §2.3 [S51]"),
    # Healthy MTC 1.3 cm young, 1.1 cm elderly (Winter), §2.3 [S51]: below the lower one
    # (healthy here 12.0–21.8 mm side means; single strides down to 9 mm).
    Threshold("reduced_toe_clearance", "min_toe_clearance_mm", False, 11.0, "mm",
              "Minimum toe clearance in mid-swing", "below the healthy 1.1–1.3 cm",
              f"{REFERENCE} §2.3 [S51]"),
    # Foot slap, §2.4 [S54, S55]: uncontrolled PF after contact. Unbraced loading PF goes to
    # ≈ 15°, §2.3 [S48]: beyond it is uncontrolled.
    Threshold("foot_slap", "loading_pf_rad", True, 15.0, "deg",
              "Plantarflexion in loading response", "beyond the ≈ 15° of unbraced walking",
              f"{REFERENCE} §2.3 [S48], §2.4 [S54, S55]"),
    # Foot slap by speed [D]: no source gives a number; healthy here: side means up to
    # 173°/s, single strides up to 218°/s, so 250°/s leaves a margin.
    Threshold("foot_slap", "loading_pf_velocity_rad_per_s", True, 250.0, "deg/s",
              "Peak plantarflexion velocity in loading response", "the forefoot drops uncontrolled",
              f"{REFERENCE} §2.4 [S54, S55]; 250°/s [D] above healthy means ≤ 173°/s"),
    # Contact ≈ neutral, §2.3 [S47]; 5° margin [D] (healthy here ≥ −3.4°).
    Threshold("equinus_at_contact", "ankle_at_contact_rad", False, -5.0, "deg",
              "Ankle angle at foot strike", "forefoot or flat-foot contact instead of heel",
              f"{REFERENCE} §2.3 [S47]; 5° margin [D]"),
    # Steppage, §2.4 [S56, S54]: ≈ 70° knee flexion is the healthy swing peak, §2.3 [S47];
    # +10° [D] (healthy here up to 74° side mean).
    Threshold("steppage", "peak_swing_knee_flexion_rad", True, 80.0, "deg",
              "Peak knee flexion in swing", "the knee lifts the foot high (steppage)",
              f"{REFERENCE} §2.3 [S47] (≈ 70°) + 10° [D], §2.4 [S56]"),
    # No hip norm in §2.3; healthy here 28–37° (PiG hip angles include pelvic tilt) [D].
    Threshold("steppage", "peak_swing_hip_flexion_rad", True, 50.0, "deg",
              "Peak hip flexion in swing", "the hip lifts the foot high (steppage)",
              f"{REFERENCE} §2.4 [S56]; 50° [D] above healthy 28–37°"),
    # Circumduction, §2.4 [S56]: 60 mm [D]; healthy here 16–41 mm side means with this
    # definition (single treadmill strides up to 60 mm).
    Threshold("circumduction", "circumduction_mm", True, 60.0, "mm",
              "Outward toe swing from the line between its stance positions",
              "the leg swings out around the foot (circumduction)",
              f"{REFERENCE} §2.4 [S56]; 60 mm [D] above healthy 16–41 mm"),
    # PF weakness (§2.5 rule 3) lets the tibia roll over: peak stance DF 5–10° in §2.3
    # [S47, S49], but marker models read higher (healthy here 15–22° side means, model
    # offsets), so 25° [D].
    Threshold("excess_stance_df", "peak_stance_df_rad", True, 25.0, "deg",
              "Peak ankle dorsiflexion in stance", "the tibia collapses forward (calf weakness)",
              f"{REFERENCE} §2.3 [S47, S49], §2.5 rule 3; 25° [D] for marker-model offsets"),
)

#: Left-right rules: flagged on the side whose value is lower (swing DF, clearance) or
#: shorter (stance, as an affected limb avoids loading), when |left − right| exceeds.
ASYMMETRY: tuple[Threshold, ...] = (
    Threshold("asymmetry", "peak_swing_df_rad", True, 5.0, "deg",
              "Peak swing dorsiflexion", "one foot drops more than the other",
              "5° [D]: healthy sides here differ by ≤ 3.2°"),
    Threshold("asymmetry", "min_toe_clearance_mm", True, 10.0, "mm",
              "Minimum toe clearance", "one toe clears the floor less",
              "10 mm [D]: healthy sides here differ by ≤ 4 mm"),
    Threshold("asymmetry", "stance_pct", True, 5.0, "%",
              "Stance phase", "the limb is loaded for a shorter part of the stride",
              "5 percentage points [D]: healthy sides here differ by ≤ 3.1"),
)
# fmt: on


def _text(value: float, unit: str) -> str:
    """A value in internal units as clinical text: degrees, °/s, cm or %."""
    if unit == "deg":
        return f"{rad_to_deg(value):.1f}°"
    if unit == "deg/s":
        return f"{rad_to_deg(value):.0f}°/s"
    if unit == "mm":
        return f"{value / 10:.1f} cm"
    return f"{value:.1f} %"


def flag_side(side_gait: SideGait) -> tuple[Flag, ...]:
    """Judge one side's mean metrics against ``THRESHOLDS``.

    Parameters
    ----------
    side_gait : SideGait
        Its ``flags`` are ignored; metrics it lacks are not judged.

    Returns
    -------
    tuple of Flag
        One per crossed threshold, in ``THRESHOLDS`` order (a sign judged on two metrics,
        e.g. ``steppage``, may appear twice).
    """
    flags = []
    for rule in THRESHOLDS:
        mean = side_gait.mean(rule.metric)
        if mean is None or not (mean > rule.limit if rule.above else mean < rule.limit):
            continue
        detail = (
            f"{rule.label} averages {_text(mean, rule.unit)} over {side_gait.cycles} "
            f"stride{'s' if side_gait.cycles != 1 else ''} on the {side_gait.side}, "
            f"{'above' if rule.above else 'below'} {_text(rule.limit, rule.unit)}: "
            f"{rule.meaning}."
        )
        flags.append(Flag(rule.flag, rule.metric, mean, rule.limit, detail, rule.source))
    return tuple(flags)


def flag_asymmetry(sides: dict[str, SideGait]) -> dict[str, tuple[Flag, ...]]:
    """Compare left and right against ``ASYMMETRY``.

    Parameters
    ----------
    sides : dict
        ``side -> SideGait``; nothing is flagged unless both sides are present.

    Returns
    -------
    dict
        ``side -> flags`` for the side each difference is charged to. ``Flag.value`` is
        the |left − right| difference of the side means (internal units).
    """
    out: dict[str, list[Flag]] = {side: [] for side in sides}
    if not all(side in sides for side in SIDES):
        return dict.fromkeys(sides, ())
    for rule in ASYMMETRY:
        means = {side: sides[side].mean(rule.metric) for side in SIDES}
        left, right = means["left"], means["right"]
        if left is None or right is None or abs(left - right) <= rule.limit:
            continue
        worse, other = ("left", "right") if left < right else ("right", "left")
        diff = abs(left - right)
        detail = (
            f"{rule.label} is {_text(diff, rule.unit)} lower on the {worse} than on the "
            f"{other} ({_text(means[worse] or 0.0, rule.unit)} vs "
            f"{_text(means[other] or 0.0, rule.unit)}), more than "
            f"{_text(rule.limit, rule.unit)}: {rule.meaning}."
        )
        out[worse].append(Flag(rule.flag, rule.metric, diff, rule.limit, detail, rule.source))
    return {side: tuple(flags) for side, flags in out.items()}
