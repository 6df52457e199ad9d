"""The ankle's height from several cues, each with its uncertainty, fused."""

from __future__ import annotations

import numpy as np
import pytest

from afofit.anatomy import analyse_leg
from afofit.geometry.landmarks import AnkleCue, fuse_cues
from afofit.phantom import PhantomSpec, make_phantom


def test_cues_are_fused_by_their_inverse_variance() -> None:
    fused = fuse_cues([AnkleCue("a", 70.0, 3.0), AnkleCue("b", 80.0, 4.0)])
    # weights 1/9 and 1/16: (70/9 + 80/16) / (1/9 + 1/16) = 73.6; sd 1/sqrt(25/144) = 2.4
    assert fused.height_mm == pytest.approx(73.6)
    assert fused.sd_mm == pytest.approx(2.4)
    assert [c.name for c in fused.cues] == ["a", "b"]
    one = fuse_cues([AnkleCue("only", 65.0, 6.5)])
    assert (one.height_mm, one.sd_mm) == (65.0, 6.5)
    # Confidence: 1 at 2 mm or better, 2 mm / sd below that.
    assert fused.confidence == pytest.approx(2.0 / 2.4)
    assert one.confidence == pytest.approx(2.0 / 6.5)
    assert fuse_cues([AnkleCue("sharp", 60.0, 1.0)]).confidence == 1.0


@pytest.mark.parametrize("seed", [3, 11])
def test_bumps_place_the_ankle_and_smooth_malleoli_fall_back_on_the_other_cues(
    seed: int,
) -> None:
    errors, estimates = {}, {}
    for malleoli in ("bumps", "smooth"):
        phantom = make_phantom(
            PhantomSpec(seed=seed, faces=20000, noise_mm=0.2, pose="random", malleoli=malleoli)
        )
        leg = analyse_leg(phantom.mesh, "phantom")
        truth = np.asarray(phantom.truth["ankle_joint_centre_mm"])
        errors[malleoli] = float(np.linalg.norm(leg.landmarks_mm["ankle_axis_centre"] - truth))
        estimates[malleoli] = leg.ankle_estimate
    bumps, smooth = estimates["bumps"], estimates["smooth"]
    assert bumps is not None and smooth is not None
    assert "malleolar bumps" in [c.name for c in bumps.cues]
    assert bumps.confidence >= 0.7
    assert errors["bumps"] <= 3.0
    # Without bumps: no bump cue, a lower confidence, and the error within the fused
    # height's uncertainty (2 sd) plus the 3 mm the bumps leave.
    assert not any("bump" in c.name for c in smooth.cues)
    assert smooth.confidence < 0.7
    assert errors["smooth"] <= 2.0 * smooth.sd_mm + 3.0
