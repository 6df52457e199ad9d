"""afofit: custom ankle-foot orthoses from a lower-leg scan and gait data.

import afofit
anatomy = afofit.analyse_scan("leg.stl")          # side, frame, landmarks, measurements
result = afofit.fit("leg.stl", "out/", design="pls")  # shell, checks, STL, JSON, report
"""

from __future__ import annotations

from afofit.fit import analyse_scan, fit
from afofit.version import __version__

__all__ = ["__version__", "analyse_scan", "fit"]
