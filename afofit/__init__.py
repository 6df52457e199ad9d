"""afofit: custom ankle-foot orthoses from a lower-leg scan and gait data.

import afofit
anatomy = afofit.analyse_scan("leg.stl")          # side, frame, landmarks, measurements
result = afofit.fit("leg.stl", design="pls")      # shell and checks, in memory
afofit.write_fit(result, "out/")                  # afo.stl, afo-print.stl, fitting.json, report

request = afofit.FitRequest("leg.stl", design="solid", thickness_mm=4.5)
result = afofit.fit(request)                      # the same, from a request (request.key())

The names are loaded when first used (PEP 562): ``import afofit`` itself, and the command
line's start, import none of the numeric libraries (``afofit --version`` took 0.9 s, now
0.13 s; a batch's own process no longer loads them at all). The pipeline's module is
:mod:`afofit.fitting`, so that ``afofit.fit`` stays the function.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from afofit.version import __version__

if TYPE_CHECKING:
    from afofit.export import write_fit
    from afofit.fitting import FitResult, analyse_scan, fit
    from afofit.request import FitRequest

__all__ = ["FitRequest", "FitResult", "__version__", "analyse_scan", "fit", "write_fit"]

#: Where each of the package's names is defined.
_HOMES = {
    "FitRequest": "afofit.request",
    "FitResult": "afofit.fitting",
    "analyse_scan": "afofit.fitting",
    "fit": "afofit.fitting",
    "write_fit": "afofit.export",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'afofit' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value  # looked up once
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_HOMES])
