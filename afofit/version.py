"""afofit's version, in a module of its own so that any module can record it without a cycle."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

__all__ = ["__version__"]

try:
    __version__ = version("afofit")
except PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0.0.0+unknown"
