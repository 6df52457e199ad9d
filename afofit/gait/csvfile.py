"""afofit's gait CSV: its reader and its writer.

One row per sample, one column per signal, a header row naming the columns.

* **Delimiter**: comma, semicolon or tab (whichever the header row uses most). With a
  semicolon or tab delimiter a decimal comma (``10,5``) is accepted.
* **Before the header**: any number of comment lines starting with ``#``; a comment
  ``# body_mass_kg: 70`` gives the body mass in kg. A UTF-8 byte-order mark is ignored.
* **Column names** are case-insensitive; unknown columns are ignored (and listed in the
  notes).

=============================  ==========================================================
column                         content
=============================  ==========================================================
``time``                       required; seconds, strictly increasing. The sample rate is
                               1 / the median step.
``left_ankle_deg``,            ankle sagittal angle in degrees, **dorsiflexion
``right_ankle_deg``            positive**; at least one of the two is required.
``left_knee_deg``, ...         optional: knee flexion (positive), hip flexion
``left_hip_deg``,              (positive), hip adduction (positive) in degrees; the
``left_hip_adduction_deg``     same with ``right_``.
``left_heel_x_mm``,            optional markers in mm, lab frame with **+z up**: ``heel``
``left_heel_y_mm``,            and ``toe`` (also ``ankle``, ``knee``) for each side, all
``left_heel_z_mm``, ...        three axes; ``pelvis_x_mm``, ``pelvis_y_mm``,
                               ``pelvis_z_mm`` for the pelvis (sacrum).
``left_foot_strike``,          optional events: ``1`` on the event's row, ``0`` or blank
``left_foot_off``,             elsewhere.
``right_foot_strike``,
``right_foot_off``
=============================  ==========================================================

A blank cell, ``nan`` or ``NaN`` is a missing sample (short gaps are interpolated, see
:mod:`afofit.gait.parsing`); any other non-numeric cell is an error naming its line and
column. Example::

    # body_mass_kg: 70
    time,left_ankle_deg,right_ankle_deg,left_foot_strike
    0.00,2.5,-4.1,1
    0.01,1.9,-4.3,0
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import numpy as np

from afofit.anthropometry import BODY_MASS_RANGE_KG
from afofit.gait.model import SIDES, EventTimes, GaitTrial
from afofit.gait.parsing import (
    Array,
    Key,
    build_trial,
    fail,
    parse_numbers,
    rate_from_time,
    read_lines,
)
from afofit.gait.registry import register_reader
from afofit.units import deg_to_rad, rad_to_deg

__all__ = ["CSV_COLUMNS", "csv_text", "read_csv"]

DEG = deg_to_rad(1.0)

#: CSV column -> (kind, side, joint/role/event, component or axis); side "both" for the
#: pelvis marker, which is stored under both sides.
CSV_COLUMNS: dict[str, tuple[str, str, str, int]] = {"time": ("time", "", "", 0)}
for _side in SIDES:
    for _name, _joint, _k in (
        ("ankle", "ankle", 0),
        ("knee", "knee", 0),
        ("hip", "hip", 0),
        ("hip_adduction", "hip", 1),
    ):
        CSV_COLUMNS[f"{_side}_{_name}_deg"] = ("angle", _side, _joint, _k)
    for _role in ("heel", "toe", "ankle", "knee"):
        for _k, _axis in enumerate("xyz"):
            CSV_COLUMNS[f"{_side}_{_role}_{_axis}_mm"] = ("marker", _side, _role, _k)
    for _event in ("foot_strike", "foot_off"):
        CSV_COLUMNS[f"{_side}_{_event}"] = ("event", _side, _event, 0)
for _k, _axis in enumerate("xyz"):
    CSV_COLUMNS[f"pelvis_{_axis}_mm"] = ("marker", "both", "pelvis", _k)
MASS_COMMENT = re.compile(r"#\s*body_mass_kg\s*[:=]\s*(\S*)", re.IGNORECASE)


def _csv_header(path: Path, lines: list[str]) -> tuple[int, float | None]:
    """Index of the header row, and the body mass from a ``# body_mass_kg:`` comment."""
    mass = None
    for i, line in enumerate(lines):
        text = line.strip()
        if text and not text.startswith("#"):
            return i, mass
        found = MASS_COMMENT.match(text)
        if found:
            try:
                mass = float(found.group(1).replace(",", "."))
            except ValueError:
                raise fail(
                    path,
                    f"line {i + 1}: body_mass_kg '{found.group(1)}' is not a number",
                    "Write it as '# body_mass_kg: 70'.",
                ) from None
            low, high = BODY_MASS_RANGE_KG
            if not low <= mass <= high:
                raise fail(
                    path,
                    f"line {i + 1}: body_mass_kg {mass:g} is not a body mass ({low:g}-{high:g} kg)",
                    "Correct it, or delete the line and pass --mass.",
                )
    raise fail(path, "has no header row (only comments or blank lines)", "Add the header row.")


