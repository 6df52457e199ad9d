"""Gait event detection accuracy: detected events vs the lab's, and vs synthetic truth.

For each reference C3D in ../shared/data/gait the file's own events are hidden and the
detector runs twice: on the markers (Zeni 2008 + contact refinement) and on the joint angles
only (markers hidden too). Then the same on synthetic trials with known events. Prints, per
event kind: matched/total lab events (within 60 ms), bias, median and max |error|.

    python bench/gait_events.py
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import numpy as np

from afofit.gait.events import detect_events, match_events
from afofit.gait.model import EventTimes, GaitTrial
from afofit.gait.readers import load_gait
from afofit.gait.synthetic import synthetic_trial

GAIT = Path(__file__).resolve().parents[2] / "shared" / "data" / "gait"
FILES = ("treadmill_hbm2_events.c3d", "overground_pig_fullbody.c3d")
TOLERANCE_S = 0.06
KINDS = (("foot_strike_s", "foot strike"), ("foot_off_s", "foot off"))


def load(path: Path) -> GaitTrial:
    """The trial through afofit's reader."""
    return load_gait(path)


def score(
    detected: dict[str, EventTimes], reference: dict[str, EventTimes]
) -> dict[str, tuple[int, int, np.ndarray]]:
    """Per event kind: (matched, total, errors in s) pooled over both sides."""
    out = {}
    for kind, _ in KINDS:
        errors, matched, total = [], 0, 0
        for side, ref in reference.items():
            times = getattr(ref, kind)
            found = getattr(detected[side], kind) if side in detected else np.zeros(0)
            err, _ = match_events(found, times, TOLERANCE_S)
            errors.append(err)
            matched += len(err)
            total += len(times)
        out[kind] = (matched, total, np.concatenate(errors))
    return out


def report(name: str, trial: GaitTrial, reference: dict[str, EventTimes]) -> None:
    """Print one row per event kind for one detection."""
    detected, method = detect_events(dataclasses.replace(trial, events={}))
    for kind, label in KINDS:
        matched, total, err = score(detected, reference)[kind]
        ms = np.abs(err) * 1000
        stats = (
            f"bias {err.mean() * 1000:+5.1f} ms  median {np.median(ms):4.1f} ms  max {ms.max():4.1f} ms"
            if len(err)
            else "no match"
        )
        print(f"{name:46s} {label:11s} {matched:3d}/{total:<3d} {stats}   [{method}]")


def main() -> int:
    """Run every case; return 0."""
    print(f"matched = lab events with a detected one within {TOLERANCE_S * 1000:.0f} ms")
    for file in FILES:
        path = GAIT / file
        if not path.exists():
            print(f"{file}: not present ({GAIT} is absent on this machine)")
            continue
        trial = load(path)
        reference = trial.events
        report(f"{file} markers", trial, reference)
        no_markers = dataclasses.replace(trial, markers_mm={})
        report(f"{file} angles only", no_markers, reference)
        no_knee = dataclasses.replace(
            no_markers, angles_rad={k: v for k, v in trial.angles_rad.items() if k[1] == "ankle"}
        )
        report(f"{file} ankle only", no_knee, reference)
    cases = {
        "synthetic overground": {},
        "synthetic foot drop 1.0 / steppage": {"foot_drop": {"left": 1.0}, "steppage": {"left": 1}},
        "synthetic treadmill, walking -x": {"treadmill": True, "heading_deg": 180.0},
        "synthetic 60 Hz, slow, stance 68 %": {
            "rate_hz": 60.0,
            "speed_mm_per_s": 600.0,
            "stride_time_s": 1.5,
            "stance_frac": 0.68,
        },
    }
    for name, kwargs in cases.items():
        pooled: dict[str, dict[str, list[float]]] = {}
        for variant in ("markers", "angles only", "ankle only"):
            for seed in range(5):
                trial, truth = synthetic_trial(
                    seed, noise_deg=0.5, with_markers=variant == "markers", **kwargs
                )
                if variant == "ankle only":
                    angles = {k: v for k, v in trial.angles_rad.items() if k[1] == "ankle"}
                    trial = dataclasses.replace(trial, angles_rad=angles)
                detected, _ = detect_events(dataclasses.replace(trial, events={}))
                # Events within 0.1 s of the trial's ends cannot be peaks: not scored.
                inner = {
                    side: EventTimes(
                        *(
                            e[(e > trial.time_s[0] + 0.1) & (e < trial.time_s[-1] - 0.1)]
                            for e in (ev.foot_strike_s, ev.foot_off_s)
                        )
                    )
                    for side, ev in truth.events.items()
                }
                for kind, (matched, total, err) in score(detected, inner).items():
                    bucket = pooled.setdefault(f"{variant} {kind}", {"m": [], "t": [], "e": []})
                    bucket["m"].append(matched)
                    bucket["t"].append(total)
                    bucket["e"].extend(err)
        for key, b in pooled.items():
            ms = np.abs(np.array(b["e"])) * 1000
            print(
                f"{name + ' ' + key.split(' foot')[0]:46s} {'foot ' + key.split(' foot_')[1][:-2]:11s} "
                f"{sum(b['m']):3d}/{sum(b['t']):<3d} bias {np.mean(b['e']) * 1000:+5.1f} ms  "
                f"median {np.median(ms):4.1f} ms  max {ms.max():4.1f} ms   [5 seeds]"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
