"""Design parameters for one leg: a profile, a material and overrides, resolved on the anatomy.

Everything is checked here, before any geometry is built, so that a bad
request fails fast and leaves no partial output.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from afofit.anatomy import LegAnatomy
from afofit.errors import FitError, InputError, ProfileError
from afofit.geometry.label import LABEL_DEPTH_MM, LABEL_HEIGHT_MM, check_label, label_length_mm
from afofit.geometry.landmarks import FIBULAR_HEAD_BELOW_KNEE_MM, SHANK_LENGTH_FRACTION
from afofit.geometry.required import required
from afofit.profiles import FOOTPLATES, DesignProfile, Material
from afofit.units import deg_to_rad, rad_to_deg

__all__ = ["DesignParameters", "resolve_design"]

Vec = NDArray[np.float64]

#: Relief sites estimated from foot proportions (heel = 0, fraction of foot length):
#: the navicular tuberosity, medial, about 3 cm in front of and below the
#: medial malleolus; the fifth metatarsal base (styloid), lateral, mid-foot.
NAVICULAR_AT = (0.36, 0.16)  # (along the foot, height) × foot length
FIFTH_MET_BASE_AT = (0.44, 0.06)
#: An anterior (solid) trim runs at least this far, as arc on the ankle, in front of
#: the more anterior malleolus's apex, so the shell covers the whole prominence
#: and its rounded edge [D; §3 "anterior to the malleoli" (S13 A, S22 V)], mm.
MALLEOLUS_COVER_MM = 10.0
#: Strap slots [D; a 25 mm hook-and-loop strap threads through a slot a few mm longer]:
#: slot length, width, how far in from the trim edge its centre lies (arc, mm), and where
#: the slots sit: the calf strap's this far below the top edge, the ankle strap's (semi-rigid
#: and solid only; a PLS's narrow strut has no room) this far above the ankle centre, mm.
STRAP_SLOT_LENGTH_MM = 30.0
STRAP_SLOT_WIDTH_MM = 5.0
STRAP_SLOT_INSET_MM = 12.0
CALF_STRAP_BELOW_TOP_MM = 35.0
ANKLE_STRAP_ABOVE_ANKLE_MM = 55.0
#: The shell must reach at least this far above the ankle to be an AFO, mm.
MIN_SHELL_ABOVE_ANKLE_MM = 80.0
#: A sulcus footplate ends this far behind the line of the metatarsal heads, mm.
SULCUS_BEHIND_MTP_MM = 5.0
#: A full footplate ends this far in front of the toe tip (beyond the shell's own cap).
FULL_BEYOND_TOE_MM = 20.0
#: A three-quarter footplate ends at this fraction of foot length from the heel,
#: behind the fifth metatarsal head.
THREE_QUARTER_FRACTION = 0.58


@dataclass(frozen=True, slots=True)
class DesignParameters:
    """A resolved design, in the leg's local frame (mm, radians).

    Attributes
    ----------
    ankle_trim_rad, calf_trim_rad : half-angle of the shell's section about
        the shank axis, from the posterior midline, at the ankle and at the calf.
    proximal_height_mm : the shell's top edge, height above the sole.
    footplate_end : ((2,) point, (2,) direction) in local (x, y): the
        footplate ends at the line through the point, perpendicular to the
        direction (oblique for a sulcus footplate, along the MTP line).
    reliefs : site → ((3,) local point, extra offset mm).
    strap_slot_heights_mm : heights of the strap slots' centres (a slot each side, in
        from the trim edge); empty without slots.
    label : text engraved in the outer posterolateral cuff (:mod:`afofit.geometry.label`),
        or None; ``label_centre_mm`` its centre's height along the shank axis,
        ``label_mirrored`` for a left leg (its local frame is a mirror image).
    """

    name: str
    material: Material
    trim: str
    footplate: str
    thickness_mm: float
    clearance_mm: float
    ankle_trim_rad: float
    calf_trim_rad: float
    proximal_height_mm: float
    proximal_source: str
    footplate_end: tuple[Vec, Vec]
    heel_wall_height_mm: float
    toe_wall_height_mm: float
    edge_radius_mm: float
    strap_slots: bool
    reliefs: dict[str, tuple[Vec, float]] = field(default_factory=dict)
    strap_slot_heights_mm: tuple[float, ...] = ()
    warnings: tuple[str, ...] = ()
    label: str | None = None
    label_centre_mm: float = 0.0
    label_mirrored: bool = False

    def summary(self) -> dict[str, object]:
        """Plain values for fitting.json (degrees at this edge)."""
        point, direction = self.footplate_end
        return {
            "name": self.name,
            "material": self.material.name,
            "thickness_mm": round(self.thickness_mm, 3),
            "clearance_mm": round(self.clearance_mm, 3),
            "footplate": self.footplate,
            "trim": {
                "type": self.trim,
                "ankle_half_angle_deg": round(rad_to_deg(self.ankle_trim_rad), 2),
                "calf_half_angle_deg": round(rad_to_deg(self.calf_trim_rad), 2),
                "footplate_end_local_mm": [round(float(v), 2) for v in point],
                "footplate_end_direction": [round(float(v), 4) for v in direction],
                "heel_wall_height_mm": round(self.heel_wall_height_mm, 2),
                "toe_wall_height_mm": round(self.toe_wall_height_mm, 2),
            },
            "proximal_height_mm": round(self.proximal_height_mm, 2),
            "proximal_height_from": self.proximal_source,
            "edge_radius_mm": self.edge_radius_mm,
            "reliefs_mm": {k: round(v[1], 2) for k, v in self.reliefs.items()},
            "strap_slots": self.strap_slots,
            "strap_slot_heights_mm": [round(z, 1) for z in self.strap_slot_heights_mm],
            "label": None if self.label is None else {
                "text": self.label, "centre_height_mm": round(self.label_centre_mm, 1),
                "depth_mm": LABEL_DEPTH_MM, "letter_height_mm": LABEL_HEIGHT_MM,
                "where": "outer calf, 45° behind the lateral side, reading upwards",
            },
        }  # fmt: skip

    @property
    def max_relief_mm(self) -> float:
        """The largest relief's extra offset, mm (0 without reliefs)."""
        return max((amount for _, amount in self.reliefs.values()), default=0.0)


