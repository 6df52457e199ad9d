"""Rich tables for the command line: scan, fit and gait summaries from their JSON dicts."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.markup import escape
from rich.table import Table

__all__ = [
    "batch_table",
    "compare_table",
    "fit_table",
    "followup_table",
    "gait_tables",
    "scan_table",
    "stiffness_table",
]


def _fmt(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def scan_table(data: dict[str, Any]) -> Table:
    """The ``afofit scan`` table from its JSON ``data``."""
    from afofit.anatomy import describe_ankle

    table = Table(
        title=f"{Path(data['file']).name}: {data['faces']} faces, units {data['units_detected']}"
        f" ({data['units_source']}), scale to mm ×{data['scale_to_mm']:g}"
    )
    table.add_column("")
    for leg in data["legs"]:
        table.add_column(f"{leg['side']} leg (side confidence {leg['side_confidence']:.2f})")
    table.add_column("")
    legs = data["legs"]
    for name in legs[0]["landmarks_mm"]:
        cells = []
        for leg in legs:
            p = leg["landmarks_mm"][name]
            src = "" if leg["landmark_source"][name] == "detected" else " (given)"
            cells.append(
                "—"
                if p is None
                else f"({p[0]:.1f}, {p[1]:.1f}, {p[2]:.1f}) conf {leg['confidence'][name]:.1f}{src}"
            )
        table.add_row(name.replace("_", " "), *cells, "mm")
    table.add_row(
        "ankle centre height",
        *[
            describe_ankle(leg["ankle_estimate"])
            or (
                "given"
                if leg["landmark_source"]["ankle_axis_centre"] == "given"
                else "between the given malleoli"
            )
            for leg in legs
        ],
        "",
    )
    table.add_section()
    for name in legs[0]["measurements_mm"]:
        table.add_row(
            name.replace("_", " "), *[_fmt(leg["measurements_mm"][name]) for leg in legs], "mm"
        )
    return table


def gait_tables(data: dict[str, Any]) -> list[Any]:
    """The gait summary from ``data`` (the gait JSON): metrics against normal, flags, prescription."""
    from afofit.gait.analysis import ABOVE_NORMAL, BELOW_NORMAL, metric_rows

    sides = list(data["sides"])
    table = Table(title="Gait, mean ± sd over strides (ankle: dorsiflexion +)")
    table.add_column("")
    for side in sides:
        table.add_column(f"{side} ({data['sides'][side]['cycles']} strides)", justify="right")
    table.add_column("typical healthy", justify="right")
    table.caption = f"{BELOW_NORMAL} below, {ABOVE_NORMAL} above the typical healthy range"
    for label, cells, normal in metric_rows(data):
        shown = ["—" if c is None else f"[red]{c[0]} {c[1]}[/]" if c[1] else c[0] for c in cells]
        table.add_row(label, *shown, normal)
    out_: list[Any] = [table]
    for side in sides:
        rx = data["prescription"].get(side)
        flags = ", ".join(f["name"].replace("_", " ") for f in data["sides"][side]["flags"])
        lines = [f"[bold]{side}[/]: signs: {flags or 'none'}"]
        if rx is not None:
            k = rx["stiffness_nm_per_deg"]
            lines.append(
                f"  prescription: [bold]{rx['afo_type']}[/]"
                + (f", {k[0]:.2f}–{k[1]:.2f} N·m/deg" if k else "")
            )
            lines += [
                f"  · {escape(r['text'])} [dim]({escape(r['source'])})[/]" for r in rx["rationale"]
            ]
        out_.append("\n".join(lines))
    return out_


def _fmt_range(pair: list[float] | None, unit: str) -> str:
    return "—" if not pair else f"{pair[0]:.2f}–{pair[1]:.2f} {unit}"


Cell = Callable[[dict[str, Any]], str]


def _leg_table(
    title: str, legs: list[dict[str, Any]], headers: list[str], rows: list[tuple[str, Cell]]
) -> Table:
    """A table with a column per leg (``headers``) and a row per (name, cell of a leg)."""
    table = Table(title=title)
    table.add_column("")
    for header in headers:
        table.add_column(header)
    for name, cell in rows:
        table.add_row(name, *[cell(leg) for leg in legs])
    return table


def _gcode_cell(leg: dict[str, Any]) -> str:
    sliced = leg["shell"].get("slice")
    if sliced is None:
        return "not sliced"
    return (
        f"{sliced['gcode']}: {sliced['hours']:.1f} h, {sliced['filament_g']:.0f} g of "
        f"{sliced['settings'].get('filament_type', 'filament')} ({sliced['slicer']})"
    )


def fit_table(data: dict[str, Any]) -> Table:
    """The ``afofit fit`` table from fitting.json ``data``: design, shell and every check."""
    legs = data["legs"]
    rows: list[tuple[str, Cell]] = [
        ("design", lambda L: f"{L['design']['name']}, {L['design']['material']} (from {L['design'].get('design_source', '--design')})"),
        ("ankle stiffness", lambda L: _stiffness_cell(L["stiffness"])),
        ("thickness / clearance", lambda L: f"{L['design']['thickness_mm']:g} / {L['design']['clearance_mm']:g} mm"),
        ("footplate", lambda L: L["design"]["footplate"]),
        ("top edge", lambda L: f"{L['design']['proximal_height_mm']:.0f} mm above the sole"),
        ("STL", lambda L: f"{L['shell']['stl']} ({L['shell']['faces']} faces); to print: {L['shell']['print_stl']}" if L["shell"]["stl"] else "[bold red]not written[/]: the shell failed a check (--keep-failed writes it)"),
        ("mass", lambda L: f"{L['shell']['mass_g']:.0f} g"),
        *([("G-code", _gcode_cell)] if any(leg["shell"].get("slice") for leg in legs) else []),
        ("thinnest wall", lambda L: f"{L['shell']['min_wall_mm']:.2f} mm"),
        ("clearance median", lambda L: f"{L['shell']['clearance_mm']['median']:.2f} mm"),
    ]  # fmt: skip
    table = _leg_table("AFO fitting", legs, [f"{leg['side']} leg" for leg in legs], rows)
    table.add_section()
    for i, check in enumerate(legs[0]["checks"]):
        cells = []
        for leg in legs:
            c = leg["checks"][i]
            cells.append(
                f"[green]pass[/] {escape(c['detail'])}"
                if c["passed"]
                else f"[bold red]FAIL[/] {escape(c['detail'])}"
            )
        table.add_row(check["name"], *cells)
    return table


def _stiffness_cell(block: dict[str, Any] | None) -> str:
    """One leg's stiffness, how it was found and against what target, in one cell."""
    if block is None:
        return "—"
    fixture = block["fixture"]
    method = block["method"]
    if method == "fast":
        error = block["model"]["error_vs_fe"]
        method = f"fast model, ±{error['median']:.0%} typical, up to ±{error['worst']:.0%} vs FE"
    text = (
        f"{block['predicted_nm_per_deg']:.2f} N·m/deg dorsiflexion ({method}; "
        f"fixture: cuff {fixture['cuff_constraint']}, clamp {fixture['clamp_below_axis_mm']:g} mm "
        f"below the malleolar axis)"
    )
    target = block["target_nm_per_deg"]
    if target is not None:
        mark = "[green]meets[/]" if block["within_target"] else "[bold red]misses[/]"
        text += f"\n{mark} target {_fmt_range(target, 'N·m/deg')}"
    tuning = block["tuning"]
    if tuning is not None:
        from afofit.tuning import describe_changes

        text += f"; tuned: {describe_changes(tuning['changed'])}"
    return text


