"""Ground truth: landmarks and calf girth of the noise-free leg, and the truth
dict ordered like the real-scan truth files."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from afofit.phantom.shape import PhantomAnatomy, girth_range_mm, hull_perimeter_mm
from afofit.phantom.spec import FloatArray, PhantomSpec

__all__ = [
    "POINT_KEYS",
    "assemble_truth",
    "json_ready",
    "leg_truth",
]

# ---------------------------------------------------------------------------
# Ground truth.
# ---------------------------------------------------------------------------


def _max_girth(
    vertices: FloatArray, faces: NDArray[np.int64], z_lo: float, z_hi: float
) -> tuple[float, float]:
    """Largest convex-hull perimeter of horizontal sections in [z_lo, z_hi], and its height, mm."""
    edges = np.unique(np.sort(faces[:, [0, 1, 1, 2, 2, 0]].reshape(-1, 2), axis=1), axis=0)
    za, zb = vertices[edges[:, 0], 2], vertices[edges[:, 1], 2]
    edges = edges[(np.maximum(za, zb) >= z_lo) & (np.minimum(za, zb) <= z_hi)]
    a, b = vertices[edges[:, 0]], vertices[edges[:, 1]]

    def girth(z: float) -> float:
        cross = (a[:, 2] < z) != (b[:, 2] < z)
        s = (z - a[cross, 2]) / (b[cross, 2] - a[cross, 2])
        pts = a[cross, :2] + s[:, None] * (b[cross, :2] - a[cross, :2])
        return hull_perimeter_mm(pts) if len(pts) >= 3 else 0.0

    heights = np.arange(z_lo, z_hi, 2.0)
    best = float(heights[np.argmax([girth(z) for z in heights])])
    fine = np.clip(np.arange(best - 2.0, best + 2.01, 0.25), z_lo, z_hi)
    girths = [girth(z) for z in fine]
    i = int(np.argmax(girths))
    return float(girths[i]), float(fine[i])


def leg_truth(
    an: PhantomAnatomy, vertices: FloatArray, faces: NDArray[np.int64], reaches_knee: bool
) -> dict[str, Any]:
    """Ground truth of one noise-free RIGHT leg in the neutral frame (points (3,) mm).

    ``an`` is its anatomy, ``vertices`` and ``faces`` its mesh; ``reaches_knee`` says
    whether the knee is in the scan.
    """
    f = an.fl_mm
    low = vertices[:, 2] < 0.3 * f
    heel = vertices[low][np.argmin(vertices[low, 1])]
    toe = vertices[np.argmax(vertices[:, 1])]
    girth, girth_z = _max_girth(vertices, faces, *girth_range_mm(an))
    return {
        "stature_mm": an.stature_mm,
        "ankle_joint_centre_mm": 0.5 * (an.lat_malleolus_mm + an.med_malleolus_mm),
        "knee_joint_centre_mm": an.knee_mm if reaches_knee else None,
        "mtp1_joint_mm": an.mtp1_mm,
        "mtp5_joint_mm": an.mtp5_mm,
        "heel_posterior_mm": heel,
        "toe_tip_mm": toe,
        "lateral_malleolus_mm": an.lat_malleolus_mm,
        "medial_malleolus_mm": an.med_malleolus_mm,
        "fibular_head_mm": an.fibular_head_mm if reaches_knee else None,
        # bimalleolar breadth: apex-to-apex distance along the mediolateral axis
        "malleolar_width_mm": float(an.lat_malleolus_mm[0] - an.med_malleolus_mm[0]),
        "calf_girth_max_mm": girth,
        "calf_girth_height_mm": girth_z,
        "shank_length_mm": float(
            np.linalg.norm(an.knee_mm - 0.5 * (an.lat_malleolus_mm + an.med_malleolus_mm))
        )
        if reaches_knee
        else None,
    }


POINT_KEYS = (
    "ankle_joint_centre_mm",
    "knee_joint_centre_mm",
    "mtp1_joint_mm",
    "mtp5_joint_mm",
    "heel_posterior_mm",
    "toe_tip_mm",
    "lateral_malleolus_mm",
    "medial_malleolus_mm",
    "fibular_head_mm",
)


def json_ready(value: Any) -> Any:
    """``value`` with numpy arrays and scalars turned into lists and Python numbers."""
    if isinstance(value, dict):
        return {k: json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_ready(v) for v in value]
    if isinstance(value, np.ndarray):
        return [float(v) for v in value]
    if isinstance(value, np.floating | np.integer):
        return value.item()
    return value


def assemble_truth(
    spec: PhantomSpec, legs: list[dict[str, Any]], faces: int, scale: float
) -> dict[str, Any]:
    """The truth dict of phantom ``spec``: keys ordered like the real-scan truth files.

    ``legs`` are each leg's :func:`leg_truth` in the file's frame, ``faces`` the
    mesh's face count and ``scale`` the file units' size in mm.
    """
    leg_keys = POINT_KEYS[:6]  # the points the real-scan truth files carry

    def one(leg: dict[str, Any], other: dict[str, Any] | None, n_faces: int) -> dict[str, Any]:
        up = np.asarray(leg["up_axis"])
        anterior = np.asarray(leg["anterior_axis"])
        out: dict[str, Any] = {
            "case": f"phantom_seed{spec.seed}_{spec.side}",
            "side": leg["side"],
            "units_in_file": spec.units,
            "stature_mm": leg["stature_mm"],
            "faces": n_faces,
        }
        out.update({k: leg[k] for k in leg_keys})
        out["foot_length_mm"] = float(
            (np.asarray(leg["toe_tip_mm"]) - np.asarray(leg["heel_posterior_mm"])) @ anterior
        )
        out["other_ankle_joint_centre_mm"] = (
            None if other is None else other["ankle_joint_centre_mm"]
        )
        out["up_axis"] = up
        out["anterior_axis"] = anterior
        for k in (
            "lateral_malleolus_mm",
            "medial_malleolus_mm",
            "fibular_head_mm",
            "malleolar_width_mm",
            "calf_girth_max_mm",
            "calf_girth_height_mm",
            "shank_length_mm",
        ):
            out[k] = leg[k]
        out["scale_to_mm"] = scale
        out["seed"] = spec.seed
        out["malleoli"] = spec.malleoli
        if spec.calf_swelling_pct:
            out["calf_swelling_pct"] = spec.calf_swelling_pct
        return out

    if len(legs) == 1:
        return one(legs[0], None, faces)
    right, left = legs
    top = one(right, left, faces)
    top["legs"] = [one(right, left, right["faces"]), one(left, right, left["faces"])]
    return top
