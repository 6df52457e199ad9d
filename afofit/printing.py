"""The print estimate without a slicer: time from the volume, cost from the mass.

Rough by design (a slicer's estimate is the better number): a desktop FFF printer with a
0.4 mm nozzle, printing an AFO mostly as perimeters, lays down about
:data:`PRINT_FLOW_MM3_PER_S` of material a second, travel and layer changes included; the
material costs :data:`PRICE_PER_KG` per kg. Both are typical values (U), not measured here.
"""

from __future__ import annotations

from dataclasses import dataclass

from afofit.units import mm3_to_cm3

__all__ = ["PRICE_PER_KG", "PRINT_FLOW_MM3_PER_S", "PrintEstimate", "print_estimate"]

#: Effective volumetric rate of a desktop FFF printer (0.4 mm nozzle, mostly perimeters,
#: travel included), mm³/s (U).
PRINT_FLOW_MM3_PER_S = 5.0
#: Material price per kg of filament or powder (U: a typical 2026 engineering filament).
PRICE_PER_KG = 40.0


@dataclass(frozen=True, slots=True)
class PrintEstimate:
    """A part's mass (g), print time (h) and material cost (per :data:`PRICE_PER_KG`)."""

    mass_g: float
    hours: float
    material_cost: float

    @property
    def method(self) -> str:
        """How it was estimated, in words."""
        return (
            f"volume at {PRINT_FLOW_MM3_PER_S:g} mm³/s; mass at {PRICE_PER_KG:g} per kg "
            "(rough: a slicer's estimate is better)"
        )


def print_estimate(volume_mm3: float, density_g_cm3: float) -> PrintEstimate:
    """The estimate for a part of ``volume_mm3`` in a material of ``density_g_cm3``."""
    mass_g = mm3_to_cm3(volume_mm3) * density_g_cm3
    return PrintEstimate(
        mass_g=mass_g,
        hours=volume_mm3 / PRINT_FLOW_MM3_PER_S / 3600.0,
        material_cost=mass_g / 1000.0 * PRICE_PER_KG,
    )
