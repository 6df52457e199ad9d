"""Read joint angles from an OpenSim motion (storage) file, ``.mot``.

``.mot`` (storage format: header lines up to ``endheader``, a column row, then data,
tab- or space-separated): ``time``, ``ankle_angle_r``/``_l`` (dorsiflexion positive, as
Plug-in Gait), ``knee_angle_r``/``_l``, ``hip_flexion_r``/``_l``, ``hip_adduction_r``/``_l``;
degrees unless ``inDegrees=no``. gait2392 counts knee flexion negative and Rajagopal
positive, so a knee column whose median is negative is negated (and noted).

Header counts (``nRows``, ``nColumns``) that disagree with the data are noted, and the data
is trusted.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from afofit.gait.model import GaitTrial
from afofit.gait.parsing import (
    Array,
    Key,
    build_trial,
    count_note,
    data_rows,
    fail,
    parse_numbers,
    rate_from_time,
    read_lines,
)
from afofit.gait.registry import register_reader
from afofit.units import deg_to_rad

__all__ = ["read_mot"]

SIDE_SUFFIX = {"l": "left", "r": "right"}
DEG = deg_to_rad(1.0)


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
    # Longer than 60 lines on purpose: one pass down the file, each step with its own
    # message naming what is wrong; split up, the format's rules would be scattered.
    lines = read_lines(path)
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
    rows, numbers = data_rows(lines, end + 1)
    if not rows:
        raise fail(path, "has no column header after 'endheader'", "Export the motion again.")
    columns = [c.strip().lower() for c in rows[0]]
    rows, numbers = rows[1:], numbers[1:]
    notes = count_note("nRows", header.get("nrows", header.get("datarows")), len(rows))
    notes += count_note("nColumns", header.get("ncolumns", header.get("datacolumns")), len(columns))
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
    data = parse_numbers(path, rows, numbers, columns)
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


register_reader(".mot", read_mot)
