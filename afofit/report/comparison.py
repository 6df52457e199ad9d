"""The comparison's contract (comparison.json) and its page (comparison.html, self-contained).

Both are built from a :class:`afofit.compare.Comparison` in memory; nothing here writes a
file (:func:`afofit.export.write_comparison` does).
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING, Any

import numpy as np

from afofit.anatomy import anatomy_to_dict
from afofit.compare import ASSUMED_BODY_MASS_KG, STANCE_MOMENT_NM_PER_KG, swing_allowance_deg
from afofit.jsonready import rounded
from afofit.mechanics.stiffness import stiffness_block
from afofit.printing import PRICE_PER_KG, PRINT_FLOW_MM3_PER_S
from afofit.report.chart import Chart
from afofit.report.html import CSS, ReportInfo, html_number, png_base64
from afofit.report.render import keep_column, render_side_by_side, side_by_side_column
from afofit.units import nmm_to_nm
from afofit.version import __version__

if TYPE_CHECKING:
    from PIL import Image

    from afofit.compare import CandidateOutcome, Comparison

__all__ = [
    "COMPARISON_SCHEMA",
    "comparison_html",
    "comparison_json",
    "keep_candidate_column",
    "moment_angle_lines",
    "predraw_candidate",
    "stiffness_chart",
]

#: The candidates' colours, in order (colour-blind safe: Okabe-Ito).
COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#000000")

_NUMBER = {"type": ["number", "null"]}
_BOOL = {"type": ["boolean", "null"]}
#: JSON Schema (draft 2020-12) of comparison.json: what a reader may rely on.
COMPARISON_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "afofit comparison.json",
    "type": "object",
    "required": [
        "afofit_version",
        "inputs",
        "side",
        "stiffness_method",
        "prescription",
        "loads",
        "candidates",
        "summary",
        "warnings",
    ],
    "properties": {
        "afofit_version": {"type": "string"},
        "side": {"enum": ["left", "right"]},
        "stiffness_method": {"enum": ["fast", "fe"]},
        "prescription": {
            "type": ["object", "null"],
            "required": ["stiffness_nm_per_deg", "source", "afo_type"],
        },
        "loads": {
            "type": "object",
            "required": [
                "body_mass_kg",
                "body_mass_assumed",
                "holding_moment_nm",
                "stance_moment_nm",
                "measured_min_toe_clearance_mm",
                "swing_allowance_deg",
            ],
        },
        "candidates": {
            "type": "array",
            "minItems": 2,
            "items": {
                "type": "object",
                "required": [
                    "name",
                    "design",
                    "material",
                    "thickness_mm",
                    "stiffness",
                    "swing_drop_deg",
                    "mass_g",
                    "meets_prescription",
                    "checks_passed",
                    "dir",
                    "error",
                ],
                "properties": {
                    "name": {"type": "string"},
                    "design": {"type": "string"},
                    "material": {"type": "string"},
                    "thickness_mm": _NUMBER,
                    "stiffness": {"type": ["object", "null"]},
                    "swing_drop_deg": _NUMBER,
                    "toe_clearance_loss_mm": _NUMBER,
                    "within_swing_allowance": _BOOL,
                    "stance_dorsiflexion_deg": _NUMBER,
                    "stance_peak_stress_mpa": _NUMBER,
                    "safety_factor": _NUMBER,
                    "mass_g": _NUMBER,
                    "volume_cm3": _NUMBER,
                    "meets_prescription": _BOOL,
                    "checks_passed": {"type": "boolean"},
                    "dir": {"type": "string"},
                    "error": {"type": ["string", "null"]},
                },
            },
        },
        "summary": {"type": "string"},
        "warnings": {"type": "array", "items": {"type": "string"}},
    },
}


def _candidate(outcome: CandidateOutcome) -> dict[str, Any]:
    c, m, fit = outcome.candidate, outcome.metrics, outcome.fit
    head = {
        "name": c.name,
        "design": c.design,
        "material": outcome.request.material,
        "tuned": c.tuned,
        "dir": c.name,
    }
    if m is None or fit is None:
        return {
            **head, "thickness_mm": outcome.request.thickness_mm, "stiffness": None,
            "swing_drop_deg": None, "toe_clearance_loss_mm": None,
            "within_swing_allowance": None, "stance_dorsiflexion_deg": None,
            "stance_peak_stress_mpa": None, "safety_factor": None, "mass_g": None,
            "volume_cm3": None, "print": None, "footplate": None, "covers_malleoli": None,
            "meets_prescription": None, "checks_passed": False, "failed_checks": [],
            "checks": [], "error": outcome.error, "exit_code": outcome.exit_code,
        }  # fmt: skip
    assert fit.stiffness is not None
    return {
        **head,
        "thickness_mm": rounded(m.thickness_mm, 3),
        "stiffness": stiffness_block(fit.stiffness),
        "swing_drop_deg": rounded(m.swing_drop_deg, 2),
        "toe_clearance_loss_mm": rounded(m.toe_clearance_loss_mm, 1),
        "within_swing_allowance": m.within_swing_allowance,
        "stance_dorsiflexion_deg": rounded(m.stance_dorsiflexion_deg, 2),
        "stance_peak_stress_mpa": rounded(m.stance_peak_stress_mpa, 2),
        "safety_factor": rounded(m.safety_factor, 2),
        "mass_g": rounded(m.mass_g, 1),
        "volume_cm3": rounded(m.volume_cm3, 2),
        "print": {
            "hours": rounded(m.print_hours, 2),
            "material_cost": rounded(m.material_cost, 2),
            "estimate": f"volume / {PRINT_FLOW_MM3_PER_S:g} mm³/s; mass × {PRICE_PER_KG:g} per kg",
            "footprint_mm": [rounded(v, 1) for v in m.footprint_mm],
            "height_mm": rounded(m.print_height_mm, 1),
        },
        "footplate": m.footplate,
        "covers_malleoli": m.covers_malleoli,
        "meets_prescription": m.meets_prescription,
        "checks_passed": m.checks_passed,
        "failed_checks": list(m.failed_checks),
        "checks": [
            {"name": ch.name, "passed": ch.passed, "detail": ch.detail} for ch in fit.checks
        ],
        "warnings": list(fit.warnings),
        "error": None,
        "exit_code": None,
    }


def comparison_json(comparison: Comparison) -> dict[str, Any]:
    """The ``comparison`` as comparison.json's JSON-ready dict (:data:`COMPARISON_SCHEMA`;
    the README documents every key)."""
    anatomy = anatomy_to_dict(comparison.prepared.anatomy)
    load = comparison.load
    base = comparison.outcomes[0].request
    prescription = None
    if comparison.prescription_nm_per_deg is not None:
        prescription = {
            "stiffness_nm_per_deg": [round(k, 4) for k in comparison.prescription_nm_per_deg],
            "source": comparison.prescription_source,
            "afo_type": comparison.prescribed_type,
        }
    warnings = list(anatomy["warnings"])
    if load.mass_assumed:
        warnings.append(
            f"no body mass given (--mass, or a gait file's): {ASSUMED_BODY_MASS_KG:g} kg is "
            "assumed for the swing and stance numbers"
        )
    if comparison.prepared.gait is not None:
        warnings += list(comparison.prepared.gait.warnings)
    return {
        "afofit_version": __version__,
        "inputs": {
            "scan": anatomy["file"],
            "sha256": anatomy["sha256"],
            "faces": anatomy["faces"],
            "gait": [str(g) for g in base.gait],
            "options": {
                k: v
                for k, v in base.options().items()
                if k not in ("design", "thickness_mm", "material")
            },
        },
        "side": comparison.side,
        "stiffness_method": comparison.stiffness_method,
        "prescription": prescription,
        "loads": {
            "body_mass_kg": round(load.body_mass_kg, 2),
            "body_mass_assumed": load.mass_assumed,
            "holding_moment_nm": round(nmm_to_nm(load.holding_moment_nmm), 4),
            "stance_moment_nm": round(nmm_to_nm(load.stance_moment_nmm), 3),
            "stance_moment_nm_per_kg": STANCE_MOMENT_NM_PER_KG,
            "measured_min_toe_clearance_mm": rounded(load.measured_mtc_mm, 1),
            "swing_allowance_deg": rounded(swing_allowance_deg(load), 2),
        },
        "candidates": [_candidate(o) for o in comparison.outcomes],
        "summary": comparison.summary,
        "warnings": warnings,
    }


def _colour(data: dict[str, Any], candidate: dict[str, Any]) -> str:
    """A candidate's colour: by its place among all the candidates (as the table's and the
    picture's), built or not."""
    return COLOURS[data["candidates"].index(candidate) % len(COLOURS)]


