"""Read a gait recording (C3D, OpenSim .mot/.trc, CSV) into a :class:`GaitTrial`.

The only entry point is :func:`load_gait`; it dispatches on the file suffix to
:mod:`afofit.gait.c3d` (C3D), :mod:`afofit.gait.trc` (.trc) or :mod:`afofit.gait.text`
(.mot, .csv). This module holds what every format shares: the checks on the file itself,
gap filling and the final assembly of the trial; the marker roles and the rotation to +z
up are in :mod:`afofit.gait.markers`.

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

__all__ = ["MAX_GAP_S", "SUPPORTED_SUFFIXES", "fill_gaps", "load_gait"]

SUPPORTED_SUFFIXES = (".c3d", ".mot", ".trc", ".csv")

#: Longest gap (s) filled by interpolation. 0.1 s is 10 % of a stride: short enough that a
#: cubic through the neighbours cannot miss a foot strike or a swing peak, long enough to
#: bridge the marker dropouts of a routine lab capture.
MAX_GAP_S = 0.1

FORMATS = "C3D (.c3d), OpenSim motion (.mot), OpenSim markers (.trc) or CSV (.csv)"

Array = NDArray[np.float64]
Key = tuple[str, str]


def fail(path: str | Path, what: str, todo: str) -> GaitError:
    """A :class:`GaitError` whose message is ``"<file>: <what>. <todo>"``."""
    return GaitError(f"{Path(path).name}: {what}. {todo}")


def load_gait(path: str | Path) -> GaitTrial:
    """Read a gait trial from a C3D, OpenSim .mot, OpenSim .trc or CSV file.

    Parameters
    ----------
    path : str or Path
        The file; its suffix (any case) picks the format.

    Returns
    -------
    GaitTrial
        Angles in rad, markers in mm with +z up, times on the file's clock, and the
        reader's notes.

    Raises
    ------
    GaitError
        The file is missing, empty, of an unknown type, corrupt, has no data rows, a
        non-numeric cell or a time column that does not increase, or carries no ankle
        angle (C3D, .mot, CSV) or no foot marker (.trc).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if not path.exists():
        raise GaitError(f"{path}: no such file. Check the path; afofit reads {FORMATS}.")
    if path.is_dir():
        raise fail(path, "is a folder", f"Give the gait file itself: {FORMATS}.")
    if suffix not in SUPPORTED_SUFFIXES:
        raise fail(
            path,
            f"unsupported file type '{path.suffix}'",
            f"afofit reads {FORMATS}; export the trial in one of these.",
        )
    if path.stat().st_size == 0:
        raise fail(path, "the file is empty (0 bytes)", f"Export the trial again as {FORMATS}.")
    # Imported here, not at the top: the format modules import this module's helpers.
    if suffix == ".c3d":
        from afofit.gait.c3d import read_c3d

        return read_c3d(path)
    from afofit.gait.text import read_csv, read_mot
    from afofit.gait.trc import read_trc

    return {".mot": read_mot, ".trc": read_trc, ".csv": read_csv}[suffix](path)


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
    """Sample rate (Hz) of a time column: 1 / its typical step; NaN for a single row.

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

    The arguments are :class:`GaitTrial`'s, with ``markers_mm`` already +z up (the pelvis
    array may be shared by both sides) and ``notes`` the format reader's own. Raises
    :class:`GaitError` for no rows, or when every ankle angle is NaN throughout (an ankle
    counts as empty when its sagittal component is).
    """
    if len(time_s) == 0:
        raise fail(path, "holds no data rows", "Export the trial again with its frames.")
    all_notes = list(notes)
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
