"""Read gait data from text files: OpenSim motion (.mot) and CSV, and the shared line parsing.

CSV format
----------
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
:mod:`afofit.gait.readers`); any other non-numeric cell is an error naming its line and
column. Example::

    # body_mass_kg: 70
    time,left_ankle_deg,right_ankle_deg,left_foot_strike
    0.00,2.5,-4.1,1
    0.01,1.9,-4.3,0

OpenSim files
-------------
``.mot`` (storage format: header lines up to ``endheader``, a column row, then data,
tab- or space-separated): ``time``, ``ankle_angle_r``/``_l`` (dorsiflexion positive, as
Plug-in Gait), ``knee_angle_r``/``_l``, ``hip_flexion_r``/``_l``, ``hip_adduction_r``/``_l``;
degrees unless ``inDegrees=no``. gait2392 counts knee flexion negative and Rajagopal
positive, so a knee column whose median is negative is negated (and noted).

``.trc`` (markers) is read by :mod:`afofit.gait.trc`, with this module's line and number
helpers.

Header counts (``nRows``, ``nColumns``) that disagree with the data are noted, and the data
is trusted.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import numpy as np

from afofit.gait.model import SIDES, EventTimes, GaitTrial
from afofit.gait.readers import FORMATS, Array, Key, build_trial, fail, rate_from_time
from afofit.units import deg_to_rad

__all__ = ["read_csv", "read_mot"]

SIDE_SUFFIX = {"l": "left", "r": "right"}
DEG = deg_to_rad(1.0)


def _lines(path: Path) -> list[str]:
    """The file's lines (BOM dropped; Latin-1 when it is not UTF-8)."""
    raw = path.read_bytes()
    if b"\x00" in raw:
        raise fail(path, "is binary, not text", f"Export the trial again; afofit reads {FORMATS}.")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    return text.splitlines()


def _split(line: str) -> list[str]:
    """Cells of a tab- or space-separated line; with tabs, an empty cell stays a cell."""
    line = line.rstrip()
    return line.split("\t") if "\t" in line else line.split()


def _numbers(
    path: Path,
    rows: list[list[str]],
    lines: list[int],
    columns: list[str],
    keep: list[int] | None = None,
    comma: bool = False,
) -> Array:
    """``(len(rows), len(keep))`` floats of the columns ``keep`` (default all).

    A blank or ``nan`` cell is NaN, and so is a cell missing from a short row; a row
    longer than ``columns`` or a non-numeric cell is a :class:`GaitError`. ``comma``
    reads a decimal comma.
    """
    keep = list(range(len(columns))) if keep is None else keep
    cells = []
    for row, line in zip(rows, lines, strict=True):
        if len(row) > len(columns) and any(c.strip() for c in row[len(columns) :]):
            raise fail(
                path,
                f"line {line} has {len(row)} values but the header names {len(columns)} columns",
                "Fix the row or the header so they match.",
            )
        picked = [(row[j].strip() if j < len(row) else "") or "nan" for j in keep]
        cells.append([c.replace(",", ".") for c in picked] if comma else picked)
    try:
        return np.array(cells, dtype=np.float64).reshape(len(rows), len(keep))
    except ValueError:
        for row, line in zip(cells, lines, strict=True):
            for j, cell in zip(keep, row, strict=True):
                try:
                    float(cell)
                except ValueError:
                    raise fail(
                        path,
                        f"line {line}, column '{columns[j]}': '{cell}' is not a number",
                        "Fix the cell, or leave it blank for a missing sample.",
                    ) from None
        raise  # pragma: no cover - numpy and float() agree on what a number is


def _data_rows(lines: list[str], start: int) -> tuple[list[list[str]], list[int]]:
    """Cells and 1-based line numbers of the non-blank lines from ``start`` on."""
    kept = [(i + 1, line) for i, line in enumerate(lines[start:], start) if line.strip()]
    return [_split(line) for _, line in kept], [n for n, _ in kept]


def _count_note(what: str, said: str | None, actual: int) -> list[str]:
    """A note when a header count (as text) disagrees with what the file holds."""
    try:
        if said is None or int(float(said)) == actual:
            return []
    except ValueError:
        pass
    return [f"header says {what} = {said} but the file holds {actual}; used {actual}"]