def stiffness_chart(data: dict[str, Any]) -> bytes:
    """Each built candidate's predicted stiffness (log scale, with the fast model's median
    error as a bar) against the prescribed band, from comparison.json's ``data``: PNG."""
    built = [c for c in data["candidates"] if c["stiffness"] is not None]
    rows = max(len(built), 2)
    height = round(100 * (0.9 + 0.55 * rows))
    chart = Chart(
        (800, height),
        (0.2, 50 / height, 0.74 if data["prescription"] else 0.96, 1.0 - 42 / height),
        "Stiffness against the prescription",
        "predicted dorsiflexion stiffness, N·m/deg (log scale)", "",
        x_log=True, y_names=tuple((float(i), c["name"]) for i, c in enumerate(built)),
    )  # fmt: skip
    band = data["prescription"]
    if band is not None:
        low, high = band["stiffness_nm_per_deg"]
        chart.span(low, high, "#c9e7d3", label=f"prescribed {low:.2f}-{high:.2f}")
    for i, c in enumerate(built):
        block = c["stiffness"]
        k = block["predicted_nm_per_deg"]
        error = (block["model"].get("error_vs_fe") or {}).get("median", 0.0)
        chart.point(k, i, _colour(data, c), error=k * error)
        chart.note(k, i, f"{k:.2f}", colour="0.15", above=True)
    low_x = min((c["stiffness"]["predicted_nm_per_deg"] for c in built), default=1.0)
    high_x = max((c["stiffness"]["predicted_nm_per_deg"] for c in built), default=1.0)
    if band is not None:
        low_x, high_x = (
            min(low_x, band["stiffness_nm_per_deg"][0]),
            max(high_x, band["stiffness_nm_per_deg"][1]),
        )
    chart.limits(x=(low_x / 1.6, high_x * 1.6), y=(-0.7, len(built) - 0.3))
    return chart.png()