def _above_below(height_mm: float) -> str:
    return f"{abs(height_mm):.0f} mm {'above' if height_mm >= 0 else 'below'}"


def stiffness_table(data: dict[str, Any]) -> Table:
    """The ``afofit stiffness`` table from its JSON ``data``: each leg's numbers and fixture."""
    legs = data["legs"]
    rows: list[tuple[str, Cell]] = [
        ("dorsiflexion, cuff guided", lambda L: f"{L['predicted_nm_per_deg']:.3f} N·m/deg"),
        ("  pure moment (lower bound)", lambda L: f"{L['lower_bound_nm_per_deg']:.3f} N·m/deg"),
        ("inversion/eversion, guided", lambda L: _fe_only(L, "frontal_nm_per_deg") or f"{L['frontal_nm_per_deg']:.3f} N·m/deg"),
        ("peak von Mises stress", lambda L: _fe_only(L, "peak_stress_mpa") or f"{L['peak_stress_mpa']:.1f} MPa at {L['moment_nm']:g} N·m, {_above_below(L['peak_height_above_axis_mm'])} the axis"),
        ("linear up to", lambda L: _fe_only(L, "linear_to_deg") or f"{L['linear_to_deg']:.1f}° of dorsiflexion (peak stress reaches the strength)"),
        ("fixture", lambda L: f"clamped {L['fixture']['clamp_below_axis_mm']:g} mm below the malleolar axis; rigid cuff above {L['fixture']['cuff_above_axis_mm']:.0f} mm"),
        ("model", lambda L: _model_cell(L["model"])),
    ]  # fmt: skip
    headers = [
        f"{L['side']} leg: {L['design']}, {L['thickness_mm']:g} mm {L['material']}" for L in legs
    ]
    method = "finite elements" if legs[0]["method"] == "fe" else "the fast model"
    return _leg_table(f"Ankle stiffness by {method}", legs, headers, rows)