def _local(leg: LegAnatomy, name: str) -> Vec | None:
    point = leg.landmarks_mm.get(name)
    return None if point is None else leg.frame.to_local(point[None, :])[0]


def about_shank(points: Vec, axis: Vec) -> tuple[Vec, Vec]:
    """Each of ``points`` ((n, 3), local mm) about the shank ``axis`` (through the origin).

    Returns its distance from the axis in its horizontal plane (mm) and its
    angle from the posterior midline, either side (rad, 0 to π): the angle a
    trim line's half-angle is measured in.
    """
    u = points[:, 0] - axis[0] * points[:, 2] / axis[2]
    v = points[:, 1] - axis[1] * points[:, 2] / axis[2]
    return np.hypot(u, v), np.arctan2(np.abs(u), -v)


def _proximal_height(
    leg: LegAnatomy, profile: DesignProfile, ankle: Vec, top_mm: float
) -> tuple[float, str, list[str]]:
    """Top edge height above the sole: below the fibular head, else the knee, else estimated."""
    warnings = []
    below = profile.proximal_below_fibular_head_mm
    fibula, knee = _local(leg, "fibular_head"), _local(leg, "knee_centre")
    if fibula is not None and leg.source.get("fibular_head") == "given":
        height, source = fibula[2] - below, "fibular head (given)"
    elif knee is not None:
        height, source = knee[2] - FIBULAR_HEAD_BELOW_KNEE_MM - below, "knee centre"
    else:
        foot = leg.measurements.foot_length_mm
        height = ankle[2] + SHANK_LENGTH_FRACTION * foot - FIBULAR_HEAD_BELOW_KNEE_MM - below
        source = "shank length estimated from foot length"
        warnings.append(
            "the scan does not reach the knee: the top edge is placed from an estimated "
            f"shank length ({height:.0f} mm above the sole); check it stays 2 cm below "
            "the fibular head, or give fibular_head with --landmarks"
        )
    if height > top_mm - 5.0:
        warnings.append(
            f"the scan ends {top_mm:.0f} mm above the sole, below the intended top edge "
            f"({height:.0f} mm); the shell stops 5 mm below the scan's top"
        )
        height = top_mm - 5.0
    return float(height), source, warnings


#: The label keeps this far from the ankle and from the top edge, mm.
LABEL_CLEAR_MM = 25.0


def _footplate_end(
    footplate: str, heel: Vec, toe: Vec, mtp1: Vec, mtp5: Vec, foot: float
) -> tuple[Vec, Vec]:
    forward = np.array([0.0, 1.0])
    if footplate == "full":
        # Past the toe tip by more than any wall, so the toe cap is whole.
        return np.array([0.0, toe[1] + FULL_BEYOND_TOE_MM]), forward
    if footplate == "three-quarter":
        return np.array([0.0, heel[1] + THREE_QUARTER_FRACTION * foot]), forward
    # Sulcus: along the oblique line of the metatarsal heads, just behind it.
    line = mtp1[:2] - mtp5[:2]
    direction = np.array([-line[1], line[0]])
    direction /= np.linalg.norm(direction)
    if direction[1] < 0:
        direction = -direction
    return 0.5 * (mtp1[:2] + mtp5[:2]) - SULCUS_BEHIND_MTP_MM * direction, direction


