"""Gait plots for the report: PNG bytes from matplotlib (Agg, no screen), reproducible.

The caller writes the bytes (``afofit.export`` writes files atomically) or embeds them in the
HTML report; nothing here touches the filesystem.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import PurePath

import matplotlib.style
import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from numpy.typing import NDArray
from scipy.interpolate import PchipInterpolator

from afofit.errors import GaitError, InputError
from afofit.gait.model import SIDES, TrialGait
from afofit.report.chart import SIDE_COLOURS
from afofit.units import rad_to_deg

__all__ = [
    "HEALTHY_ANKLE_BAND_DEG",
    "HEALTHY_ANKLE_DEG",
    "ankle_cycle_plot",
    "figure_png",
    "healthy_ankle_deg",
]

#: Typical healthy ankle sagittal angle (dorsiflexion +), as (gait cycle %, deg) knots, built
#: from afo-engineering.md §2.3: ≈ 0° at initial contact [S47] (A); ≈ 5–7° of plantarflexion
#: at foot-flat, about 7 % [S49] (A); peak stance dorsiflexion ≈ 10° near 48 % (Perry, U; 5° in
#: [S49]); ≈ 20° plantarflexion at toe-off, about 62 % (20–25° [S47, S49] A, 15–20° U); rapid
#: dorsiflexion back to ≈ neutral in swing for clearance [S47] (A). A sketch for orientation,
#: not normative data; the knots are joined by a monotone cubic (no overshoot).
HEALTHY_ANKLE_DEG: tuple[tuple[float, float], ...] = (
    (0.0, 0.0),
    (7.0, -6.0),
    (20.0, 2.0),
    (35.0, 6.0),
    (48.0, 10.0),
    (54.0, 5.0),
    (62.0, -20.0),
    (70.0, -10.0),
    (80.0, -1.0),
    (90.0, 0.0),
    (100.0, 0.0),
)
#: Half-width of the healthy band drawn around that curve, deg.
HEALTHY_ANKLE_BAND_DEG = 5.0
HEALTHY_LABEL = "typical healthy (sketch after Perry; Podiapaedia)"
#: Line styles of the per-trial means, in trial order (the toe-off lines are dashed).
_TRIAL_STYLES = ((0, (1, 1)), (0, (3, 1, 1, 1)), (0, (6, 2)), (0, (1, 2, 4, 2)), (0, (2, 3)))
_PCT = np.linspace(0.0, 100.0, 101)
_DEG_PER_RAD = rad_to_deg(1.0)


def healthy_ankle_deg(pct: NDArray[np.float64]) -> NDArray[np.float64]:
    """The typical healthy ankle angle (deg, dorsiflexion +) at gait-cycle positions ``pct`` (%).

    Interpolates :data:`HEALTHY_ANKLE_DEG` with a monotone cubic (PCHIP).
    """
    knots = np.array(HEALTHY_ANKLE_DEG)
    curve: NDArray[np.float64] = PchipInterpolator(knots[:, 0], knots[:, 1])(pct)
    return curve


def _mean_sd(cycles: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Mean and sample SD over the rows of ``cycles`` (k, 101), ignoring NaN, without warnings."""
    ok = np.isfinite(cycles)
    n = ok.sum(axis=0)
    mean = np.where(ok, cycles, 0.0).sum(axis=0) / np.maximum(n, 1)
    mean[n == 0] = np.nan
    var = np.where(ok, (cycles - mean) ** 2, 0.0).sum(axis=0) / np.maximum(n - 1, 1)
    sd = np.where(n > 1, np.sqrt(var), 0.0)
    return mean, sd


def _stem(path: str) -> str:
    return PurePath(path.replace("\\", "/")).stem or path