def moment_angle_lines(data: dict[str, Any], max_angle_deg: float = 10.0) -> bytes:
    """Moment against dorsiflexion for each built candidate (linear, to ``max_angle_deg``
    or where its peak stress reaches the strength), the prescribed band shaded, the
    swing-holding and stance moments marked, from comparison.json's ``data``: PNG."""
    built = [c for c in data["candidates"] if c["stiffness"] is not None]
    angle = np.linspace(0.0, max_angle_deg, 60)
    loads = data["loads"]
    chart = Chart(
        (800, 460), (0.09, 0.12, 0.65, 0.88),
        "Moment against angle (linear): where each line crosses a moment, its angle",
        "dorsiflexion of the cuff, deg", "ankle moment, N·m",
    )  # fmt: skip
    band = data["prescription"]
    if band is not None:
        low, high = band["stiffness_nm_per_deg"]
        chart.band(angle, low * angle, high * angle, "#c9e7d3", label="prescribed range")
    top = 0.0
    for c in built:
        k = c["stiffness"]["predicted_nm_per_deg"]
        limit = c["stiffness"]["linear_to_deg"]
        shown = angle if limit is None else angle[angle <= limit]
        chart.line(shown, k * shown, _colour(data, c), 2,
                   label=f"{c['name']}: {k:.2f} N·m/deg")  # fmt: skip
        top = max(top, float(k * shown[-1]) if len(shown) else 0.0)
    for name, moment, style in (
        ("foot's weight in swing", loads["holding_moment_nm"], "dotted"),
        ("stance moment", loads["stance_moment_nm"], "dashed"),
    ):
        chart.hline(moment, "0.35", 1, style, label=f"{name} {moment:.2f} N·m")
    ceiling = min(top, 3.0 * loads["stance_moment_nm"]) * 1.05
    chart.limits(x=(0.0, max_angle_deg), y=(0.0, ceiling or None))
    return chart.png()


