"""Tune a design to a target ankle stiffness: the wall thickness, and a PLS's strut width.

The search builds real shells and measures each (the caller's ``predict``: the fast
model on the built shell). Stiffness grows with thickness as a power law (about t^1.6
in afofit's FE study), so each step is a secant in log-log: the exponent is measured
from the last two shells. Thickness stays within the material's range; a posterior leaf
spring's retromalleolar strut is then widened or narrowed within
:data:`STRUT_WIDTH_RANGE_MM` (the widths the fast model was calibrated on) when the
thickness alone cannot reach the target. A target out of reach is an error that says what
the design and material can reach, and what to change.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from afofit.design import DesignParameters
from afofit.errors import FitError
from afofit.jsonready import rounded

__all__ = [
    "STRUT_WIDTH_RANGE_MM",
    "TOLERANCE",
    "OutOfReachError",
    "Tuning",
    "TuningStep",
    "describe_changes",
    "joined",
    "strut_width_mm",
    "tune_design",
    "with_strut_width",
]

#: The tuned stiffness lies within this fraction of the target (issue 11: ±10 %); the
#: search aims closer, at half of it, so that a model's error has room.
TOLERANCE = 0.10
_AIM = 0.5 * TOLERANCE
#: A PLS's retromalleolar strut width may be tuned within this range, mm: the widths the
#: fast model was calibrated on (bench/calibration/fast_model.md).
STRUT_WIDTH_RANGE_MM = (24.0, 44.0)
#: Stiffness ∝ thickness^exponent, the first guess (afofit's FE study: 1.60-1.65), and
#: ∝ strut width^exponent (first guess; each later step measures its own).
_THICKNESS_EXPONENT = 1.6
_STRUT_EXPONENT = 1.5
_MAX_STEPS = 6


@dataclass(frozen=True, slots=True)
class TuningStep:
    """One shell the search built: its thickness, strut width (None: not a PLS), stiffness."""

    thickness_mm: float
    strut_width_mm: float | None
    stiffness_nm_per_deg: float


@dataclass(frozen=True, slots=True)
class Tuning:
    """What tuning did: the design it chose and how it got there.

    Attributes
    ----------
    target_nm_per_deg : what it aimed at (the middle of the prescribed range).
    params : the tuned design.
    predicted_nm_per_deg : the stiffness of the tuned design's shell.
    steps : every shell built, in order.
    changed : parameter → (from, to) for each parameter it changed.
    """

    target_nm_per_deg: float
    params: DesignParameters
    predicted_nm_per_deg: float
    steps: tuple[TuningStep, ...]
    changed: dict[str, tuple[float, float]]

    def to_dict(self) -> dict[str, Any]:
        """fitting.json's ``stiffness.tuning`` block."""
        return {
            "target_nm_per_deg": round(self.target_nm_per_deg, 4),
            "tolerance": TOLERANCE,
            "changed": {k: [round(a, 2), round(b, 2)] for k, (a, b) in self.changed.items()},
            "steps": [
                {
                    "thickness_mm": round(s.thickness_mm, 2),
                    "strut_width_mm": rounded(s.strut_width_mm, 1),
                    "predicted_nm_per_deg": round(s.stiffness_nm_per_deg, 4),
                }
                for s in self.steps
            ],
        }


def describe_changes(changed: dict[str, Any]) -> str:
    """``changed`` (fitting.json's ``tuning.changed``: name → [from, to]) in words:
    "thickness 3.5 → 5.0 mm, strut width 32.0 → 41.2 mm", or "no change needed"."""
    words = [
        f"{name.removesuffix('_mm').replace('_', ' ')} {start:.1f} → {end:.1f} mm"
        for name, (start, end) in changed.items()
    ]
    return ", ".join(words) or "no change needed"


def strut_width_mm(params: DesignParameters, ankle_radius_mm: float) -> float | None:
    """The retromalleolar strut width (arc on an ankle of ``ankle_radius_mm``) of a design
    ``params`` with a posterior trim, mm; None for other trims."""
    if params.trim != "posterior":
        return None
    return 2.0 * params.ankle_trim_rad * ankle_radius_mm