def ankle_cycle_plot(
    trials: TrialGait | Sequence[TrialGait],
    sides: Sequence[str] = SIDES,
    title: str = "Ankle angle over the gait cycle",
) -> bytes:
    """Draw the ankle sagittal angle over the normalised gait cycle as PNG bytes.

    Per side, the mean ± SD over every stride of every trial (left blue, right red), a dashed
    vertical line at the mean toe-off, and behind them the typical healthy curve with a
    ±5° band. With several trials each trial's mean is drawn thin, labelled by file stem.
    The same input gives the same bytes (fixed size, dpi and style; no software stamp).

    Parameters
    ----------
    trials : one analysed trial or several of the same person.
    sides : the sides to draw, among "left" and "right"; a side no trial has is skipped.
    title : the figure title.

    Returns
    -------
    bytes
        A PNG image, 960 × 540 px.

    Raises
    ------
    InputError
        ``sides`` names something other than "left" or "right".
    GaitError
        None of the trials has a stride on the requested sides.
    """
    runs = [trials] if isinstance(trials, TrialGait) else list(trials)
    bad = [s for s in sides if s not in SIDES]
    if bad:
        raise InputError(f"sides={list(sides)}: unknown side(s) {bad}; use 'left' and/or 'right'")
    drawn = [s for s in SIDES if s in sides and any(s in t.sides for t in runs)]
    if not drawn:
        raise GaitError(
            f"no stride on the {' or '.join(sides)} side in {len(runs)} trial(s): nothing to plot"
        )
    with matplotlib.style.context("default"):
        fig = Figure(figsize=(9.6, 5.4), dpi=100)
        FigureCanvasAgg(fig)
        ax = fig.add_axes((0.08, 0.11, 0.62, 0.78))
        _draw(ax, runs, drawn)
        fig.suptitle(title, x=0.08, ha="left", fontsize=13)
        ax.set_title(_counts(runs, drawn), loc="left", fontsize=9, color="0.3")
        return figure_png(fig)


def figure_png(fig: Figure) -> bytes:
    """``fig`` as PNG bytes, without the software stamp (the same figure, the same bytes)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def _counts(runs: list[TrialGait], drawn: list[str]) -> str:
    parts = []
    for side in drawn:
        cycles = sum(t.sides[side].ankle_cycle_rad.shape[0] for t in runs if side in t.sides)
        used = sum(side in t.sides for t in runs)
        parts.append(f"{side}: {cycles} strides in {used} trial{'s' * (used != 1)}")
    return "; ".join(parts) + " — mean ± SD"


def _draw(ax: Axes, runs: list[TrialGait], drawn: list[str]) -> None:
    """Healthy band, per-trial means, per-side mean ± SD and toe-off lines on ``ax``."""
    healthy = healthy_ankle_deg(_PCT)
    band = HEALTHY_ANKLE_BAND_DEG
    ax.fill_between(_PCT, healthy - band, healthy + band, color="0.88", lw=0, label=HEALTHY_LABEL)
    ax.plot(_PCT, healthy, color="0.55", lw=1.0)
    ax.axhline(0.0, color="0.4", lw=0.6)
    for side in drawn:
        colour = SIDE_COLOURS[side]
        with_side = [t for t in runs if side in t.sides]
        cycles = np.vstack([_DEG_PER_RAD * t.sides[side].ankle_cycle_rad for t in with_side])
        if len(runs) > 1:
            for i, t in enumerate(runs):
                if side in t.sides:
                    mean_i, _ = _mean_sd(_DEG_PER_RAD * t.sides[side].ankle_cycle_rad)
                    style = _TRIAL_STYLES[i % len(_TRIAL_STYLES)]
                    label = f"{side} · {_stem(t.trial.path)}"
                    ax.plot(_PCT, mean_i, color=colour, lw=0.9, ls=style, alpha=0.8, label=label)
        mean, sd = _mean_sd(cycles)
        ax.fill_between(_PCT, mean - sd, mean + sd, color=colour, alpha=0.18, lw=0)
        ax.plot(_PCT, mean, color=colour, lw=2.2, label=f"{side} mean ± SD")
        weights = np.array([t.sides[side].cycles for t in with_side], dtype=float)
        offs = np.array([t.sides[side].stance_end_pct for t in with_side], dtype=float)
        keep = np.isfinite(offs)
        if keep.any():
            w = weights[keep] if weights[keep].sum() > 0 else np.ones(int(keep.sum()))
            toe_off = float(np.average(offs[keep], weights=w))
            ax.axvline(
                toe_off, color=colour, ls="--", lw=1.2, label=f"{side} toe off {toe_off:.0f} %"
            )
    ax.set_xlim(0.0, 100.0)
    ax.set_xticks(np.arange(0, 101, 10))
    ax.set_xlabel("gait cycle, % (0 = foot strike)")
    ax.set_ylabel("ankle dorsiflexion (+) / plantarflexion (−), deg")
    ax.grid(True, color="0.92", lw=0.6)
    ax.set_axisbelow(True)
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=8, frameon=False)
