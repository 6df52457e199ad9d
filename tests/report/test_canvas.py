"""Pictures laid out with Pillow: tiles where the layout says, marks where the view's points
are, a colour bar numbered by its scale, and the same bytes every time."""

from __future__ import annotations

import io

import matplotlib
import matplotlib.colors
import numpy as np
import trimesh
from PIL import Image

from afofit.report import render
from afofit.report.canvas import (
    GAP_PX,
    MARGIN_PX,
    Placed,
    colour_bar,
    grid,
    labelled_point,
    png_bytes,
    tile,
)
from afofit.report.render import UPSCALE, render_views


def rgb(colour: str) -> tuple[int, int, int]:
    r, g, b = matplotlib.colors.to_rgb(colour)
    return round(255 * r), round(255 * g), round(255 * b)


def test_placed_maps_the_views_corners_to_the_tiles() -> None:
    place = Placed(left=30, top=40, extent=(-10.0, 90.0, 5.0, 55.0), mm_per_px=0.5)
    assert place.at(-10.0, 55.0) == (30.0, 40.0)  # top-left of the view
    assert place.at(90.0, 5.0) == (230.0, 140.0)  # bottom-right: 100 x 50 mm at 0.5 mm/px


def test_grid_lays_tiles_out_in_rows_and_columns() -> None:
    red = tile(np.ones((10, 20, 3)) * [1.0, 0.0, 0.0], 1)
    blue = tile(np.ones((30, 5, 3)) * [0.0, 0.0, 1.0], 2)  # enlarged to 60 x 10
    picture, corners = grid([[red, blue], [blue, red]], [("a", "black"), ("b", "#ff0000")])
    assert blue.size == (10, 60)
    for r, row in enumerate([[red, blue], [blue, red]]):
        for c, image in enumerate(row):
            x, y = corners[r][c]
            assert picture.getpixel((x + 1, y + 1)) == image.getpixel((1, 1))
            assert picture.getpixel((x + image.width - 2, y + image.height - 2)) == image.getpixel(
                (image.width - 2, image.height - 2)
            )
    # A row's tiles share a top; a column's are centred in it, the columns apart.
    assert corners[0][0][1] == corners[0][1][1]
    assert corners[1][0][0] == corners[0][0][0] + (red.width - blue.width) // 2
    assert corners[0][1][0] > corners[0][0][0] + red.width
    assert corners[1][0][1] >= corners[0][0][1] + 60  # the first row is as tall as its tallest


def test_a_labelled_point_is_drawn_at_its_place_and_its_label_stays_inside() -> None:
    picture = Image.new("RGB", (200, 100), "white")
    labelled_point(picture, (50.0, 60.0), "heel", "#d62728")
    assert picture.getpixel((50, 60)) == rgb("#d62728")
    labelled_point(picture, (195.0, 50.0), "a long name that cannot fit", "#d62728")
    # Drawn to the left of the dot instead: ink left of it, none beyond the edge needed.
    row = np.asarray(picture)[40:50, :190]
    assert (row < 200).any()


def test_the_colour_bar_runs_the_colour_map_up_its_scale() -> None:
    picture = Image.new("RGB", (100, 300), "white")
    cmap = matplotlib.colormaps["RdYlBu"]
    norm = matplotlib.colors.TwoSlopeNorm(vmin=0.0, vcenter=2.0, vmax=5.0)
    wide = np.asarray(colour_bar(picture, "gap, mm", cmap, norm)).astype(int)
    assert wide.shape[1] > 100 and wide.shape[0] == 300
    bar = wide[:, 104:120]  # the bar: 16 px, 4 px right of the picture
    coloured = np.flatnonzero(np.abs(bar - 255).sum(axis=2).max(axis=1) > 30)
    top, bottom = coloured.min() + 2, coloured.max() - 2
    middle = bar[top:bottom, 8]
    expected_top = np.asarray(cmap(1.0)[:3]) * 255
    expected_bottom = np.asarray(cmap(0.0)[:3]) * 255
    assert np.abs(middle[0] - expected_top).max() <= 12
    assert np.abs(middle[-1] - expected_bottom).max() <= 12


