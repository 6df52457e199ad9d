"""Write the demo gait trials (synthetic, known truth) that ``make demo`` fits with.

A person of 72 kg with a right foot drop: ``demo_gait_rested.csv`` (mild) and
``demo_gait_fatigued.csv`` (after a long walk: worse, as MS foot drop is with fatigue).
Regenerate with ``python examples/make_demo_gait.py``; the output is deterministic.
"""

from __future__ import annotations

from pathlib import Path

from afofit.export import write_gait_csv
from afofit.gait.synthetic import synthetic_trial

HERE = Path(__file__).resolve().parent

for name, severity, seed in (("rested", 0.3, 1), ("fatigued", 0.85, 2)):
    trial, _ = synthetic_trial(seed, strides=6, foot_drop={"right": severity},
                               steppage={"right": 0.5 * severity})  # fmt: skip
    write_gait_csv(trial, HERE / f"demo_gait_{name}.csv", body_mass_kg=72.0)
