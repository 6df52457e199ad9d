"""Read markers from an OpenSim marker file (.trc).

Layout: three header lines (``PathFileType``, the names and the values of
``DataRate ... Units ...``), the marker-name row, the ``X1 Y1 Z1`` row, then ``Frame#``,
``Time`` and three coordinates per marker. OpenSim's lab is +Y up; the markers are turned
a quarter turn about x (x→x, y→z, z→-y) unless the pelvis or knee markers clearly stand
above the feet along another axis. A .trc carries no angles.

Header counts (``NumFrames``, ``NumMarkers``) that disagree with the data are noted, and
the data is trusted. The line and number parsing is shared (:mod:`afofit.gait.parsing`).
"""

from __future__ import annotations

from pathlib import Path

from afofit.gait.markers import lab_markers
from afofit.gait.model import GaitTrial
from afofit.gait.parsing import (
    build_trial,
    count_note,
    data_rows,
    fail,
    parse_numbers,
    rate_from_time,
    read_lines,
    split_cells,
)
from afofit.gait.registry import register_reader

__all__ = ["read_trc"]


def read_trc(path: Path) -> GaitTrial:
    """Read foot, knee and pelvis markers from an OpenSim marker (.trc) file.

    Parameters
    ----------
    path : Path
        A ``.trc`` file.

    Returns
    -------
    GaitTrial
        Markers in mm with +z up; no angles, events or body mass.

    Raises
    ------
    GaitError
        Fewer than five header lines, no heel or toe marker, an unknown unit, a
        non-numeric cell, no rows, or a time that does not increase.
    """
    lines = read_lines(path)
    if len(lines) < 5 or not lines[0].strip().lower().startswith("pathfiletype"):
        raise fail(
            path,
            "does not start with the five .trc header lines (PathFileType, DataRate..., "
            "values, Frame# Time names, X1 Y1 Z1)",
            "Export the markers from OpenSim or your capture software as .trc again.",
        )
    header = dict(
        zip((k.lower() for k in split_cells(lines[1])), split_cells(lines[2]), strict=False)
    )
    names = split_cells(lines[3].replace("\t", " "))[2:]
    rows, numbers = data_rows(lines, 5)
    columns = ["frame", "time"] + [f"{n} {a}" for n in names for a in "XYZ"]
    notes = count_note("NumFrames", header.get("numframes"), len(rows))
    notes += count_note("NumMarkers", header.get("nummarkers"), len(names))
    data = parse_numbers(path, rows, numbers, columns)
    markers, marker_notes = lab_markers(
        path,
        names,
        lambda i: data[:, 2 + 3 * i : 5 + 3 * i],
        header.get("units"),
        (1, 1, "OpenSim convention"),
        trust_up=False,
    )
    if not any(role in ("heel", "toe") for _, role in markers):
        raise fail(
            path,
            "has no heel or toe marker: looked for names like LHEE, L.Heel, L_HEE, LTOE, "
            f"R.Toe, RMT2, RMT5; found {', '.join(names[:12]) or 'none'}",
            "Rename the foot markers, or give the ankle angles as .mot, C3D or CSV.",
        )
    time_s = data[:, 1]
    rate = rate_from_time(path, time_s, numbers)
    said = header.get("datarate")
    try:
        if said is not None and abs(float(said) - rate) > 0.01 * rate:
            notes.append(f"header DataRate {said} Hz, time column {rate:.6g} Hz; used {rate:.6g}")
    except ValueError:
        pass
    notes += marker_notes
    return build_trial(path, rate, time_s, {}, markers, notes=notes)


register_reader(".trc", read_trc)
