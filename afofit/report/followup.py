"""A follow-up visit as follow-up.json (plain, stable, mm) and a self-contained
follow-up.html: the deviation map on the leg, girths by level (old and new), the brace's
clearance map on the new leg, and the numbers behind them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib
import matplotlib.colors
import matplotlib.style
import numpy as np
import trimesh
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from afofit.followup import FollowUp
from afofit.jsonready import rounded
from afofit.report.clearance import clearance_map
from afofit.report.html import CSS, environment, png_base64
from afofit.report.plots import figure_png
from afofit.report.render import render_views
from afofit.version import __version__

__all__ = ["DEVIATION_SCALE_MM", "followup_html", "followup_json"]

#: The deviation map's colour scale runs from -this (wasting, blue) to +this (red), mm.
DEVIATION_SCALE_MM = 5.0


def _scan(anatomy: Any) -> dict[str, Any]:
    return {
        "scan": Path(anatomy.path).name, "sha256": anatomy.sha256,
        "units_detected": anatomy.units_detected, "scale_to_mm": anatomy.scale_to_mm,
        "faces": anatomy.faces,
    }  # fmt: skip


def _region(region: Any) -> dict[str, Any] | None:
    if region is None:
        return None
    return {
        "value_mm": rounded(region.value_mm), "level_mm": rounded(region.level_mm, 0),
        "side": region.side, "area_mm2": rounded(region.area_mm2, 0),
    }  # fmt: skip


def followup_json(result: FollowUp, afo_dir: str | None = None) -> dict[str, Any]:
    """``result`` as follow-up.json holds it (see docs/formats.md); ``afo_dir`` names the
    brace's folder as the user gave it."""
    old_foot, new_foot = result.foot_length_mm
    old_mall, new_mall = result.malleolar_width_mm
    afo = result.afo
    return {
        "afofit_version": __version__,
        "old": _scan(result.old),
        "new": _scan(result.new),
        "side": result.side,
        "registration_residual_mm": rounded(result.registration.residual_mm, 3),
        "registration": {
            "median_mm": rounded(result.registration.median_mm, 3),
            "kept_fraction": rounded(result.registration.kept_fraction, 3),
            "rounds": result.registration.rounds,
            "transform": [[rounded(v, 6) for v in row] for row in result.registration.transform],
        },
        "girth_change": [
            {
                "level_mm": rounded(g.level_mm, 0),
                "old_mm": rounded(g.old_mm, 1),
                "new_mm": rounded(g.new_mm, 1),
                "change_pct": rounded(g.change_pct),
            }
            for g in result.girths
        ],
        "volume_levels_mm": [rounded(v, 0) for v in result.volume_levels_mm],
        "volume_old_mm3": None
        if result.volume_old_mm3 is None
        else rounded(result.volume_old_mm3, 0),
        "volume_new_mm3": None
        if result.volume_new_mm3 is None
        else rounded(result.volume_new_mm3, 0),
        "volume_change_pct": None
        if result.volume_change_pct is None
        else rounded(result.volume_change_pct),
        "foot_length_mm": {"old": rounded(old_foot, 1), "new": rounded(new_foot, 1)},
        "foot_length_change_mm": rounded(new_foot - old_foot, 1),
        "malleolar_width_mm": {"old": rounded(old_mall, 1), "new": rounded(new_mall, 1)},
        "malleolar_width_change_mm": rounded(new_mall - old_mall, 1),
        "landmark_shifts_mm": {k: rounded(v, 1) for k, v in result.landmark_shifts_mm.items()},
        "largest_swelling": _region(result.swelling),
        "largest_wasting": _region(result.wasting),
        "afo": None
        if afo is None
        else {
            "dir": afo_dir,
            "verdict": afo.verdict,
            "reasons": list(afo.reasons),
            "pressure_area_mm2": rounded(afo.pressure_area_mm2, 0),
            "pressure_levels_mm": None
            if afo.pressure_levels_mm is None
            else [rounded(v, 0) for v in afo.pressure_levels_mm],
            "deepest_mm": rounded(afo.deepest_mm),
            "loose_area_mm2": rounded(afo.loose_area_mm2, 0),
            "inner_area_mm2": rounded(afo.inner_area_mm2, 0),
            "unchecked_area_mm2": rounded(afo.unchecked_area_mm2, 0),
        },
        "warnings": list(result.warnings),
    }


