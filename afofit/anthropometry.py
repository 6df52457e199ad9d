"""Typical human sizes that afofit relies on, each defined once, in mm (masses in kg)."""

from __future__ import annotations

__all__ = [
    "BODY_MASS_RANGE_KG",
    "FOOT_LENGTH_RANGE_MM",
    "FOOT_PER_STATURE",
    "TYPICAL_FOOT_LENGTH_MM",
    "TYPICAL_SCAN_LENGTH_MM",
]

#: A typical adult foot, heel to toe tip, mm: the foot length used without a scan or a
#: stature, and the size that recognises a scan's units (an adult foot is 220-290 mm).
TYPICAL_FOOT_LENGTH_MM = 260.0
#: A lower-leg scan, from the sole to somewhere between mid-shank and above the knee,
#: is about this long along its longest axis, mm (recognises a scan's units).
TYPICAL_SCAN_LENGTH_MM = 480.0
#: Plausible foot lengths, mm: a child's small foot to a very large adult foot.
FOOT_LENGTH_RANGE_MM = (110.0, 380.0)
#: Foot length over stature (Drillis and Contini 1966): the foot from the body height.
FOOT_PER_STATURE = 0.152
#: Plausible body masses, kg: a child to a very heavy adult; outside, a typing error.
BODY_MASS_RANGE_KG = (20.0, 250.0)