def _cell(value: Any, unit: str = "", digits: int = 1) -> str:
    return html_number(value, unit, digits)


def _yes(value: bool | None, yes: str = "yes", no: str = "no") -> str:
    if value is None:
        return "—"
    return f"<span class='{'pass' if value else 'fail'}'>{yes if value else no}</span>"


def _word(value: bool | None) -> str:
    """Yes or no without a verdict's colour (covering the malleoli is a design choice)."""
    return "—" if value is None else ("yes" if value else "no")


def _rows(data: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """The comparison table: one row per quantity, one column per candidate."""
    cs = data["candidates"]

    def each(f: Any) -> list[str]:
        return [f(c) if c["error"] is None else "—" for c in cs]

    fe = "FE only"
    loads = data["loads"]
    return [
        ("design", [escape(f"{c['design']} ({c['material']})") for c in cs]),
        ("thickness", each(lambda c: _cell(c["thickness_mm"], "mm", 2)
                           + (" (tuned)" if c["tuned"] else ""))),
        ("dorsiflexion stiffness", each(lambda c: f"<b>{c['stiffness']['predicted_nm_per_deg']:.2f}"
                                                  f"</b> N·m/deg ({c['stiffness']['method']})")),
        ("pure moment (lower bound)", each(lambda c: _cell(c["stiffness"]["lower_bound_nm_per_deg"], "N·m/deg", 2))),
        ("inversion/eversion", each(lambda c: fe if c["stiffness"]["frontal_nm_per_deg"] is None
                                    else _cell(c["stiffness"]["frontal_nm_per_deg"], "N·m/deg", 2))),
        ("meets the prescription", each(lambda c: _yes(c["meets_prescription"]))),
        ("swing: drop under the foot's weight",
         each(lambda c: f"{c['swing_drop_deg']:.1f}° (toes {c['toe_clearance_loss_mm']:.0f} mm lower)")),
        ("swing: within the patient's allowance"
         + (f" ({loads['swing_allowance_deg']:.1f}°)" if loads["swing_allowance_deg"] else ""),
         each(lambda c: _yes(c["within_swing_allowance"]))),
        (f"stance: dorsiflexion at {loads['stance_moment_nm']:.1f} N·m",
         each(lambda c: f"{c['stance_dorsiflexion_deg']:.1f}°")),
        ("stance: peak stress (safety factor)",
         each(lambda c: fe if c["stance_peak_stress_mpa"] is None else
              f"{c['stance_peak_stress_mpa']:.1f} MPa (× {c['safety_factor']:.1f})")),
        ("mass / material", each(lambda c: f"{c['mass_g']:.0f} g / {c['volume_cm3']:.0f} cm³")),
        ("print estimate", each(lambda c: f"{c['print']['hours']:.1f} h, {c['print']['material_cost']:.2f} material")),
        ("footprint standing (× height)", each(lambda c: f"{c['print']['footprint_mm'][0]:.0f} × "
                                               f"{c['print']['footprint_mm'][1]:.0f} mm (× {c['print']['height_mm']:.0f})")),
        ("footplate", each(lambda c: escape(c["footplate"]))),
        ("covers the malleoli (lat / med)",
         each(lambda c: f"{_word(c['covers_malleoli']['lateral'])} / {_word(c['covers_malleoli']['medial'])}")),
        ("checks", [_yes(c["checks_passed"], "all passed",
                         "FAILED: " + escape(", ".join(c["failed_checks"])) if c["error"] is None
                         else "not built: " + escape(c["error"])) for c in cs]),
        ("files", [f"<a href='{escape(c['dir'])}/report.html'>{escape(c['dir'])}/</a>"
                   if c["error"] is None else "—" for c in cs]),
    ]  # fmt: skip


def predraw_candidate(outcome: CandidateOutcome, index: int) -> list[Image.Image]:
    """Draw ``outcome``'s column of the comparison page's side-by-side picture now, in the
    colour of its ``index`` among the candidates (the page then finds it drawn: a writer
    calls this as each candidate comes, while the others are being fitted), and return it
    (empty for a candidate not built) for :func:`keep_candidate_column` elsewhere."""
    if outcome.fit is None:
        return []
    return side_by_side_column(
        outcome.fit.shell_local, outcome.fit.skin_local, COLOURS[index % len(COLOURS)]
    )


def keep_candidate_column(outcome: CandidateOutcome, index: int, column: list[Image.Image]) -> None:
    """Keep ``outcome``'s ``column`` as :func:`predraw_candidate` drew it (for its ``index``
    among the candidates) in another process (a candidate's worker), so that the page here
    finds it drawn."""
    if outcome.fit is not None and column:
        keep_column(
            outcome.fit.shell_local, outcome.fit.skin_local, COLOURS[index % len(COLOURS)],
            column,
        )  # fmt: skip


def comparison_html(
    comparison: Comparison, data: dict[str, Any], info: ReportInfo | None = None
) -> str:
    """The comparison page (inline pictures; its only links are to the candidates' own
    reports beside it), from the ``comparison`` and its comparison.json ``data``, headed by
    ``info`` as the candidates' reports are (case, patient, clinician, date; the command at
    its foot)."""
    cs = data["candidates"]
    head = "".join(
        f"<th style='border-top:4px solid {COLOURS[i % len(COLOURS)]}'>{escape(c['name'])}</th>"
        for i, c in enumerate(cs)
    )
    body = "".join(
        f"<tr><td>{escape(label)}</td>{''.join(f'<td>{v}</td>' for v in values)}</tr>"
        for label, values in _rows(data)
    )
    built = [(i, o) for i, o in enumerate(comparison.outcomes) if o.fit is not None]
    pictures = ""
    if built:
        skin = built[0][1].fit.skin_local  # type: ignore[union-attr]
        png = render_side_by_side(
            [(o.candidate.name, o.fit.shell_local, COLOURS[i % len(COLOURS)])  # type: ignore[union-attr]
             for i, o in built],
            skin,
        )  # fmt: skip
        pictures = (
            "<img alt='the candidates on the same leg, lateral and posterior views' "
            f"src='data:image/png;base64,{png_base64(png)}'>"
        )
    chart = png_base64(stiffness_chart(data))
    lines = png_base64(moment_angle_lines(data))
    loads = data["loads"]
    mass = f"{loads['body_mass_kg']:g} kg" + (" (assumed)" if loads["body_mass_assumed"] else "")
    rx = data["prescription"]
    prescription = (
        (
            "none (give --gait or --stiffness)"
            if comparison.prepared.gait is None
            else f"none for the {escape(comparison.side)} leg from the gait"
        )
        if rx is None
        else f"{rx['stiffness_nm_per_deg'][0]:.2f}-{rx['stiffness_nm_per_deg'][1]:.2f} N·m/deg "
        f"({escape(rx['source'])}{', ' + escape(rx['afo_type']) if rx['afo_type'] else ''})"
    )
    warnings = "".join(f"<div class='warn'>{escape(w)}</div>" for w in data["warnings"])
    models = (
        f"<p class='small'><b>How these are predicted.</b> Stiffness: the brace in afofit's "
        f"standard fixture (footplate clamped, rigid cuff turned about the malleolar axis), by "
        f"the {'fast model (its median error against FE is the bar in the chart)' if data['stiffness_method'] == 'fast' else 'finite elements'}. "
        f"Swing: the foot's weight holds the ankle down with M_hold = m_foot·g·d = "
        f"{loads['holding_moment_nm']:.2f} N·m (foot 1.33-1.43 % of body mass {escape(mass)}, its "
        f"centre at half the foot's length, the ankle axis at 22.5 %; Plagenhoef et al. 1983); "
        f"the brace lets it drop M_hold / k, and each degree of drop lowers the toes about "
        f"3 mm (17.1 cm per radian; Moosabhoy &amp; Gard 2006). Inertia and tone add to it "
        f"(about 2-3 × in swing). "
        + (f"The patient's allowance is the measured minimum toe clearance "
           f"({loads['measured_min_toe_clearance_mm']:.0f} mm) less the margin, over the same "
           f"3 mm/deg. " if loads["swing_allowance_deg"] is not None else "")
        + f"Stance: a moment of {STANCE_MOMENT_NM_PER_KG:g} N·m/kg × body mass = "
        f"{loads['stance_moment_nm']:.1f} N·m (the most an articulated AFO needed to hold the "
        f"ankle through the gait cycle after stroke; Kobayashi et al. 2017); the peak stress "
        f"under it scales FE's (linear), and the safety factor is the material's strength over "
        f"it (static; fatigue is not modelled). Print estimate: the volume at "
        f"{PRINT_FLOW_MM3_PER_S:g} mm³/s, and the mass at {PRICE_PER_KG:g} per kg (rough: a "
        f"slicer's estimate is better).</p>"
    )  # fmt: skip
    info = info or ReportInfo()
    case = f" {info.case_id}" if info.case_id else ""
    header = "".join(
        f"<tr><td>{label}</td><td{css}>{escape(value) if value else '—'}</td></tr>"
        if label != "case"
        else f"<tr><td>case</td><td{css}><b>{escape(value) if value else '—'}</b></td></tr>"
        for label, value, css in (
            ("case", info.case_id, " class='casestring'"), ("patient ref.", info.patient_ref, ""),
            ("clinician", info.clinician, ""), ("date", info.date, ""),
            ("afofit", data["afofit_version"], ""),
        )
    )  # fmt: skip
    command = (
        f"<p class='small'>Made by <code>{escape(info.command)}</code>.</p>" if info.command else ""
    )
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>AFO comparison{escape(case)}: {escape(data['inputs']['scan'])}</title><style>{CSS}"
        "figure{margin:0} figcaption{font-size:.95rem} .summary{background:#eef6ff;"
        "border-left:4px solid #3f7fd9;padding:.6rem 1rem;margin:1rem 0} @media print{"
        "table.numbers{break-inside:auto} table.numbers tr{break-inside:avoid} .onleg{break-inside:avoid}}"
        "</style></head><body>"
        f"<div class='header'><div><h1>AFO candidates, side by side</h1><p class='sub'>scan "
        f"{escape(data['inputs']['scan'])} · {escape(data['side'])} leg · prescription: "
        f"{prescription} · body mass {escape(mass)}</p></div><table>{header}</table></div>"
        f"<div class='summary'>{escape(data['summary'])}</div>"
        f"{('<h2>Warnings</h2>' + warnings) if warnings else ''}"
        f"<h2>The numbers</h2><table class='numbers'><tr><th></th>{head}</tr>{body}</table>{models}"
        f"<h2>Stiffness</h2><img alt='stiffness against the prescription' "
        f"src='data:image/png;base64,{chart}'><img alt='moment against angle' "
        f"src='data:image/png;base64,{lines}'>"
        f"<div class='onleg'><h2>On the leg</h2><p class='sub'>The same leg, the same views "
        f"(lateral, posterior).</p>{pictures}</div>"
        "<p class='small'>Each candidate's STLs, fitting.json and full report are in its own "
        f"folder beside this page.</p>{command}</body></html>\n"
    )
