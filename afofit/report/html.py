"""The fitting report: one self-contained HTML page (pictures inline), for the clinician and the lab."""

from __future__ import annotations

import base64
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

from afofit.anatomy import confidence_word, describe_ankle
from afofit.gait.analysis import ABOVE_NORMAL, BELOW_NORMAL, metric_rows
from afofit.report.render import Marks, render_views
from afofit.tuning import describe_changes

if TYPE_CHECKING:
    from afofit.fit import FitResult

__all__ = ["CSS", "fitting_html", "gait_section", "html_number", "html_table"]

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:1100px;
color:#1d2733;line-height:1.4}
h1{font-size:1.6rem;margin-bottom:.2rem} h2{border-bottom:2px solid #3f7fd9;padding-bottom:.2rem;margin-top:2rem}
.sub{color:#5b6b7d;margin-top:0} table{border-collapse:collapse;margin:.6rem 0;font-size:.92rem}
td,th{border:1px solid #d5dde6;padding:.3rem .6rem;text-align:left;vertical-align:top}
th{background:#eef3f9} .pass{color:#17803d;font-weight:600} .fail{color:#c0392b;font-weight:700}
.warn{background:#fff6e0;border-left:4px solid #e0a800;padding:.4rem .8rem;margin:.3rem 0}
.grid{display:flex;gap:2rem;flex-wrap:wrap} img{max-width:100%;border:1px solid #d5dde6}
.small{font-size:.8rem;color:#5b6b7d}
"""


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


#: The landmarks the report lists: those the shell is built from.
_LANDMARKS = ("lateral_malleolus", "medial_malleolus", "ankle_axis_centre", "heel", "mtp1",
              "mtp5", "fibular_head")  # fmt: skip


def _malleoli_marks(fit: Any) -> Marks:
    """The malleoli the shell was built from, in the leg's local frame, for the pictures."""
    marks: Marks = {}
    for name, views in (("lateral", ("lateral", "posterior")), ("medial", ("medial", "posterior"))):
        point = fit.leg.landmarks_mm.get(f"{name}_malleolus")
        if point is not None:
            marks[f"{name} malleolus"] = (fit.leg.frame.to_local(point[None, :])[0], views)
    return marks


def _landmark_section(leg: dict[str, Any]) -> str:
    """The landmarks the shell was built from: where each came from and how sure it is,
    and what to do when the ankle's is low."""
    rows = []
    for name in _LANDMARKS:
        if leg["landmarks_mm"].get(name) is None:
            continue
        confidence = leg["landmark_confidence"][name]
        word = confidence_word(confidence)
        given = leg["landmark_source"][name] == "given"
        rows.append(
            (name.replace("_", " "),
             "given (--landmarks)" if given else
             f"<span class='{'fail' if word == 'low' else ''}'>{word}</span> ({confidence:.2f})")
        )  # fmt: skip
    text = describe_ankle(leg.get("ankle_estimate"))
    ankle = leg["landmark_confidence"]["ankle_axis_centre"]
    advice = ""
    if leg.get("ankle_estimate") is not None and confidence_word(ankle) != "high":
        advice = (
            "<p class='warn'>The malleoli hardly show on this scan, so the ankle axis (the "
            "stiffness fixture's axis, and the level of every trim line) is placed from the "
            "cues above, not seen. Check the red marks on the pictures against the patient's "
            "malleoli; if they are off, give them with <code>--landmarks</code>.</p>"
        )
    return (
        "<h3>Landmarks the shell was built from</h3>"
        + html_table(rows, ("landmark", "confidence"))
        + (f"<p class='small'>Ankle centre {escape(text)}.</p>" if text else "")
        + advice
    )


def _leg_section(fit: Any, leg: dict[str, Any]) -> str:
    png = render_views(fit.shell_local, fit.skin_local, marks=_malleoli_marks(fit))
    picture = base64.b64encode(png).decode("ascii")
    design, shell = leg["design"], leg["shell"]
    trim = design["trim"]
    checks = "".join(
        f"<tr><td>{escape(c['name'])}</td><td class='{'pass' if c['passed'] else 'fail'}'>"
        f"{'pass' if c['passed'] else 'FAIL'}</td><td>{escape(c['detail'])}</td></tr>"
        for c in leg["checks"]
    )
    failed = [c["name"] for c in leg["checks"] if not c["passed"]]
    verdict = (
        "<p class='pass'>All checks passed: the shell is one closed solid that fits as designed.</p>"
        if not failed
        else f"<p class='fail'>Failed checks: {escape(', '.join(failed))}. Do not print before "
        "reviewing them.</p>"
    )
    params = html_table(
        [
            ("design", escape(f"{design['name']} ({trim['type']} trim)")),
            ("chosen by", escape(str(design.get("design_source", "--design")))),
            ("target ankle stiffness",
             f"{design['target_stiffness_nm_per_deg'][0]:.2f}–{design['target_stiffness_nm_per_deg'][1]:.2f} N·m/deg "
             f"({escape(str(design.get('stiffness_source')))})"
             if design.get("target_stiffness_nm_per_deg") else "—"),
            ("material", escape(f"{design['material']} ({fit.params.material.process})")),
            ("thickness", html_number(design["thickness_mm"], "mm")),
            ("clearance over the skin", html_number(design["clearance_mm"], "mm")),
            ("footplate", escape(design["footplate"])),
            ("trim half-angle at the ankle / calf",
             f"{trim['ankle_half_angle_deg']:.0f}° / {trim['calf_half_angle_deg']:.0f}° from the posterior midline"),
            ("top edge", f"{design['proximal_height_mm']:.0f} mm above the sole "
                         f"(from {escape(design['proximal_height_from'])})"),
            ("side walls", f"{trim['heel_wall_height_mm']:.0f} mm at the heel to "
                           f"{trim['toe_wall_height_mm']:.0f} mm at the footplate's end"),
            ("reliefs", escape(", ".join(f"{k} {v:g} mm" for k, v in design["reliefs_mm"].items()) or "none")),
            ("strap slots", ", ".join(f"{z:.0f} mm" for z in design.get("strap_slot_heights_mm", []))
                            + " above the sole, each side" if design.get("strap_slot_heights_mm") else "none"),
        ],
        ("parameter", "value"),
    )  # fmt: skip
    stats = html_table(
        [
            ("STL", f"{escape(shell['stl'])} (over the scan); {escape(shell['print_stl'])} "
                    "(standing on its footplate, for the slicer)" if shell["stl"] else
                    "<span class='fail'>not written: the shell failed a check</span> "
                    "(--keep-failed writes it as *-FAILED.stl)"),
            ("faces", html_number(shell["faces"])),
            ("volume / mass", f"{shell['volume_mm3'] / 1000:.1f} cm³ / {shell['mass_g']:.0f} g"),
            ("thinnest wall (away from edges)", html_number(shell["min_wall_mm"], "mm", 2)),
            ("clearance median (p05-p95)",
             f"{shell['clearance_mm']['median']:.2f} mm ({shell['clearance_mm']['p05']:.2f}-"
             f"{shell['clearance_mm']['p95']:.2f})"),
            ("size", " × ".join(f"{e:.0f}" for e in shell["extents_mm"]) + " mm"),
        ],
        ("shell", "measured"),
    )  # fmt: skip
    m = leg["measurements_mm"]
    anatomy = html_table(
        [
            ("foot length", html_number(m["foot_length"], "mm")),
            ("malleolar width", html_number(m["malleolar_width"], "mm")),
            ("ankle girth", html_number(m["ankle_girth"], "mm")),
            ("calf girth (max)", html_number(m["calf_girth_max"], "mm")),
            ("shank length", html_number(m["shank_length"], "mm")),
        ],
        ("leg", "measured"),
    )
    return (
        f"<h2>{escape(leg['side'].capitalize())} leg</h2>{verdict}"
        f"<img alt='shell on the leg: lateral, posterior and medial views' "
        f"src='data:image/png;base64,{picture}'>"
        f"<p class='small'>Blue: the shell; skin tone: the scan; red: the malleoli the shell "
        f"was built from, and the line between them (the ankle axis runs parallel to it, at "
        f"the height given under the landmarks). Local frame, mm.</p>"
        f"<div class='grid'><div>{params}</div><div>{stats}{anatomy}</div></div>"
        f"{_landmark_section(leg)}"
        f"{_stiffness_section(leg)}"
        f"<h3>Checks</h3><table><tr><th>check</th><th>result</th><th>detail</th></tr>{checks}</table>"
    )


def _stiffness_section(leg: dict[str, Any]) -> str:
    """The leg's predicted stiffness, its fixture, the tuning and the moment-angle plot."""
    block = leg.get("stiffness")
    if block is None:
        return ""
    from afofit.report.stiffness_plot import moment_angle_plot

    picture = base64.b64encode(moment_angle_plot(leg["side"], block)).decode("ascii")
    fx = block["fixture"]
    if block["method"] == "fe":
        method = "finite elements (quadratic tetrahedra, linear elastic)"
    else:
        error = block["model"]["error_vs_fe"]
        method = (
            "the fast model: a beam of the shell's own sections, calibrated against finite "
            f"elements (median error {error['median']:.0%}, worst {error['worst']:.0%} on 26 "
            "shells); for the FE number run afofit stiffness on this folder"
        )
    fe_only = "by FE only"
    target = block["target_nm_per_deg"]
    meets = ""
    if target is not None:
        meets = (
            f"<p class='{'pass' if block['within_target'] else 'fail'}'>"
            f"{'Meets' if block['within_target'] else 'Misses'} the target "
            f"{target[0]:.2f}–{target[1]:.2f} N·m/deg (its range, or ±10 % of its middle).</p>"
        )
    rows = [
        ("dorsiflexion stiffness", f"<b>{block['predicted_nm_per_deg']:.2f} N·m/deg</b> "
                                   f"(cuff {escape(fx['cuff_constraint'])})"),
        ("pure moment (lower bound)", html_number(block["lower_bound_nm_per_deg"], "N·m/deg", 2)),
        ("inversion/eversion", fe_only if block["frontal_nm_per_deg"] is None
                               else html_number(block["frontal_nm_per_deg"], "N·m/deg", 2)),
        ("peak von Mises stress", fe_only if block["peak_stress_mpa"] is None else
                                  f"{block['peak_stress_mpa']:.1f} MPa at {block['moment_nm']:g} N·m, "
                                  f"{abs(block['peak_height_above_axis_mm']):.0f} mm "
                                  f"{'above' if block['peak_height_above_axis_mm'] >= 0 else 'below'} the axis"),
        ("linear up to", f"{block['linear_to_deg']:.1f}° (the peak stress reaches the strength)"
                         if block["linear_to_deg"] is not None else fe_only),
        ("method", escape(method)),
        ("fixture", f"footplate clamped {fx['clamp_below_axis_mm']:g} mm and more below the "
                    f"malleolar axis; rigid cuff over the top band (from {fx['cuff_above_axis_mm']:.0f} mm "
                    f"above the axis), {escape(fx['cuff_constraint'])}: the cuff's other two rotations "
                    "held, free to translate; moment about the malleolar axis"),
    ]  # fmt: skip
    tuning = block["tuning"]
    if tuning is not None:
        rows.append(
            ("tuned", f"{escape(describe_changes(tuning['changed']))} ({len(tuning['steps'])} shells built "
                      f"and measured)")
        )  # fmt: skip
    return (
        f"<h3>Ankle stiffness</h3>{meets}{html_table(rows, ('stiffness', 'predicted'))}"
        f"<img alt='moment against dorsiflexion angle' src='data:image/png;base64,{picture}'>"
        "<p class='small'>Measured AFO stiffness depends on the test fixture (five published "
        "methods differ by a median 62 %: Shuman et al. 2023); this number is for the fixture "
        "above. Linear analysis: large rotations and buckling are not modelled.</p>"
    )


def gait_section(analysis: Any, gait: dict[str, Any]) -> str:
    """The report's gait section for ``analysis`` (a GaitAnalysis) and its ``gait`` JSON dict.

    The ankle plot, the metrics against normal, the flags and the prescription with reasons.
    """
    from afofit.report.plots import ankle_cycle_plot

    picture = base64.b64encode(ankle_cycle_plot(analysis.trials)).decode("ascii")
    sides = list(gait["sides"])
    head = "".join(f"<th>{escape(s)}</th>" for s in sides)
    rows = [
        f"<tr><td>{escape(label)}</td>"
        + "".join(
            "<td>—</td>"
            if c is None
            else f"<td class='{'fail' if c[1] else ''}'>{c[0]}{' ' + c[1] if c[1] else ''}</td>"
            for c in cells
        )
        + f"<td>{normal}</td></tr>"
        for label, cells, normal in metric_rows(gait)
    ]
    metrics = (
        f"<table><tr><th>mean ± sd over strides</th>{head}<th>typical healthy</th></tr>"
        f"{''.join(rows)}</table><p class='small'>{BELOW_NORMAL} below, {ABOVE_NORMAL} above "
        "the typical healthy range.</p>"
    )
    blocks = []
    for side in sides:
        flags = gait["sides"][side]["flags"]
        count = len(gait["trials"])
        flag_items = (
            "".join(
                f"<li><b>{escape(f['name'].replace('_', ' '))}</b> (in {len(f['trials'])} of "
                f"{count} trial{'s' if count > 1 else ''}): {escape(f['detail'])} "
                f"<span class='small'>(in {escape(Path(f['trials'][0]).name)}; "
                f"{escape(f['source'])})</span></li>"
                for f in flags
            )
            or "<li>no sign of foot drop</li>"
        )
        rx = gait["prescription"].get(side)
        if rx is None:
            continue
        k = rx["stiffness_nm_per_deg"]
        stiffness = f"{k[0]:.2f}–{k[1]:.2f} N·m/deg" if k else "—"
        reasons = "".join(
            f"<li>{escape(r['text'])} <span class='small'>({escape(r['source'])})</span></li>"
            for r in rx["rationale"]
        )
        blocks.append(
            f"<h3>{escape(side.capitalize())}: "
            f"{'no AFO indicated' if rx['afo_type'] == 'none' else escape(rx['afo_type'])}"
            f"{', ' + stiffness if k else ''}</h3>"
            f"<p>Signs ({gait['sides'][side]['cycles']} strides):</p><ul>{flag_items}</ul>"
            f"<p>Why:</p><ul>{reasons}</ul>"
        )
    trials = ", ".join(f"{escape(t['file'])} ({t['events_source']} events)" for t in gait["trials"])
    return (
        f"<h2>Gait and prescription</h2><p class='sub'>{len(gait['trials'])} trial(s): "
        f"{trials}. {escape(gait['convention'])}.</p>"
        f"<img alt='ankle angle over the gait cycle' src='data:image/png;base64,{picture}'>"
        f"{metrics}{''.join(blocks)}"
    )


def fitting_html(result: FitResult, data: dict[str, Any]) -> str:
    """The report page for a fitting, from its result and its fitting.json data."""
    inputs = data["inputs"]
    sections = "".join(
        _leg_section(fit, leg) for fit, leg in zip(result.legs, data["legs"], strict=True)
    )
    warnings = "".join(f"<div class='warn'>{escape(w)}</div>" for w in data["warnings"])
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>AFO fitting: {escape(inputs['scan'])}</title><style>{CSS}</style></head><body>"
        f"<h1>AFO fitting report</h1><p class='sub'>scan {escape(inputs['scan'])} · "
        f"{inputs['faces']} faces · units {escape(inputs['units_detected'])} "
        f"({escape(inputs['units_source'])}) · afofit {escape(data['afofit_version'])}</p>"
        f"{('<h2>Warnings</h2>' + warnings) if warnings else ''}"
        f"{gait_section(result.gait, data['gait']) if result.gait is not None else ''}{sections}"
        "<p class='small'>STL in mm, in the scan's own frame, so it overlays the scan. Numbers "
        "are measured on the shell; design rules and material values carry their published "
        "sources in afofit's profiles.</p>"
        "</body></html>\n"
    )
