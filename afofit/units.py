"""Unit conversions, done once, here. Inside afofit: mm, N, N·mm, radians."""

from __future__ import annotations

import math

__all__ = ["SCALE_TO_MM", "deg_to_rad", "rad_to_deg"]

#: Factor from a length unit to millimetres.
SCALE_TO_MM: dict[str, float] = {"mm": 1.0, "cm": 10.0, "m": 1000.0, "in": 25.4}


def deg_to_rad(angle_deg: float) -> float:
    """Convert ``angle_deg`` (edges: CLI, profiles, reports) to radians (inside)."""
    return angle_deg * math.pi / 180.0


def rad_to_deg(angle_rad: float) -> float:
    """Convert ``angle_rad`` (inside) to degrees (edges)."""
    return angle_rad * 180.0 / math.pi
