"""Shared fixtures: the phantom legs and the real reference data beside the checkout."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
SCANS = SHARED_DATA / "scans"


def shared_scan(name: str) -> Path:
    """Path of a reference scan in ../shared/data/scans, or skip the test with the reason."""
    path = SCANS / name
    if not path.exists():
        pytest.skip(f"reference scan {name} not present ({SCANS} is absent on this machine)")
    return path


def truth_of(path: Path) -> dict[str, Any]:
    """The ground-truth JSON beside a scan (``<stem>.truth.json``)."""
    return json.loads(path.with_suffix(".truth.json").read_text())


@pytest.fixture(scope="session")
def phantom_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small random-pose phantom leg written to disk, with its truth beside it."""
    from afofit.export import write_phantom
    from afofit.phantom import PhantomSpec

    path = tmp_path_factory.mktemp("phantom") / "leg.stl"
    write_phantom(PhantomSpec(seed=11, faces=20000, noise_mm=0.2, holes=2), path)
    return path


@pytest.fixture(scope="session")
def closed_leg(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small random-pose phantom with a closed sole, noise and a hole, for fitting tests."""
    from afofit.export import write_phantom
    from afofit.phantom import PhantomSpec

    path = tmp_path_factory.mktemp("fit") / "leg.stl"
    write_phantom(PhantomSpec(seed=21, faces=20000, noise_mm=0.15, holes=1), path)
    return path


def error_text(output: str) -> str:
    """What a command said, less the stage log lines it writes when not on a terminal
    (``afofit   1.2 s  reading leg.stl``), with its whitespace joined."""
    import re

    said = [line for line in output.splitlines() if not re.match(r"afofit +[\d.]+ s  ", line)]
    return " ".join(" ".join(said).split())


@pytest.fixture
def no_weasyprint(monkeypatch: pytest.MonkeyPatch) -> None:
    """As if the PDF extra afofit[pdf] were not installed: importing WeasyPrint fails."""
    import builtins

    real_import = builtins.__import__

    def refuse(name: str, *args: object, **kwargs: object) -> object:
        if name == "weasyprint":
            raise ImportError("No module named 'weasyprint'")
        return real_import(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(builtins, "__import__", refuse)
