"""The thresholds a shell is judged by, in one place, each with its reason.

The checks (:mod:`afofit.geometry.checks`), the report and the tests all read
:data:`TOLERANCES`; change a threshold here and everything that states it follows.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["TOLERANCES", "Tolerances"]


@dataclass(frozen=True, slots=True)
class Tolerances:
    """Thresholds of the shell checks (mm, or fractions 0..1).

    Attributes
    ----------
    min_wall_fraction : a wall thinner than this fraction of the design thickness
        fails (rounded trim edges excepted). 0.95: the distance field is exact to a few
        hundredths of a mm, so 5 % of a 2.5 mm wall (0.12 mm) is the meshing's own
        error, well under the ±0.2 mm of FFF printing; thinner is a defect.
    clearance_median_mm : the median gap to the skin may differ from the design's
        clearance by this much. 0.3 mm: a quarter of the grid spacing, well under the
        1-3 mm clearance a brace is designed with.
    clearance_band_mm, clearance_band_fraction : at least this fraction of the skin
        under the shell (outside reliefs) lies within this distance of the design
        clearance (0.8 mm, 90 %): the fit is even, not right only on average. The
        names in fitting.json and :class:`~afofit.geometry.checks.ShellStats` say 0.8.
    relief_weight_excluded : faces over a relief bump weighted above this (0..1) are
        left out of the clearance statistics: there the gap is larger on purpose.
    edge_margin_mm : faces within thickness + this of a trim line are in the rounded
        edge and are left out of the wall and clearance statistics (a rounded rim is
        thinner on purpose).
    max_penetration_mm : skin may lie inside the shell's material by at most this much,
        anywhere (toe block and plate included). 0.5 mm: under the scan's own noise and a
        sock's compression; deeper, the brace presses where the patient feels it.
    """

    min_wall_fraction: float = 0.95
    clearance_median_mm: float = 0.3
    clearance_band_mm: float = 0.8
    clearance_band_fraction: float = 0.9
    relief_weight_excluded: float = 0.1
    edge_margin_mm: float = 2.0
    max_penetration_mm: float = 0.5


#: The tolerances afofit judges every shell by.
TOLERANCES = Tolerances()
