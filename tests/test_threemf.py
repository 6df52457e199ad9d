"""afo.3mf: the standing shell in millimetres, named with the case and side, the same bytes
for the same shell (read back with lib3mf, the 3MF Consortium's library)."""

from __future__ import annotations

from pathlib import Path

import lib3mf
import numpy as np
import pytest
import trimesh

from afofit.export import write_fit
from afofit.fitting import FitResult, fit
from afofit.report.html import ReportInfo
from afofit.threemf import threemf_bytes


def _read(path: Path) -> lib3mf.Model:
    wrapper = lib3mf.get_wrapper()
    model = wrapper.CreateModel()
    model.QueryReader("3mf").ReadFromFile(str(path))
    return model


@pytest.fixture(scope="module")
def fitted(closed_leg: Path) -> FitResult:
    return fit(closed_leg, design="pls", thickness_mm=3.0, voxel_mm=1.5)


def test_the_3mf_holds_the_standing_shell_in_mm_named(fitted: FitResult, tmp_path: Path) -> None:
    write_fit(fitted, tmp_path / "out", info=ReportInfo(case_id="AFO-7"))
    model = _read(tmp_path / "out" / "afo.3mf")
    assert model.GetUnit() == lib3mf.ModelUnit.MilliMeter
    objects = model.GetMeshObjects()
    assert objects.MoveNext()
    part = objects.GetCurrentMeshObject()
    assert part.GetName() == "AFO-7 right AFO"
    standing = trimesh.load(tmp_path / "out" / "afo-print.stl", process=False)
    assert part.GetTriangleCount() == len(standing.faces)
    vertices = np.array([list(p.Coordinates) for p in part.GetVertices()])
    triangles = np.array([list(t.Indices) for t in part.GetTriangleIndices()])
    # the same solid as afo-print.stl (STL stores float32 too), corner for corner
    np.testing.assert_allclose(vertices[triangles], np.asarray(standing.triangles), atol=1e-4)
    assert vertices[:, 2].min() == pytest.approx(0.0, abs=1e-3)  # standing on the bed
    items = model.GetBuildItems()
    assert items.MoveNext() and items.GetCurrent().GetPartNumber() == "AFO-7 right AFO"


def test_the_same_shell_gives_the_same_bytes() -> None:
    box = trimesh.creation.box((10.0, 20.0, 30.0))
    one = threemf_bytes(np.asarray(box.vertices), np.asarray(box.faces), "box", "a test")
    two = threemf_bytes(np.asarray(box.vertices), np.asarray(box.faces), "box", "a test")
    assert one == two
    other = threemf_bytes(np.asarray(box.vertices) * 2.0, np.asarray(box.faces), "box", "a test")
    assert other != one
