"""Benchmark `afofit batch` (issue 15): a lab's night of fittings.

A manifest of both shared scans, 20 phantoms of several builds (pls, semi-rigid and solid in
turn), one corrupt scan and one impossible request, run with 2 workers: the bad cases must
fail alone (non-zero exit), every other case finish. Then `--resume` must rerun nothing
(its time, the files it left untouched), and a changed thickness in one row must rerun that
case alone. Last, the throughput of 2 workers against 1 on the same 8 phantom cases: the
median of ROUNDS pairs (3; AFOFIT_BENCH_ROUNDS sets it), run in alternating order.

    python bench/bench_batch.py
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from timing import AFOFIT, ROUNDS, SHARED, run

from afofit.batch.run import NOT_RERUN
from afofit.export import write_phantom
from afofit.phantom import PhantomSpec

DESIGNS = ("pls", "semi-rigid", "solid")
HEADER = "case_id,scan,side,design,thickness,material,stiffness\n"


def _rows(folder: Path) -> list[str]:
    rows = []
    for i in range(20):
        side = ("right", "left")[i % 2]
        spec = PhantomSpec(
            side=side, seed=100 + i, foot_length_mm=230.0 + 3.0 * i,
            calf_girth_mm=320.0 + 4.0 * i, noise_mm=0.2, holes=i % 3,
        )  # fmt: skip
        write_phantom(spec, folder / f"phantom{i:02d}.stl")
        rows.append(f"ph{i:02d},phantom{i:02d}.stl,,{DESIGNS[i % 3]},,,")
    for name, scan in (
        ("anny-male", "anny_male_right.stl"),
        ("anny-female", "anny_female_left.ply"),
    ):
        if (SHARED / scan).exists():
            rows.append(f"{name},{SHARED / scan},,pls,,,")
        else:
            print(f"{SHARED / scan} is absent: left out")
    (folder / "corrupt.stl").write_text("solid broken\nendsolid broken\n")
    rows.append("corrupt,corrupt.stl,,pls,,,")
    rows.append("impossible,phantom00.stl,,pls,,pla,15")
    return rows


def _batch(manifest: Path, out: Path, *extra: str) -> tuple[float, float, dict]:
    wall, mem = run([str(AFOFIT), "batch", str(manifest), "-o", str(out), *extra], ok_codes=(0, 8))
    return wall, mem, json.loads((out / "summary.json").read_text())


def _stamps(out: Path) -> dict[Path, int]:
    return {
        p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file() and "summary" not in p.name
    }


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="afofit-bench-batch-"))
    rows = _rows(tmp)
    manifest = tmp / "night.csv"
    manifest.write_text(HEADER + "\n".join(rows) + "\n")
    out = tmp / "out"
    wall, _, data = _batch(manifest, out, "--workers", "2")
    cases = data["cases"]
    bad = [c for c in cases if c["status"] == "failed"]
    worker_mb = max(c["peak_memory_mb"] or 0.0 for c in cases)
    print(f"{len(cases)} cases, 2 workers: {wall:.1f} s; counts {data['counts']}; "
          f"peak memory of one case's process {worker_mb:.0f} MB")  # fmt: skip
    for c in bad:
        print(f"  failed {c['case_id']} (exit {c['exit_code']}): {c['message'][:110]}")
    before = _stamps(out)
    wall, _, data = _batch(manifest, out, "--workers", "2", "--resume")
    after = _stamps(out)
    untouched = sum(after.get(p) == t for p, t in before.items())
    skipped = sum(c["status"] == "skipped" for c in data["cases"])
    kept = [c["case_id"] for c in data["cases"] if (c["message"] or "").startswith(NOT_RERUN)]
    rerun = [c["case_id"] for c in data["cases"] if c["seconds"] > 0.0]
    print(f"--resume: {wall:.1f} s; {skipped} skipped, {untouched}/{len(before)} files "
          f"untouched; failures kept without rerunning: {kept}; rerun: {rerun}")  # fmt: skip
    manifest.write_text(HEADER + "\n".join(rows).replace("ph01,phantom01.stl,,semi-rigid,,",
                                                         "ph01,phantom01.stl,,semi-rigid,3.5,") + "\n")  # fmt: skip
    wall, _, data = _batch(manifest, out, "--workers", "2", "--resume")
    rerun = [c["case_id"] for c in data["cases"] if c["status"] not in ("skipped", "failed")]
    print(f"one row's thickness changed, --resume: {wall:.1f} s; rerun {rerun}")
    eight = tmp / "eight.csv"
    eight.write_text(HEADER + "\n".join(rows[:8]) + "\n")
    ratios = []
    for i in range(ROUNDS):  # pairs, in alternating order: the machine's speed drifts
        walls = {}
        for workers in ("1", "2") if i % 2 == 0 else ("2", "1"):
            walls[workers], _, _ = _batch(eight, tmp / f"w{workers}-{i}", "--workers", workers)
        ratios.append(walls["1"] / walls["2"])
        print(f"8 phantom cases, pair {i + 1}: 1 worker {walls['1']:.1f} s, 2 workers "
              f"{walls['2']:.1f} s: x{ratios[-1]:.2f}")  # fmt: skip
    print(f"throughput x{statistics.median(ratios):.2f} (median of {ROUNDS} pairs; budget >= "
          f"1.7); machine: {os.cpu_count()} cores")  # fmt: skip


if __name__ == "__main__":
    main()
