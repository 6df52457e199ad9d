"""Line charts drawn with Pillow: lines where their data says, bands shaded between their
bounds, dashes with gaps, lines cut at the plot's edge, and the same bytes every time."""

from __future__ import annotations

import io
import json
from pathlib import Path

import matplotlib.colors
import numpy as np
import pytest
from PIL import Image

from afofit.report.chart import Chart
from afofit.report.stiffness_plot import moment_angle_plot


def rgb(colour: str) -> np.ndarray:
    return np.round(255 * np.asarray(matplotlib.colors.to_rgb(colour)))


def pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=float)


def chart() -> Chart:
    return Chart((400, 300), (0.15, 0.1, 0.7, 0.85), "title", "x, deg", "y, N·m")


def test_a_line_passes_through_its_points_in_its_colour() -> None:
    c = chart()
    c.line([0.0, 10.0], [0.0, 5.0], "#c8202a", width=3)
    c.limits(x=(0.0, 10.0), y=(0.0, 5.0))
    image = pixels(c.png())
    assert image.shape == (300, 400, 3)
    for x in (2.0, 5.0, 8.0):
        px, py = np.round(c.pixel(x, 0.5 * x)[0]).astype(int)
        assert np.abs(image[py, px] - rgb("#c8202a")).max() < 40
        assert np.abs(image[py - 12, px] - 255).max() < 30  # white above it, off the line
    # The data's corners are the plot box's corners.
    np.testing.assert_allclose(c.pixel([0.0, 10.0], [0.0, 5.0]), [[60, 255], [280, 30]])


def test_a_band_is_shaded_between_its_bounds_only() -> None:
    c = chart()
    x = np.linspace(0.0, 10.0, 11)
    c.band(x, 0.2 * x, 0.4 * x, "#0072B2", alpha=0.5)
    c.limits(x=(0.0, 10.0), y=(0.0, 5.0))
    image = pixels(c.png())
    inside = np.round(c.pixel(7.3, 0.3 * 7.3)[0]).astype(int)
    above = np.round(c.pixel(7.3, 0.45 * 7.3)[0]).astype(int)
    half = 0.5 * (rgb("#0072B2") + 255)  # half the colour over white (off the grid lines)
    assert np.abs(image[inside[1], inside[0]] - half).max() < 6
    assert np.abs(image[above[1], above[0]] - 255).max() < 30


def test_a_dashed_line_has_gaps_and_a_solid_one_none() -> None:
    along = np.linspace(1.0, 9.0, 400)
    seen = {}
    for style in ("solid", "dashed", "dotted"):
        c = chart()
        c.hline(2.5, "black", width=2, style=style)
        c.limits(x=(0.0, 10.0), y=(0.0, 5.0))
        image = pixels(c.png())
        xy = np.round(c.pixel(along, np.full(len(along), 2.5))).astype(int)
        seen[style] = np.mean(image[xy[:, 1], xy[:, 0]].mean(axis=1) < 128)
    assert seen["solid"] == 1.0
    assert 0.5 < seen["dashed"] < 0.85  # 3.7 on, 1.6 off
    assert 0.25 < seen["dotted"] < 0.55  # 1 on, 1.65 off


def test_a_line_leaving_the_plot_is_cut_at_its_edge() -> None:
    c = chart()
    c.line([0.0, 10.0], [0.0, 10.0], "black", width=2)
    c.limits(x=(0.0, 10.0), y=(0.0, 5.0))
    image = pixels(c.png())
    top_right = np.round(c.pixel(10.0, 5.0)[0]).astype(int)
    # Above the plot, where the line would go on, the picture stays white.
    out = image[: top_right[1] - 3, top_right[0] - 20 : top_right[0] - 5]
    assert out.min() > 200


def test_the_moment_angle_plot_is_reproducible_and_draws_the_predicted_line() -> None:
    block = json.loads((Path(__file__).parent / "stiffness_block.json").read_text())
    png = moment_angle_plot("right", block)
    assert png == moment_angle_plot("right", block)
    image = pixels(png)
    assert image.shape == (480, 800, 3)
    red = np.all(np.abs(image - rgb("#c8202a")) < 40, axis=2)
    # The predicted line is there in the right leg's colour, and the left leg's is not.
    assert red.sum() > 500
    blue = np.all(np.abs(pixels(moment_angle_plot("left", block)) - rgb("#1f5fbf")) < 40, axis=2)
    assert blue.sum() > 500


def test_a_log_axis_puts_each_decade_the_same_width_apart() -> None:
    c = Chart((400, 200), (0.2, 0.1, 0.9, 0.8), "t", "k", "", x_log=True,
              y_names=((0.0, "pls"), (1.0, "solid")))  # fmt: skip
    c.point(2.0, 0.0, "#0072B2", error=0.2)
    c.point(20.0, 1.0, "#009E73")
    c.limits(x=(1.0, 100.0), y=(-0.5, 1.5))
    (x1, _), (x10, _), (x100, _), (x2, y0) = c.pixel([1.0, 10.0, 100.0, 2.0], [0, 0, 0, 0])
    assert x10 - x1 == x100 - x10
    assert x2 - x1 == pytest.approx(np.log10(2.0) * (x10 - x1))
    image = pixels(c.png())
    assert np.abs(image[round(y0), round(x2)] - rgb("#0072B2")).max() < 40
    x20, y1 = c.pixel(20.0, 1.0)[0]
    assert np.abs(image[round(y1), round(x20)] - rgb("#009E73")).max() < 40
