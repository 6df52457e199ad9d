"""The fitting report: one self-contained HTML page (pictures inline), for the clinician and the lab.

The page is the Jinja2 template ``templates/report.html.j2`` (with ``report.css``); this
module builds its context from a fitting's result and its fitting.json data: the header
(:class:`ReportInfo`), a one-glance summary per leg, the gait, the scan with its
landmarks, the design, the clearance map, the stiffness, printing, the checks and what it
takes to reproduce the fitting. The PDF (:mod:`afofit.report.pdf`) lays out the same page.
"""

from __future__ import annotations

import base64
import datetime
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from functools import cache
from html import escape
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import jinja2
import numpy as np
from markupsafe import Markup

from afofit.anatomy import anatomy_to_dict, confidence_word, describe_ankle
from afofit.fitting import MALLEOLI
from afofit.gait.analysis import ABOVE_NORMAL, BELOW_NORMAL, metric_rows
from afofit.geometry.label import LABEL_DEPTH_MM, LabelPlacement, label_length_mm
from afofit.printing import print_estimate
from afofit.report.clearance import LOOSE_BEYOND_MM, PRESSURE_BELOW_MM, clearance_map
from afofit.report.render import Marks, MeshArrays, render_label, render_views, render_views_of
from afofit.scan import file_sha256
from afofit.threads import HERE, SpareCore
from afofit.tuning import describe_changes

if TYPE_CHECKING:
    from afofit.anatomy import LegAnatomy
    from afofit.fitting import FitResult, LegFit, Prepared

__all__ = [
    "CSS",
    "NOTHING_DRAWN",
    "ReportInfo",
    "draw_ahead",
    "environment",
    "fitting_html",
    "html_number",
    "html_table",
    "png_base64",
    "shared_pictures",
]

TEMPLATES = Path(__file__).resolve().parent / "templates"
#: The report's style sheet (the comparison page shares it).
CSS = (TEMPLATES / "report.css").read_text(encoding="utf-8")

#: The landmarks the report lists and draws: those the shell is built from, and the knee's.
_LANDMARKS = ("lateral_malleolus", "medial_malleolus", "ankle_axis_centre", "heel", "mtp1",
              "mtp5", "fibular_head")  # fmt: skip
#: No picture drawn ahead (:func:`fitting_html`'s ``drawn``).
NOTHING_DRAWN: Mapping[str, bytes] = MappingProxyType({})
#: The landmarks drawn on the scan's picture.
_DRAWN = (*_LANDMARKS, "toe_tip")
#: Where each landmark is drawn (the views it is seen in).
_SEEN = {"lateral_malleolus": ("lateral", "posterior"), "medial_malleolus": ("medial", "posterior"),
         "heel": ("lateral", "medial", "posterior"), "mtp1": ("medial",), "mtp5": ("lateral",),
         "fibular_head": ("lateral", "posterior"), "toe_tip": ("lateral", "medial"),
         "knee_centre": ("lateral", "medial", "posterior")}  # fmt: skip


@dataclass(frozen=True, slots=True)
class ReportInfo:
    """The report's header: who and what it is for (none of it changes the brace).

    Attributes
    ----------
    case_id, patient_ref, clinician : as the lab names them (None: left blank).
    date : the fitting's date, ISO (None: today's).
    command : the command line that made it, for the reproducibility section.
    """

    case_id: str | None = None
    patient_ref: str | None = None
    clinician: str | None = None
    date: str | None = None
    command: str | None = None

    def dated(self) -> ReportInfo:
        """This header with its date set: today's when it has none (a fitting's or a
        comparison's pages then all carry the same one)."""
        return replace(self, date=self.date or datetime.date.today().isoformat())


def html_table(rows: list[tuple[str, str]], head: tuple[str, str] | None = None) -> str:
    """A two-column table of (label, HTML value) ``rows`` (labels escaped here), with ``head``."""
    out = ["<table>"]
    if head:
        out.append(f"<tr><th>{escape(head[0])}</th><th>{escape(head[1])}</th></tr>")
    out += [f"<tr><td>{escape(k)}</td><td>{v}</td></tr>" for k, v in rows]
    out.append("</table>")
    return "".join(out)


