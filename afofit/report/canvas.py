"""Pictures laid out with Pillow: rendered views in a grid with titles, marked points, a
scale bar and a colour bar, in a few milliseconds (a plotting library's axes, ticks and
layout took most of a second a picture).

A tile is an image of a view with its extent in mm; :class:`Placed` maps a point of the
view (mm) to the picture's pixels, so marks land where the tile shows them.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import matplotlib
import matplotlib.colors
import matplotlib.ticker
import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFont

__all__ = [
    "Placed",
    "colour_bar",
    "font",
    "grid",
    "labelled_point",
    "png_bytes",
    "scale_bar",
    "tile",
]

#: Space around and between tiles, px.
MARGIN_PX, GAP_PX = 10, 18
#: Text sizes, px: titles, labels and the bars' numbers.
TITLE_PX, LABEL_PX, SMALL_PX = 15, 11, 11
_INK = (40, 40, 40)


@lru_cache(maxsize=8)
def font(size_px: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    """DejaVu Sans (the plots' font, shipped with matplotlib) at ``size_px``."""
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    return ImageFont.truetype(
        str(Path(matplotlib.get_data_path()) / "fonts" / "ttf" / name), size_px
    )


def tile(image: NDArray[np.float64], upscale: int) -> Image.Image:
    """An RGB image (rows, cols, 3), 0..1, row 0 at the top, enlarged ``upscale`` times
    (bicubic: a rendered pixel's edges are softened, not blocky)."""
    rgb = Image.fromarray(np.clip(image * 255.0 + 0.5, 0, 255).astype(np.uint8), "RGB")
    if upscale == 1:
        return rgb
    return rgb.resize((rgb.width * upscale, rgb.height * upscale), Image.Resampling.BICUBIC)


@dataclass(frozen=True, slots=True)
class Placed:
    """Where a tile showing ``extent`` (u0, u1, v0, v1 mm) at ``mm_per_px`` sits in a picture:
    its top-left pixel (``left``, ``top``)."""

    left: int
    top: int
    extent: tuple[float, float, float, float]
    mm_per_px: float

    def at(self, u: float, v: float) -> tuple[float, float]:
        """The picture's pixel showing the view's point (``u`` right, ``v`` up, mm)."""
        return (
            self.left + (u - self.extent[0]) / self.mm_per_px,
            self.top + (self.extent[3] - v) / self.mm_per_px,
        )


def grid(
    tiles: list[list[Image.Image]],
    column_titles: list[tuple[str, str]] | None = None,
    row_titles: list[str] | None = None,
    footer: bool = True,
    bold_titles: bool = False,
) -> tuple[Image.Image, list[list[tuple[int, int]]]]:
    """The ``tiles`` (rows of them) on a white picture, each column as wide as its widest,
    titled over each column by ``column_titles`` (text, colour; in bold with
    ``bold_titles``; shortened with an ellipsis to the column's width) and left of each row
    by ``row_titles`` (rotated), with a ``footer`` line below for a :func:`scale_bar`.
    Returns the picture and each tile's top-left pixel."""
    columns = max(len(row) for row in tiles)
    widths = [max(row[c].width for row in tiles if c < len(row)) for c in range(columns)]
    heights = [max(t.height for t in row) for row in tiles]
    title_h = TITLE_PX + 10 if column_titles else 0
    label_w = SMALL_PX + 12 if row_titles else 0
    width = 2 * MARGIN_PX + label_w + sum(widths) + GAP_PX * (columns - 1)
    footer_h = SMALL_PX + 12 if footer else 0
    height = 2 * MARGIN_PX + title_h + sum(heights) + GAP_PX * (len(tiles) - 1) + footer_h
    picture = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(picture)
    corners: list[list[tuple[int, int]]] = []
    top = MARGIN_PX + title_h
    for r, row in enumerate(tiles):
        left = MARGIN_PX + label_w
        corners.append([])
        for c, image in enumerate(row):
            x = left + (widths[c] - image.width) // 2
            picture.paste(image, (x, top))
            corners[-1].append((x, top))
            left += widths[c] + GAP_PX
        if row_titles:
            text = Image.new("RGB", (heights[r], SMALL_PX + 6), "white")
            ImageDraw.Draw(text).text(
                (heights[r] // 2, 0), row_titles[r], fill=(90, 90, 90), font=font(SMALL_PX),
                anchor="mt",
            )  # fmt: skip
            picture.paste(text.rotate(90, expand=True), (MARGIN_PX, top))
        top += heights[r] + GAP_PX
    if column_titles:
        left = MARGIN_PX + label_w
        face = font(TITLE_PX, bold=bold_titles)
        for c, (title, colour) in enumerate(column_titles):
            room = widths[c] + GAP_PX - 4
            shown = title
            while len(shown) > 1 and face.getlength(shown) > room:
                shown = shown[:-2] + "…"
            draw.text((left + widths[c] // 2, MARGIN_PX), shown, fill=colour, font=face,
                      anchor="mt")  # fmt: skip
            left += widths[c] + GAP_PX
    return picture, corners


def labelled_point(picture: Image.Image, xy: tuple[float, float], label: str, colour: str) -> None:
    """A dot at ``xy`` (px) in ``colour`` ringed in white, its ``label`` beside it on a
    pale box (drawn into ``picture``)."""
    draw = ImageDraw.Draw(picture, "RGBA")
    x, y = xy
    draw.ellipse((x - 5, y - 5, x + 5, y + 5), fill=colour, outline="white", width=2)
    at, anchor = (x + 8, y - 8), "lb"
    box = draw.textbbox(at, label, font=font(LABEL_PX), anchor=anchor)
    if box[2] > picture.width - 2:  # no room on the right: the label goes left of the dot
        at, anchor = (x - 8, y - 8), "rb"
        box = draw.textbbox(at, label, font=font(LABEL_PX), anchor=anchor)
    draw.rounded_rectangle(
        (box[0] - 2, box[1] - 1, box[2] + 2, box[3] + 1), radius=3, fill=(255, 255, 255, 180)
    )
    draw.text(at, label, fill=colour, font=font(LABEL_PX), anchor=anchor)


def scale_bar(picture: Image.Image, left: int, bottom: int, mm_per_px: float) -> None:
    """A bar of a round length (10, 20, 50 or 100 mm: the longest under 120 px at
    ``mm_per_px``) with its length, drawn into ``picture`` with its left end at (``left``,
    ``bottom``) px."""
    length = max((mm for mm in (10, 20, 50, 100) if mm / mm_per_px <= 120), default=10)
    px = round(length / mm_per_px)
    draw = ImageDraw.Draw(picture)
    draw.rectangle((left, bottom - 4, left + px, bottom), fill=_INK)
    draw.text((left + px + 6, bottom + 2), f"{length} mm", fill=_INK, font=font(SMALL_PX),
              anchor="lb")  # fmt: skip


def colour_bar(
    picture: Image.Image,
    label: str,
    cmap: matplotlib.colors.Colormap,
    norm: matplotlib.colors.Normalize,
) -> Image.Image:
    """``picture`` widened by a vertical colour bar at its right: ``cmap``'s colours evenly
    up the bar, numbered in ``norm``'s values (so a two-slope scale is numbered unevenly,
    as its colours are spread), and its ``label`` beside it, rotated."""
    bar_h = int(0.6 * (picture.height - 2 * MARGIN_PX))
    bar_w, text_w = 16, 44
    width = picture.width + bar_w + text_w + SMALL_PX + 16
    wide = Image.new("RGB", (width, picture.height), "white")
    wide.paste(picture, (0, 0))
    left, top = picture.width + 4, (picture.height - bar_h) // 2
    # Top of the bar = the scale's top; one colour per pixel row.
    shares = (np.arange(bar_h)[::-1] + 0.5) / bar_h
    colours = np.asarray(cmap(shares))[:, :3]
    strip = np.repeat(colours[:, None, :], bar_w, axis=1)
    wide.paste(tile(strip, 1), (left, top))
    draw = ImageDraw.Draw(wide)
    draw.rectangle((left, top, left + bar_w - 1, top + bar_h - 1), outline=_INK)
    low, high = float(norm.vmin), float(norm.vmax)  # type: ignore[arg-type]
    ticks = [v for v in matplotlib.ticker.MaxNLocator(6).tick_values(low, high)
             if low - 1e-9 <= v <= high + 1e-9]  # fmt: skip
    for value in ticks:
        y = top + (1.0 - float(norm(value))) * (bar_h - 1)
        draw.line((left + bar_w, y, left + bar_w + 4, y), fill=_INK)
        draw.text((left + bar_w + 7, y), f"{value:g}", fill=_INK, font=font(SMALL_PX), anchor="lm")
    # The label runs up beside the bar, centred on it, in a smaller type where it is
    # longer than the picture is tall.
    room = picture.height - 2 * MARGIN_PX
    size = SMALL_PX
    while size > 7 and font(size).getlength(label) > room:
        size -= 1
    length = min(room, int(font(size).getlength(label)) + 4)
    words = Image.new("RGB", (length, size + 6), "white")
    ImageDraw.Draw(words).text((length // 2, 0), label, fill=_INK, font=font(size), anchor="mt")
    wide.paste(words.rotate(90, expand=True), (left + bar_w + text_w, top + (bar_h - length) // 2))
    return wide


def png_bytes(picture: Image.Image) -> bytes:
    """``picture`` as PNG bytes (no timestamp: the same picture, the same bytes), compressed
    lightly (level 3 of 9: 5 % larger than the default and three times faster)."""
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG", compress_level=3)
    return buffer.getvalue()
