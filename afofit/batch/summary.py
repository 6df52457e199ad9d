"""A batch's summary: ``summary.json``, ``summary.csv`` and a self-contained
``summary.html``, one row per case (status, design, stiffness, mass, checks, time, report)."""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Sequence
from html import escape
from pathlib import Path
from typing import Any

from afofit.atomic import write_json, write_utf8
from afofit.batch.run import STATUSES, CaseOutcome
from afofit.version import __version__

__all__ = ["CSV_COLUMNS", "summary_csv", "summary_html", "summary_json", "write_summary"]

#: summary.csv's columns, in order.
CSV_COLUMNS = (
    "case_id", "row", "status", "exit_code", "design", "material", "thickness_mm",
    "stiffness_nm_per_deg", "stiffness_method", "mass_g", "checks_passed", "failed_checks",
    "seconds", "report", "message",
)  # fmt: skip


def summary_json(
    outcomes: Sequence[CaseOutcome], manifest: str, pending: Sequence[str] = ()
) -> dict[str, Any]:
    """The batch as summary.json holds it: the ``manifest``'s name, the counts by status,
    the ``outcomes`` in the manifest's order (the case ids ``pending`` listed apart)."""
    counts = Counter(o.status for o in outcomes)
    return {
        "afofit_version": __version__,
        "manifest": manifest,
        "counts": {status: counts.get(status, 0) for status in STATUSES}
        | {"pending": len(pending)},
        "failed": sum(o.exit_code != 0 for o in outcomes),
        "cases": [o.to_dict() for o in outcomes],
        "pending": list(pending),
    }


def summary_csv(outcomes: Sequence[CaseOutcome]) -> str:
    """summary.csv: a header and one row per case of ``outcomes`` (:data:`CSV_COLUMNS`)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for o in outcomes:
        row = o.to_dict()
        row["failed_checks"] = ";".join(o.failed_checks)
        writer.writerow(["" if row[c] is None else row[c] for c in CSV_COLUMNS])
    return buffer.getvalue()


_COLOURS = {
    "done": "#1a7f37",
    "skipped": "#57606a",
    "checks failed": "#bc4c00",
    "failed": "#cf222e",
}


def summary_html(data: dict[str, Any]) -> str:
    """summary.html from summary.json's ``data``: self-contained (no script, no fetch), a
    row per case with a link to its report."""
    rows = []
    for c in data["cases"]:
        report = (
            f'<a href="{escape(c["report"])}">report</a>' if c["report"] else "—"
        )  # relative: the case's folder beside this page
        k = c["stiffness_nm_per_deg"]
        cells = [
            escape(c["case_id"]),
            f'<b style="color:{_COLOURS[c["status"]]}">{escape(c["status"])}</b>',
            escape(c["design"] or "—"),
            escape(c["material"] or "—"),
            "—" if c["thickness_mm"] is None else f"{c['thickness_mm']:.2f}",
            "—" if k is None else f"{k:.2f} ({escape(c['stiffness_method'] or '')})",
            "—" if c["mass_g"] is None else f"{c['mass_g']:.0f}",
            "—" if c["checks_passed"] is None else ("all passed" if c["checks_passed"]
                                                    else escape(", ".join(c["failed_checks"]))),
            f"{c['seconds']:.1f}",
            report,
            escape(c["message"] or ""),
        ]  # fmt: skip
        rows.append("<tr>" + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>")
    counts = ", ".join(f"{n} {status}" for status, n in data["counts"].items() if n)
    head = ("case", "status", "design", "material", "wall mm", "stiffness N·m/deg", "mass g",
            "checks", "time s", "report", "message")  # fmt: skip
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>afofit batch: {escape(data["manifest"])}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; color: #1f2328; }}
table {{ border-collapse: collapse; font-size: 14px; }}
th, td {{ border-bottom: 1px solid #d0d7de; padding: 4px 10px; text-align: left; }}
th {{ background: #f6f8fa; }}
td:nth-child(11) {{ max-width: 32em; font-size: 12px; color: #57606a; }}
</style></head><body>
<h1>Batch {escape(data["manifest"])}</h1>
<p>{len(data["cases"])} case(s): {escape(counts)}. afofit {escape(data["afofit_version"])}.
A failed case has no folder (its message says why); a case whose checks failed has its
report but no STL.</p>
<table><tr>{"".join(f"<th>{escape(h)}</th>" for h in head)}</tr>
{chr(10).join(rows)}
</table></body></html>
"""


def write_summary(
    out_dir: Path, outcomes: Sequence[CaseOutcome], manifest: str, pending: Sequence[str] = ()
) -> dict[str, Any]:
    """Write summary.json, summary.csv and summary.html of ``outcomes`` into ``out_dir``
    (each replaced whole; ``manifest`` and ``pending`` as for :func:`summary_json`); returns
    summary.json's data. Called after each case, so the summary of a batch
    cut short still tells what was done."""
    data = summary_json(outcomes, manifest, pending)
    write_json(data, out_dir / "summary.json")
    write_utf8(summary_csv(outcomes), out_dir / "summary.csv")
    write_utf8(summary_html(data), out_dir / "summary.html")
    return data