def html_number(value: Any, unit: str = "", digits: int = 1) -> str:
    """``value`` with its ``unit`` (a float to ``digits`` decimals), escaped; "—" for None."""
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.{digits}f} {unit}".strip()
    return escape(f"{value} {unit}".strip())


_FETCHED = re.compile(
    r"""(?:\bsrc\s*=\s*["']?|<link\b[^>]*?\bhref\s*=\s*["']?|url\(\s*["']?|@import\s+["'])"""
    r"""([^"'\s)>]*)""",
    re.I,
)


def external_references(page: str) -> list[str]:
    """Every address ``page`` (HTML) would fetch to show itself: the values of its ``src``,
    ``<link href>``, CSS ``url()`` and ``@import`` that are not inline (``data:``) or a place
    in the page (``#...``). A self-contained page has none (its ``<a>`` links may point
    beside it: following them is the reader's choice)."""
    return [ref for ref in _FETCHED.findall(page) if ref and not ref.startswith(("data:", "#"))]


def png_base64(data: bytes) -> str:
    """PNG ``data`` as the base64 text of an inline ``data:image/png`` picture."""
    return base64.b64encode(data).decode("ascii")


def _marks(leg: LegAnatomy, names: tuple[str, ...]) -> Marks:
    """Landmarks ``names`` in the leg's local frame, with the views they are drawn in."""
    marks: Marks = {}
    for name in names:
        point = leg.landmarks_mm.get(name)
        if point is not None:
            label = name.replace("_", " ")
            marks[label] = (leg.frame.to_local(point[None, :])[0], _SEEN.get(name, ()))
    return marks


def _landmark_rows(leg: dict[str, Any]) -> list[dict[str, str]]:
    """Each landmark the shell was built from: where it came from and how sure it is."""
    rows = []
    for name in _LANDMARKS:
        if leg["landmarks_mm"].get(name) is None:
            continue
        confidence = leg["landmark_confidence"][name]
        word = confidence_word(confidence)
        given = leg["landmark_source"][name] == "given"
        rows.append(
            {"name": name.replace("_", " "),
             "text": "given (--landmarks)" if given else f"{word} ({confidence:.2f})",
             "css": "flag" if word == "low" and not given else ""}
        )  # fmt: skip
    return rows


def _flagged(
    landmarks: dict[str, Any], source: dict[str, str], confidence: dict[str, float]
) -> set[str]:
    """The landmark labels to check: low confidence, not given (a leg's fitting.json
    ``landmarks_mm``, ``landmark_source`` and ``landmark_confidence``)."""
    return {
        name.replace("_", " ")
        for name in _LANDMARKS
        if landmarks.get(name) is not None
        and source[name] != "given"
        and confidence_word(confidence[name]) == "low"
    }


def draw_ahead(prepared: Prepared, spare: SpareCore) -> None:
    """Start each leg's landmarks picture of the scan ``prepared`` (:func:`afofit.fitting.prepare`)
    in the helper ``spare`` while the shells are built (the helper waits then): the report
    asks it for the same picture (:func:`fitting_html`), which the helper keeps
    (:func:`render_views`) and hands back at once, and the skin's splats it made serve the
    shell's picture too. Nothing without a helper process."""
    if spare.parallel:
        for _, args in _landmark_pictures(prepared):
            spare.submit(render_views_of, *args)


def shared_pictures(prepared: Prepared) -> dict[str, bytes]:
    """The pictures every fitting of the scan ``prepared`` shows alike (PNG): each leg's
    landmarks on its scan (``landmarks <side>``) and, with gait trials, the ankle plot
    (``gait``): drawn once for a comparison's candidates, whose reports take them
    (:func:`fitting_html`'s ``drawn``)."""
    drawn = {
        f"landmarks {side}": render_views_of(*args) for side, args in _landmark_pictures(prepared)
    }
    if prepared.gait is not None:
        from afofit.report.plots import ankle_cycle_plot

        drawn["gait"] = ankle_cycle_plot(prepared.gait.trials)
    return drawn


