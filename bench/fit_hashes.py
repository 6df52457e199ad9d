"""Hashes of what `afofit fit` writes, on varied phantoms and the shared scans.

A refactor that must not change behaviour is checked by running this before and
after and comparing: `afo.stl`, `afo-print.stl` (per leg) and `fitting.json`
(without its `request` block, which records the request itself). Each case runs
the installed command in a fresh process. Slow (a minute or two): not a test.

    python bench/fit_hashes.py [OUT_DIR]   # default /tmp/afofit-hashes (fixed: paths are in fitting.json)
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from timing import AFOFIT, SHARED

ROOT = Path(__file__).resolve().parents[1]
GAIT = [str(ROOT / "examples" / f"demo_gait_{k}.csv") for k in ("rested", "fatigued")]

#: name → (phantom options, fit options); the scans are varied in side, units, pose,
#: noise, holes, open sole, knee and legs, the fits in design, material and options.
PHANTOMS = {
    "p1_right_mm.stl": (
        ["--seed", "7", "--noise", "0.2", "--holes", "2"],
        ["--strap-slots", "--gait", GAIT[0], "--gait", GAIT[1]],
    ),
    "p2_left_cm_open.ply": (
        ["--side", "left", "--units", "cm", "--open-sole", "--seed", "3", "--faces", "40000"],
        ["--design", "solid", "--thickness", "4.5"],
    ),
    "p3_right_m_noknee.obj": (
        ["--units", "m", "--no-knee", "--seed", "5", "--foot-length", "240", "--faces", "40000"],
        ["--design", "semi-rigid", "--footplate", "full", "--material", "pa12"],
    ),
    "p4_both.stl": (["--side", "both", "--seed", "9", "--faces", "30000"], ["--side", "both"]),
    "p5_left_in.stl": (
        [
            "--side",
            "left",
            "--units",
            "in",
            "--seed",
            "11",
            "--noise",
            "0.3",
            "--holes",
            "4",
            "--calf-girth",
            "400",
            "--faces",
            "40000",
        ],
        ["--stiffness", "1.0", "--clearance", "3", "--landmarks", "LANDMARKS"],
    ),
}
SCANS = {"anny_male_right.stl": ["--design", "pls"], "anny_female_left.ply": ["--design", "solid"]}


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def _json_sha(path: Path, out: Path) -> str:
    """The hash of fitting.json without its request block, the folders' paths as placeholders
    (so that runs from another checkout or into another folder compare)."""
    text = path.read_text().replace(str(out), "<OUT>").replace(str(ROOT), "<ROOT>")
    data = json.loads(text)
    data.pop("request", None)
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


def _fit(scan: Path, options: list[str], out: Path) -> list[str]:
    run = subprocess.run([str(AFOFIT), "fit", str(scan), "-o", str(out), *options],
                         capture_output=True, text=True, check=False)  # fmt: skip
    if run.returncode != 0:
        return [f"exit {run.returncode}: {run.stderr.strip()[-200:]}"]
    rows = [f"{p.name}={_sha(p)}" for p in sorted(out.glob("*.stl"))]
    return [*rows, f"fitting.json={_json_sha(out / 'fitting.json', out.parent)}"]


def main() -> None:
    tmp = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/afofit-hashes")
    tmp.mkdir(parents=True, exist_ok=True)
    cases: list[tuple[str, Path, list[str]]] = []
    for name, (make, options) in PHANTOMS.items():
        path = tmp / name
        subprocess.run([str(AFOFIT), "phantom", str(path), *make], check=True,
                       stdout=subprocess.DEVNULL)  # fmt: skip
        if "LANDMARKS" in options:  # the truth's heel and malleoli, given by hand (mm, scan frame)
            truth = json.loads(path.with_suffix(".truth.json").read_text())
            given = {k: truth[k] for k in ("heel_posterior_mm",)}
            picked = tmp / f"{path.stem}.landmarks.json"
            picked.write_text(json.dumps({"heel": given["heel_posterior_mm"]}))
            options = [str(picked) if o == "LANDMARKS" else o for o in options]
        cases.append((name, path, options))
    cases += [(n, SHARED / n, o) for n, o in SCANS.items() if (SHARED / n).exists()]
    for name, path, options in cases:
        print(name, *_fit(path, options, tmp / f"fit_{Path(name).stem}"), flush=True)


if __name__ == "__main__":
    main()