def with_strut_width(
    params: DesignParameters, width_mm: float, ankle_radius_mm: float
) -> DesignParameters:
    """``params`` with its strut ``width_mm`` wide on an ankle of ``ankle_radius_mm``."""
    return replace(params, ankle_trim_rad=0.5 * width_mm / ankle_radius_mm)


def _secant(x0: float, k0: float, x1: float, k1: float, target: float, guess: float) -> float:
    """The next x for k(x) = target, k ∝ x^p, p from the last two points (else ``guess``)."""
    p = guess
    if x0 != x1 and k0 > 0 and k1 > 0 and k0 != k1:
        p = min(max(math.log(k1 / k0) / math.log(x1 / x0), 0.3), 4.0)
    return x1 * (target / k1) ** (1.0 / p)


def _search(
    x_start: float,
    bounds: tuple[float, float],
    guess: float,
    target: float,
    measure: Callable[[float], float],
    steps: list[TuningStep],
    step_of: Callable[[float, float], TuningStep],
    k_start: float,
) -> tuple[float, float]:
    """Secant search of x in ``bounds`` for k(x) = target; returns (x, k) last measured."""
    lo, hi = bounds
    x0, k0 = x_start, k_start
    x = min(max(_secant(x0, k0, x0, k0, target, guess), lo), hi)
    k = k0
    for _ in range(_MAX_STEPS):
        if x == x0:
            break
        k = measure(x)
        steps.append(step_of(x, k))
        if abs(k / target - 1.0) <= _AIM:
            break
        x_next = min(max(_secant(x0, k0, x, k, target, guess), lo), hi)
        x0, k0 = x, k
        if x_next == x or abs(x_next - x) < 0.02:
            break
        x = x_next
    return x, k


def tune_design(
    params: DesignParameters,
    target_nm_per_deg: float,
    predict: Callable[[DesignParameters], float],
    ankle_radius_mm: float,
) -> Tuning:
    """Tune ``params`` so that ``predict(params)`` (N·m/deg) comes within :data:`TOLERANCE`
    of ``target_nm_per_deg``.

    Thickness first, within the material's range; then, for a posterior leaf spring at a
    thickness limit, the strut width within :data:`STRUT_WIDTH_RANGE_MM`.
    ``ankle_radius_mm`` turns the strut's width into the trim's half-angle.

    Raises
    ------
    FitError
        The target is out of this design and material's reach: the message gives the
        reachable range and what to change.
    """
    target = float(target_nm_per_deg)
    steps: list[TuningStep] = []
    strut0 = strut_width_mm(params, ankle_radius_mm)

    def step(p: DesignParameters, k: float) -> TuningStep:
        return TuningStep(p.thickness_mm, strut_width_mm(p, ankle_radius_mm), k)

    k = predict(params)
    steps.append(step(params, k))
    lo, hi = params.material.thickness_range_mm
    current = params

    def at_thickness(t: float) -> float:
        nonlocal current
        current = replace(current, thickness_mm=t)
        return predict(current)

    if abs(k / target - 1.0) > _AIM:
        t, k = _search(
            params.thickness_mm, (lo, hi), _THICKNESS_EXPONENT, target, at_thickness, steps,
            lambda t, k: step(current, k), k,
        )  # fmt: skip
        current = replace(current, thickness_mm=t)
    if abs(k / target - 1.0) > TOLERANCE and strut0 is not None:
        w_lo, w_hi = STRUT_WIDTH_RANGE_MM

        def at_width(w: float) -> float:
            nonlocal current
            current = with_strut_width(current, w, ankle_radius_mm)
            return predict(current)

        w, k = _search(
            strut0, (w_lo, w_hi), _STRUT_EXPONENT, target, at_width, steps,
            lambda w, k: step(current, k), k,
        )  # fmt: skip
        current = with_strut_width(current, w, ankle_radius_mm)
    if abs(k / target - 1.0) > TOLERANCE:
        raise OutOfReachError(params, target, steps, ankle_radius_mm)
    return Tuning(target, current, k, tuple(steps), _changes(params, current, ankle_radius_mm))