def _landmark_pictures(prepared: Prepared) -> Iterator[tuple[str, tuple[Any, ...]]]:
    """Each leg's side and the arguments of :func:`render_views_of` that draw its landmarks
    on its scan, as the report does (:func:`_leg`)."""
    legs = anatomy_to_dict(prepared.anatomy)["legs"]
    for limb, leg, data in zip(prepared.limbs, prepared.anatomy.legs, legs, strict=True):
        skin = _plain_arrays(leg.frame.to_local(np.asarray(limb.vertices)), limb.faces)
        flagged = _flagged(data["landmarks_mm"], data["landmark_source"], data["confidence"])
        yield leg.side, (None, skin, _marks(leg, _DRAWN), flagged)


def _params(fit: LegFit, design: dict[str, Any]) -> list[tuple[str, Any]]:
    trim = design["trim"]
    target = design.get("target_stiffness_nm_per_deg")
    reliefs = ", ".join(f"{k} {v:g} mm" for k, v in design["reliefs_mm"].items()) or "none"
    slots = design.get("strap_slot_heights_mm")
    return [
        ("design", f"{design['name']} ({trim['type']} trim)"),
        ("chosen by", str(design.get("design_source", "--design"))),
        ("target ankle stiffness",
         f"{target[0]:.2f}–{target[1]:.2f} N·m/deg ({design.get('stiffness_source')})" if target else "—"),
        ("material", f"{design['material']} ({fit.params.material.process})"),
        ("thickness", html_number(design["thickness_mm"], "mm")),
        ("clearance over the skin", html_number(design["clearance_mm"], "mm")),
        ("footplate", design["footplate"]),
        ("trim half-angle at the ankle / calf",
         f"{trim['ankle_half_angle_deg']:.0f}° / {trim['calf_half_angle_deg']:.0f}° from the posterior midline"),
        ("malleoli under the wall (lateral / medial)",
         " / ".join({True: "yes", False: "no", None: "—"}[c] for c in fit.malleoli_covered().values())),
        ("top edge", f"{design['proximal_height_mm']:.0f} mm above the sole (from {design['proximal_height_from']})"),
        ("side walls", f"{trim['heel_wall_height_mm']:.0f} mm at the heel to "
                       f"{trim['toe_wall_height_mm']:.0f} mm at the footplate's end"),
        ("reliefs", reliefs),
        ("strap slots", ", ".join(f"{z:.0f} mm" for z in slots) + " above the sole, each side" if slots else "none"),
    ]  # fmt: skip


def _stats(shell: dict[str, Any]) -> list[tuple[str, Any]]:
    c = shell["clearance_mm"]
    return [
        ("faces", html_number(shell["faces"])),
        ("volume / mass", f"{shell['volume_mm3'] / 1000:.1f} cm³ / {shell['mass_g']:.0f} g"),
        ("thinnest wall (away from edges)", html_number(shell["min_wall_mm"], "mm", 2)),
        ("clearance median (p05-p95)", f"{c['median']:.2f} mm ({c['p05']:.2f}-{c['p95']:.2f})"),
        ("size", " × ".join(f"{e:.0f}" for e in shell["extents_mm"]) + " mm"),
    ]  # fmt: skip


def _measurements(m: dict[str, Any]) -> list[tuple[str, Any]]:
    return [
        ("foot length", html_number(m["foot_length"], "mm")),
        ("malleolar width", html_number(m["malleolar_width"], "mm")),
        ("ankle girth", html_number(m["ankle_girth"], "mm")),
        ("calf girth (max)", html_number(m["calf_girth_max"], "mm")),
        ("shank length", html_number(m["shank_length"], "mm")),
    ]


