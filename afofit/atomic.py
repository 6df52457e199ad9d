"""Files written whole or not at all: into a temp file beside the target, then renamed in
place. A crash or a refused write never leaves a half-written file behind. (Light: the
batch's own process writes its summaries with these, without the numeric libraries.)"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from afofit.errors import ExportError

__all__ = ["current_umask", "write_atomic", "write_json", "write_utf8"]


def write_atomic(path: Path, write: Callable[[IO[bytes]], object]) -> Path:
    """Write ``path`` through ``write(handle)`` into a temp file, then rename it in place.

    Raises
    ------
    ExportError
        The folder does not exist or is not writable, or ``path`` is a folder.
    """
    path = Path(path)
    if path.is_dir():
        raise ExportError(f"{path}: is a folder; give a file name to write.")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise ExportError(f"{folder}: no such folder; create it first or write elsewhere.")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise ExportError(f"{folder}: cannot write here ({exc.strerror}).") from exc
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
        # mkstemp makes the file private (0600); give it the usual mode for
        # a new file (0666 less the umask) so the lab can share it.
        os.chmod(tmp, 0o666 & ~current_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_utf8(text: str, path: Path) -> Path:
    """Write ``text`` to ``path`` as UTF-8, atomically (:func:`write_atomic`)."""
    return write_atomic(Path(path), lambda h: h.write(text.encode("utf-8")))


def write_json(data: Any, path: Path) -> Path:
    """Write ``data`` to ``path`` as indented, key-stable JSON (UTF-8, newline at the end)."""
    return write_utf8(json.dumps(data, indent=2, ensure_ascii=False) + "\n", path)


def current_umask() -> int:
    """The process's umask (reading it means setting it: set it back at once)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask
