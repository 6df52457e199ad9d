"""The report's moment-angle plot of a brace's predicted ankle stiffness: PNG bytes, reproducible.

Drawn from fitting.json's ``stiffness`` block alone (nothing here reads or writes a file).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from afofit.report.chart import SIDE_COLOURS, Chart

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
    chart = Chart(
        (800, 480), (0.09, 0.12, 0.59, 0.88),
        f"{side.capitalize()} brace: moment against angle (linear)",
        "dorsiflexion of the cuff, deg", "ankle moment, N·m",
    )  # fmt: skip
    target = block["target_nm_per_deg"]
    if target is not None:
        chart.band(angle, target[0] * angle, target[1] * angle, "0.85",
                   label=f"target {target[0]:.2f}-{target[1]:.2f} N·m/deg")  # fmt: skip
        middle = 0.5 * (target[0] + target[1])
        chart.line(angle, middle * angle, "0.6", 1, "dotted", label="target's middle")
    cuff = block["fixture"]["cuff_constraint"]
    error = block["model"].get("error_vs_fe")
    if error is not None:  # the fast model: its typical error against FE
        band = error["median"]
        chart.band(angle, (1 - band) * k * angle, (1 + band) * k * angle, colour, 0.12,
                   label=f"± {band:.0%}: the fast model's median error")  # fmt: skip
    chart.line(angle, k * angle, colour, 2.2,
               label=f"predicted, cuff {cuff}:\n{k:.2f} N·m/deg ({block['method']})")  # fmt: skip
    if low is not None:
        chart.line(angle, low * angle, colour, 1.2, "dashed",
                   label=f"pure moment (lower bound): {low:.2f}")  # fmt: skip
    if limit is not None and limit <= end:
        chart.vline(limit, "0.3", 1, "dashdot")
        chart.note(limit, 0.5 * k * limit,
                   f"peak stress reaches the\nmaterial's strength ({limit:.1f}°)")  # fmt: skip
    chart.limits(x=(0.0, end))
    return chart.png()