def _stiffness(leg: dict[str, Any]) -> dict[str, Any] | None:
    """The leg's predicted stiffness, its fixture, the tuning and the moment-angle plot."""
    block = leg.get("stiffness")
    if block is None:
        return None
    from afofit.report.stiffness_plot import moment_angle_plot

    fx = block["fixture"]
    if block["method"] == "fe":
        method = "finite elements (quadratic tetrahedra, linear elastic)"
    else:
        error = block["model"]["error_vs_fe"]
        method = (
            "the fast model: shell elements on the brace's own midsurface, calibrated against finite "
            f"elements (median error {error['median']:.0%}, worst {error['worst']:.0%} on 26 "
            "shells); for the FE number run afofit stiffness on this folder"
        )
    fe_only = "by FE only"
    target = block["target_nm_per_deg"]
    meets = None
    if target is not None:
        meets = {
            "css": "pass" if block["within_target"] else "fail",
            "text": f"{'Meets' if block['within_target'] else 'Misses'} the target "
            f"{target[0]:.2f}–{target[1]:.2f} N·m/deg (its range, or ±10 % of its middle).",
        }
    peak = block["peak_height_above_axis_mm"]
    rows: list[tuple[str, Any]] = [
        ("dorsiflexion stiffness", Markup(f"<b>{block['predicted_nm_per_deg']:.2f} N·m/deg</b> "
                                          f"(cuff {escape(fx['cuff_constraint'])})")),
        ("pure moment (lower bound)", html_number(block["lower_bound_nm_per_deg"], "N·m/deg", 2)),
        ("inversion/eversion", fe_only if block["frontal_nm_per_deg"] is None
                               else html_number(block["frontal_nm_per_deg"], "N·m/deg", 2)),
        ("peak von Mises stress", fe_only if block["peak_stress_mpa"] is None else
                                  f"{block['peak_stress_mpa']:.1f} MPa at {block['moment_nm']:g} N·m, "
                                  f"{abs(peak):.0f} mm {'above' if peak >= 0 else 'below'} the axis"),
        ("linear up to", f"{block['linear_to_deg']:.1f}° (the peak stress reaches the strength)"
                         if block["linear_to_deg"] is not None else fe_only),
        ("method", method),
        ("fixture", f"footplate clamped {fx['clamp_below_axis_mm']:g} mm and more below the "
                    f"malleolar axis; rigid cuff over the top band (from {fx['cuff_above_axis_mm']:.0f} mm "
                    f"above the axis), {fx['cuff_constraint']}: the cuff's other two rotations "
                    "held, free to translate; moment about the malleolar axis through "
                    f"({', '.join(f'{v:.1f}' for v in fx['axis_point_mm'])}) mm, along "
                    f"({', '.join(f'{v:.3f}' for v in fx['axis_direction'])})"),
    ]  # fmt: skip
    tuning = block["tuning"]
    if tuning is not None:
        rows.append(
            ("tuned", f"{describe_changes(tuning['changed'])} ({len(tuning['steps'])} shells "
                      "built and measured)")
        )  # fmt: skip
    return {
        "meets": meets,
        "rows": rows,
        "picture": png_base64(moment_angle_plot(leg["side"], block)),
        "predicted": block["predicted_nm_per_deg"],
        "method": block["method"],
    }


def _summary(fit: LegFit, leg: dict[str, Any]) -> dict[str, Any]:
    """The one-glance box: design, stiffness against the target, checks, the file to print."""
    design, shell, block = leg["design"], leg["shell"], leg.get("stiffness")
    checks = leg["checks"]
    passed = sum(c["passed"] for c in checks)
    stiffness: Any = "—"
    if block is not None:
        target = block["target_nm_per_deg"]
        stiffness = escape(f"{block['predicted_nm_per_deg']:.2f} N·m/deg ({block['method']})")
        if target is not None:
            mark = (
                "<span class='pass'>meets</span>"
                if block["within_target"]
                else "<span class='fail'>MISSES</span>"
            )
            stiffness += f"; target {target[0]:.2f}–{target[1]:.2f}: {mark}"
        stiffness = Markup(stiffness)
    gcode = shell.get("slice") and shell["slice"]["gcode"]
    to_print = (
        Markup(f"<span class='print-file'>{escape(gcode)}</span> (G-code for the FFF printer: "
               "see printing), or "
               f"{escape(shell['print_3mf'])} or {escape(shell['print_stl'])} (standing on "
               f"its footplate; {escape(shell['stl'])} overlays the scan)")
        if shell["stl"] and gcode
        else Markup(f"<span class='print-file'>{escape(shell['print_3mf'])}</span> or "
               f"{escape(shell['print_stl'])} (standing on its footplate; "
               f"{escape(shell['stl'])} overlays the scan)")
        if shell["stl"]
        else Markup("<span class='fail'>nothing: the shell failed a check</span>")
    )  # fmt: skip
    check_text = (
        Markup(f"<span class='pass'>all {passed} passed</span>")
        if passed == len(checks)
        else Markup(f"<span class='fail'>{len(checks) - passed} of {len(checks)} FAILED</span>")
    )
    return {
        "headline": f"{design['name']} in {design['material']}, {design['thickness_mm']:g} mm",
        "rows": [
            ("design", f"{design['name']} ({design['trim']['type']} trim), "
                       f"{design['footplate']} footplate"),
            ("material, thickness", f"{design['material']}, {design['thickness_mm']:g} mm"),
            ("ankle stiffness", stiffness),
            ("checks", check_text),
            ("print", to_print),
        ],
    }  # fmt: skip


