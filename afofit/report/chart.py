"""Line charts drawn with Pillow: the report's moment-angle lines in tens of milliseconds,
without a plotting library's import (half a second) and layout.

A :class:`Chart` collects what it shows (shaded bands, lines in four dash styles, reference
lines, notes) in data units, then draws them at twice the size and halves the picture
(smooth lines), with axes, round-numbered ticks, a light grid, a title and a legend at the
right. The same chart gives the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import matplotlib.colors
import matplotlib.ticker
import numpy as np
from numpy.typing import ArrayLike, NDArray
from PIL import Image, ImageDraw

from afofit.report.canvas import font, png_bytes

__all__ = ["DASHES", "SIDE_COLOURS", "Chart"]

#: Each leg's colour in every chart and picture.
SIDE_COLOURS: dict[str, str] = {"left": "#1f5fbf", "right": "#c8202a"}

#: Dash patterns (on, off, ... in line widths) by the name a line's ``style`` gives.
DASHES: dict[str, tuple[float, ...]] = {
    "solid": (),
    "dashed": (3.7, 1.6),
    "dotted": (1.0, 1.65),
    "dashdot": (6.4, 1.6, 1.0, 1.6),
}
#: Drawn this many times larger, then reduced: smooth (antialiased) lines.
SUPERSAMPLE = 2
_INK = (40, 40, 40)
_GRID = (230, 230, 230)


def _rgba(colour: str, alpha: float = 1.0) -> tuple[int, int, int, int]:
    r, g, b = matplotlib.colors.to_rgb(colour)
    return (round(255 * r), round(255 * g), round(255 * b), round(255 * alpha))


@dataclass(frozen=True, slots=True)
class _Item:
    kind: str  # "band", "span", "line", "vline", "hline", "point" or "note"
    x: NDArray[np.float64]
    y: NDArray[np.float64]
    y2: NDArray[np.float64] | None
    colour: str
    alpha: float = 1.0
    width: float = 1.0
    style: str = "solid"
    label: str | None = None
    text: str = ""
    anchor: str = "lm"


@dataclass
class Chart:
    """A chart ``size_px`` (width, height) with its plot area at ``plot_box`` (left, top,
        right, bottom as fractions of the picture), titled ``title`` at the top left; the legend
        fills the room right of the plot area. The y axis starts at 0 and the x axis is fitted to
    what is drawn, unless :meth:`limits` says otherwise."""

    size_px: tuple[int, int]
    plot_box: tuple[float, float, float, float]
    title: str
    x_label: str
    y_label: str
    items: list[_Item] = field(default_factory=list)
    x_range: tuple[float | None, float | None] = (None, None)
    y_range: tuple[float | None, float | None] = (0.0, None)
    #: A logarithmic x axis (ticks at 1, 2 and 5 of each decade).
    x_log: bool = False
    #: Named y ticks (value, name) in place of numbered ones.
    y_names: tuple[tuple[float, str], ...] | None = None

    def band(
        self, x: ArrayLike, low: ArrayLike, high: ArrayLike, colour: str, alpha: float = 1.0,
        label: str | None = None,
    ) -> None:  # fmt: skip
        """Shade between ``low`` and ``high`` over ``x``."""
        xs = np.asarray(x, dtype=float)
        item = _Item("band", xs, np.asarray(low, dtype=float) + 0 * xs,
                     np.asarray(high, dtype=float) + 0 * xs, colour, alpha, label=label)  # fmt: skip
        self.items.append(item)

    def line(
        self, x: ArrayLike, y: ArrayLike, colour: str, width: float = 1.5, style: str = "solid",
        label: str | None = None,
    ) -> None:  # fmt: skip
        """A line through (``x``, ``y``), ``width`` px wide, in one of :data:`DASHES`."""
        xs = np.asarray(x, dtype=float)
        ys = np.asarray(y, dtype=float) + 0 * xs
        self.items.append(_Item("line", xs, ys, None, colour, 1.0, width, style, label))

    def span(self, low: float, high: float, colour: str, label: str | None = None) -> None:
        """Shade the plot's whole height from x = ``low`` to ``high``."""
        self.items.append(_Item("span", np.array([low, high]), np.array([]), None, colour,
                                label=label))  # fmt: skip

    def point(
        self, x: float, y: float, colour: str, error: float = 0.0, label: str | None = None
    ) -> None:
        """A dot at (``x``, ``y``) with a bar ``error`` either side along x (none at 0)."""
        self.items.append(_Item("point", np.array([x - error, x, x + error]), np.array([y]),
                                None, colour, label=label))  # fmt: skip

    def vline(self, x: float, colour: str, width: float = 1.0, style: str = "solid",
              label: str | None = None) -> None:  # fmt: skip
        """A vertical line across the plot at ``x``."""
        self.items.append(_Item("vline", np.array([x]), np.array([]), None, colour, 1.0, width,
                                style, label))  # fmt: skip

    def hline(self, y: float, colour: str, width: float = 1.0, style: str = "solid",
              label: str | None = None) -> None:  # fmt: skip
        """A horizontal line across the plot at ``y``."""
        self.items.append(_Item("hline", np.array([]), np.array([y]), None, colour, 1.0, width,
                                style, label))  # fmt: skip

    def note(self, x: float, y: float, text: str, colour: str = "0.3", above: bool = False) -> None:
        """``text`` (lines split at newlines) just right of the point (``x``, ``y``),
        centred on it vertically; or centred just ``above`` it."""
        self.items.append(_Item("note", np.array([x]), np.array([y]), None, colour, text=text,
                                anchor="mb" if above else "lm"))  # fmt: skip

    def limits(
        self, x: tuple[float | None, float | None] | None = None,
        y: tuple[float | None, float | None] | None = None,
    ) -> None:  # fmt: skip
        """Fix either end of either axis (None: fitted to what is drawn)."""
        if x is not None:
            self.x_range = x
        if y is not None:
            self.y_range = y

    def _extent(self) -> tuple[float, float, float, float]:
        """The axes' ends (x in the axis's own scale: log10 on a log axis)."""
        xs = [it.x for it in self.items if it.kind in ("band", "span", "line", "vline", "point")]
        ys = [it.y for it in self.items if it.kind in ("band", "line", "hline", "point")]
        ys += [it.y2 for it in self.items if it.y2 is not None]
        x_all = self._x(np.concatenate(xs)) if xs else np.array([0.0, 1.0])
        y_all = np.concatenate(ys) if ys else np.array([0.0, 1.0])
        x0 = float(x_all.min()) if self.x_range[0] is None else float(self._x(self.x_range[0])[0])
        x1 = float(x_all.max()) if self.x_range[1] is None else float(self._x(self.x_range[1])[0])
        y0 = float(y_all.min()) if self.y_range[0] is None else self.y_range[0]
        y1 = float(y_all.max()) if self.y_range[1] is None else self.y_range[1]
        if self.y_range[1] is None:  # a margin above the highest line, as plotting tools do
            y1 = y1 + 0.05 * (y1 - y0)
        return x0, (x1 if x1 > x0 else x0 + 1.0), y0, (y1 if y1 > y0 else y0 + 1.0)

    def _x(self, x: ArrayLike) -> NDArray[np.float64]:
        """``x`` in the axis's scale."""
        xs = np.atleast_1d(np.asarray(x, dtype=float))
        return np.log10(np.maximum(xs, 1e-300)) if self.x_log else xs

    def pixel(self, x: ArrayLike, y: ArrayLike) -> NDArray[np.float64]:
        """Where the data points (``x``, ``y``) lie in the picture, px (k, 2): right, down."""
        width, height = self.size_px
        left, top = self.plot_box[0] * width, self.plot_box[1] * height
        right, bottom = self.plot_box[2] * width, self.plot_box[3] * height
        x0, x1, y0, y1 = self._extent()
        xs, ys = self._x(x), np.atleast_1d(np.asarray(y, dtype=float))
        return np.column_stack([
            left + (xs - x0) / (x1 - x0) * (right - left),
            bottom - (ys - y0) / (y1 - y0) * (bottom - top),
        ])  # fmt: skip

    def png(self) -> bytes:
        """The chart as PNG bytes."""
        return png_bytes(self.image())

    def image(self) -> Image.Image:
        """The chart as a picture ``size_px`` large."""
        s = SUPERSAMPLE
        width, height = self.size_px[0] * s, self.size_px[1] * s
        picture = Image.new("RGB", (width, height), "white")
        left, top = self.plot_box[0] * width, self.plot_box[1] * height
        right, bottom = self.plot_box[2] * width, self.plot_box[3] * height
        x0, x1, y0, y1 = self._extent()

        def at(x: NDArray[np.float64], y: NDArray[np.float64]) -> NDArray[np.float64]:
            return s * self.pixel(x, y)

        x0_data = 10.0**x0 if self.x_log else x0  # the axis's left end in data units

        # The grid, the bands and the lines are drawn on a picture of their own and only
        # the plot area of it kept: a line leaving the area is cut at its edge.
        plot = Image.new("RGB", (width, height), "white")
        draw = ImageDraw.Draw(plot)
        small, label_font = font(10 * s), font(11 * s)
        x_ticks = _log_ticks(x0, x1) if self.x_log else _ticks(x0, x1)
        y_ticks = [v for v, _ in self.y_names] if self.y_names is not None else _ticks(y0, y1)
        for v in x_ticks:
            px = at(np.array([v]), np.array([y0]))[0, 0]
            draw.line((px, top, px, bottom), fill=_GRID, width=s)
        for v in y_ticks if self.y_names is None else []:
            py = at(np.array([x0_data]), np.array([v]))[0, 1]
            draw.line((left, py, right, py), fill=_GRID, width=s)
        for it in self.items:
            if it.kind == "span":
                (a, _), (b, _) = at(it.x, np.array([y0, y0]))
                draw.rectangle((a, top, b, bottom), fill=_rgba(it.colour))
        for it in self.items:  # a band's alpha blends it with what lies under it
            if it.kind == "band" and it.y2 is not None:
                layer = Image.new("RGBA", (width, height), (255, 255, 255, 0))
                outline = np.vstack([at(it.x, it.y), at(it.x[::-1], it.y2[::-1])])
                ImageDraw.Draw(layer).polygon([tuple(p) for p in outline],
                                              fill=_rgba(it.colour, it.alpha))  # fmt: skip
                plot.paste(layer, (0, 0), layer)
        for it in self.items:
            w = max(1, round(it.width * s))
            if it.kind == "line":
                _polyline(draw, at(it.x, it.y), _rgba(it.colour), w, it.style)
            elif it.kind == "vline":
                px = at(it.x, np.array([y0]))[0, 0]
                _polyline(draw, np.array([[px, bottom], [px, top]]), _rgba(it.colour), w, it.style)
            elif it.kind == "hline":
                py = at(np.array([x0_data]), it.y)[0, 1]
                _polyline(draw, np.array([[left, py], [right, py]]), _rgba(it.colour), w, it.style)
            elif it.kind == "point":
                (a, y), (px, _), (b, _) = at(it.x, np.repeat(it.y, 3))
                ink = _rgba(it.colour)
                if b > a:
                    draw.line((a, y, b, y), fill=ink, width=w)
                    for end in (a, b):
                        draw.line((end, y - 4 * s, end, y + 4 * s), fill=ink, width=w)
                draw.ellipse((px - 4 * s, y - 4 * s, px + 4 * s, y + 4 * s), fill=ink)
        box = (int(left), int(top), int(right) + 1, int(bottom) + 1)
        picture.paste(plot.crop(box), box[:2])
        draw = ImageDraw.Draw(picture)
        for it in self.items:
            if it.kind == "note":
                px, py = at(it.x, it.y)[0]
                at_text = (px + 6 * s, py) if it.anchor == "lm" else (px, py - 7 * s)
                draw.text(at_text, it.text, fill=_rgba(it.colour), font=small,
                          anchor=it.anchor, spacing=2 * s)  # fmt: skip
        # The axes: a frame, ticks and their numbers, the labels and the title.
        draw.rectangle((left, top, right, bottom), outline=_INK, width=s)
        for v in x_ticks:
            px = at(np.array([v]), np.array([y0]))[0, 0]
            draw.line((px, bottom, px, bottom + 4 * s), fill=_INK, width=s)
            draw.text((px, bottom + 6 * s), _number(v), fill=_INK, font=small, anchor="mt")
        names = dict(self.y_names) if self.y_names is not None else {}
        for v in y_ticks:
            py = at(np.array([x0_data]), np.array([v]))[0, 1]
            draw.line((left - 4 * s, py, left, py), fill=_INK, width=s)
            draw.text((left - 6 * s, py), names.get(v, _number(v)), fill=_INK,
                      font=label_font if names else small, anchor="rm")  # fmt: skip
        draw.text(((left + right) / 2, bottom + 22 * s), self.x_label, fill=_INK,
                  font=label_font, anchor="mt")  # fmt: skip
        if self.y_label:
            words = Image.new("RGB", (int(bottom - top), 16 * s), "white")
            ImageDraw.Draw(words).text((words.width // 2, 0), self.y_label, fill=_INK,
                                       font=label_font, anchor="mt")  # fmt: skip
            picture.paste(words.rotate(90, expand=True), (int(left - 52 * s), int(top)))
        draw.text((left - 40 * s, 12 * s), self.title, fill=_INK, font=font(13 * s), anchor="lt")
        self._legend(draw, right + 14 * s, top, s)
        return picture.reduce(s)

    def _legend(self, draw: ImageDraw.ImageDraw, left: float, top: float, s: int) -> None:
        """Each labelled item's sample and label, one under another, from (left, top)."""
        small = font(10 * s)
        y = top
        for it in self.items:
            if it.label is None:
                continue
            height = draw.multiline_textbbox((0, 0), it.label, font=small, spacing=2 * s)[3]
            middle = y + max(height, 12 * s) / 2
            if it.kind in ("band", "span"):
                draw.rectangle((left, middle - 5 * s, left + 26 * s, middle + 5 * s),
                               fill=_blend(it.colour, it.alpha))  # fmt: skip
            else:
                _polyline(draw, np.array([[left, middle], [left + 26 * s, middle]]),
                          _rgba(it.colour), max(1, round(it.width * s)), it.style)  # fmt: skip
            draw.multiline_text((left + 34 * s, middle), it.label, fill=_INK, font=small,
                                anchor="lm", spacing=2 * s)  # fmt: skip
            y += max(height, 12 * s) + 8 * s


def _blend(colour: str, alpha: float) -> tuple[int, int, int]:
    """``colour`` at ``alpha`` over white."""
    r, g, b, _ = _rgba(colour)
    return tuple(round(255 + alpha * (c - 255)) for c in (r, g, b))  # type: ignore[return-value]


def _ticks(low: float, high: float) -> list[float]:
    """Round-numbered ticks within ``low``..``high`` (about six)."""
    values = matplotlib.ticker.MaxNLocator(6).tick_values(low, high)
    span = high - low
    return [float(v) for v in values if low - 1e-9 * span <= v <= high + 1e-9 * span]


def _log_ticks(low: float, high: float) -> list[float]:
    """Ticks at 1, 2 and 5 of each decade between 10^``low`` and 10^``high``."""
    decades = range(int(np.floor(low)), int(np.ceil(high)) + 1)
    values = [m * 10.0**d for d in decades for m in (1.0, 2.0, 5.0)]
    return [v for v in values if 10.0**low * (1 - 1e-9) <= v <= 10.0**high * (1 + 1e-9)]


def _number(value: float) -> str:
    """A tick's number: no trailing zeros, no "-0"."""
    text = f"{value:.6g}"
    return "0" if text in ("-0", "0") else text


def _polyline(
    draw: ImageDraw.ImageDraw, points: NDArray[np.float64], colour: tuple[int, int, int, int],
    width: int, style: str,
) -> None:  # fmt: skip
    """The line through ``points`` (k, 2) px, dashed as ``style`` names (:data:`DASHES`,
    lengths in line widths)."""
    if len(points) < 2:
        return
    pattern = DASHES[style]
    if not pattern:
        draw.line([tuple(p) for p in points], fill=colour, width=width, joint="curve")
        return
    steps = np.linalg.norm(np.diff(points, axis=0), axis=1)
    along = np.concatenate([[0.0], np.cumsum(steps)])
    marks = np.cumsum(np.asarray(pattern) * width)
    period = float(marks[-1])
    start = 0.0
    while start < along[-1]:
        for k in range(0, len(pattern), 2):  # each "on" stretch of the pattern
            a = start + (marks[k - 1] if k else 0.0)
            b = min(start + marks[k], along[-1])
            if a >= along[-1]:
                break
            inside = (along > a) & (along < b)
            stretch = np.vstack([_point_at(points, along, a), points[inside],
                                 _point_at(points, along, b)])  # fmt: skip
            draw.line([tuple(p) for p in stretch], fill=colour, width=width)
        start += period


def _point_at(
    points: NDArray[np.float64], along: NDArray[np.float64], t: float
) -> NDArray[np.float64]:
    """The point ``t`` px along the polyline ``points`` (arc lengths ``along``)."""
    return np.array([np.interp(t, along, points[:, 0]), np.interp(t, along, points[:, 1])])