def _changes(
    start: DesignParameters, end: DesignParameters, ankle_radius_mm: float
) -> dict[str, tuple[float, float]]:
    """Each tuned parameter that differs between ``start`` and ``end``: (from, to)."""
    changed = {}
    if end.thickness_mm != start.thickness_mm:
        changed["thickness_mm"] = (start.thickness_mm, end.thickness_mm)
    before, after = strut_width_mm(start, ankle_radius_mm), strut_width_mm(end, ankle_radius_mm)
    if before is not None and after is not None and abs(after - before) > 1e-9:
        changed["strut_width_mm"] = (before, after)
    return changed


class OutOfReachError(FitError):
    """A target stiffness the design cannot reach.

    Attributes
    ----------
    start, steps, ankle_radius_mm : the search's start, every shell it built, and the
        ankle it sized struts on (to refuse again with the stiffness rescaled, as FE found it).
    nearest : the design of the shell nearest the target (``nearest_step``).
    tuning : the search so far, as a :class:`Tuning` ending on ``nearest``.

    ``scale`` multiplies the steps' stiffness (FE's ratio to the fast model), and ``judge``
    says so in the message.
    """

    def __init__(
        self,
        params: DesignParameters,
        target: float,
        steps: list[TuningStep],
        ankle_radius_mm: float,
        scale: float = 1.0,
        judge: str = "",
    ) -> None:
        self.start, self.steps, self.ankle_radius_mm = params, steps, ankle_radius_mm
        # The direction is judged on the stiffness as stated (scaled), not as predicted.
        stiffer = target > scale * max(s.stiffness_nm_per_deg for s in steps)
        self.nearest_step = (max if stiffer else min)(steps, key=lambda s: s.stiffness_nm_per_deg)
        self.nearest = replace(params, thickness_mm=self.nearest_step.thickness_mm)
        if self.nearest_step.strut_width_mm is not None:
            self.nearest = with_strut_width(
                self.nearest, self.nearest_step.strut_width_mm, ankle_radius_mm
            )
        self.tuning = Tuning(
            target, self.nearest, self.nearest_step.stiffness_nm_per_deg, tuple(steps),
            _changes(params, self.nearest, ankle_radius_mm),
        )  # fmt: skip
        super().__init__(_out_of_reach(params, target, self.nearest_step, stiffer, scale, judge))


def _out_of_reach(
    params: DesignParameters,
    target: float,
    best: TuningStep,
    stiffer: bool,
    scale: float,
    judge: str,
) -> str:
    """Why ``target`` is out of reach: the nearest the search got (its stiffness × ``scale``,
    as ``judge`` measured it), and what to change."""
    where = f"{best.thickness_mm:g} mm"
    if best.strut_width_mm is not None:
        where += f", strut {best.strut_width_mm:.0f} mm"
    lo, hi = params.material.thickness_range_mm
    knobs = f"thickness {lo:g}-{hi:g} mm"
    if params.trim == "posterior":
        knobs += f" and strut width {STRUT_WIDTH_RANGE_MM[0]:g}-{STRUT_WIDTH_RANGE_MM[1]:g} mm"
    if stiffer:
        limit = "the stiffest"
        advice = "a design with a more anterior trim (semi-rigid, solid) or a stiffer --material"
    else:
        limit = "the most flexible"
        advice = "a more flexible design (pls) or a softer --material"
    if stiffer and params.trim == "anterior":
        advice = "a stiffer --material"
    if not stiffer and params.trim == "posterior":
        advice = "a softer --material"
    return (
        f"target stiffness {target:.2f} N·m/deg is out of reach for {params.name} in "
        f"{params.material.name} ({knobs}): {limit} shell it reaches measures "
        f"{scale * best.stiffness_nm_per_deg:.2f} N·m/deg ({where}{judge}). Choose {advice}, "
        "or ask for a stiffness nearer that."
    )


def joined(first: Tuning, again: Tuning, target_nm_per_deg: float) -> Tuning:
    """One tuning of two searches (``again`` restarted from ``first``'s design, aimed
    elsewhere): every step, the changes from ``first``'s start, and ``target_nm_per_deg``,
    the target both served."""
    changed = dict(again.changed)
    for name, (start, _) in first.changed.items():
        changed[name] = (start, again.changed.get(name, first.changed[name])[1])
    return Tuning(
        target_nm_per_deg, again.params, again.predicted_nm_per_deg,
        (*first.steps, *again.steps), changed,
    )  # fmt: skip
