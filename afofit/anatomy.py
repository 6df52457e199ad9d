"""Anatomy of one or two legs in a scan: frame, side, landmarks, measurements, units.

Pure functions on meshes in mm; the pipeline that reads files and calls them
is :func:`afofit.fitting.analyse_scan`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import trimesh
from numpy.typing import NDArray

from afofit.anthropometry import FOOT_LENGTH_RANGE_MM
from afofit.errors import LandmarkError, NotALegError
from afofit.geometry.frames import LegFrame, estimate_frame
from afofit.geometry.given import check_given_landmarks
from afofit.geometry.landmarks import LANDMARK_NAMES, AnkleEstimate, detect_landmarks
from afofit.geometry.measure import LegMeasurements, Sections, measure_leg
from afofit.jsonready import rounded

__all__ = [
    "ANKLE_LANDMARKS",
    "CONFIDENCE_WORDS",
    "LegAnatomy",
    "ScanAnatomy",
    "analyse_leg",
    "anatomy_to_dict",
    "confidence_word",
    "describe_ankle",
]

Vec = NDArray[np.float64]

#: The landmarks the ankle's estimate places (given any of them, it is not estimated).
ANKLE_LANDMARKS = frozenset({"lateral_malleolus", "medial_malleolus", "ankle_axis_centre"})
#: A foot sticks out in front of the ankle: foot length over the leg's
#: width just above the ankle is 4-5 on real legs, about 1 on a stump.
MIN_FOOT_TO_ANKLE_RATIO = 2.2


@dataclass(frozen=True, slots=True)
class LegAnatomy:
    """One leg's anatomy, in the scan's frame, mm.

    Attributes
    ----------
    side : "left" or "right".
    frame : the anatomical frame (see :mod:`afofit.geometry.frames`).
    landmarks_mm : name → (3,) point in the scan frame (mm), or None.
    confidence : name → 0..1 (1.0 for a landmark the user gave).
    source : name → "detected" | "given".
    measurements : limb measurements, mm.
    faces : the leg's face count.
    warnings : what the user should check about the landmarks they gave.
    ankle_estimate : how the ankle centre's height was found: its cues, each with its
        uncertainty, and the fused height and uncertainty (None when the ankle centre
        or a malleolus was given).
    """

    side: str
    frame: LegFrame
    landmarks_mm: dict[str, Vec | None]
    confidence: dict[str, float]
    source: dict[str, str]
    measurements: LegMeasurements
    faces: int
    warnings: tuple[str, ...] = ()
    ankle_estimate: AnkleEstimate | None = None


@dataclass(frozen=True, slots=True)
class ScanAnatomy:
    """What ``afofit scan`` finds in one scan file."""

    path: str
    sha256: str
    units_detected: str
    units_source: str  # "detected" | "given"
    scale_to_mm: float
    faces: int
    legs: tuple[LegAnatomy, ...]
    warnings: tuple[str, ...] = field(default=())


def _check_is_leg(local: Vec, sections: Sections, foot_length: float, name: str) -> None:
    """Refuse a surface that is not a lower leg with a foot."""
    lo, hi = FOOT_LENGTH_RANGE_MM
    height = float(local[:, 2].max())
    if not (lo <= foot_length <= hi):
        raise NotALegError(
            f"{name}: found no foot of a human size (the longest part sticking out at the "
            f"bottom measures {foot_length:.0f} mm). afofit needs a scan of a lower leg with "
            "its foot; check the file, or give its units with --units."
        )
    width = sections.width(0.5 * foot_length)
    if (
        not np.isfinite(width)
        or foot_length / width < MIN_FOOT_TO_ANKLE_RATIO
        or height < 0.5 * foot_length
    ):
        raise NotALegError(
            f"{name}: this is not a lower leg with a foot: nothing sticks out forward at the "
            f"bottom like a foot does (length {foot_length:.0f} mm against a "
            f"{width:.0f} mm wide limb). A residual limb or a shank alone cannot carry an AFO; "
            "scan the leg with its foot."
        )


def analyse_leg(
    mesh: trimesh.Trimesh,
    name: str,
    overrides: dict[str, Vec] | None = None,
    side: str | None = None,
    frame: LegFrame | None = None,
) -> LegAnatomy:
    """Frame, side, landmarks and measurements of one leg.

    Parameters
    ----------
    mesh : one leg's surface, mm, any pose.
    name : the scan's file name, for messages.
    overrides : name → (3,) landmark in the scan frame, mm, that replace
        the detected ones (see :func:`afofit.scan.load_landmarks`).
    side : force the side ("left" | "right") instead of detecting it.
    frame : the leg's frame if already estimated (its side as decided); else it is
        estimated here (:func:`~afofit.geometry.frames.estimate_frame`).

    Raises
    ------
    NotALegError
        The surface is not a lower leg with a foot.
    """
    if frame is None:
        frame = estimate_frame(mesh.triangles_center, mesh.area_faces, side=side)
    elif side is not None:
        frame = frame.with_side(side)
    vertices = np.asarray(mesh.vertices)
    local = frame.to_local(vertices)
    shank = frame.to_shank_local(vertices)
    sections = Sections.from_mesh(shank, np.asarray(mesh.faces))
    found = detect_landmarks(local, sections, frame)
    points = dict(found.points)
    foot_length = float(points["toe_tip"][1] - points["heel"][1])  # type: ignore[index]
    _check_is_leg(local, sections, foot_length, name)
    confidence = dict(found.confidence)
    source = dict.fromkeys(LANDMARK_NAMES, "detected")
    warnings: list[str] = []
    estimate: AnkleEstimate | None = found.ankle
    if overrides and ANKLE_LANDMARKS & overrides.keys():
        estimate = None
    if overrides:
        for key, point in overrides.items():
            points[key] = frame.to_local(np.asarray(point, dtype=np.float64)[None, :])[0]
            confidence[key], source[key] = 1.0, "given"
        malleoli_given = {"lateral_malleolus", "medial_malleolus"} & overrides.keys()
        lateral, medial = points["lateral_malleolus"], points["medial_malleolus"]
        if malleoli_given and "ankle_axis_centre" not in overrides:
            if lateral is None or medial is None:
                raise LandmarkError(
                    f"{name}: the ankle centre needs both malleoli; give the other one too."
                )
            points["ankle_axis_centre"] = 0.5 * (lateral + medial)
            confidence["ankle_axis_centre"] = min(
                confidence["lateral_malleolus"], confidence["medial_malleolus"]
            )
        warnings = _checked(mesh, frame, points, overrides.keys(), f"{name}, {frame.side} leg")
    landmarks = {
        k: (None if p is None else frame.to_scan(p[None, :])[0]) for k, p in points.items()
    }
    in_shank = {
        k: (None if p is None else frame.to_shank_local(p[None, :])[0])
        for k, p in landmarks.items()
    }
    measurements = measure_leg(sections, in_shank, float(shank[:, 2].max()), points)
    return LegAnatomy(
        side=frame.side,
        frame=frame,
        landmarks_mm=landmarks,
        confidence=confidence,
        source=source,
        measurements=measurements,
        faces=len(mesh.faces),
        warnings=tuple(warnings),
        ankle_estimate=estimate,
    )


def _checked(
    mesh: trimesh.Trimesh,
    frame: LegFrame,
    points: dict[str, Vec | None],
    given: Iterable[str],
    leg: str,
) -> list[str]:
    """Check the given landmarks against the skin (:mod:`afofit.geometry.given`)."""
    vertices = np.asarray(mesh.vertices)
    normals = np.asarray(mesh.vertex_normals) @ frame.rotation.T
    local = frame.to_local(vertices)
    if float(np.einsum("ij,ij->", local - local.mean(axis=0), normals)) < 0.0:
        normals = -normals  # inward-wound scan
    heel, toe = points["heel"], points["toe_tip"]
    foot = float(toe[1] - heel[1]) if heel is not None and toe is not None else float("nan")
    return check_given_landmarks(
        points, given, local, normals, frame.to_local(np.zeros((1, 3)))[0],
        foot_length_mm=foot, side=frame.side, leg=leg,
    )  # fmt: skip


def _point(p: Vec | None) -> list[float] | None:
    return None if p is None else [round(float(c), 3) for c in p]


def _estimate(estimate: AnkleEstimate | None) -> dict[str, Any] | None:
    if estimate is None:
        return None
    return {
        "height_mm": rounded(estimate.height_mm),
        "sd_mm": rounded(estimate.sd_mm),
        "cues": [
            {"name": c.name, "height_mm": rounded(c.height_mm), "sd_mm": rounded(c.sd_mm)}
            for c in estimate.cues
        ],
    }


#: Confidence (0..1) from which a landmark reads as "high", and as "medium"; below, "low".
CONFIDENCE_WORDS = ((0.7, "high"), (0.4, "medium"))


def confidence_word(confidence: float) -> str:
    """ "high", "medium" or "low" for a landmark's ``confidence`` (0..1)."""
    return next((word for floor, word in CONFIDENCE_WORDS if confidence >= floor), "low")


