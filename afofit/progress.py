"""How long work tells its caller where it is.

The core never prints: a long function takes a ``progress`` callback and calls it with
the name of each stage as the stage begins ("reading leg.stl", "building the right
shell"). The command line shows the stages with their times; a library caller may
pass its own callback, or none.
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["Progress", "silent"]

#: Called with a stage's name, in words, as the stage begins.
Progress = Callable[[str], None]


def silent(stage: str) -> None:
    """A :data:`Progress` that reports nothing: ``stage`` is dropped."""
    del stage
