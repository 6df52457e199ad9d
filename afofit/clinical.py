"""What the clinician knows that the gait files do not: :class:`ClinicalInputs`.

A module of its own, low in the package, so that the prescription, the fitting request
and the command line can all import it without a cycle.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, TypeVar

from afofit.anthropometry import BODY_MASS_RANGE_KG, FOOT_LENGTH_RANGE_MM
from afofit.errors import InputError

__all__ = ["AFO_TYPES", "SIDES", "ClinicalInputs", "ashworth_score", "on_side"]

#: The sides of a body, in afofit's order.
SIDES: tuple[str, ...] = ("left", "right")
#: The AFO types a prescription names, from the least to the most supportive.
AFO_TYPES: tuple[str, ...] = ("none", "pls", "semi-rigid", "solid")

_MAS_GRADES = (0.0, 1.0, 1.5, 2.0, 3.0, 4.0)

T = TypeVar("T")


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

    def to_dict(self) -> dict[str, Any]:
        """The inputs as JSON-ready values (a per-side input stays a side → value mapping)."""
        return asdict(self)

    def __post_init__(self) -> None:
        for name in ("spasticity", "contracture", "pf_strength", "foot_length_mm", "crouch"):
            _check_sides(name, getattr(self, name))
        _check_sides("afo_type", self.afo_type)
        _check_sides("stiffness_nm_per_deg", self.stiffness_nm_per_deg)
        _range("body_mass_kg", self.body_mass_kg, *BODY_MASS_RANGE_KG, "kg", "--mass")
        _range("body_height_mm", self.body_height_mm, 800.0, 2300.0, "mm", "--height")
        _range("mtc_margin_mm", self.mtc_margin_mm, 0.0, 30.0, "mm", "--mtc-margin")
        if self.sex not in ("male", "female", None):
            raise InputError(f"--sex {self.sex!r}: use 'male', 'female' or leave it unset.")
        for mas in _values(self.spasticity):
            if isinstance(mas, bool) or mas not in _MAS_GRADES:
                raise InputError(
                    f"--spasticity {mas!r}: the Modified Ashworth grade is one of 0, 1, 1+ "
                    "(or 1.5), 2, 3, 4."
                )
        for grade in _values(self.pf_strength):
            if isinstance(grade, bool) or not isinstance(grade, int) or not 0 <= grade <= 5:
                raise InputError(
                    f"--pf-strength {grade!r}: the MRC grade is a whole number 0 to 5."
                )
        for flag in (*_values(self.contracture), *_values(self.crouch)):
            if not isinstance(flag, bool):
                raise InputError(f"--contracture or crouch {flag!r}: must be true or false.")
        for length in _values(self.foot_length_mm):
            _range("foot_length_mm", length, *FOOT_LENGTH_RANGE_MM, "mm", "--foot-length")
        for kind in _values(self.afo_type):
            if kind not in AFO_TYPES:
                raise InputError(f"--afo-type {kind!r}: use one of {', '.join(AFO_TYPES)}.")
        for pair in _values(self.stiffness_nm_per_deg):
            lo, hi = pair
            if not 0.0 < lo <= hi <= 20.0:
                raise InputError(f"--stiffness {lo:g},{hi:g}: need 0 < low <= high <= 20 N·m/deg.")
        for side in SIDES:
            stiffness = on_side(self.stiffness_nm_per_deg, side)
            if on_side(self.afo_type, side) == "none" and stiffness is not None:
                raise InputError(f"{side}: a stiffness was given with afo_type 'none'; drop one")


def _range(name: str, value: float | None, lo: float, hi: float, unit: str, opt: str) -> None:
    if value is not None and not lo <= value <= hi:
        raise InputError(f"{opt} {value:g} {unit}: use {lo:g}-{hi:g} {unit} ({name}).")


def on_side(value: T | Mapping[str, T] | None, side: str) -> T | None:
    """The value for ``side`` of a per-side-or-both input (one value, or a side → value map)."""
    if isinstance(value, Mapping):
        return value.get(side)
    return value
