"""Unit conversions, done once, here. Inside afofit: mm, N, N·mm, radians."""

from __future__ import annotations

import math
from typing import TypeVar

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "SCALE_TO_MM",
    "deg_to_rad",
    "nm_per_deg_to_nmm_per_rad",
    "nmm_per_rad_to_nm_per_deg",
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
