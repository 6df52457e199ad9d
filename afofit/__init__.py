"""afofit: custom ankle-foot orthoses from a lower-leg scan and gait data.

import afofit
anatomy = afofit.analyse_scan("leg.stl")          # side, frame, landmarks, measurements
result = afofit.fit("leg.stl", design="pls")      # shell and checks, in memory
afofit.write_fit(result, "out/")                  # afo.stl, afo-print.stl, fitting.json, report

request = afofit.FitRequest("leg.stl", design="solid", thickness_mm=4.5)
result = afofit.fit(request)                      # the same, from a request (request.key())
"""

from __future__ import annotations

from afofit.export import write_fit
from afofit.fit import FitResult, analyse_scan, fit
from afofit.request import FitRequest
from afofit.version import __version__

__all__ = ["FitRequest", "FitResult", "__version__", "analyse_scan", "fit", "write_fit"]
