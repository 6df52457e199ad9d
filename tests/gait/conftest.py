"""Gait test helpers: the reference recordings beside the checkout, small C3Ds written on demand."""

from __future__ import annotations

import struct
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

GAIT_DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "gait"
FIXTURES = Path(__file__).resolve().parents[1] / "data" / "gait"


def shared_gait(name: str) -> Path:
    """Path of a reference recording in ../shared/data/gait, or skip the test with the reason."""
    path = GAIT_DATA / name
    if not path.exists():
        pytest.skip(
            f"reference gait file {name} not present ({GAIT_DATA} is absent on this machine)"
        )
    return path


def write_c3d(
    path: Path,
    points: Mapping[str, np.ndarray],
    *,
    rate_hz: float = 100.0,
    first_frame: int = 1,
    params: Mapping[tuple[str, str], Any] = {},
    events: Sequence[tuple[str, str, float]] = (),
    events_used: int | None = None,
) -> Path:
    """Write a small C3D with ezc3d.

    Parameters
    ----------
    path : where to write.
    points : label -> (n, 3) values (degrees for angles, file units for markers).
    rate_hz : point rate.
    first_frame : the header's 1-based first frame (ezc3d cannot set it; patched in).
    params : (group, name) -> value, e.g. ``("POINT", "UNITS"): ["m"]``.
    events : (context, label, time_s) triples.
    events_used : EVENT:USED when it should say fewer than the arrays hold.
    """
    import ezc3d

    c3d = ezc3d.c3d()
    labels = list(points)
    n = len(next(iter(points.values())))
    data = np.ones((4, len(labels), n))
    for i, label in enumerate(labels):
        data[:3, i, :] = np.asarray(points[label], dtype=np.float64).T
    c3d["parameters"]["POINT"]["RATE"]["value"] = [rate_hz]
    c3d["parameters"]["POINT"]["LABELS"]["value"] = tuple(labels)
    c3d["data"]["points"] = data
    for (group, name), value in params.items():
        c3d.add_parameter(group, name, value)
    for context, label, time_s in events:
        c3d.add_event(time=[0, time_s], context=context, label=label)
    if events_used is not None:
        c3d["parameters"]["EVENT"]["USED"]["value"] = [events_used]
    c3d.write(str(path))
    raw = bytearray(path.read_bytes())
    struct.pack_into("<HH", raw, 6, first_frame, first_frame + n - 1)  # header words 4 and 5
    path.write_bytes(bytes(raw))
    return path


@pytest.fixture
def c3d_file(tmp_path: Path) -> Callable[..., Path]:
    """``c3d_file(points, name="trial.c3d", **options)`` writes a C3D into tmp_path."""

    def make(points: Mapping[str, np.ndarray], name: str = "trial.c3d", **options: Any) -> Path:
        return write_c3d(tmp_path / name, points, **options)

    return make