def _printing(fit: LegFit, leg: dict[str, Any]) -> list[tuple[str, Any]]:
    shell, sliced = leg["shell"], leg["shell"].get("slice")
    standing = " × ".join(f"{e:.0f}" for e in shell["extents_mm"])
    if sliced is not None:
        setting = sliced["settings"]
        estimate = (
            f"{sliced['hours']:.1f} h, {sliced['filament_g']:.0f} g of filament "
            f"({sliced['filament_m']:.0f} m, supports and brim included), material "
            f"{sliced['cost']:.2f}: {sliced['slicer']}'s estimate"
        )
        gcode = [
            ("G-code", f"{sliced['gcode']}: {setting.get('printer_notes', 'printer')} "
                       f"(bed {setting.get('bed_shape', '?')}, height "
                       f"{setting.get('max_print_height', '?')} mm), "
                       f"{setting.get('nozzle_diameter', '?')} mm nozzle, "
                       f"{setting.get('layer_height', '?')} mm layers, "
                       f"{setting.get('perimeters', '?')} perimeters, "
                       f"{setting.get('fill_density', '?')} infill, "
                       f"{setting.get('filament_type', '?')} at {setting.get('temperature', '?')} °C "
                       f"(bed {setting.get('bed_temperature', '?')} °C); settings "
                       f"{', '.join(sliced['profiles'])}"),
        ]  # fmt: skip
    else:
        rough = print_estimate(fit.stats.volume_mm3, fit.params.material.density_g_cm3)
        estimate = (
            f"{rough.hours:.1f} h, {rough.mass_g:.0f} g, material "
            f"{rough.material_cost:.2f} ({rough.method}; --slice asks PrusaSlicer)"
        )
        gcode = []
    return [
        ("file", f"{shell['print_3mf']} (3MF: mm, named part) or {shell['print_stl']}"
                 if shell["print_stl"] else "none (failed a check)"),
        *gcode,
        ("orientation", "standing on its flat footplate (no supports under the plate); for FFF, "
                        "printing it on its back puts the layers along the shank, stronger at "
                        "the ankle (the standing file is a start, not a rule)"),
        ("estimate", estimate),
        ("size", f"{standing} mm (scan frame extents)"),
        ("material", f"{fit.params.material.name}: {fit.params.material.description}"),
    ]  # fmt: skip


def _clearance(fit: LegFit) -> dict[str, Any]:
    p = fit.params
    gap = (
        fit.stats.inner_gap_mm
        if len(fit.stats.inner_gap_mm) == len(fit.shell_local.faces)
        else None
    )
    m = clearance_map(fit.shell_local, fit.skin_local, p.clearance_mm, p.thickness_mm, gap)
    png = render_views(
        fit.shell_local, None, views=("anterior", "top"), face_colours=m.colours,
        colorbar=("gap to the skin, mm", m.cmap, m.norm),
    )  # fmt: skip
    return {
        "picture": png_base64(png),
        "caption": f"The shell's inner surface, seen from the front and from above, coloured "
        f"by its gap to the skin (designed: {p.clearance_mm:g} mm, yellow). Red presses "
        f"(under {PRESSURE_BELOW_MM:g} mm); blue is loose (over {p.clearance_mm + LOOSE_BEYOND_MM:g} "
        "mm); grey is the outside.",
        "rows": [
            (f"presses (gap under {PRESSURE_BELOW_MM:g} mm)", f"{m.pressure_cm2:.1f} cm²"),
            (f"loose (gap over {p.clearance_mm + LOOSE_BEYOND_MM:g} mm)", f"{m.loose_cm2:.1f} cm²"),
            ("inner surface in all", f"{m.inner_cm2:.0f} cm²"),
        ],
    }  # fmt: skip