def resolve_design(
    profile: DesignProfile,
    material: Material,
    leg: LegAnatomy,
    top_mm: float,
    *,
    thickness_mm: float | None = None,
    clearance_mm: float | None = None,
    footplate: str | None = None,
    strap_slots: bool | None = None,
    strut_width_mm: float | None = None,
    label: str | None = None,
) -> DesignParameters:
    """Resolve a design on one leg.

    Parameters
    ----------
    profile, material : loaded profiles.
    leg : the leg's anatomy.
    top_mm : height of the scan's top above the sole, local mm.
    thickness_mm, clearance_mm, footplate, strap_slots : overrides of the profile's values.
    strut_width_mm : a posterior trim's retromalleolar strut width instead of the profile's.
    label : text to engrave in the outer calf (:func:`~afofit.geometry.label.check_label`).

    Raises
    ------
    InputError
        A thickness outside the material's range, a bad clearance or footplate, a label
        too long for the shell or too deep for its wall.
    FitError
        A footplate the foot cannot carry, or a trim that leaves no shell.
    """
    thickness = _thickness(profile, material, thickness_mm)
    clearance = profile.clearance_mm if clearance_mm is None else float(clearance_mm)
    if not 0.0 <= clearance <= 10.0:
        raise InputError(f"--clearance {clearance:g} mm: use 0-10 mm (2 mm suits a thin sock).")
    plate = footplate or profile.footplate
    if plate not in FOOTPLATES:
        raise InputError(f"footplate '{plate}': use one of {', '.join(FOOTPLATES)}.")
    points = {k: _local(leg, k) for k in leg.landmarks_mm}
    heel, ankle = required(points, "heel", "ankle_axis_centre")
    foot = leg.measurements.foot_length_mm
    end_point, end_dir = _checked_footplate_end(plate, points, foot)
    height, source, warnings = _proximal_height(leg, profile, ankle, top_mm)
    if height - ankle[2] < MIN_SHELL_ABOVE_ANKLE_MM:
        raise FitError(
            f"the shell would end {height - ankle[2]:.0f} mm above the ankle: the scan is too "
            f"short for an AFO (at least {MIN_SHELL_ABOVE_ANKLE_MM:.0f} mm is needed). "
            "Scan the leg up to the knee."
        )
    ankle_trim = _ankle_trim(profile, leg, points, strut_width_mm)
    reliefs = _relief_sites(profile, local_points=points, foot=foot, heel=heel)
    slots = profile.strap_slots if strap_slots is None else strap_slots
    slot_heights = _strap_slot_heights(profile.trim, float(ankle[2]), height) if slots else ()
    centre = 0.0
    if label is not None:
        label = check_label(label)
        centre = _label_centre(label, float(ankle[2]), height, thickness, material)
    return DesignParameters(
        name=profile.name,
        material=material,
        trim=profile.trim,
        footplate=plate,
        thickness_mm=thickness,
        clearance_mm=clearance,
        ankle_trim_rad=ankle_trim,
        calf_trim_rad=deg_to_rad(profile.calf_trim_deg),
        proximal_height_mm=height,
        proximal_source=source,
        footplate_end=(end_point, end_dir),
        heel_wall_height_mm=profile.heel_wall_height_fraction * foot,
        toe_wall_height_mm=profile.toe_wall_height_mm,
        edge_radius_mm=profile.edge_radius_mm,
        strap_slots=slots,
        reliefs=reliefs,
        strap_slot_heights_mm=slot_heights,
        warnings=tuple(warnings),
        label=label,
        label_centre_mm=centre,
        label_mirrored=leg.side == "left",
    )


def _label_centre(
    label: str, ankle_z: float, top_z: float, thickness_mm: float, material: Material
) -> float:
    """The label's centre height: midway up the calf wall, checked to fit it and its wall."""
    room = top_z - ankle_z - 2.0 * LABEL_CLEAR_MM
    length = label_length_mm(label)
    if length > room:
        raise InputError(
            f"--label {label!r} runs {length:.0f} mm up the shank; this shell's calf has "
            f"{max(room, 0.0):.0f} mm for it: shorten the label."
        )
    if thickness_mm - LABEL_DEPTH_MM < material.min_wall_mm:
        raise InputError(
            f"--label: cut {LABEL_DEPTH_MM} mm into a {thickness_mm:g} mm wall it leaves less "
            f"than {material.name}'s {material.min_wall_mm:g} mm minimum wall; use a thicker "
            "wall or no label."
        )
    return ankle_z + LABEL_CLEAR_MM + 0.5 * room