def read_csv(path: Path) -> GaitTrial:
    """Read angles, markers, events and body mass from a CSV in afofit's format.

    Parameters
    ----------
    path : Path
        A ``.csv`` file laid out as in this module's docstring.

    Returns
    -------
    GaitTrial

    Raises
    ------
    GaitError
        No header, no ``time`` column, no ``*_ankle_deg`` column, a repeated or an
        incomplete marker column set, a non-numeric cell, an event cell other than 0/1,
        no rows, or a time that does not increase.
    """
    # Longer than 60 lines on purpose: one pass down the file, each step with its own
    # message naming what is wrong; split up, the format's rules would be scattered.
    lines = read_lines(path)
    start, mass = _csv_header(path, lines)
    delimiter = max(",;\t", key=lines[start].count)
    columns = [
        c.strip().strip("\"'").lower()
        for c in next(csv.reader([lines[start]], delimiter=delimiter))
    ]
    while columns and not columns[-1]:  # a trailing delimiter names no column
        columns.pop()
    repeated = sorted({c for c in columns if c and columns.count(c) > 1})
    if repeated:
        raise fail(path, f"column(s) {', '.join(repeated)} appear twice", "Keep one of each.")
    kept = [
        (i + 1, line)
        for i, line in enumerate(lines[start + 1 :], start + 1)
        if line.strip() and not line.lstrip().startswith("#")
    ]
    rows = list(csv.reader([line for _, line in kept], delimiter=delimiter))
    numbers = [n for n, _ in kept]
    if "time" not in columns:
        raise fail(
            path,
            f"has no 'time' column (columns: {', '.join(columns[:10])})",
            "Add a 'time' column in seconds.",
        )
    wanted = [f"{s}_ankle_deg" for s in ("left", "right")]
    if not any(name in columns for name in wanted):
        raise fail(
            path,
            f"has no ankle angle: looked for the columns {' and '.join(wanted)}; "
            f"found {', '.join(columns[:12])}",
            "Add left_ankle_deg and/or right_ankle_deg (degrees, dorsiflexion positive).",
        )
    known = [c for c in columns if c in CSV_COLUMNS]
    keep = [columns.index(c) for c in known]
    data = parse_numbers(path, rows, numbers, columns, keep, comma=delimiter != ",")
    time_s = data[:, known.index("time")]
    rate = rate_from_time(path, time_s, numbers)
    angles: dict[Key, Array] = {}
    parts: dict[Key, dict[int, Array]] = {}
    found: dict[str, dict[str, Array]] = {}
    for name, values in zip(known, data.T, strict=True):
        kind, side, what, k = CSV_COLUMNS[name]
        if kind == "angle":
            angles.setdefault((side, what), np.full((len(time_s), 3), np.nan))[:, k] = values * DEG
        elif kind == "marker":
            parts.setdefault((side, what), {})[k] = values
        elif kind == "event":
            bad = np.flatnonzero(~np.isnan(values) & (values != 0) & (values != 1))
            if bad.size:
                raise fail(
                    path,
                    f"line {numbers[bad[0]]}, column '{name}': {values[bad[0]]:g} is not 0 or 1",
                    "Mark each event with 1 on its row and leave other rows 0 or blank.",
                )
            found.setdefault(side, {})[what] = time_s[values == 1]
    markers: dict[Key, Array] = {}
    for (side, role), axes in parts.items():
        stem = role if side == "both" else f"{side}_{role}"
        if len(axes) < 3:
            missing = ", ".join(f"{stem}_{a}_mm" for k, a in enumerate("xyz") if k not in axes)
            raise fail(path, f"has {stem} marker columns but not {missing}", "Give all three.")
        xyz = np.stack([axes[0], axes[1], axes[2]], axis=1)
        markers.update({(s, role): xyz for s in (SIDES if side == "both" else (side,))})
    empty = np.zeros(0)
    events = {
        side: EventTimes(kinds.get("foot_strike", empty), kinds.get("foot_off", empty))
        for side, kinds in found.items()
    }
    ignored = [c for c in columns if c not in CSV_COLUMNS]
    notes = [f"ignored unknown columns: {', '.join(ignored)}"] if ignored else []
    return build_trial(
        path, rate, time_s, angles, markers, events=events, body_mass_kg=mass, notes=notes
    )


def csv_text(trial: GaitTrial, body_mass_kg: float | None = None) -> str:
    """``trial`` as afofit's gait CSV text (the layout of this module's docstring).

    Angles go out in degrees and markers in mm (heel, toe, pelvis); events as 0/1 columns
    on their nearest rows. ``body_mass_kg`` (else the trial's) goes in a comment line.
    """
    n = len(trial.time_s)
    columns: dict[str, np.ndarray] = {"time": trial.time_s}
    names = {"ankle": "ankle", "knee": "knee", "hip": "hip"}
    for (side, joint), angle in sorted(trial.angles_rad.items()):
        if joint in names:
            columns[f"{side}_{joint}_deg"] = rad_to_deg(1.0) * angle[:, 0]
        if joint == "hip" and np.isfinite(angle[:, 1]).any():
            columns[f"{side}_hip_adduction_deg"] = rad_to_deg(1.0) * angle[:, 1]
    for (side, role), xyz in sorted(trial.markers_mm.items()):
        prefix = "pelvis" if role == "pelvis" else f"{side}_{role}"
        if role in ("heel", "toe") or (role == "pelvis" and side == "left"):
            for k, axis in enumerate("xyz"):
                columns[f"{prefix}_{axis}_mm"] = xyz[:, k]
    for side, events in sorted(trial.events.items()):
        for kind, times in (("foot_strike", events.foot_strike_s), ("foot_off", events.foot_off_s)):
            flags = np.zeros(n)
            flags[[int(np.argmin(np.abs(trial.time_s - t))) for t in times]] = 1
            columns[f"{side}_{kind}"] = flags
    mass = body_mass_kg if body_mass_kg is not None else trial.body_mass_kg
    lines = [f"# afofit gait CSV ({Path(trial.path).name})"]
    if mass is not None:
        lines.append(f"# body_mass_kg: {mass:g}")
    lines.append(",".join(columns))
    table = np.column_stack(list(columns.values()))
    lines += [",".join(f"{v:.6g}" for v in row) for row in table]
    return "\n".join(lines) + "\n"


register_reader(".csv", read_csv)