def _arrays(mesh: Any) -> MeshArrays:
    """A mesh's vertices and faces as plain arrays (to hand to a helper process)."""
    return _plain_arrays(mesh.vertices, mesh.faces)


def _plain_arrays(vertices: Any, faces: Any) -> MeshArrays:
    """``vertices`` and ``faces`` as the plain float64 and int64 arrays a helper is given."""
    return np.asarray(vertices, dtype=np.float64), np.asarray(faces, dtype=np.int64)


def _leg(
    fit: LegFit,
    leg: dict[str, Any],
    spare: SpareCore = HERE,
    drawn: Mapping[str, bytes] = NOTHING_DRAWN,
) -> dict[str, Any]:
    marks = _marks(fit.leg, _DRAWN)
    flagged = _flagged(leg["landmarks_mm"], leg["landmark_source"], leg["landmark_confidence"])
    # The shell's and the landmarks' pictures are drawn by the helper (the skin's splats
    # once for both; the landmarks' maybe already, :func:`draw_ahead`), beside the
    # clearance map here and the 3MF package being written; the landmarks' not at all when
    # given (``drawn``, :func:`shared_pictures`).
    skin, shell_marks = _arrays(fit.skin_local), _marks(fit.leg, MALLEOLI)
    landmarks = drawn.get(f"landmarks {fit.leg.side}")
    drawing = (
        (
            spare.submit(render_views_of, _arrays(fit.shell_local), skin, shell_marks),
            None if landmarks else spare.submit(render_views_of, None, skin, marks, flagged),
        )
        if spare.parallel
        else None
    )
    clearance = _clearance(fit)
    if drawing is None:
        shell = render_views(fit.shell_local, fit.skin_local, marks=shell_marks)
        if landmarks is None:
            landmarks = render_views(None, fit.skin_local, marks=marks, flagged=flagged)
    else:
        shell, pending = drawing[0].result(), drawing[1]
        if pending is not None:
            landmarks = pending.result()
    assert landmarks is not None  # given, or drawn above
    ankle = leg["landmark_confidence"]["ankle_axis_centre"]
    failed = [c["name"] for c in leg["checks"] if not c["passed"]]
    label, text = None, fit.params.label
    if text is not None:
        p = fit.params
        place = LabelPlacement(fit.leg.frame.rotation @ fit.leg.frame.shank_up,
                               p.label_centre_mm, p.label_mirrored)  # fmt: skip
        label = png_base64(render_label(fit.shell_local, place, label_length_mm(text)))
    return {
        "side": leg["side"],
        "passed": not failed,
        "failed": failed,
        "summary": _summary(fit, leg),
        "pictures": {
            "landmarks": png_base64(landmarks),
            "shell": png_base64(shell),
            "label": label,
        },
        "label_caption": None
        if fit.params.label is None
        else (
            f"“{fit.params.label}” cut {LABEL_DEPTH_MM} mm into the outer calf, 45° behind "
            "the lateral side, reading upwards; drawn as the printed shell will show it."
        ),
        "landmarks": _landmark_rows(leg),
        "ankle_text": describe_ankle(leg.get("ankle_estimate")),
        "ankle_advice": leg.get("ankle_estimate") is not None and confidence_word(ankle) != "high",
        "measurements": _measurements(leg["measurements_mm"]),
        "params": _params(fit, leg["design"]),
        "stats": _stats(leg["shell"]),
        "clearance": clearance,
        "stiffness": _stiffness(leg),
        "printing": _printing(fit, leg),
        "checks": leg["checks"],
    }


