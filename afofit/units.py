"""Unit conversions, done once, here. Inside afofit: mm, N, N·mm, radians."""

from __future__ import annotations

import math

__all__ = [
    "SCALE_TO_MM",
    "deg_to_rad",
    "nm_per_deg_to_nmm_per_rad",
    "nmm_per_rad_to_nm_per_deg",
    "rad_to_deg",
]

#: Factor from a length unit to millimetres.
SCALE_TO_MM: dict[str, float] = {"mm": 1.0, "cm": 10.0, "m": 1000.0, "in": 25.4}


def deg_to_rad(angle_deg: float) -> float:
    """Convert ``angle_deg`` (edges: CLI, profiles, reports) to radians (inside)."""
    return angle_deg * math.pi / 180.0


def rad_to_deg(angle_rad: float) -> float:
    """Convert ``angle_rad`` (inside) to degrees (edges)."""
    return angle_rad * 180.0 / math.pi


#: N·m/deg per N·mm/rad: stiffness is N·mm/rad inside, N·m/deg (the clinician's) at the edges.
_NM_PER_DEG_PER_NMM_PER_RAD = deg_to_rad(1.0) / 1000.0


def nmm_per_rad_to_nm_per_deg(stiffness_nmm_per_rad: float) -> float:
    """Convert ``stiffness_nmm_per_rad`` (N·mm/rad, inside) to N·m/deg (edges)."""
    return stiffness_nmm_per_rad * _NM_PER_DEG_PER_NMM_PER_RAD


def nm_per_deg_to_nmm_per_rad(stiffness_nm_per_deg: float) -> float:
    """Convert ``stiffness_nm_per_deg`` (N·m/deg, edges) to N·mm/rad (inside)."""
    return stiffness_nm_per_deg / _NM_PER_DEG_PER_NMM_PER_RAD
