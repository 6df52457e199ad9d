"""The stiffness test fixture, defined once: where the brace is held and turned, about what.

The footplate is clamped (every point of the shell more than :data:`CLAMP_BELOW_ANKLE_MM`
below the ankle axis centre: footplate, heel cup and low side walls, where a mock foot
holds a brace); a rigid cuff holds the proximal band (the top :data:`CUFF_BAND_MM` of the
shell, where the calf strap is); a dorsiflexion moment turns the cuff about the malleolar
axis. What the cuff may do besides changes the answer most (up to 50× between a pure
moment and a pinned hinge, in afofit's own FE study), so the cuff constraint is named:

* ``guided``: the cuff's two other rotations are held, its translations free. The
  default: it matches published stiffness ranges best (a shank guided by the fixture's
  arm, free to follow the brace's own axis).
* ``free``: a pure moment, everything else free: the lower bound, reported beside it.

Frame (all mm): origin at the ankle axis centre (midpoint of the malleoli); ``up`` the
leg's sole normal; ``axis`` the malleolar line made perpendicular to ``up`` and signed so
that a positive rotation about it is dorsiflexion (the shank's top moves anteriorly).
The fixture's own frame is x = ``axis``, y = ``up`` × ``axis`` (posterior), z = ``up``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from afofit.anatomy import LegAnatomy
from afofit.geometry.required import required

__all__ = [
    "CLAMP_BELOW_ANKLE_MM",
    "CUFF_BAND_MM",
    "CUFF_MODES",
    "TEST_MOMENT_NM",
    "Fixture",
    "fixture_for_leg",
    "standard_fixture",
]

Vec = NDArray[np.float64]

#: The clamp holds every point of the shell this far or more below the ankle centre, mm.
CLAMP_BELOW_ANKLE_MM = 40.0
#: The rigid cuff holds the top band of the shell this tall, mm (a calf strap's width and more).
CUFF_BAND_MM = 50.0
#: The moment at which stresses are stated, N·m: about the peak ankle moment a brace meets in
#: swing and early stance for an adult with foot drop (§2.2: M_hold × safety factor is 1-3 N·m).
TEST_MOMENT_NM = 5.0
#: What the rigid cuff may do besides turning about the axis.
CUFF_MODES = ("guided", "free")


@dataclass(frozen=True, slots=True)
class Fixture:
    """A stiffness test fixture in the scan's frame (mm).

    Attributes
    ----------
    origin_mm : (3,) the ankle axis centre: the axis passes through it.
    axis : (3,) unit malleolar axis; a positive rotation about it is dorsiflexion.
    up : (3,) unit, the leg's up (the sole's normal), perpendicular to ``axis``.
    clamp_below_mm : points lower than ``origin - clamp_below_mm`` along ``up`` are clamped.
    cuff_from_mm : points higher than ``origin + cuff_from_mm`` along ``up`` are the cuff.
    cuff : "guided" or "free" (see the module's docstring).
    moment_nm : the moment at which stresses are stated, N·m.
    """

    origin_mm: Vec
    axis: Vec
    up: Vec
    clamp_below_mm: float
    cuff_from_mm: float
    cuff: str = "guided"
    moment_nm: float = TEST_MOMENT_NM

    def __post_init__(self) -> None:
        if self.cuff not in CUFF_MODES:
            raise ValueError(f"cuff={self.cuff!r}: one of {', '.join(CUFF_MODES)}")
        if not -self.clamp_below_mm < self.cuff_from_mm:
            raise ValueError("the cuff must lie above the clamp")

    @property
    def rotation(self) -> NDArray[np.float64]:
        """(3, 3) rows: the fixture's x (``axis``), y (posterior) and z (``up``) in scan axes."""
        return np.vstack([self.axis, np.cross(self.up, self.axis), self.up])

    def to_fixture(self, points: Vec) -> Vec:
        """Scan-frame ``points`` (n, 3) mm in the fixture's frame (x axis, y posterior, z up)."""
        return (np.asarray(points, dtype=np.float64) - self.origin_mm) @ self.rotation.T

    def to_scan(self, points: Vec) -> Vec:
        """Fixture-frame ``points`` (n, 3) mm back in the scan's frame."""
        return np.asarray(points, dtype=np.float64) @ self.rotation + self.origin_mm

    def to_dict(self) -> dict[str, Any]:
        """The fixture as fitting.json records it (mm, unit vectors, N·m)."""
        return {
            "axis_point_mm": [round(float(v), 3) for v in self.origin_mm],
            "axis_direction": [round(float(v), 6) for v in self.axis],
            "up": [round(float(v), 6) for v in self.up],
            "positive": "dorsiflexion",
            "clamp": f"every point more than {self.clamp_below_mm:g} mm below the axis",
            "clamp_below_axis_mm": self.clamp_below_mm,
            "cuff": f"rigid, every point more than {self.cuff_from_mm:.1f} mm above the axis",
            "cuff_above_axis_mm": round(self.cuff_from_mm, 3),
            "cuff_constraint": self.cuff,
            "moment_nm": self.moment_nm,
        }


def fixture_for_leg(leg: LegAnatomy, shell_vertices_mm: Vec, cuff: str = "guided") -> Fixture:
    """The standard fixture for a brace on ``leg``.

    ``shell_vertices_mm`` (n, 3), scan frame, place the cuff's band below the shell's top
    edge; ``cuff`` is the cuff constraint.

    Raises
    ------
    LandmarkError
        A malleolus or the ankle centre is missing.
    """
    lateral, medial, centre = required(
        leg.landmarks_mm, "lateral_malleolus", "medial_malleolus", "ankle_axis_centre"
    )
    return standard_fixture(
        lateral, medial, centre, leg.frame.up, leg.frame.anterior, shell_vertices_mm, cuff
    )


def standard_fixture(
    lateral: Vec,
    medial: Vec,
    centre: Vec,
    up: Vec,
    anterior: Vec,
    shell_vertices_mm: Vec,
    cuff: str = "guided",
) -> Fixture:
    """The standard fixture from the malleoli (``lateral``, ``medial``), the ankle ``centre``,
    the leg's ``up`` and ``anterior`` and ``shell_vertices_mm`` (n, 3), all scan frame, mm.

    The axis is the malleolar line made perpendicular to ``up``, signed for dorsiflexion;
    the cuff is the top :data:`CUFF_BAND_MM` of the shell; ``cuff`` its constraint.
    """
    up = np.asarray(up, np.float64) / np.linalg.norm(up)
    line = np.asarray(lateral, np.float64) - np.asarray(medial, np.float64)
    line = line - (line @ up) * up
    line /= np.linalg.norm(line)
    dorsiflexion = np.cross(up, anterior)  # turning about it moves the top forward
    if line @ dorsiflexion < 0.0:
        line = -line
    origin = np.asarray(centre, dtype=np.float64)
    top = float(((np.asarray(shell_vertices_mm) - origin) @ up).max())
    return Fixture(
        origin_mm=origin, axis=line, up=up, clamp_below_mm=CLAMP_BELOW_ANKLE_MM,
        cuff_from_mm=top - CUFF_BAND_MM, cuff=cuff,
    )  # fmt: skip
