"""Landmarks a computation cannot do without: fetched by name, or a clear error."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from afofit.errors import LandmarkError

__all__ = ["required"]

T = TypeVar("T")


def required(points: Mapping[str, T | None], *names: str) -> tuple[T, ...]:
    """The landmarks ``names`` of ``points`` (name → point or None), in that order.

    Raises
    ------
    LandmarkError
        One of them is missing (not found in the scan, nor given).
    """
    missing = [name for name in names if points.get(name) is None]
    if missing:
        listed = " and ".join(name.replace("_", " ") for name in missing)
        raise LandmarkError(
            f"the leg has no {listed}, which this step needs; give it with --landmarks "
            "(JSON or MeshLab picked points)."
        )
    return tuple(points[name] for name in names)  # type: ignore[misc]