def _fe_only(leg: dict[str, Any], key: str) -> str | None:
    """What a value the fast model does not give reads as (None when it is there)."""
    return "by FE only (--method fe)" if leg[key] is None else None


def _model_cell(model: dict[str, Any]) -> str:
    if "tets" in model:
        return f"FE: {model['tets']} quadratic tetrahedra, h = {model['h_mm']:g} mm"
    error = model["error_vs_fe"]
    return (
        f"fast: {model['triangles']} shell triangles ~{model['edge_mm']:g} mm on the midsurface, checked "
        f"on FE (median error {error['median']:.0%}, worst {error['worst']:.0%})"
    )


def _mark(value: bool | None, yes: str = "yes", no: str = "no") -> str:
    return "—" if value is None else (f"[green]{yes}[/]" if value else f"[bold red]{no}[/]")


def _compact_stiffness(block: dict[str, Any]) -> str:
    """A candidate's stiffness in a narrow cell: the number, the method and its error."""
    text = f"[bold]{block['predicted_nm_per_deg']:.2f}[/] N·m/deg"
    if block["method"] == "fast":
        return f"{text} (fast, ±{block['model']['error_vs_fe']['median']:.0%})"
    return f"{text} (FE)"


def compare_table(data: dict[str, Any]) -> Table:
    """The ``afofit compare`` table from comparison.json ``data``: a column per candidate."""
    cs = data["candidates"]
    loads = data["loads"]
    rx = data["prescription"]
    title = (
        f"{data['side']} leg, prescription "
        + ("none" if rx is None else _fmt_range(rx["stiffness_nm_per_deg"], "N·m/deg"))
        + f", body mass {loads['body_mass_kg']:g} kg"
        + (" (assumed)" if loads["body_mass_assumed"] else "")
    )
    allowance = loads["swing_allowance_deg"]
    rows: list[tuple[str, Cell]] = [
        ("design", lambda c: f"{c['design']}, {c['material']}"),
        ("thickness", lambda c: f"{c['thickness_mm']:.2f} mm" + (" (tuned)" if c["tuned"] else "")),
        ("dorsiflexion stiffness", lambda c: _compact_stiffness(c["stiffness"])),
        ("meets the prescription", lambda c: _mark(c["meets_prescription"])),
        ("swing drop (foot's weight)", lambda c: f"{c['swing_drop_deg']:.1f}° (toes {c['toe_clearance_loss_mm']:.0f} mm lower)"),
        ("within the swing allowance" + (f" {allowance:.1f}°" if allowance else ""), lambda c: _mark(c["within_swing_allowance"])),
        (f"stance dorsiflexion at {loads['stance_moment_nm']:.1f} N·m", lambda c: f"{c['stance_dorsiflexion_deg']:.1f}°"),
        ("stance peak stress (safety)", lambda c: "FE only (--stiffness-method fe)" if c["stance_peak_stress_mpa"] is None else f"{c['stance_peak_stress_mpa']:.1f} MPa (× {c['safety_factor']:.1f})"),
        ("mass", lambda c: f"{c['mass_g']:.0f} g"),
        ("print estimate", lambda c: f"{c['print']['hours']:.1f} h, material {c['print']['material_cost']:.2f}"),
        ("malleoli covered (lat/med)", lambda c: "/".join("—" if v is None else ("yes" if v else "no") for v in (c["covers_malleoli"]["lateral"], c["covers_malleoli"]["medial"]))),
        ("checks", lambda c: _mark(c["checks_passed"], "all passed", "FAILED: " + escape(", ".join(c["failed_checks"])))),
    ]  # fmt: skip
    fixture = next((c["stiffness"]["fixture"] for c in cs if c["stiffness"] is not None), None)
    caption = None
    if fixture is not None:
        caption = (
            f"Stiffness in afofit's fixture: footplate clamped {fixture['clamp_below_axis_mm']:g} mm "
            f"below the malleolar axis, rigid cuff {fixture['cuff_constraint']}."
        )
    table = Table(title=f"AFO candidates: {title}", caption=caption)
    table.add_column("")
    for c in cs:
        table.add_column(escape(c["name"]))
    for name, cell in rows:
        table.add_row(
            name,
            *[
                cell(c)
                if c["error"] is None
                else ("[bold red]not built[/]" if name == "design" else "")
                for c in cs
            ],
        )
    return table