def test_render_views_marks_a_point_where_the_view_shows_it() -> None:
    box = trimesh.creation.box(extents=(40.0, 60.0, 100.0))
    box.apply_translation((0.0, 0.0, 50.0))
    corner = np.array([20.0, -30.0, 100.0])  # lateral view: u = y, v = z
    png = render_views(None, box, views=("lateral",), marks={"corner": (corner, ("lateral",))})
    picture = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    red = np.array(rgb("#d62728"))
    hits = np.argwhere(np.abs(picture - red).sum(axis=2) < 40)
    dot = hits[hits[:, 1] <= hits[:, 1].min() + 10]  # the dot; its label is right of it
    centre_y, centre_x = dot.mean(axis=0)
    # The box's top-left corner in the lateral view is the tile's, 4 rendered pixels in
    # (the view's margin), below its title.
    x0 = MARGIN_PX + 4 * UPSCALE
    assert abs(centre_x - x0) <= 3 * UPSCALE
    assert 20 < centre_y < 60
    assert png == render_views(
        None, box.copy(), views=("lateral",), marks={"corner": (corner, ("lateral",))}
    )


def test_png_bytes_are_the_same_for_the_same_picture() -> None:
    picture = tile(np.random.default_rng(1).random((20, 30, 3)), 2)
    assert png_bytes(picture) == png_bytes(picture.copy())
    assert Image.open(io.BytesIO(png_bytes(picture))).size == (60, 40)


def test_a_long_colour_bar_label_is_set_smaller_to_fit_a_short_picture() -> None:
    picture = Image.new("RGB", (120, 180), "white")
    label = "new skin from the old, mm (+ swelling, - wasting)"
    wide = colour_bar(picture, label, matplotlib.colormaps["RdBu_r"],
                      matplotlib.colors.Normalize(-5.0, 5.0))  # fmt: skip
    column = np.asarray(wide)[:, -(MARGIN_PX + 20) :]  # the label's strip at the right
    inked = np.flatnonzero((column < 128).any(axis=(1, 2)))
    assert len(inked) and inked.min() >= MARGIN_PX - 1 and inked.max() <= 180 - MARGIN_PX


def test_a_title_wider_than_its_column_is_shortened() -> None:
    narrow = tile(np.ones((40, 30, 3)) * 0.5, 1)
    picture, _ = grid([[narrow, narrow]], [("a very long candidate name indeed", "#ff0000"),
                                          ("b", "#0000ff")], bold_titles=True)  # fmt: skip
    strip = np.asarray(picture)[: MARGIN_PX + 20]
    red = (strip[:, :, 0] > 150) & (strip[:, :, 1] < 100)
    assert red.any() and np.flatnonzero(red.any(axis=0)).max() < MARGIN_PX + 30 + GAP_PX


def test_a_side_by_side_column_drawn_from_a_kept_view_is_the_one_drawn_afresh() -> None:
    """What a view shows is kept by the meshes drawn: a comparison's column of a shell (in
    its candidate's colour) drawn after the report's picture of the same shell and leg is
    the column drawn with nothing kept, and in its colour where the shell shows."""
    leg = trimesh.creation.cylinder(radius=40.0, height=200.0, sections=64)
    shell = trimesh.creation.annulus(r_min=43.0, r_max=46.0, height=120.0, sections=64)
    shell.apply_translation((0.0, 0.0, -30.0))
    render.side_by_side_column(shell, leg, "#2ca02c")  # (in the kept columns now)
    render._COLUMNS.clear()
    render._VISIBLE.clear()
    afresh = render.side_by_side_column(shell.copy(), leg.copy(), "#2ca02c")
    render._COLUMNS.clear()
    render._VISIBLE.clear()
    render_views(shell, leg)  # the report's picture: its views kept
    assert len(render._VISIBLE) == 3
    kept = render.side_by_side_column(shell, leg, "#2ca02c")
    assert len(render._VISIBLE) == 3  # the column's two views were among them
    for a, b in zip(afresh, kept, strict=True):
        assert np.array_equal(np.asarray(a), np.asarray(b))
    pixels = np.asarray(kept[0].convert("RGB")).reshape(-1, 3).astype(int)
    assert (np.abs(pixels - np.array(rgb("#2ca02c"))).sum(axis=1) < 60).sum() > 100
