"""The ankle-cycle plot: valid, reproducible PNG bytes for one or two sides and several trials."""

from __future__ import annotations

import io
import struct
import warnings

import matplotlib
import matplotlib.image
import numpy as np
import pytest

from afofit.errors import GaitError, InputError
from afofit.gait.model import GaitTrial, SideGait, TrialGait
from afofit.report.plots import HEALTHY_ANKLE_DEG, ankle_cycle_plot, healthy_ankle_deg
from afofit.units import deg_to_rad

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PCT = np.linspace(0.0, 100.0, 101)


def side_gait(
    side: str, drop_deg: float, strides: int, seed: int, toe_off: float = 61.0
) -> SideGait:
    """Healthy-like cycles with the swing plantarflexed by ``drop_deg`` and some noise."""
    rng = np.random.default_rng(seed)
    curve = healthy_ankle_deg(PCT) - np.where(PCT > toe_off, drop_deg, 0.0)
    cycles = deg_to_rad(1.0) * (curve + rng.normal(0.0, 1.5, (strides, 101)))
    return SideGait(side, strides, {}, cycles, toe_off)


def trial(path: str, *sides: SideGait) -> TrialGait:
    raw = GaitTrial(path=path, rate_hz=100.0, time_s=np.zeros(3))
    return TrialGait(raw, {}, "file", {s.side: s for s in sides})


RESTED = trial(
    "/clinic/p01/rested.c3d", side_gait("left", 8.0, 6, 1), side_gait("right", 0.0, 6, 2)
)
HOT = trial(
    "/clinic/p01/hot.c3d", side_gait("left", 15.0, 5, 3, 59.0), side_gait("right", 2.0, 5, 4)
)


def size_of(png: bytes) -> tuple[int, int]:
    assert png[:8] == PNG_SIGNATURE and png[12:16] == b"IHDR"
    width, height = struct.unpack(">II", png[16:24])
    return width, height


def pixels(png: bytes) -> np.ndarray:
    return matplotlib.image.imread(io.BytesIO(png), format="png")[..., :3]


def has_colour(image: np.ndarray, rgb: tuple[float, float, float]) -> bool:
    return bool((np.abs(image - np.array(rgb)).max(axis=-1) < 0.08).sum() > 200)


BLUE = (0x1F / 255, 0x5F / 255, 0xBF / 255)
RED = (0xC8 / 255, 0x20 / 255, 0x2A / 255)


def test_png_bytes_are_valid_and_reproducible() -> None:
    png = ankle_cycle_plot(RESTED)
    assert png.startswith(PNG_SIGNATURE)
    assert size_of(png) == (960, 540)
    assert 10_000 < len(png) < 400_000
    assert ankle_cycle_plot(RESTED) == png
    assert ankle_cycle_plot([RESTED]) == png


def test_style_settings_of_the_caller_do_not_leak_in() -> None:
    png = ankle_cycle_plot([RESTED, HOT])
    with matplotlib.rc_context({"lines.linewidth": 6.0, "font.size": 20, "axes.facecolor": "k"}):
        assert ankle_cycle_plot([RESTED, HOT]) == png


def test_one_side_two_sides_and_several_trials_differ() -> None:
    left = ankle_cycle_plot(RESTED, sides=["left"])
    both = ankle_cycle_plot(RESTED)
    several = ankle_cycle_plot([RESTED, HOT])
    assert len({left, both, several}) == 3
    assert has_colour(pixels(left), BLUE) and not has_colour(pixels(left), RED)
    assert has_colour(pixels(both), BLUE) and has_colour(pixels(both), RED)
    only_right = trial("r.c3d", side_gait("right", 0.0, 3, 5))
    assert has_colour(pixels(ankle_cycle_plot([only_right, RESTED], sides=["right"])), RED)


def test_nan_and_single_strides_plot_without_warnings() -> None:
    cycles = deg_to_rad(1.0) * np.tile(healthy_ankle_deg(PCT), (3, 1))
    cycles[0, 40:60] = np.nan
    cycles[:, 95:] = np.nan  # no value at all at the end of the cycle
    gappy = trial("gappy.c3d", SideGait("left", 3, {}, cycles, 60.0))
    single = trial("one.c3d", side_gait("right", 5.0, 1, 6))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert ankle_cycle_plot([gappy, single]).startswith(PNG_SIGNATURE)


def test_errors_name_the_problem() -> None:
    with pytest.raises(InputError, match="unknown side"):
        ankle_cycle_plot(RESTED, sides=["both"])
    with pytest.raises(GaitError, match="no stride on the left side"):
        ankle_cycle_plot(trial("r.c3d", side_gait("right", 0.0, 3, 5)), sides=["left"])
    with pytest.raises(GaitError, match="nothing to plot"):
        ankle_cycle_plot([])


def test_healthy_reference_follows_section_2_3() -> None:
    knots = dict(HEALTHY_ANKLE_DEG)
    assert healthy_ankle_deg(np.array(list(knots))) == pytest.approx(list(knots.values()))
    curve = healthy_ankle_deg(PCT)
    assert curve[0] == 0.0 and curve[100] == 0.0  # neutral at contact [S47]
    assert -7.0 <= curve[:15].min() <= -5.0 and 5 <= int(np.argmin(curve[:15])) <= 9  # foot-flat
    assert curve.max() == pytest.approx(10.0) and 45 <= int(np.argmax(curve)) <= 50  # peak DF
    assert curve.min() == pytest.approx(-20.0) and int(np.argmin(curve)) == 62  # toe-off
    assert abs(curve[85:]).max() < 1.0  # back to neutral in swing
