"""What every gait format reader shares: the error, the line and number parsing of text
files, gap filling, the sample rate from a time column, and the assembly of the trial.

Every reader leaves the data on the file's own clock, converts angles to radians and
markers to mm with +z up (see :mod:`afofit.gait.model`), and records what it repaired or
noticed in ``GaitTrial.notes``:

* a gap (a run of NaN samples inside a signal) no longer than :data:`MAX_GAP_S` is filled
  by shape-preserving cubic (PCHIP) interpolation through the valid samples; a longer gap,
  and missing data at the very start or end, are left NaN. Both are noted.
* a signal NaN throughout (an ankle whose sagittal angle is) is dropped, with a note; if
  no ankle angle is left, the file is refused.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from scipy.interpolate import PchipInterpolator

from afofit.errors import GaitError
from afofit.gait.model import EventTimes, GaitTrial
from afofit.gait.registry import FORMATS

__all__ = [
    "MAX_ANKLE_RAD",
    "MAX_GAP_S",
    "Array",
    "Key",
    "build_trial",
    "count_note",
    "data_rows",
    "fail",
    "fill_gaps",
    "parse_numbers",
    "rate_from_time",
    "read_lines",
    "split_cells",
]

#: Longest gap (s) filled by interpolation. 0.1 s is 10 % of a stride: short enough that a
#: cubic through the neighbours cannot miss a foot strike or a swing peak, long enough to
#: bridge the marker dropouts of a routine lab capture.
MAX_GAP_S = 0.1

#: An ankle's sagittal angle stays within about -50°..+30° in life; beyond ±90° the column
#: is not an ankle angle in degrees.
MAX_ANKLE_RAD = float(np.radians(90.0))
#: A walking ankle moves through 15-30° a stride (even a dropped foot through several);
#: under 2° over a trial of a stride or more the column is likely radians read as degrees.
MIN_ANKLE_SPAN_RAD = float(np.radians(2.0))

Array = NDArray[np.float64]
Key = tuple[str, str]


def fail(path: str | Path, what: str, todo: str) -> GaitError:
    """A :class:`GaitError` for the file ``path``: ``"<file name>: <what>. <todo>"``."""
    return GaitError(f"{Path(path).name}: {what}. {todo}")


# --- text files -----------------------------------------------------------------------


def read_lines(path: Path) -> list[str]:
    """The lines of the text file ``path`` (BOM dropped; Latin-1 when it is not UTF-8)."""
    raw = path.read_bytes()
    if b"\x00" in raw:
        raise fail(path, "is binary, not text", f"Export the trial again; afofit reads {FORMATS}.")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    return text.splitlines()


def split_cells(line: str) -> list[str]:
    """Cells of a tab- or space-separated line; with tabs, an empty cell stays a cell."""
    line = line.rstrip()
    return line.split("\t") if "\t" in line else line.split()


def parse_numbers(
    path: Path,
    rows: list[list[str]],
    lines: list[int],
    columns: list[str],
    keep: list[int] | None = None,
    comma: bool = False,
) -> Array:
    """``(len(rows), len(keep))`` floats of the columns ``keep`` (default all) of ``rows``.

    ``lines`` gives each row's 1-based line in ``path``, for the messages.

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
        values = np.array(cells, dtype=np.float64).reshape(len(rows), len(keep))
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
    infinite = np.argwhere(np.isinf(values))
    if len(infinite):
        i, k = (int(v) for v in infinite[0])
        raise fail(
            path,
            f"line {lines[i]}, column '{columns[keep[k]]}': '{cells[i][k]}' is not a finite number",
            "Fix the cell, or leave it blank for a missing sample.",
        )
    return values


def data_rows(lines: list[str], start: int) -> tuple[list[list[str]], list[int]]:
    """Cells and 1-based line numbers of the non-blank lines from ``start`` on."""
    kept = [(i + 1, line) for i, line in enumerate(lines[start:], start) if line.strip()]
    return [split_cells(line) for _, line in kept], [n for n, _ in kept]


def count_note(what: str, said: str | None, actual: int) -> list[str]:
    """A note when a header count ``what`` (``said``, as text) disagrees with the ``actual`` one."""
    try:
        if said is None or int(float(said)) == actual:
            return []
    except ValueError:
        pass
    return [f"header says {what} = {said} but the file holds {actual}; used {actual}"]


