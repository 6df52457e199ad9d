"""Read a gait recording (C3D, OpenSim .mot/.trc, CSV) into a :class:`GaitTrial`.

The only entry point is :func:`load_gait`; it dispatches on the file suffix to
:mod:`afofit.gait.c3d` (C3D) or :mod:`afofit.gait.text` (.mot, .trc, .csv). This module
holds what every format shares: the checks on the file itself, gap filling, the marker
roles, the rotation to +z up and the final assembly of the trial.

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

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from scipy.interpolate import PchipInterpolator

from afofit.errors import GaitError
from afofit.gait.model import MARKER_ROLES, SIDES, EventTimes, GaitTrial
from afofit.units import SCALE_TO_MM

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
    from afofit.gait.text import read_csv, read_mot, read_trc

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


# --- markers --------------------------------------------------------------------------

#: Marker name (upper case, letters and digits only, side prefix removed) -> (role, rank).
#: A lower rank wins when a file carries several names for one role.
ROLE_NAMES: dict[str, tuple[str, int]] = {
    **dict.fromkeys(("HEE", "HEEL", "CAL", "CALC"), ("heel", 0)),
    **dict.fromkeys(("TOE", "TOETIP", "TOES", "HLX"), ("toe", 0)),
    **dict.fromkeys(("MT2", "MET2", "MTH2", "2MET"), ("toe", 1)),
    **dict.fromkeys(("MT5", "MET5", "MTH5", "5MET"), ("toe", 2)),
    **dict.fromkeys(("ANK", "ANKLE", "ANKLELAT", "LATANKLE", "LM", "LMAL", "LATMAL"), ("ankle", 0)),
    **dict.fromkeys(("KNE", "KNEE", "KNEELAT", "LATKNEE", "LEK", "LFE", "LFEPI"), ("knee", 0)),
    **dict.fromkeys(("PSI", "PSIS"), ("psis", 0)),
}
SACRUM_NAMES = ("SACR", "SACRUM", "SACRAL", "VSACRAL")
SIDE_PREFIXES = (("LEFT", "left"), ("RIGHT", "right"), ("L", "left"), ("R", "right"))
LENGTH_UNITS = {"millimeters": "mm", "millimetres": "mm", "meters": "m", "metres": "m"}
AXES = "XYZ"


def strip_prefix(label: str) -> str:
    """``"Bob:LHEE"`` -> ``"LHEE"``: drop a Vicon subject prefix and outer blanks."""
    return label.rsplit(":", 1)[-1].strip()


def match_markers(labels: Sequence[str]) -> dict[Key, tuple[int, ...]]:
    """Pick, for each ``(side, role)``, the marker(s) of ``labels`` that play it.

    Parameters
    ----------
    labels : sequence of str
        Marker names as in the file; subject prefixes, case, ``.``, ``_`` and blanks are
        ignored (``"Bob:L_HEE"``, ``"L.Heel"`` and ``"LHeel"`` are all a left heel).

    Returns
    -------
    dict
        ``(side, role) -> indices into labels``, roles as in
        :data:`afofit.gait.model.MARKER_ROLES`. The role sits at the mean of its markers:
        one, or the two PSIS for a pelvis without a sacrum marker. The pelvis is listed
        under both sides.
    """
    best: dict[Key, tuple[int, int]] = {}
    sacrum: list[int] = []
    for i, label in enumerate(labels):
        norm = "".join(ch for ch in strip_prefix(label).upper() if ch.isalnum())
        if norm in SACRUM_NAMES:
            sacrum.append(i)
        for prefix, side in SIDE_PREFIXES:
            found = ROLE_NAMES.get(norm[len(prefix) :]) if norm.startswith(prefix) else None
            if found is not None:
                if (side, found[0]) not in best or found[1] < best[side, found[0]][0]:
                    best[side, found[0]] = (found[1], i)
                break
    out: dict[Key, tuple[int, ...]] = {k: (i,) for k, (_, i) in best.items() if k[1] != "psis"}
    psis = tuple(best[s, "psis"][1] for s in SIDES if (s, "psis") in best)
    pelvis = tuple(sacrum[:1]) or (psis if len(psis) == 2 else ())
    if pelvis:
        out["left", "pelvis"] = out["right", "pelvis"] = pelvis
    return out


def unit_scale(path: Path, unit: str | None, notes: list[str]) -> float:
    """mm per unit of the file (``mm``, ``cm``, ``m``, ``in``); mm, noted, when none given."""
    if not unit or not unit.strip():
        notes.append("no length unit in the file; markers read as mm")
        return 1.0
    name = LENGTH_UNITS.get(unit.strip().lower(), unit.strip().lower())
    if name not in SCALE_TO_MM:
        raise fail(
            path,
            f"unknown length unit '{unit}'",
            f"Set the unit to one of {', '.join(SCALE_TO_MM)} and export again.",
        )
    return SCALE_TO_MM[name]


def z_up_rotation(axis: int, sign: int) -> NDArray[np.int64]:
    """The proper rotation (det +1) taking the lab's up direction to +z.

    Parameters
    ----------
    axis : int
        0, 1 or 2 for the file's x, y or z.
    sign : int
        +1 or -1: up is ``sign`` times that axis.

    Returns
    -------
    (3, 3) int
        ``R`` with ``R @ up = (0, 0, 1)``: the quarter (or half) turn about the horizontal
        axis ``up × z``, so that one horizontal lab axis is kept as it is.
    """
    if axis == 2:
        return np.diag([1, sign, sign]).astype(np.int64)
    up = np.zeros(3, dtype=np.int64)
    up[axis] = sign
    k = np.cross(up, [0, 0, 1])
    cross = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]], dtype=np.int64)
    return np.eye(3, dtype=np.int64) + cross + cross @ cross  # Rodrigues at 90°: exact


def detect_up_axis(markers: Mapping[Key, Array], strict: bool) -> tuple[int, int, str] | None:
    """Guess the lab's up axis ``(axis, sign, how)`` from where the markers sit.

    The pelvis (~0.9 m) and knee (~0.45 m) stand above the feet along up, and within
    ~0.2 m of them along either horizontal: when such a marker is present, up is the axis
    of the largest median rise from the feet, if it is twice the next. Otherwise (not
    ``strict``) from the feet alone: the lateral axis is the one that separates the left
    foot from the right, and up is the other with the smaller range (walking travel is
    longer than foot lift); the sign puts the feet's median above the floor.
    None when ``strict`` and no marker above the feet, or no foot marker.
    """
    feet = [v for (_, role), v in markers.items() if role in ("heel", "toe", "ankle")]
    if not feet:
        return None
    foot = np.concatenate(feet)
    above = [v for (_, role), v in markers.items() if role in ("pelvis", "knee")]
    if above:
        rise = np.nanmedian(np.concatenate(above), axis=0) - np.nanmedian(foot, axis=0)
        first, second = np.argsort(-np.abs(rise))[:2]
        if abs(rise[first]) > 2 * abs(rise[second]):
            return int(first), int(np.sign(rise[first])), "pelvis/knee markers above the feet"
    if strict:
        return None
    span = np.nanmax(foot, axis=0) - np.nanmin(foot, axis=0)
    lr = [markers.get((s, "heel"), markers.get((s, "toe"))) for s in SIDES]
    axes = [0, 1, 2]
    if lr[0] is not None and lr[1] is not None:
        axes.remove(int(np.argmax(np.abs(np.nanmedian(lr[0] - lr[1], axis=0)))))
    axis = min(axes, key=lambda a: span[a])
    return axis, -1 if np.nanmedian(foot[:, axis]) < 0 else 1, "guessed from the foot markers"


def lab_markers(
    path: Path,
    labels: Sequence[str],
    xyz: Callable[[int], Array],
    unit: str | None,
    up: tuple[int, int, str] | None,
    trust_up: bool,
) -> tuple[dict[Key, Array], list[str]]:
    """Marker roles in mm with +z up, and the notes saying how.

    ``xyz(i)`` gives the ``(n, 3)`` positions of ``labels[i]`` in the file's ``unit``.
    ``up`` is ``(axis, sign, source)``, the up axis the file declares (``trust_up``) or
    its format habitually uses (else markers standing clearly above the feet along
    another axis override it); None to guess. Returns ``(side, role) -> (n, 3)`` mm, one
    array shared by both sides' pelvis, and notes naming the markers, unit and rotation.
    """
    matches = match_markers(labels)
    if not matches:
        return {}, []
    notes: list[str] = []
    scale = unit_scale(path, unit, notes)
    shared = {idx: np.mean([xyz(i) for i in idx], axis=0) * scale for idx in matches.values()}
    markers = {key: shared[idx] for key, idx in matches.items()}
    used = [
        f"{'' if role == 'pelvis' else side + ' '}{role}="
        + "+".join(strip_prefix(labels[i]) for i in idx)
        for (side, role), idx in sorted(matches.items(), key=lambda m: MARKER_ROLES.index(m[0][1]))
        if (side, role) != ("right", "pelvis")
    ]
    notes.append(f"markers used: {', '.join(used)}" + (f" (in {unit})" if scale != 1 else ""))
    if up is None or not trust_up:
        found = detect_up_axis(markers, strict=up is not None)
        up = found if found is not None and (up is None or found[:2] != up[:2]) else up
    if up is None:
        return markers, notes
    rotation = z_up_rotation(up[0], up[1])
    axis = f"{'+-'[up[1] < 0]}{AXES[up[0]]}"
    if (rotation == np.eye(3)).all():
        return markers, [*notes, f"up axis {axis} ({up[2]}); no rotation"]
    turns = []
    for i in range(3):
        j = int(np.flatnonzero(rotation[:, i])[0])
        turns.append(f"{AXES[i].lower()}→{'-' * int(rotation[j, i] < 0)}{AXES[j].lower()}")
    notes.append(f"up axis {axis} ({up[2]}); rotated to +z up: {', '.join(turns)}")
    turned = {id(v): v @ rotation.T.astype(np.float64) for v in shared.values()}
    return {key: turned[id(v)] for key, v in markers.items()}, notes


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