def _local(mesh: trimesh.Trimesh, result: FollowUp) -> trimesh.Trimesh:
    return trimesh.Trimesh(
        result.frame.to_local(np.asarray(mesh.vertices)), np.asarray(mesh.faces), process=False
    )


def deviation_picture(result: FollowUp) -> bytes:
    """PNG of the new leg coloured by its distance from the old (red out, blue in)."""
    cmap = matplotlib.colormaps["RdBu_r"]
    norm = matplotlib.colors.Normalize(-DEVIATION_SCALE_MM, DEVIATION_SCALE_MM)
    per_face = np.asarray(result.deviation_mm)[np.asarray(result.new_skin.faces)].mean(axis=1)
    colours = np.asarray(cmap(norm(per_face)))[:, :3]
    return render_views(
        _local(result.new_skin, result), None, views=("anterior", "lateral", "posterior", "medial"),
        pixel_mm=1.5, face_colours=colours,
        colorbar=("new skin from the old, mm (+ swelling, - wasting)", cmap, norm),
    )  # fmt: skip


def girth_plot(result: FollowUp) -> bytes:
    """PNG: girth by level, old and new, and the change in %."""
    levels = np.array([g.level_mm for g in result.girths])
    with matplotlib.style.context("default"):
        fig = Figure(figsize=(9.0, 4.2), dpi=100)
        FigureCanvasAgg(fig)
        left, right = fig.subplots(1, 2, sharey=True)
        left.plot([g.old_mm for g in result.girths], levels, "-", color="0.35", label="old")
        left.plot([g.new_mm for g in result.girths], levels, "-", color="#d62728", label="new")
        # Low levels cross the whole foot (twice the shank's girth): the axis is the shank's.
        shank = [g for g in result.girths if g.level_mm >= result.volume_levels_mm[0] - 50.0]
        if shank:
            widest = max(max(g.old_mm, g.new_mm) for g in shank)
            narrowest = min(min(g.old_mm, g.new_mm) for g in result.girths)
            left.set_xlim(0.9 * narrowest, 1.1 * widest)
        left.set_xlabel("girth, mm (lowest levels: across the foot)")
        left.set_ylabel("level above the sole, mm")
        left.legend(frameon=False)
        change = np.array([g.change_pct for g in result.girths])
        right.axvspan(-0.5, 0.5, color="0.9", label="±0.5 % (rescan repeatability)")
        right.plot(change, levels, "-o", ms=2.5, color="#d62728")
        right.axvline(0.0, color="0.5", lw=0.8)
        right.set_xlabel("change, % of the old girth")
        right.legend(frameon=False, loc="lower right", fontsize=8)
        for ax in (left, right):
            for side in ("top", "right"):
                ax.spines[side].set_visible(False)
        fig.tight_layout()
        return figure_png(fig)


def brace_picture(result: FollowUp) -> bytes | None:
    """PNG of the earlier brace on the new leg, its inner surface coloured by the gap."""
    brace = result.afo
    if brace is None:
        return None
    shell = _local(brace.shell, result)
    gaps = clearance_map(
        shell, None, brace.clearance_mm, brace.thickness_mm, gap_mm=brace.new_gap_mm
    )
    return render_views(
        shell, None, views=("anterior", "top"), face_colours=gaps.colours,
        colorbar=("gap to the new skin, mm", gaps.cmap, gaps.norm),
    )  # fmt: skip


def followup_html(result: FollowUp, data: dict[str, Any]) -> str:
    """The follow-up page from ``result`` and its JSON ``data`` (:func:`followup_json`)."""
    brace = brace_picture(result)
    return environment().get_template("followup.html.j2").render(
        css=CSS, data=data, deviation=png_base64(deviation_picture(result)),
        girths=png_base64(girth_plot(result)), brace=None if brace is None else png_base64(brace),
    )  # fmt: skip