# --- gaps -----------------------------------------------------------------------------


def _runs(mask: NDArray[np.bool_]) -> list[tuple[int, int]]:
    """``[start, stop)`` index ranges of the True runs in ``mask``."""
    edges = np.diff(np.concatenate(([0], mask.astype(np.int8), [0])))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True))


def fill_gaps(
    values: Array, time_s: Array, rate_hz: float, name: str, max_gap_s: float = MAX_GAP_S
) -> tuple[Array, tuple[str, ...]]:
    """Fill the short NaN gaps of one signal; leave long gaps and the ends NaN.

    Parameters
    ----------
    values : (n,) or (n, k) float
        One signal (an angle, a marker); a column that is NaN throughout is left alone
        (the file does not carry that component).
    time_s : (n,) float, s
        Sample times, strictly increasing.
    rate_hz : float
        Sample rate; a gap of ``m`` missing samples lasts ``m / rate_hz`` s.
    name : str
        The signal's name in the notes, e.g. ``"left_ankle"``.
    max_gap_s : float, s
        Longest gap filled (default :data:`MAX_GAP_S`).

    Returns
    -------
    filled : same shape as ``values``
        A new array; PCHIP interpolation through the column's valid samples in short gaps.
    notes : tuple of str
        One line per kind of repair (filled, left NaN inside, missing at an end).
    """
    out = np.array(values, dtype=np.float64, copy=True)
    cols = out.reshape(len(out), -1)  # a view: writes land in ``out``
    carried = ~np.isnan(cols).all(axis=0)
    if not carried.any():
        return out, ()
    missing = np.asarray(np.isnan(cols[:, carried]).any(axis=1), dtype=bool)
    filled: list[float] = []
    long: list[float] = []
    ends: list[str] = []
    for start, stop in _runs(missing):
        length_s = (stop - start) / rate_hz
        if start == 0 or stop == len(out):
            ends.append(f"{length_s:.2f} s at the {'start' if start == 0 else 'end'}")
        elif length_s <= max_gap_s + 1e-9:
            filled.append(length_s)
            for c in np.flatnonzero(carried):
                good = ~np.isnan(cols[:, c])
                hole = np.arange(start, stop)[~good[start:stop]]
                cols[hole, c] = PchipInterpolator(time_s[good], cols[good, c])(time_s[hole])
        else:
            long.append(length_s)
    notes = [
        f"{name}: {len(found)} gap{'s' * (len(found) > 1)} up to {max(found):.2f} s {what}"
        for found, what in (
            (filled, "interpolated (PCHIP)"),
            (long, f"left as NaN (longer than MAX_GAP_S = {max_gap_s:g} s)"),
        )
        if found
    ]
    if ends:
        notes.append(f"{name}: no data for {' and '.join(ends)}, left as NaN")
    return out, tuple(notes)


def rate_from_time(path: Path, time_s: Array, line_of_row: Sequence[int]) -> float:
    """Sample rate (Hz) of a time column ``time_s``: 1 / its typical step; NaN for a single row.

    ``line_of_row`` (n,) gives each row's line in ``path`` for the message of the
    :class:`GaitError` raised on a NaN time or a step that is zero or negative.
    """
    bad = np.flatnonzero(np.isnan(time_s))
    if bad.size:
        raise fail(
            path,
            f"line {line_of_row[bad[0]]}: the time cell is empty or NaN",
            "Every row needs a time; fill it in or delete the row.",
        )
    step = np.diff(time_s)
    bad = np.flatnonzero(step <= 0)
    if bad.size:
        i = int(bad[0])
        raise fail(
            path,
            f"time does not increase at line {line_of_row[i + 1]} "
            f"({time_s[i]:g} s then {time_s[i + 1]:g} s)",
            "Rows must be in time order with no repeated times; sort or de-duplicate them.",
        )
    if step.size == 0:
        return float("nan")  # one row: no rate; later stages refuse so short a trial
    # The mean of the regular steps (a dropped frame makes one step double) is immune to
    # times printed with few decimals (0.008, 0.009 at 120 Hz), unlike the median step;
    # a whole Hz within 1 ppm is the rate the file was written at.
    median = np.median(step)
    rate = float(1.0 / np.mean(step[np.abs(step - median) < 0.5 * median]))
    return float(round(rate)) if abs(rate - round(rate)) < 1e-6 * rate else rate


