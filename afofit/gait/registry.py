"""The gait file formats afofit reads: a small registry that never imports a format.

Each format module (:mod:`~afofit.gait.c3d`, :mod:`~afofit.gait.mot`,
:mod:`~afofit.gait.trc`, :mod:`~afofit.gait.csvfile`) registers its reader here when it
is imported; :func:`afofit.gait.readers.load_gait` imports them all and dispatches on the
file's suffix (the pattern of meshio's format registry).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from afofit.gait.model import GaitTrial

__all__ = ["FORMATS", "Reader", "reader_for", "register_reader", "registered_suffixes"]

#: The formats, as a user reads them in a message.
FORMATS = "C3D (.c3d), OpenSim motion (.mot), OpenSim markers (.trc) or CSV (.csv)"

Reader = Callable[[Path], "GaitTrial"]
_READERS: dict[str, Reader] = {}


def register_reader(suffix: str, reader: Reader) -> None:
    """Register ``reader`` for files whose lower-case suffix is ``suffix`` (e.g. ``".trc"``)."""
    _READERS[suffix.lower()] = reader


def reader_for(suffix: str) -> Reader | None:
    """The reader registered for ``suffix`` (any case), or None."""
    return _READERS.get(suffix.lower())


def registered_suffixes() -> tuple[str, ...]:
    """The suffixes with a registered reader, in registration order."""
    return tuple(_READERS)