def _gait(
    analysis: Any, gait: dict[str, Any], drawn: Mapping[str, bytes] = NOTHING_DRAWN
) -> dict[str, Any]:
    """The ankle plot (``drawn`` already, or drawn here), the metrics against normal, the
    flags and the prescription's reasons."""
    from afofit.report.plots import ankle_cycle_plot

    count = len(gait["trials"])
    blocks = []
    for side in gait["sides"]:
        rx = gait["prescription"].get(side)
        if rx is None:
            continue
        k = rx["stiffness_nm_per_deg"]
        kind = "no AFO indicated" if rx["afo_type"] == "none" else rx["afo_type"]
        blocks.append({
            "title": f"{side.capitalize()}: {kind}" + (f", {k[0]:.2f}–{k[1]:.2f} N·m/deg" if k else ""),
            "strides": gait["sides"][side]["cycles"],
            "flags": [
                {"name": f["name"].replace("_", " "),
                 "count": f"{len(f['trials'])} of {count} trial{'s' if count > 1 else ''}",
                 "detail": f["detail"], "trial": Path(f["trials"][0]).name, "source": f["source"]}
                for f in gait["sides"][side]["flags"]
            ],
            "reasons": rx["rationale"],
        })  # fmt: skip
    return {
        "picture": png_base64(drawn.get("gait") or ankle_cycle_plot(analysis.trials)),
        "trials_text": f"{count} trial(s): "
        + ", ".join(f"{t['file']} ({t['events_source']} events)" for t in gait["trials"]),
        "convention": gait["convention"],
        "sides": list(gait["sides"]),
        "metrics": [
            {
                "label": label,
                "normal": normal,
                "cells": [None if c is None else {"text": c[0], "flag": c[1]} for c in cells],
            }
            for label, cells, normal in metric_rows(gait)
        ],
        "legend": f"{BELOW_NORMAL} below, {ABOVE_NORMAL} above the typical healthy range.",
        "blocks": blocks,
    }


@cache
def environment() -> jinja2.Environment:
    """The reports' Jinja2 templates (``templates/``), autoescaped, strict."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def fitting_html(
    result: FitResult,
    data: dict[str, Any],
    info: ReportInfo | None = None,
    spare: SpareCore = HERE,
    drawn: Mapping[str, bytes] = NOTHING_DRAWN,
) -> str:
    """The report page for a fitting ``result`` and its fitting.json ``data``, headed by
    ``info`` (None: no case, patient or clinician; today's date); ``spare`` a helper
    process that draws a picture beside the others (:func:`afofit.threads.spare_core`);
    ``drawn`` the pictures of :func:`shared_pictures` when already drawn (the rest are
    drawn here)."""
    info = (info or ReportInfo()).dated()
    date = info.date
    inputs = data["inputs"]
    legs = [
        _leg(fit, leg, spare, drawn) for fit, leg in zip(result.legs, data["legs"], strict=True)
    ]
    request = data["request"]
    files = [(inputs["scan"], inputs["sha256"])]
    reproducibility: list[tuple[str, Any]] = [
        ("command", Markup(f"<code>{escape(info.command)}</code>") if info.command else "—"),
        ("request key", Markup(f"<code>{escape(request['key'])}</code>")),
        *((f"input {name}", Markup(f"SHA-256 <code>{escape(sha)}</code>")) for name, sha in files),
        ("afofit", data["afofit_version"]),
    ]  # fmt: skip
    for trial in result.request.gait:
        try:
            digest: Any = Markup(f"SHA-256 <code>{file_sha256(trial)}</code>")
        except OSError:
            digest = "(no longer readable)"
        reproducibility.append((f"gait {trial}", digest))
    sides = ", ".join(f"{leg['side']} leg" for leg in data["legs"])
    page = environment().get_template("report.html.j2").render(
        css=Markup(CSS), info={**_info(info), "date": date},
        scan={"file": inputs["scan"]}, version=data["afofit_version"], sides_text=sides,
        legs=legs, warnings=data["warnings"], reproducibility=reproducibility,
        gait=_gait(result.gait, data["gait"], drawn) if result.gait is not None else None,
    )  # fmt: skip
    return page if page.endswith("\n") else page + "\n"


def _info(info: ReportInfo) -> dict[str, str | None]:
    return {
        "case_id": info.case_id,
        "patient_ref": info.patient_ref,
        "clinician": info.clinician,
        "command": info.command,
    }
