"""The report's moment-angle plot of a brace's predicted ankle stiffness: PNG bytes, reproducible.

Drawn from fitting.json's ``stiffness`` block alone (nothing here reads or writes a file).
"""

from __future__ import annotations

from typing import Any

import matplotlib.style
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from afofit.report.plots import SIDE_COLOURS, figure_png

__all__ = ["MAX_ANGLE_DEG", "moment_angle_plot"]

#: The plot's angle axis ends here (or where the linear answer ends, if sooner), deg.
MAX_ANGLE_DEG = 15.0


def moment_angle_plot(side: str, block: dict[str, Any]) -> bytes:
    """Dorsiflexion moment against angle for one leg's stiffness ``block`` (fitting.json),
    drawn in the colour of its ``side``.

    The predicted line (the fixture's cuff constraint) solid, with the fast model's median
    error shaded about it; the pure-moment lower bound dashed, the target range shaded grey,
    and (FE) a mark where the peak stress reaches the material's strength (beyond it the
    linear answer does not hold). 800 × 480 px.
    """
    colour = SIDE_COLOURS.get(side, "0.2")
    k, low = block["predicted_nm_per_deg"], block["lower_bound_nm_per_deg"]
    limit = block["linear_to_deg"]
    end = MAX_ANGLE_DEG if limit is None else min(MAX_ANGLE_DEG, 1.25 * limit)
    angle = np.linspace(0.0, end, 50)
    with matplotlib.style.context("default"):
        fig = Figure(figsize=(8.0, 4.8), dpi=100)
        FigureCanvasAgg(fig)
        ax = fig.add_axes((0.09, 0.12, 0.5, 0.76))
        target = block["target_nm_per_deg"]
        if target is not None:
            ax.fill_between(angle, target[0] * angle, target[1] * angle, color="0.85",
                            label=f"target {target[0]:.2f}-{target[1]:.2f} N·m/deg")  # fmt: skip
            middle = 0.5 * (target[0] + target[1])
            ax.plot(angle, middle * angle, color="0.6", lw=1, ls=":", label="target's middle")
        cuff = block["fixture"]["cuff_constraint"]
        error = block["model"].get("error_vs_fe")
        if error is not None:  # the fast model: its typical error against FE
            band = error["median"]
            ax.fill_between(angle, (1 - band) * k * angle, (1 + band) * k * angle,
                            color=colour, alpha=0.12, lw=0,
                            label=f"± {band:.0%}: the fast model's median error")  # fmt: skip
        ax.plot(angle, k * angle, color=colour, lw=2.2,
                label=f"predicted, cuff {cuff}:\n{k:.2f} N·m/deg ({block['method']})")  # fmt: skip
        if low is not None:
            ax.plot(angle, low * angle, color=colour, lw=1.2, ls="--",
                    label=f"pure moment (lower bound): {low:.2f}")  # fmt: skip
        if limit is not None and limit <= end:
            ax.axvline(limit, color="0.3", lw=1, ls="-.")
            ax.annotate(f"peak stress reaches the\nmaterial's strength ({limit:.1f}°)",
                        (limit, 0.5 * k * limit), xytext=(6, 0), textcoords="offset points",
                        fontsize=8, color="0.3", va="center")  # fmt: skip
        ax.set_xlim(0.0, end)
        ax.set_ylim(bottom=0.0)
        ax.set_xlabel("dorsiflexion of the cuff, deg")
        ax.set_ylabel("ankle moment, N·m")
        ax.grid(True, color="0.9")
        ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=8, frameon=False)
        fig.suptitle(f"{side.capitalize()} brace: moment against angle (linear)", x=0.1,
                     ha="left", fontsize=12)  # fmt: skip
        return figure_png(fig)
