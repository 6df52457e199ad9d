"""afofit stiffness: the FE stiffness of a brace fitted earlier, read back from its folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from afofit.cli import app

pytest.importorskip("pymeshlab", reason="the FE extra is not installed: pip install afofit[fe]")


def test_a_folder_without_a_fitting_is_refused_in_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["stiffness", str(tmp_path)])
    assert result.exit_code == 3
    assert "no fitting.json here" in result.output and "Traceback" not in result.output


def test_a_fitted_pls_reads_within_the_published_range(
    closed_leg: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from afofit.export import write_fit
    from afofit.fitting import fit
    from afofit.mechanics import stiffness

    write_fit(fit(closed_leg, design="pls", thickness_mm=3.0, voxel_mm=1.5), tmp_path)
    braces = stiffness.fitted_brace_stiffness(tmp_path)  # the FE, once
    monkeypatch.setattr(
        stiffness, "fitted_brace_stiffness", lambda folder, method, h, progress: braces
    )
    result = CliRunner().invoke(app, ["stiffness", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    leg = json.loads(result.stdout)["legs"][0]
    # A 3 mm polypropylene PLS: 0.1-1.5 N·m/deg (reference §1.2); the pure moment reads lower.
    assert 0.1 <= leg["predicted_nm_per_deg"] <= 1.5
    assert leg["lower_bound_nm_per_deg"] < leg["predicted_nm_per_deg"]
    assert leg["fixture"]["cuff_constraint"] == "guided" and leg["moment_nm"] == 5.0
    assert leg["peak_stress_mpa"] > 0 and leg["linear_to_deg"] > 0
    # The table shows the number with its fixture.
    table = CliRunner().invoke(app, ["stiffness", str(tmp_path)])
    assert table.exit_code == 0, table.output
    assert f"{leg['predicted_nm_per_deg']:.3f} N·m/deg" in table.output
    assert "dorsiflexion, cuff guided" in table.output and "fixture" in table.output