def describe_ankle(estimate: dict[str, Any] | None) -> str:
    """One sentence on how the ankle centre's height was found, from its JSON ``estimate``
    (:func:`anatomy_to_dict`'s ``ankle_estimate``); "" when it was given."""
    if estimate is None:
        return ""
    cues = ", ".join(
        f"{c['name']} ({c['height_mm']:.0f} ± {c['sd_mm']:.1f} mm)" for c in estimate["cues"]
    )
    return f"{estimate['height_mm']:.0f} ± {estimate['sd_mm']:.1f} mm above the sole, from {cues}"


def anatomy_to_dict(anatomy: ScanAnatomy) -> dict[str, Any]:
    """The stable JSON contract of ``afofit scan --json`` for an ``anatomy`` (see the README)."""
    legs = []
    for leg in anatomy.legs:
        m = leg.measurements
        legs.append(
            {
                "side": leg.side,
                "side_confidence": rounded(leg.frame.side_confidence),
                "faces": leg.faces,
                "frame": {
                    "up": _point(leg.frame.up),
                    "anterior": _point(leg.frame.anterior),
                    "lateral": _point(leg.frame.lateral),
                    "origin_mm": _point(leg.frame.origin),
                },
                "landmarks_mm": {k: _point(v) for k, v in leg.landmarks_mm.items()},
                "measurements_mm": {
                    "foot_length": rounded(m.foot_length_mm),
                    "malleolar_width": rounded(m.malleolar_width_mm),
                    "ankle_girth": rounded(m.ankle_girth_mm),
                    "ankle_girth_height": rounded(m.ankle_girth_height_mm),
                    "calf_girth_max": rounded(m.calf_girth_max_mm),
                    "calf_girth_height": rounded(m.calf_girth_height_mm),
                    "shank_length": rounded(m.shank_length_mm),
                },
                "confidence": {k: rounded(v) for k, v in leg.confidence.items()},
                "landmark_source": dict(leg.source),
                "ankle_estimate": _estimate(leg.ankle_estimate),
            }
        )
    return {
        "file": anatomy.path,
        "sha256": anatomy.sha256,
        "units_detected": anatomy.units_detected,
        "units_source": anatomy.units_source,
        "scale_to_mm": anatomy.scale_to_mm,
        "faces": anatomy.faces,
        "legs": legs,
        "warnings": list(anatomy.warnings),
    }
