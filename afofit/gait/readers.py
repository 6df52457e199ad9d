"""Read a gait recording (C3D, OpenSim .mot/.trc, CSV) into a :class:`GaitTrial`.

The only entry point is :func:`load_gait`. It checks the file itself and dispatches on
its suffix through :mod:`afofit.gait.registry` to the format's own module:
:mod:`afofit.gait.c3d`, :mod:`afofit.gait.mot`, :mod:`afofit.gait.trc` or
:mod:`afofit.gait.csvfile`. What the formats share (errors, parsing, gap filling, the
trial's assembly) is in :mod:`afofit.gait.parsing`; the marker roles and the rotation to
+z up in :mod:`afofit.gait.markers`.
"""

from __future__ import annotations

from pathlib import Path

from afofit.errors import GaitError

# Imported for their registration: each format module registers its reader.
from afofit.gait import c3d, csvfile, mot, trc  # noqa: F401
from afofit.gait.model import GaitTrial
from afofit.gait.parsing import fail
from afofit.gait.registry import FORMATS, reader_for, registered_suffixes

__all__ = ["SUPPORTED_SUFFIXES", "load_gait"]

#: The suffixes afofit reads (any case).
SUPPORTED_SUFFIXES = registered_suffixes()


def load_gait(path: str | Path) -> GaitTrial:
    """Read a gait trial from a C3D, OpenSim .mot, OpenSim .trc or CSV file.

    Parameters
    ----------
    path : str or Path
        The file; its suffix (any case) picks the format.

    Returns
    -------
    GaitTrial
        Angles in rad, markers in mm with +z up, times on the file's clock, and the
        reader's notes.

    Raises
    ------
    GaitError
        The file is missing, empty, of an unknown type, corrupt, has no data rows, a
        non-numeric cell or a time column that does not increase, or carries no ankle
        angle (C3D, .mot, CSV) or no foot marker (.trc).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if not path.exists():
        raise GaitError(f"{path}: no such file. Check the path; afofit reads {FORMATS}.")
    if path.is_dir():
        raise fail(path, "is a folder", f"Give the gait file itself: {FORMATS}.")
    reader = reader_for(suffix)
    if reader is None:
        raise fail(
            path,
            f"unsupported file type '{path.suffix}'",
            f"afofit reads {FORMATS}; export the trial in one of these.",
        )
    if path.stat().st_size == 0:
        raise fail(path, "the file is empty (0 bytes)", f"Export the trial again as {FORMATS}.")
    return reader(path)
