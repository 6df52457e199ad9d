"""Marker roles and the lab's up axis: which file marker is the heel, and which way is up.

Shared by the C3D and .trc readers (through :func:`lab_markers`): marker names from
Plug-in Gait, HBM2 and OpenSim-style exports are matched to the roles of
:data:`afofit.gait.model.MARKER_ROLES` (:func:`match_markers`), scaled to mm, and turned
so that +z is up (:func:`detect_up_axis`, :func:`z_up_rotation`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from afofit.gait.model import MARKER_ROLES, SIDES
from afofit.gait.parsing import Array, Key, fail
from afofit.units import SCALE_TO_MM

__all__ = ["detect_up_axis", "lab_markers", "match_markers", "z_up_rotation"]

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

    Parameters
    ----------
    markers : mapping
        ``(side, role) -> (n, 3)`` float, mm, in the file's axes (NaN for missing samples).
    strict : bool
        Only the pelvis/knee test counts; do not guess from the feet alone.

    Returns
    -------
    tuple or None
        ``(axis, sign, how)``: 0, 1 or 2 for x, y or z; +1 or -1; how it was found. None
        when ``strict`` and no marker above the feet, or no foot marker.
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

    Parameters
    ----------
    path : Path
        The file, named in the error message.
    labels : sequence of str
        Marker names as in the file (matched by :func:`match_markers`).
    xyz : callable
        ``xyz(i)`` gives the ``(n, 3)`` positions of ``labels[i]`` in the file's ``unit``.
    unit : str or None
        The file's length unit (``mm``, ``cm``, ``m``, ``in``, ``millimeters``, ...); None
        or blank: mm, noted.
    up : tuple or None
        ``(axis, sign, source)``, the up axis the file declares (``trust_up``) or its
        format habitually uses (else markers standing clearly above the feet along another
        axis override it); None to guess.
    trust_up : bool
        True when ``up`` is declared by the file and is used as given.

    Returns
    -------
    markers : dict
        ``(side, role) -> (n, 3)`` float, mm, +z up; one array shared by both sides' pelvis.
    notes : list of str
        The markers used, their unit and the rotation.

    Raises
    ------
    GaitError
        An unknown length unit.
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