# --- .mot -----------------------------------------------------------------------------


def read_mot(path: Path) -> GaitTrial:
    """Read joint angles from an OpenSim motion (storage) file.

    Parameters
    ----------
    path : Path
        A ``.mot`` file.

    Returns
    -------
    GaitTrial
        Angles only; no markers, events or body mass.

    Raises
    ------
    GaitError
        No ``endheader`` line, no ``time`` or ``ankle_angle_r``/``ankle_angle_l`` column, a
        non-numeric cell, no rows, or a time that does not increase.
    """
    lines = _lines(path)
    end = next((i for i, line in enumerate(lines) if line.strip().lower() == "endheader"), None)
    if end is None:
        raise fail(
            path,
            "has no 'endheader' line, so it is not an OpenSim storage file",
            "Export the motion from OpenSim (File > Save Motion) or write a CSV instead.",
        )
    header: dict[str, str] = {}
    for line in lines[:end]:
        key, _, value = line.partition("=") if "=" in line else line.strip().partition(" ")
        header[key.strip().lower()] = value.strip()
    rows, numbers = _data_rows(lines, end + 1)
    if not rows:
        raise fail(path, "has no column header after 'endheader'", "Export the motion again.")
    columns = [c.strip().lower() for c in rows[0]]
    rows, numbers = rows[1:], numbers[1:]
    notes = _count_note("nRows", header.get("nrows", header.get("datarows")), len(rows))
    notes += _count_note(
        "nColumns", header.get("ncolumns", header.get("datacolumns")), len(columns)
    )
    if "time" not in columns:
        raise fail(path, f"has no 'time' column (columns: {', '.join(columns[:10])})", "Add it.")
    wanted = [f"ankle_angle_{s}" for s in ("l", "r")]
    if not any(name in columns for name in wanted):
        raise fail(
            path,
            f"has no ankle angle: looked for the columns {' and '.join(wanted)}; "
            f"found {', '.join(columns[:12])}{' ...' if len(columns) > 12 else ''}",
            "Run inverse kinematics with a model that has ankle_angle_r/l (gait2392, "
            "Rajagopal) and export its .mot, or write a CSV.",
        )
    data = _numbers(path, rows, numbers, columns)
    time_s = data[:, columns.index("time")]
    rate = rate_from_time(path, time_s, numbers)
    flag = header.get("indegrees", "").lower()
    ankles = np.concatenate([data[:, columns.index(c)] for c in wanted if c in columns])
    if flag in ("yes", "no"):
        in_degrees = flag == "yes"
    else:  # a gait ankle exceeds 1 rad (57°) only when the values are degrees
        in_degrees = bool((np.abs(ankles) > 1.5).any())
        notes.append(
            f"no inDegrees in the header; values read as {'degrees' if in_degrees else 'radians'}"
        )
    factor = DEG if in_degrees else 1.0
    angles: dict[Key, Array] = {}
    for suffix, side in SIDE_SUFFIX.items():
        for joint, column, component in (
            ("ankle", "ankle_angle", 0),
            ("knee", "knee_angle", 0),
            ("hip", "hip_flexion", 0),
            ("hip", "hip_adduction", 1),
        ):
            name = f"{column}_{suffix}"
            if name not in columns:
                continue
            values = data[:, columns.index(name)] * factor
            if joint == "knee" and (values < 0).sum() > (values > 0).sum():  # median < 0
                values = -values
                notes.append(
                    f"{name}: median {np.nanmedian(values) / -DEG:.1f}° is negative, so the "
                    "model counts flexion negative (gait2392); negated to flexion positive"
                )
            angles.setdefault((side, joint), np.full((len(time_s), 3), np.nan))[:, component] = (
                values
            )
    return build_trial(path, rate, time_s, angles, {}, notes=notes)


# --- .csv -----------------------------------------------------------------------------

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
    lines = _lines(path)
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
    data = _numbers(path, rows, numbers, columns, keep, comma=delimiter != ",")
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
