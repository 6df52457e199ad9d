"""Command-line option types and the parsing of the clinical options (``1+``, ``left=3,right=5``)."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from afofit.errors import InputError
from afofit.request import parse_stiffness

if TYPE_CHECKING:
    from afofit.clinical import ClinicalInputs

__all__ = [
    "AfoType",
    "ContractureOpt",
    "Footplate",
    "Malleoli",
    "MassOpt",
    "Pose",
    "Sex",
    "SexOpt",
    "Side",
    "SideOrBoth",
    "SliceOpt",
    "SpasticityOpt",
    "StiffnessOpt",
    "StrengthOpt",
    "Units",
    "clinical_inputs",
    "stiffness_range",
]

T = TypeVar("T")


class Side(StrEnum):
    left = "left"
    right = "right"


class Units(StrEnum):
    mm = "mm"
    cm = "cm"
    m = "m"
    inch = "in"


class Sex(StrEnum):
    male = "male"
    female = "female"


class AfoType(StrEnum):
    none = "none"
    pls = "pls"
    semi_rigid = "semi-rigid"
    solid = "solid"


class Pose(StrEnum):
    random = "random"
    neutral = "neutral"


class Malleoli(StrEnum):
    """How a phantom's malleoli show on the skin."""

    bumps = "bumps"
    smooth = "smooth"


class SideOrBoth(StrEnum):
    """A leg, or both legs (a phantom with both, a fitting of each)."""

    left = "left"
    right = "right"
    both = "both"


class Footplate(StrEnum):
    sulcus = "sulcus"
    three_quarter = "three-quarter"
    full = "full"


StiffnessOpt = Annotated[
    str | None,
    typer.Option(help="Target ankle stiffness, N·m/deg: 'K' or 'LOW,HIGH' (default: prescribed)."),
]
SliceOpt = Annotated[
    bool,
    typer.Option(
        "--slice",
        help="Also slice the standing shell into G-code with PrusaSlicer (FFF materials; "
        "settings by material in profiles/slicing): print time and filament go into "
        "fitting.json and the report.",
    ),
]
PdfOpt = Annotated[
    bool, typer.Option("--pdf", help="Also write the report as PDF (needs afofit\\[pdf]).")
]
CaseIdOpt = Annotated[
    str | None, typer.Option(help="The lab's case id: in the report's header and fitting.json.")
]
PatientRefOpt = Annotated[
    str | None, typer.Option(help="A patient reference for the report's header.")
]
ClinicianOpt = Annotated[str | None, typer.Option(help="The clinician, for the report's header.")]
DateOpt = Annotated[
    str | None, typer.Option(help="The report's date, YYYY-MM-DD (default: today).")
]
MassOpt = Annotated[float | None, typer.Option(help="Body mass, kg (default: from the C3D).")]
SexOpt = Annotated[Sex | None, typer.Option(help="Sex, for the foot's mass fraction.")]
SpasticityOpt = Annotated[
    str | None,
    typer.Option(
        help="Modified Ashworth of the plantarflexors: '1+' for both sides or 'left=2,right=0'."
    ),
]
ContractureOpt = Annotated[
    str | None,
    typer.Option(
        help="Plantarflexion contracture (passive DF < 0° knee straight): left, right or both."
    ),
]
StrengthOpt = Annotated[
    str | None,
    typer.Option(help="MRC plantarflexor strength 0-5: '4' for both sides or 'left=3,right=5'."),
]


def _per_side(
    text: str | None, convert: Callable[[str], T], option: str
) -> T | dict[str, T] | None:
    """Parse '1+' (both sides) or 'left=2,right=0' (per side)."""
    if text is None:
        return None
    if "=" not in text:
        return convert(text.strip())
    values: dict[str, T] = {}
    for part in text.split(","):
        side, _, value = part.partition("=")
        if side.strip() not in ("left", "right") or not value.strip():
            raise InputError(f"{option} {text!r}: write one value, or 'left=…,right=…'.")
        values[side.strip()] = convert(value.strip())
    return values


def _integer(text: str) -> int:
    if not text.isdigit():
        raise InputError(f"--pf-strength {text!r}: an MRC grade is a whole number 0..5.")
    return int(text)


def clinical_inputs(
    mass: float | None,
    sex: Sex | None,
    spasticity: str | None,
    contracture: str | None,
    pf_strength: str | None,
    afo_type: str | None,
    foot_length: float | None,
) -> ClinicalInputs:
    """Build the clinical inputs from the command-line options (the parsing is the CLI's job).

    ``mass`` kg, ``sex``, ``spasticity`` ('1+' or 'left=2,right=0'), ``contracture``
    ('left', 'right' or 'both'), ``pf_strength`` ('4' or 'left=3,right=5'), ``afo_type``
    and ``foot_length`` (mm) as given; a value out of range raises InputError.
    """
    from afofit.clinical import ClinicalInputs, ashworth_score

    if contracture not in (None, "left", "right", "both"):
        raise InputError(f"--contracture {contracture!r}: use left, right or both.")
    return ClinicalInputs(
        body_mass_kg=mass, sex=sex and sex.value,
        spasticity=_per_side(spasticity, ashworth_score, "--spasticity"),
        contracture={s: contracture in (s, "both") for s in ("left", "right")},
        pf_strength=_per_side(pf_strength, _integer, "--pf-strength"),
        afo_type=afo_type, foot_length_mm=foot_length,
    )  # fmt: skip


def stiffness_range(text: str | None) -> tuple[float, float] | None:
    """Parse ``--stiffness`` ``text``: 'K' or 'LOW,HIGH' in N·m/deg, into (low, high)."""
    if text is None:
        return None
    return parse_stiffness(text, ",", "--stiffness", "LOW,HIGH")
