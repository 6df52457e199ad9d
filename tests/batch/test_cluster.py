"""The same batch on a Dask cluster (a LocalCluster's scheduler address): the same STL bytes
as the local pool, the inputs shipped with each task or read from a shared disk."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from afofit.batch import read_manifest, run_batch
from afofit.batch.cluster import check_shippable, run_on_cluster
from afofit.batch.manifest import ManifestError

distributed = pytest.importorskip("distributed", reason="Dask is the extra afofit[cluster]")


@pytest.fixture(scope="module")
def manifest(tmp_path_factory: pytest.TempPathFactory, closed_leg: Path) -> Path:
    folder = tmp_path_factory.mktemp("cluster")
    (folder / "scans").mkdir()
    shutil.copy(closed_leg, folder / "scans" / "leg.stl")
    (folder / "scans" / "bad.stl").write_text("solid x\nendsolid x\n")
    path = folder / "cases.csv"
    path.write_text(
        "case_id,scan,design,thickness\nflex,scans/leg.stl,pls,3\nbroken,scans/bad.stl,pls,\n"
    )
    return path


@pytest.fixture(scope="module")
def scheduler() -> str:
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        yield cluster.scheduler_address


def test_a_cluster_writes_the_bytes_the_local_pool_writes(
    manifest: Path, scheduler: str, tmp_path: Path
) -> None:
    cases = read_manifest(manifest)
    local = run_batch(cases, tmp_path / "local", workers=1)
    shipped = run_on_cluster(cases, tmp_path / "shipped", scheduler)
    shared = run_on_cluster(cases, tmp_path / "shared", scheduler, shared_disk=True)
    for outcomes in (local, shipped, shared):
        assert [(o.case_id, o.status) for o in outcomes] == [("flex", "done"), ("broken", "failed")]
        assert outcomes[1].exit_code == 3 and "bad.stl" in outcomes[1].message
    for name in ("afo.stl", "afo-print.stl"):
        expected = (tmp_path / "local" / "flex" / name).read_bytes()
        assert (tmp_path / "shipped" / "flex" / name).read_bytes() == expected
        assert (tmp_path / "shared" / "flex" / name).read_bytes() == expected
    # the outputs name the inputs as the manifest did, wherever the case ran
    for where in ("local", "shipped", "shared"):
        text = (tmp_path / where / "flex" / "fitting.json").read_text()
        assert '"scan": "scans/leg.stl"' in text
    assert not (tmp_path / "shipped" / "broken").exists()
    again = run_on_cluster(cases, tmp_path / "shipped", scheduler, resume=True)
    assert again[0].status == "skipped"


def test_shipping_needs_the_inputs_in_the_manifest_s_folder(
    manifest: Path, closed_leg: Path
) -> None:
    outside = manifest.parent / "outside.csv"
    outside.write_text(f"case_id,scan\nfar,{closed_leg}\n")
    with pytest.raises(ManifestError, match=r"row 2: .* lies outside the manifest's folder"):
        check_shippable(read_manifest(outside))


def test_an_unreachable_scheduler_is_a_clear_error(manifest: Path, tmp_path: Path) -> None:
    from afofit.errors import InputError

    with pytest.raises(InputError, match="cannot reach it"):
        run_on_cluster(read_manifest(manifest), tmp_path / "o", "tcp://127.0.0.1:9")
