"""Numbers as the JSON contracts write them: rounded, and None where there is no number."""

from __future__ import annotations

import math

__all__ = ["rounded"]


def rounded(value: float | None, digits: int = 3) -> float | None:
    """``value`` rounded to ``digits`` decimals; None for None, NaN or infinity (JSON has none)."""
    if value is None or not math.isfinite(value):
        return None
    return round(float(value), digits)