def _thickness(profile: DesignProfile, material: Material, thickness_mm: float | None) -> float:
    """The wall thickness (the profile's unless given), mm, within the material's range."""
    thickness = profile.thickness_mm if thickness_mm is None else float(thickness_mm)
    lo, hi = material.thickness_range_mm
    if not lo <= thickness <= hi:
        raise InputError(
            f"thickness {thickness:g} mm is outside {material.name}'s range {lo:g}-{hi:g} mm; "
            "choose a thickness in that range or another --material."
        )
    return thickness


def _checked_footplate_end(
    plate: str, points: dict[str, Vec | None], foot: float
) -> tuple[Vec, Vec]:
    """Where a ``plate`` footplate ends (point, direction), if the foot can carry it.

    ``points`` are the leg's local landmarks, ``foot`` its length, mm.
    """
    heel, toe, mtp1, mtp5 = required(points, "heel", "toe_tip", "mtp1", "mtp5")
    end_point, end_dir = _footplate_end(plate, heel, toe, mtp1, mtp5, foot)
    reach = float((end_point - heel[:2]) @ end_dir)
    past_toe = plate != "full" and float((toe[:2] - end_point) @ end_dir) < -2.0
    if reach < 0.45 * foot or past_toe:
        raise FitError(
            f"a {plate} footplate does not fit this foot (it would end {reach:.0f} mm in front "
            f"of the heel on a {foot:.0f} mm foot); check the toe and metatarsal landmarks "
            "or choose another --footplate."
        )
    return end_point, end_dir


def _ankle_trim(
    profile: DesignProfile,
    leg: LegAnatomy,
    points: dict[str, Vec | None],
    strut_width_mm: float | None = None,
) -> float:
    """The trim's half-angle at the ankle, rad from the posterior midline.

    A posterior trim leaves a strut of ``strut_width_mm`` (else the profile's width);
    an anterior one stands at least ``MALLEOLUS_COVER_MM`` of arc in front of both
    malleoli (``points``, local).
    """
    ankle_radius = leg.measurements.ankle_girth_mm / (2.0 * math.pi)
    if profile.trim == "posterior":
        strut_mm = strut_width_mm or profile.retromalleolar_width_mm
        if strut_mm is None:
            raise ProfileError(
                f"design {profile.name!r}: a posterior trim needs retromalleolar_width_mm."
            )
        return 0.5 * strut_mm / ankle_radius
    if profile.ankle_trim_deg is None:
        raise ProfileError(f"design {profile.name!r}: this trim needs ankle_trim_deg.")
    ankle_trim = deg_to_rad(profile.ankle_trim_deg)
    if profile.trim == "anterior":
        # In front of both malleoli, whatever the leg's shape: the medial one
        # usually stands further forward than a fixed angle allows for.
        lat, med = required(points, "lateral_malleolus", "medial_malleolus")
        axis = leg.frame.rotation @ leg.frame.shank_up
        front = float(about_shank(np.vstack([lat, med]), axis)[1].max())
        ankle_trim = max(ankle_trim, front + MALLEOLUS_COVER_MM / ankle_radius)
    return ankle_trim


def _strap_slot_heights(trim: str, ankle_z: float, top_z: float) -> tuple[float, ...]:
    """Heights of the strap slots' centres: the calf's, and the ankle's if the trim has room."""
    half = 0.5 * STRAP_SLOT_LENGTH_MM
    calf = top_z - CALF_STRAP_BELOW_TOP_MM
    heights = [calf]
    ankle = ankle_z + ANKLE_STRAP_ABOVE_ANKLE_MM
    if trim != "posterior" and ankle + half + 10.0 < calf - half:
        heights.insert(0, ankle)
    return tuple(heights)


def _relief_sites(
    profile: DesignProfile, local_points: dict[str, Vec | None], foot: float, heel: Vec
) -> dict[str, tuple[Vec, float]]:
    """Where each relief goes (local mm) and how much, for the non-zero reliefs."""
    lat, med = required(local_points, "lateral_malleolus", "medial_malleolus")
    sites: dict[str, Vec | None] = {
        "lateral_malleolus": lat,
        "medial_malleolus": med,
        # Points on the foot's medial and lateral sides; the shell builder
        # snaps them to the skin.
        "navicular": np.array([med[0], heel[1] + NAVICULAR_AT[0] * foot, NAVICULAR_AT[1] * foot]),
        "fifth_metatarsal_base": np.array(
            [lat[0], heel[1] + FIFTH_MET_BASE_AT[0] * foot, FIFTH_MET_BASE_AT[1] * foot]
        ),
        "fibular_head": local_points.get("fibular_head"),
    }
    out = {}
    for site, amount in profile.reliefs_mm.items():
        point = sites.get(site)
        if amount > 0.0 and point is not None:
            out[site] = (np.asarray(point, dtype=np.float64), float(amount))
    return out
