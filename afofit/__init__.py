"""afofit: custom ankle-foot orthoses from a lower-leg scan and gait data.

import afofit
anatomy = afofit.analyse_scan("leg.stl")          # side, frame, landmarks, measurements
result = afofit.fit("leg.stl", "out/", design="pls")  # shell, checks, STL, JSON, report
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("afofit")
except PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0.0.0+unknown"

from afofit.fit import analyse_scan, fit

__all__ = ["__version__", "analyse_scan", "fit"]