# --- assembly -------------------------------------------------------------------------


def build_trial(
    path: Path,
    rate_hz: float,
    time_s: Array,
    angles_rad: Mapping[Key, Array],
    markers_mm: Mapping[Key, Array],
    events: Mapping[str, EventTimes] | None = None,
    body_mass_kg: float | None = None,
    notes: Sequence[str] = (),
) -> GaitTrial:
    """Fill the gaps of every signal, drop the signals NaN throughout, and return the trial.

    The arguments are :class:`GaitTrial`'s (``path``, ``rate_hz``, ``time_s``,
    ``angles_rad``, ``events``, ``body_mass_kg``), with ``markers_mm`` already +z up (the pelvis
    array may be shared by both sides) and ``notes`` the format reader's own. Raises
    :class:`GaitError` for no rows, an ankle angle beyond ±90° (not an ankle angle in
    degrees), or when every ankle angle is NaN throughout (an ankle counts as empty when its
    sagittal component is).
    """
    if len(time_s) == 0:
        raise fail(path, "holds no data rows", "Export the trial again with its frames.")
    all_notes = list(notes)
    for (side, joint), values in angles_rad.items():
        sagittal = values[:, 0][np.isfinite(values[:, 0])]
        if joint != "ankle" or not len(sagittal):
            continue
        reach = float(np.abs(sagittal).max())
        if np.ptp(sagittal) < MIN_ANKLE_SPAN_RAD and time_s[-1] - time_s[0] >= 1.0:
            all_notes.append(
                f"the {side} ankle angle spans only {np.degrees(np.ptp(sagittal)):.1f}° over the "
                "trial: if the file holds radians, convert them to degrees"
            )
        if reach > MAX_ANKLE_RAD:
            raise fail(
                path,
                f"the {side} ankle angle reaches {np.degrees(reach):.0f}°, beyond any ankle's "
                f"±{np.degrees(MAX_ANKLE_RAD):.0f}°",
                "Check that the column holds the ankle's sagittal angle in degrees "
                "(dorsiflexion positive), not another signal or unit.",
            )
    angles: dict[Key, Array] = {}
    empty: list[str] = []  # signals NaN throughout: dropped, not carried
    for (side, joint), values in angles_rad.items():
        if np.isnan(values[:, 0] if joint == "ankle" else values).all():
            empty.append(f"{side} {joint} angle")
            continue
        angles[side, joint], extra = fill_gaps(values, time_s, rate_hz, f"{side}_{joint}")
        all_notes.extend(extra)
    if not any(joint == "ankle" for _, joint in angles) and any("ankle" in e for e in empty):
        raise fail(
            path,
            f"the {' and '.join(e for e in empty if 'ankle' in e)} is NaN in every frame",
            "Re-run the model (e.g. Plug-in Gait) over the whole trial, or fill the gaps "
            "in the capture software, and export again.",
        )
    markers: dict[Key, Array] = {}
    done: dict[int, Array] = {}
    for (side, role), values in markers_mm.items():
        if np.isnan(values).all():
            empty.append("pelvis marker" if role == "pelvis" else f"{side} {role} marker")
        elif id(values) not in done:
            name = "pelvis marker" if role == "pelvis" else f"{side}_{role} marker"
            done[id(values)], extra = fill_gaps(values, time_s, rate_hz, name)
            all_notes.extend(extra)
        if id(values) in done:
            markers[side, role] = done[id(values)]
    all_notes.extend(f"{name} is NaN in every frame; dropped" for name in dict.fromkeys(empty))
    return GaitTrial(
        path=str(path),
        rate_hz=float(rate_hz),
        time_s=np.asarray(time_s, dtype=np.float64),
        angles_rad=angles,
        markers_mm=markers,
        events=dict(events or {}),
        body_mass_kg=body_mass_kg,
        notes=tuple(all_notes),
    )