_STATUS = {"done": "green", "skipped": "dim", "checks failed": "yellow", "failed": "red"}


def batch_table(data: dict[str, Any]) -> Table:
    """summary.json's ``data`` as a table: a row per case."""
    table = Table(title=f"batch {data['manifest']}")
    for name in ("case", "status", "design", "wall mm", "k N·m/deg", "mass g", "time s"):
        table.add_column(name, no_wrap=True, min_width=min(len(name), 8))
    table.add_column(
        "note (whole in summary.html)", overflow="ellipsis", no_wrap=True, max_width=48
    )
    for c in data["cases"]:
        colour = _STATUS.get(c["status"], "white")
        note = (c["message"] or "").split(": ", 1)[-1]  # the file is in the case's row
        table.add_row(
            c["case_id"], f"[{colour}]{c['status']}[/]", c["design"] or "—",
            _fmt(c["thickness_mm"], 2), _fmt(c["stiffness_nm_per_deg"], 2),
            _fmt(c["mass_g"], 0), _fmt(c["seconds"], 1), escape(note),
        )  # fmt: skip
    return table


def followup_table(data: dict[str, Any]) -> Table:
    """follow-up.json's ``data`` as a table: the verdict, what changed and where."""
    table = Table(
        title=f"follow-up of the {data['side']} leg: {data['old']['scan']} → {data['new']['scan']}"
    )
    table.add_column("")
    table.add_column("")
    afo = data["afo"]
    if afo is not None:
        colour = {"still fits": "green", "refit": "bold red"}.get(afo["verdict"], "yellow")
        table.add_row(
            "brace", f"[{colour}]{afo['verdict']}[/]: " + escape("; ".join(afo["reasons"]))
        )
    girths = data["girth_change"]
    if girths:
        most = max(girths, key=lambda g: abs(g["change_pct"]))
        table.add_row(
            "girth",
            f"largest change {most['change_pct']:+.1f} % at {most['level_mm']:.0f} mm above the sole ({len(girths)} levels, every 10 mm)",
        )
    low, high = data["volume_levels_mm"]
    volume = data["volume_change_pct"]
    table.add_row(
        "shank volume",
        "not measured (the scans are too short)"
        if volume is None
        else f"{volume:+.1f} % ({low:.0f}-{high:.0f} mm above the sole)",
    )
    for key, word in (("largest_swelling", "swelling"), ("largest_wasting", "wasting")):
        region = data[key]
        table.add_row(
            f"largest {word}",
            "none over 1.5 mm"
            if region is None
            else f"{region['value_mm']:+.1f} mm, {region['side']}, {region['level_mm']:.0f} mm above the sole",
        )
    table.add_row(
        "foot length",
        f"{data['foot_length_mm']['old']:.1f} → {data['foot_length_mm']['new']:.1f} mm",
    )
    table.add_row(
        "malleolar width",
        f"{data['malleolar_width_mm']['old']:.1f} → {data['malleolar_width_mm']['new']:.1f} mm",
    )
    table.add_row(
        "registration",
        f"residual {data['registration_residual_mm']:.2f} mm RMS (best {100 * data['registration']['kept_fraction']:.0f} % of the skin)",
    )
    return table
