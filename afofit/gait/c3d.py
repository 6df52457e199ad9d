"""Read a C3D file (Vicon Nexus Plug-in Gait or HBM2 exports) with ezc3d.

What is taken from the file:

* **Angles**: the model outputs ``LAnkleAngles``, ``RAnkleAngles``, ``LKneeAngles``,
  ``RKneeAngles``, ``LHipAngles``, ``RHipAngles``, ``LPelvisAngles``, ``RPelvisAngles``
  (POINT labels, ``[sagittal, frontal, transverse]`` in Plug-in Gait signs), in the unit of
  ``POINT:ANGLE_UNITS`` (degrees when absent).
* **Markers**: heel, toe, ankle, knee and pelvis roles from Plug-in Gait (``LHEE LTOE LANK
  LKNE SACR``, or the mean of ``LPSI``/``RPSI``) or HBM2 (``LHEE LMT2 LMT5 LLM LLEK``,
  ``LPSIS``/``RPSIS``) names, in the unit of ``POINT:UNITS``; subject prefixes
  (``"Bob:LHEE"``) are ignored. Rotated so +z is up: up is ``POINT:Y_SCREEN`` (the axis
  the capture software draws upward), else guessed from the markers.
* **Time**: sample ``i`` is at ``(first_frame - 1 + i) / rate`` with ``first_frame`` the
  header's 1-based first frame. ezc3d reports that frame already 0-based (one less than
  the header word), so the code adds ``i`` to ezc3d's value. This is the clock of the
  file's own events: on the reference overground trial (header first frame 249) the
  force-plate loading onsets fall within 2 ms before the file's foot strikes on it, and
  10 ms earlier on the clock shifted by one frame.
* **Events**: ``EVENT:LABELS`` ``Foot Strike``/``Foot Off`` (also ``Heel Strike``, ``Toe
  Off``, ``HS``, ``TO``, any case) with ``EVENT:CONTEXTS`` ``Left``/``Right`` and
  ``EVENT:TIMES`` (row 0 minutes, row 1 seconds), the first ``EVENT:USED`` of them.
* **Body mass**: ``PROCESSING:Bodymass`` (kg) when present and > 0.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

import numpy as np

from afofit.gait.markers import lab_markers, strip_prefix
from afofit.gait.model import EventTimes, GaitTrial
from afofit.gait.parsing import Key, build_trial, fail
from afofit.gait.registry import FORMATS, register_reader
from afofit.units import deg_to_rad

__all__ = ["ANGLE_LABELS", "read_c3d"]

#: ``(side, joint) -> C3D POINT label`` of the Plug-in Gait model outputs read.
ANGLE_LABELS: dict[Key, str] = {
    (side, joint): f"{side[0].upper()}{joint.capitalize()}Angles"
    for side in ("left", "right")
    for joint in ("ankle", "knee", "hip", "pelvis")
}

STRIKE_LABELS = ("foot strike", "heel strike", "hs", "fs", "initial contact", "ic")
OFF_LABELS = ("foot off", "toe off", "to", "fo")
RETRY = f"Export the trial again from the capture software; afofit reads {FORMATS}"


def _check_structure(path: Path) -> None:
    """Refuse a file that is not a C3D or is cut short (ezc3d can hang on one)."""
    size = path.stat().st_size
    with path.open("rb") as handle:
        head = handle.read(512)
        if len(head) < 512 or head[1] != 0x50:
            raise fail(path, "is not a C3D file (no C3D signature in its header)", RETRY + ".")
        handle.seek((head[0] - 1) * 512)
        param_head = handle.read(4)
    if len(param_head) < 4 or size < (head[0] - 1 + param_head[2]) * 512:
        raise fail(path, "is cut short inside its parameter section", RETRY + ".")
    processor = param_head[3]  # 84 Intel, 85 DEC, 86 MIPS (big-endian)
    words = struct.unpack((">" if processor == 86 else "<") + "12H", head[:24])
    sign_byte = {84: 15, 85: 13, 86: 12}.get(processor, 15)
    bytes_per_value = 4 if head[sign_byte] & 0x80 else 2  # negative scale: floats
    frames = max(words[4] - words[3] + 1, 0)
    expected = (words[8] - 1) * 512 + frames * (4 * words[1] + words[2]) * bytes_per_value
    if size < expected:
        per_frame = max((4 * words[1] + words[2]) * bytes_per_value, 1)
        held = max(size - (words[8] - 1) * 512, 0) // per_frame
        raise fail(
            path,
            f"is cut short: {size} bytes where its header promises {expected} "
            f"({frames} frames, about {held} present)",
            "Copy the file again, or " + RETRY[0].lower() + RETRY[1:] + ".",
        )


def _param(groups: dict[str, Any], group: str, name: str) -> Any:
    """``groups[group][name]["value"]`` (case-insensitive names), or None."""
    for gname, params in groups.items():
        if gname.upper() == group:
            for pname, param in params.items():
                if pname.upper() == name and isinstance(param, dict):
                    return param.get("value")
    return None


def _labels(groups: dict[str, Any], count: int) -> list[str]:
    """The POINT labels, continued by ``LABELS2``, ``LABELS3``... for over 255 points."""
    labels = list(_param(groups, "POINT", "LABELS") or [])
    extra = 2
    while len(labels) < count and _param(groups, "POINT", f"LABELS{extra}") is not None:
        labels.extend(_param(groups, "POINT", f"LABELS{extra}"))
        extra += 1
    return labels + [f"point{i + 1}" for i in range(len(labels), count)]


def _events(groups: dict[str, Any], notes: list[str]) -> dict[str, EventTimes]:
    """Foot strikes and foot offs per side from the EVENT group."""
    labels = list(_param(groups, "EVENT", "LABELS") or [])
    contexts = list(_param(groups, "EVENT", "CONTEXTS") or [])
    times_value = _param(groups, "EVENT", "TIMES")
    times = np.asarray(times_value if times_value is not None else [], dtype=np.float64)
    times = times.reshape(2, -1) if times.size else np.zeros((2, 0))
    used_value = _param(groups, "EVENT", "USED")
    count = min(len(labels), len(contexts), times.shape[1])
    if used_value is not None and len(used_value):
        used = int(np.asarray(used_value).ravel()[0])
        if used != count:
            read = min(used, count)
            notes.append(f"EVENT:USED says {used} events, the arrays hold {count}; read {read}")
        count = min(used, count)
    found: dict[str, dict[str, list[float]]] = {
        s: {"strike": [], "off": []} for s in ("left", "right")
    }
    ignored: list[str] = []
    for label, context, minutes, seconds in zip(
        labels[:count], contexts[:count], times[0, :count], times[1, :count], strict=True
    ):
        kind_text = " ".join(label.replace("_", " ").replace("-", " ").lower().split())
        kind = (
            "strike" if kind_text in STRIKE_LABELS else "off" if kind_text in OFF_LABELS else None
        )
        side = {"left": "left", "l": "left", "right": "right", "r": "right"}.get(
            context.strip().lower()
        )
        if kind is None or side is None:
            ignored.append(f"{context.strip()} {label.strip()}".strip())
            continue
        # TIMES are 32-bit floats: read each as the decimal it stands for (3.42, not
        # 3.42000008), so an event lands exactly on its frame of the sample clock.
        found[side][kind].append(
            60.0 * float(str(np.float32(minutes))) + float(str(np.float32(seconds)))
        )
    if ignored:
        notes.append(
            f"ignored {len(ignored)} events that are not a left/right foot strike or off: "
            + ", ".join(sorted(set(ignored)))
        )
    return {
        side: EventTimes(np.sort(np.array(k["strike"])), np.sort(np.array(k["off"])))
        for side, k in found.items()
        if k["strike"] or k["off"]
    }


def _declared_up(groups: dict[str, Any]) -> tuple[int, int, str] | None:
    """The up axis from ``POINT:Y_SCREEN`` (``"+Z"`` -> ``(2, 1, ...)``), if it names one."""
    value = _param(groups, "POINT", "Y_SCREEN")
    text = (value[0] if value is not None and len(value) else "").strip().upper()
    if text.lstrip("+-") not in ("X", "Y", "Z"):
        return None
    return "XYZ".index(text[-1]), -1 if text.startswith("-") else 1, "POINT:Y_SCREEN"


def read_c3d(path: Path) -> GaitTrial:
    """Read Plug-in Gait angles, foot markers, events and body mass from a C3D file.

    Parameters
    ----------
    path : Path
        A ``.c3d`` file (checked to exist and be non-empty by :func:`load_gait`).

    Returns
    -------
    GaitTrial

    Raises
    ------
    GaitError
        Not a C3D, cut short, unreadable by ezc3d, no frames, no ``LAnkleAngles`` nor
        ``RAnkleAngles``, an unknown ``POINT:UNITS``, or an ankle angle NaN throughout.
    """
    # Longer than 60 lines on purpose: one pass down the file, each step with its own
    # message naming what is wrong; split up, the format's rules would be scattered.
    import ezc3d  # here: the text formats should not pay for loading it

    _check_structure(path)
    try:
        c3d = ezc3d.c3d(str(path))
    except Exception as exc:  # ezc3d raises OSError, ValueError, RuntimeError...
        raise fail(
            path, f"could not be read as C3D ({type(exc).__name__}: {exc})", RETRY + "."
        ) from exc
    groups: dict[str, Any] = c3d["parameters"]
    points = np.asarray(c3d["data"]["points"], dtype=np.float64)
    labels = [strip_prefix(label) for label in _labels(groups, points.shape[1])]
    header = c3d["header"]["points"]
    rate_value = _param(groups, "POINT", "RATE")
    rate = float(header["frame_rate"]) or float(
        np.ravel(rate_value)[0] if rate_value is not None else 0
    )
    if rate <= 0:
        raise fail(path, f"has no point rate (header rate {header['frame_rate']})", RETRY + ".")
    n = points.shape[2]
    time_s = (int(header["first_frame"]) + np.arange(n)) / rate  # ezc3d's first_frame: 0-based
    notes: list[str] = []

    index = {label.lower(): i for i, label in reversed(list(enumerate(labels)))}
    if not any(ANGLE_LABELS[s, "ankle"].lower() in index for s in ("left", "right")):
        angle_like = [label for label in labels if "angle" in label.lower()]
        raise fail(
            path,
            "has no ankle angle: looked for the POINT labels LAnkleAngles and RAnkleAngles; "
            f"angle labels found: {', '.join(angle_like[:8]) or 'none'}",
            "Run the Plug-in Gait dynamic model in Nexus and export its model outputs into "
            "the C3D, or write the angles to a CSV (see afofit's CSV format).",
        )
    unit_value = _param(groups, "POINT", "ANGLE_UNITS")
    angle_unit = (unit_value[0] if unit_value else "deg").strip().lower()
    if angle_unit.startswith("rad"):
        factor = 1.0
    else:
        factor = deg_to_rad(1.0)
        if not angle_unit.startswith("deg"):
            notes.append(f"POINT:ANGLE_UNITS is '{angle_unit}'; read the angles as degrees")
    angles = {
        key: points[:3, index[label.lower()], :].T * factor
        for key, label in ANGLE_LABELS.items()
        if label.lower() in index
    }
    unit = _param(groups, "POINT", "UNITS")
    markers, marker_notes = lab_markers(
        path,
        labels,
        lambda i: points[:3, i, :].T,
        unit[0] if unit is not None and len(unit) else None,
        _declared_up(groups),
        trust_up=True,
    )
    notes.extend(marker_notes)
    mass_value = _param(groups, "PROCESSING", "BODYMASS")
    mass = float(np.ravel(mass_value)[0]) if mass_value is not None and np.size(mass_value) else 0.0
    return build_trial(
        path,
        rate,
        time_s,
        angles,
        markers,
        events=_events(groups, notes),
        body_mass_kg=mass if mass > 0 else None,
        notes=notes,
    )


register_reader(".c3d", read_c3d)
