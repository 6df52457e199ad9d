"""Benchmark `afofit scan` on ~400k-face scans: wall time and peak memory of the whole command.

Budget (issue 2): <= 3 s wall and <= 1 GB peak memory on the 2-core CI machine.
Each case runs the installed `afofit` command in a fresh process (imports included),
three times; the table shows the median wall time and the largest peak RSS.

    python bench/bench_scan.py            # phantom, plus ../shared scans when present
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from timing import AFOFIT, SHARED, run

BUDGET_S, BUDGET_MB = 3.0, 1024.0


def main() -> None:
    cases: list[tuple[str, Path]] = []
    tmp = Path(tempfile.mkdtemp(prefix="afofit-bench-"))
    phantom = tmp / "phantom_400k.stl"
    t = time.perf_counter()
    subprocess.run(
        [
            str(AFOFIT),
            "phantom",
            str(phantom),
            "--faces",
            "400000",
            "--seed",
            "3",
            "--noise",
            "0.25",
            "--holes",
            "4",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    print(f"built the 400k-face phantom in {time.perf_counter() - t:.1f} s")
    cases.append(("phantom 400k faces (STL)", phantom))
    for name in ("anny_male_right.stl", "anny_female_left.ply"):
        if (SHARED / name).exists():
            cases.append((name, SHARED / name))
    rows = []
    for label, path in cases:
        runs = [run([str(AFOFIT), "scan", str(path), "--json"]) for _ in range(3)]
        wall = statistics.median(r[0] for r in runs)
        mem = max(r[1] for r in runs)
        faces = json.loads(
            subprocess.run(
                [str(AFOFIT), "scan", str(path), "--json"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        )["faces"]
        ok = wall <= BUDGET_S and mem <= BUDGET_MB
        rows.append(
            {
                "case": label,
                "faces": faces,
                "wall_s": round(wall, 2),
                "peak_mb": round(mem),
                "within_budget": ok,
            }
        )
    print(
        f"{'case':32} {'faces':>8} {'wall s':>7} {'peak MB':>8}  "
        f"budget {BUDGET_S} s / {BUDGET_MB:.0f} MB"
    )
    for r in rows:
        print(
            f"{r['case']:32} {r['faces']:>8} {r['wall_s']:>7.2f} {r['peak_mb']:>8}  "
            f"{'ok' if r['within_budget'] else 'OVER'}"
        )
    print(f"machine: {os.cpu_count()} cores, python {sys.version.split()[0]}")


if __name__ == "__main__":
    main()
