"""The trim lines: where on the leg the shell may be, as a field, and how its edges round.

:func:`trim_field` is ≤ 0 inside the trim lines (a sector about the shank axis from the
ankle's to the calf's half-angle, side walls along the foot, the footplate's end, strap
slots) and about the distance out elsewhere; :func:`trim_judged_at` says where each voxel
is judged, so that the build and the checks judge a face alike.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from afofit.design import (
    STRAP_SLOT_INSET_MM,
    STRAP_SLOT_LENGTH_MM,
    STRAP_SLOT_WIDTH_MM,
    DesignParameters,
    about_shank,
)

__all__ = [
    "TRIM_FILLET_MM",
    "smooth_max",
    "smoothstep",
    "stadium",
    "strap_slot_field",
    "trim_field",
    "trim_half_angle",
    "trim_judged_at",
]

Vec = NDArray[np.float64]

#: Radius of the fillet where two trim lines meet, mm.
TRIM_FILLET_MM = 6.0


def trim_judged_at(
    points: Vec, samples: Vec, sample: NDArray[np.int64], toes_from: float | None
) -> Vec:
    """Where the trim is judged for each of ``points``: at its skin ``sample`` (-1: none).

    ``samples`` are the skin samples (n, 3) local mm; ``toes_from`` the local y where
    the toe block begins (None: no toe block).

    Judged at the skin point under each voxel, every trim line cuts straight
    across the wall (a plane cutting a wall it nearly runs along would leave a
    knife edge). A voxel with no sample in reach is judged at itself. Round the
    toe block, ahead of ``toes_from`` (local y), the side walls stand straight
    up: the points keep their own height, so a level cut crosses them squarely.
    """
    judged = np.where((sample >= 0)[:, None], samples[np.maximum(sample, 0)], points)
    if toes_from is not None:
        toe_zone = points[:, 1] > toes_from
        judged[toe_zone, 2] = points[toe_zone, 2]
    return judged


def smooth_max(a: Vec, b: Vec, k: float) -> Vec:
    """Polynomial smooth maximum of ``a`` and ``b``: rounds the intersection's edges.

    ``k`` is about the rounding's radius (0: the plain maximum).
    """
    if k <= 0.0:
        return np.maximum(a, b)
    h = np.clip(0.5 - 0.5 * (a - b) / k, 0.0, 1.0)
    return a * (1.0 - h) + b * h + k * h * (1.0 - h)


def smoothstep(t: Vec) -> Vec:
    """The smooth 0→1 step 3t² − 2t³ of ``t`` clipped to 0..1."""
    t = np.clip(t, 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def trim_half_angle(z: Vec, params: DesignParameters, ankle_z: float) -> Vec:
    """The shank trim's half-angle (rad, from the posterior midline) at heights ``z`` (mm).

    ``params`` gives the ankle's and calf's angles and the top edge, ``ankle_z``
    the ankle centre's height: the ankle's angle holds up to 10 mm above it,
    then eases to the calf's over the next 35 % of the way to the top edge.
    """
    span = max(params.proximal_height_mm - ankle_z, 1.0)
    t = smoothstep((z - ankle_z - 10.0) / (0.35 * span))
    return params.ankle_trim_rad + (params.calf_trim_rad - params.ankle_trim_rad) * t


def trim_field(
    p: Vec,
    params: DesignParameters,
    axis: Vec,
    ankle_z: float,
    heel_y: float,
    toes_from: float | None = None,
    slots: bool = True,
) -> Vec:
    """≤ 0 where the shell may be at points ``p`` (local mm); elsewhere about the distance out.

    ``params`` is the design, ``axis`` the shank axis, ``ankle_z`` and
    ``heel_y`` place the ankle and the heel; the side walls come down to
    the toe-wall height by ``toes_from`` (local y; else by the footplate's end).

    The shank part is a sector about the shank axis, ``|θ| ≤ α(z)`` from the
    posterior midline, α going from the ankle's to the calf's half-angle over
    the lower third of the shell, up to the proximal edge. The foot part is
    everything up to the side-wall height, back from the footplate's end.
    With ``slots`` the strap slots are cut too (:func:`strap_slot_field`).
    """
    y, z = p[:, 1], p[:, 2]
    r, theta = about_shank(p, axis)
    alpha = trim_half_angle(z, params, ankle_z)
    shank = np.maximum(r * (theta - alpha), z - params.proximal_height_mm)
    point, direction = params.footplate_end
    beyond = (p[:, :2] - point) @ direction
    ramp_end = float(point[1]) if toes_from is None else min(toes_from, float(point[1]))
    along = np.clip((y - heel_y) / max(ramp_end - heel_y, 1.0), 0.0, 1.0)
    ramp = smoothstep((along - 0.25) / 0.75)
    wall = (
        params.heel_wall_height_mm + (params.toe_wall_height_mm - params.heel_wall_height_mm) * ramp
    )
    foot = np.maximum(z - wall, beyond)
    # A smooth union fillets the corners where the shank's trim line meets the
    # foot's side-wall line, so no sliver is left in the notch between them.
    inside = -smooth_max(-shank, -foot, TRIM_FILLET_MM)
    if slots and params.strap_slot_heights_mm:
        inside = np.maximum(inside, strap_slot_field(p, params, axis, ankle_z))
    return inside


def strap_slot_field(p: Vec, params: DesignParameters, axis: Vec, ankle_z: float) -> Vec:
    """> 0 inside the strap slots at points ``p`` (local mm), about the distance in; -inf
    without slots. The slots are upright stadiums a little in from the shank's trim edge,
    both sides (theta is symmetric), cut like a trim line (``params``, ``axis`` and
    ``ankle_z`` as for :func:`trim_field`)."""
    out = np.full(len(p), -np.inf)
    if not params.strap_slot_heights_mm:
        return out
    r, theta = about_shank(p, axis)
    along = r * (trim_half_angle(p[:, 2], params, ankle_z) - theta) - STRAP_SLOT_INSET_MM
    for height in params.strap_slot_heights_mm:
        out = np.maximum(out, -stadium(along, p[:, 2] - height))
    return out


def stadium(a: Vec, b: Vec) -> Vec:
    """Signed distance to an upright strap slot, < 0 inside.

    ``a`` runs across the slot (its width), ``b`` along it (its length), mm from its centre.
    """
    half = 0.5 * STRAP_SLOT_WIDTH_MM
    straight = max(0.5 * STRAP_SLOT_LENGTH_MM - half, 0.0)
    return np.hypot(a, np.maximum(np.abs(b) - straight, 0.0)) - half
