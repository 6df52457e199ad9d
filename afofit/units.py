"""Unit conversions, done once, here. Inside afofit: mm, N, N·mm, radians."""

from __future__ import annotations

import math
from typing import TypeVar

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "SCALE_TO_MM",
    "deg_to_rad",
    "gpa_to_mpa",
    "mm3_to_cm3",
    "mm_to_m",
    "nm_per_deg_to_nmm_per_rad",
    "nm_to_nmm",
    "nmm_per_rad_to_nm_per_deg",
    "nmm_to_nm",
    "rad_to_deg",
]

#: Factor from a length unit to millimetres.
SCALE_TO_MM: dict[str, float] = {"mm": 1.0, "cm": 10.0, "m": 1000.0, "in": 25.4}


#: Radians per degree and degrees per radian, as :func:`math.radians` and
#: :func:`numpy.radians` use them (so their results are the same to the bit).
_RAD_PER_DEG = math.pi / 180.0
_DEG_PER_RAD = 180.0 / math.pi

Angle = TypeVar("Angle", float, NDArray[np.float64])


def deg_to_rad(angle_deg: Angle) -> Angle:
    """Convert ``angle_deg`` (edges: CLI, profiles, reports) to radians (inside); arrays too."""
    return angle_deg * _RAD_PER_DEG


def rad_to_deg(angle_rad: Angle) -> Angle:
    """Convert ``angle_rad`` (inside) to degrees (edges); arrays too."""
    return angle_rad * _DEG_PER_RAD


#: N·m/deg per N·mm/rad: stiffness is N·mm/rad inside, N·m/deg (the clinician's) at the edges.
_NM_PER_DEG_PER_NMM_PER_RAD = deg_to_rad(1.0) / 1000.0


def nmm_per_rad_to_nm_per_deg(stiffness_nmm_per_rad: float) -> float:
    """Convert ``stiffness_nmm_per_rad`` (N·mm/rad, inside) to N·m/deg (edges)."""
    return stiffness_nmm_per_rad * _NM_PER_DEG_PER_NMM_PER_RAD


def nm_per_deg_to_nmm_per_rad(stiffness_nm_per_deg: float) -> float:
    """Convert ``stiffness_nm_per_deg`` (N·m/deg, edges) to N·mm/rad (inside)."""
    return stiffness_nm_per_deg / _NM_PER_DEG_PER_NMM_PER_RAD


def nmm_to_nm(moment_nmm: float) -> float:
    """Convert ``moment_nmm`` from N·mm (inside) to N·m (edges)."""
    return moment_nmm / 1000.0


def nm_to_nmm(moment_nm: float) -> float:
    """Convert ``moment_nm`` from N·m (edges) to N·mm (inside)."""
    return moment_nm * 1000.0


def mm_to_m(length_mm: float) -> float:
    """Convert ``length_mm`` (or a speed per second) from mm to m."""
    return length_mm / 1000.0


def gpa_to_mpa(modulus_gpa: float) -> float:
    """Convert ``modulus_gpa`` from GPa (datasheets) to MPa = N/mm² (inside)."""
    return modulus_gpa * 1000.0


def mm3_to_cm3(volume_mm3: float) -> float:
    """Convert ``volume_mm3`` from mm³ to cm³ (a density in g/cm³ then gives grams)."""
    return volume_mm3 / 1000.0
