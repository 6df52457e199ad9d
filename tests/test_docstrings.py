"""Every public function documents each of its parameters (unchecked docstrings drift)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import afofit

MODULES = sorted(
    m.name
    for m in pkgutil.walk_packages(afofit.__path__, "afofit.")
    if not m.name.endswith("__main__")
)


def _public_functions() -> list[tuple[str, object]]:
    found = []
    for name in MODULES:
        module = importlib.import_module(name)
        for attr in getattr(module, "__all__", []):
            obj = getattr(module, attr)
            if inspect.isfunction(obj) and obj.__module__ == name:
                found.append((f"{name}.{attr}", obj))
    return found


@pytest.mark.parametrize(
    ("qualname", "function"), _public_functions(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_every_parameter_is_documented(qualname: str, function: object) -> None:
    doc = inspect.getdoc(function) or ""
    assert doc, f"{qualname} has no docstring"
    missing = [p for p in inspect.signature(function).parameters if p not in doc]  # type: ignore[arg-type]
    assert not missing, f"{qualname}: parameters not in the docstring: {missing}"
