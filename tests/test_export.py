"""Writing: atomic, binary STL at float32 precision, stable bytes; and the slicer accepts the shell."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import trimesh

from afofit.atomic import write_atomic
from afofit.errors import ExportError
from afofit.export import comparison_writer, write_mesh


def test_stl_round_trip_at_float32(tmp_path: Path) -> None:
    mesh = trimesh.creation.icosphere(subdivisions=2, radius=37.3)
    path = write_mesh(mesh, tmp_path / "ball.stl")
    back = trimesh.load(path)
    assert back.is_watertight
    np.testing.assert_allclose(
        np.sort(back.vertices, axis=0), np.sort(mesh.vertices, axis=0), rtol=1e-6, atol=1e-5
    )
    assert path.read_bytes()[:80].startswith(b"afofit binary STL, units: mm")
    assert write_mesh(mesh, tmp_path / "again.stl").read_bytes() == path.read_bytes()


def test_a_failed_write_leaves_nothing(tmp_path: Path) -> None:
    def broken(handle) -> None:
        handle.write(b"half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_atomic(tmp_path / "x.json", broken)
    assert list(tmp_path.iterdir()) == []


def test_bad_targets(tmp_path: Path) -> None:
    mesh = trimesh.creation.box()
    with pytest.raises(ExportError, match=r"write \.stl, \.ply or \.obj"):
        write_mesh(mesh, tmp_path / "box.step")
    with pytest.raises(ExportError, match="no such folder"):
        write_mesh(mesh, tmp_path / "missing" / "box.stl")


@pytest.mark.skipif(
    shutil.which("prusa-slicer") is None, reason="prusa-slicer is not installed (CI installs it)"
)
def test_prusa_slicer_slices_the_shell_without_repairs(closed_leg: Path, tmp_path: Path) -> None:
    from afofit.export import write_fit
    from afofit.fitting import fit

    write_fit(fit(closed_leg, design="pls", thickness_mm=3.0, voxel_mm=1.5), tmp_path)
    # The standing copy, which goes to the printer, as 3MF (afo-print.stl is sliced by
    # tests/test_slicing.py through --slice; afo.stl is the same solid, moved).
    for name in ("afo.3mf",):
        gcode = tmp_path / f"{name}.gcode"
        run = subprocess.run(
            ["prusa-slicer", "--export-gcode", str(tmp_path / name), "--bed-shape",
             "0x0,700x0,700x700,0x700", "--max-print-height", "800", "--output", str(gcode)],
            capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
        log = (run.stdout + run.stderr).lower()
        assert run.returncode == 0, log[-2000:]
        assert gcode.stat().st_size > 100_000
        for word in ("repair", "manifold", "auto-repaired", "open edges", "errors"):
            assert word not in log, f"slicer said '{word}' of {name}"


def test_a_comparison_folder_keeps_no_shared_pictures(tmp_path: Path) -> None:
    """The pictures kept for the candidates' reports while they are written are gone once
    the folder is in place, even when the comparison's own files were never written."""
    out = tmp_path / "cmp"
    with comparison_writer(out) as writer:
        writer.shared({"landmarks right": b"\x89PNG"})
        assert (writer.pictures / "landmarks right.png").read_bytes() == b"\x89PNG"
    assert out.is_dir() and list(out.iterdir()) == []


def test_a_comparison_with_pdf_has_its_candidates_processes_import_weasyprint_once(
    tmp_path: Path,
) -> None:
    """The modules the candidates' writing needs are imported once, in the fork server they
    are forked from: WeasyPrint among them when the reports are written as PDF too."""
    pytest.importorskip("weasyprint", reason="the PDF extra afofit[pdf] is not installed")
    with comparison_writer(tmp_path / "a") as plain:
        assert "weasyprint" not in plain.worker_modules(gait=False)
    with comparison_writer(tmp_path / "b", pdf=True) as pdf:
        assert {"afofit.report.pdf", "weasyprint"} <= set(pdf.worker_modules(gait=True))
        assert "afofit.report.plots" in pdf.worker_modules(gait=True)
