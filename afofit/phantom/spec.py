"""Phantom parameters (PhantomSpec), the result (Phantom), and spec validation."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from numbers import Integral, Real
from typing import Any

import numpy as np
import trimesh
from numpy.typing import NDArray

from afofit.errors import InputError
from afofit.units import SCALE_TO_MM

FloatArray = NDArray[np.float64]

_SIDES = ("left", "right", "both")
_POSES = ("random", "neutral")
_MALLEOLI = ("bumps", "smooth")


@dataclass(frozen=True, slots=True)
class PhantomSpec:
    """Parameters of a synthetic leg.

    Parameters
    ----------
    side : str
        "left", "right" or "both" (two separate legs).
    foot_length_mm : float
        Heel-to-toe length, 150..330 mm.
    calf_girth_mm : float
        Maximum calf girth (tape measure, i.e. convex-hull perimeter), 250..550 mm.
    seed : int
        Seed of every random step (anatomy variation, stance, pose, noise, holes), >= 0.
    noise_mm : float
        Standard deviation of Gaussian displacement along vertex normals, 0..3 mm.
    holes : int
        Number of small holes (radius 3-8 mm) punched in the surface, 0..50.
    pose : str
        "random" (uniform random rotation, translation up to ±400 mm per axis)
        or "neutral" (the construction frame).
    units : str
        Units of the mesh coordinates: "mm", "cm", "m" or "in".
    faces : int
        Target face count per leg (met within ±15 %), 2000..2_000_000.
    open_sole : bool
        Remove the plantar surface, as a standing scan has no sole.
    reaches_knee : bool
        True: the leg ends 0.25 foot lengths above the knee joint line.
        False: it ends at mid-shank, 0.55 shank lengths above the ankle.
    malleoli : str
        "bumps": the malleoli stand out of the skin as clear bumps (2-3.6 % of foot
        length high). "smooth": they hardly show, as on a well-covered or swollen ankle
        (the bumps and the hollows under them at SMOOTH_MALLEOLI_HEIGHT of that height,
        SMOOTH_MALLEOLI_WIDTH times as wide); the truth keeps the malleoli where the
        bumps would put them, so it is the same joint centre.
    calf_swelling_pct : float
        The calf swollen (or, below 0, wasted) by this many % of its girth, -20..30: every
        section across the shank scaled about the ankle-knee axis from 35 % to 70 % of the
        way up from the ankle to the knee, ramped in over 10 mm at each end (a follow-up
        visit's leg: the same seed otherwise gives the same leg). The truth's calf girth
        is measured on the swollen leg.

    Raises
    ------
    InputError
        If a value is of the wrong type or out of range; the message names it.
    """

    side: str = "right"
    foot_length_mm: float = 260.0
    calf_girth_mm: float = 360.0
    seed: int = 0
    noise_mm: float = 0.0
    holes: int = 0
    pose: str = "random"
    units: str = "mm"
    faces: int = 60000
    open_sole: bool = False
    reaches_knee: bool = True
    malleoli: str = "bumps"
    calf_swelling_pct: float = 0.0

    def __post_init__(self) -> None:
        _check_choice("side", self.side, _SIDES)
        _check_choice("malleoli", self.malleoli, _MALLEOLI)
        _check_choice("pose", self.pose, _POSES)
        _check_choice("units", self.units, tuple(SCALE_TO_MM))
        _check_range("foot_length_mm", self.foot_length_mm, 150.0, 330.0, "mm")
        _check_range("calf_girth_mm", self.calf_girth_mm, 250.0, 550.0, "mm")
        _check_range("noise_mm", self.noise_mm, 0.0, 3.0, "mm")
        _check_range("calf_swelling_pct", self.calf_swelling_pct, -20.0, 30.0, "%")
        _check_int("seed", self.seed, 0, 2**63 - 1)
        _check_int("holes", self.holes, 0, 50)
        _check_int("faces", self.faces, 2000, 2_000_000)
        for name in ("open_sole", "reaches_knee"):
            if not isinstance(getattr(self, name), bool):
                raise InputError(
                    f"PhantomSpec {name}={getattr(self, name)!r}; must be True or False."
                )


def random_specs(n: int, seed: int, malleoli: str = "bumps") -> list[tuple[PhantomSpec, str]]:
    """``n`` specs of random legs, each with a file format to write it in ("stl", "ply" or
    "obj"), drawn from ``seed``: random side, foot length (215-300 mm), calf girth
    (300-420 mm), pose, units, noise (to 0.5 mm), holes (to 7), face count (12-30k), an
    open sole (40 %), the knee in the scan (60 %); ``malleoli`` as for :class:`PhantomSpec`.
    The accuracy tests and benchmarks draw their legs so."""
    rng = np.random.default_rng(seed)
    specs = []
    for _ in range(n):
        spec = PhantomSpec(
            side=str(rng.choice(["left", "right"])),
            foot_length_mm=float(rng.uniform(215.0, 300.0)),
            calf_girth_mm=float(rng.uniform(300.0, 420.0)),
            seed=int(rng.integers(10_000)),
            noise_mm=float(rng.uniform(0.0, 0.5)),
            holes=int(rng.integers(0, 8)),
            pose="random",
            units=str(rng.choice(["mm", "cm", "m", "in"])),
            faces=int(rng.integers(12_000, 30_000)),
            open_sole=bool(rng.random() < 0.4),
            reaches_knee=bool(rng.random() < 0.6),
            malleoli=malleoli,
        )
        specs.append((spec, str(rng.choice(["stl", "ply", "obj"]))))
    return specs


@dataclass(frozen=True, slots=True)
class Phantom:
    """A synthetic leg mesh and its ground truth.

    Attributes
    ----------
    mesh : trimesh.Trimesh
        The surface in ``spec.units``, in the posed frame, open at the top.
    truth : dict
        JSON-serialisable ground truth; points in the posed frame in mm
        (file coordinates × ``truth["scale_to_mm"]``).
    """

    mesh: trimesh.Trimesh
    truth: dict[str, Any] = field(repr=False)


def _check_choice(name: str, value: object, choices: tuple[str, ...]) -> None:
    if not isinstance(value, str) or value not in choices:
        raise InputError(f"PhantomSpec {name}={value!r}; must be one of {', '.join(choices)}.")


def _check_range(name: str, value: object, low: float, high: float, unit: str) -> None:
    ok = isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or not low <= float(value) <= high:  # type: ignore[arg-type]
        raise InputError(
            f"PhantomSpec {name}={value!r}; must be a number in {low:g}..{high:g} {unit}."
        )


def _check_int(name: str, value: object, low: int, high: int) -> None:
    ok = isinstance(value, Integral) and not isinstance(value, bool)
    if not ok or not low <= int(value) <= high:  # type: ignore[call-overload]
        raise InputError(f"PhantomSpec {name}={value!r}; must be an integer in {low}..{high}.")
