"""The fitting.json contract: plain, stable, mm (degrees only where a name says so)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from afofit.anatomy import anatomy_to_dict
from afofit.fitting import threemf_name
from afofit.gait.analysis import gait_to_dict
from afofit.jsonready import rounded
from afofit.mechanics.stiffness import stiffness_block
from afofit.units import mm3_to_cm3
from afofit.version import __version__

if TYPE_CHECKING:
    from afofit.fitting import FitResult, LegFit
    from afofit.slicing import SliceResult

__all__ = ["fitting_json"]


def _leg(
    fit: LegFit,
    leg_dict: dict[str, Any],
    names: tuple[str, str] | tuple[None, None],
    target: dict[str, Any],
    sliced: SliceResult | None,
) -> dict[str, Any]:
    s = fit.stats
    mass_g = mm3_to_cm3(s.volume_mm3 * fit.params.material.density_g_cm3)  # mm³·g/cm³ → g
    return {
        "side": fit.leg.side,
        "frame": leg_dict["frame"],
        "landmarks_mm": leg_dict["landmarks_mm"],
        "landmark_confidence": leg_dict["confidence"],
        "landmark_source": leg_dict["landmark_source"],
        "ankle_estimate": leg_dict["ankle_estimate"],
        "measurements_mm": leg_dict["measurements_mm"],
        "design": {**fit.params.summary(), **target},
        "shell": {
            "stl": names[0],
            # The same solid standing on its footplate on the printer's bed, and
            # the rigid motion (4 × 4, mm) from the scan's frame to it.
            "print_stl": names[1],
            # The standing solid for the printer as 3MF (in mm, named with case and side).
            "print_3mf": None if names[0] is None else threemf_name(names[0]),
            "print_transform": [[rounded(v, 6) for v in row] for row in fit.print_transform],
            # PrusaSlicer's G-code of the standing shell and its estimate (--slice), or null.
            "slice": None if sliced is None else sliced.to_dict(),
            "faces": s.faces,
            "volume_mm3": rounded(s.volume_mm3, 1),
            "mass_g": rounded(mass_g, 1),
            "watertight": s.watertight,
            "winding_consistent": s.winding_consistent,
            "self_intersections": s.self_intersections,
            "min_wall_mm": rounded(s.min_wall_mm),
            "wall_p05_mm": rounded(s.wall_p05_mm),
            "thinnest_feature_mm": rounded(s.thinnest_feature_mm),
            "skin_penetration_mm": rounded(s.penetration_mm),
            "skin_points_inside": s.skin_inside,
            "toe_clearance_mm": {
                "min": rounded(s.toe_clearance_min_mm),
                "median": rounded(s.toe_clearance_median_mm),
            },
            "clearance_mm": {
                "median": rounded(s.clearance_median_mm),
                "p05": rounded(s.clearance_p05_mm),
                "p95": rounded(s.clearance_p95_mm),
                "within_0_8_mm_fraction": rounded(s.clearance_within_0_8_fraction),
            },
            "extents_mm": [rounded(e, 1) for e in s.extents_mm],
            # Whether the wall lies over each malleolus (null without its landmark).
            "covers_malleoli": fit.malleoli_covered(),
        },
        "stiffness": None if fit.stiffness is None else stiffness_block(fit.stiffness),
        "checks": [
            {"name": c.name, "passed": c.passed, "detail": c.detail, "value": rounded(c.value)}
            for c in fit.checks
        ],
        "warnings": list(fit.warnings)
        + [
            f"{fit.leg.side} leg: PrusaSlicer said '{note}'"
            for note in (sliced and sliced.notes) or ()
        ],
    }


def fitting_json(
    result: FitResult,
    keep_failed: bool = False,
    sliced: tuple[SliceResult | None, ...] = (),
) -> dict[str, Any]:
    """A fitting ``result`` as a JSON-ready dict; one leg's keys at the top, all legs in ``legs``.
    ``sliced`` holds each leg's G-code estimate (``--slice``: :func:`afofit.export.slice_print`).

    The contract of fitting.json (see the README); ``request`` holds the whole request
    and its :meth:`~afofit.request.FitRequest.key`. A leg whose shell failed a check has
    no STL (``stl`` and ``print_stl`` null) unless ``keep_failed``: then its ``-FAILED`` names.
    """
    anatomy = anatomy_to_dict(result.anatomy)
    names = [
        pair if fit.passed or keep_failed else (None, None)
        for fit, pair in zip(result.legs, result.stl_names(), strict=True)
    ]
    sliced = sliced or (None,) * len(result.legs)
    legs = [
        _leg(fit, leg_dict, pair, result.targets.get(fit.leg.side, {}), leg_slice)
        for fit, leg_dict, pair, leg_slice in zip(
            result.legs, anatomy["legs"], names, sliced, strict=True
        )
    ]
    head = {
        "afofit_version": __version__,
        "inputs": {
            "scan": anatomy["file"],
            "sha256": anatomy["sha256"],
            "units_detected": anatomy["units_detected"],
            "units_source": anatomy["units_source"],
            "scale_to_mm": anatomy["scale_to_mm"],
            "faces": anatomy["faces"],
            "options": result.request.options(),
        },
    }
    first = dict(legs[0]) if len(legs) == 1 else {"side": "both"}
    warnings = list(anatomy["warnings"]) + [w for leg in legs for w in leg["warnings"]]
    first.pop("warnings", None)
    gait = None if result.gait is None else gait_to_dict(result.gait)
    if gait is not None:
        warnings += gait["warnings"]
    request = {**result.request.to_dict(), "key": result.request.key()}
    return {**head, **first, "legs": legs, "gait": gait, "warnings": warnings, "request": request}
