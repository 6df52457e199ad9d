"""make_phantom: anatomy, meshing and truth of one leg, then stance, pose and
degradation (open sole, noise, holes)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import trimesh
from numpy.typing import NDArray

from afofit.geometry.topology import compact_mesh
from afofit.phantom.mesh import largest_component, mesh_leg, vertex_face_components
from afofit.phantom.shape import PhantomAnatomy
from afofit.phantom.spec import FloatArray, Phantom, PhantomSpec
from afofit.phantom.subject import make_anatomy
from afofit.phantom.truth import POINT_KEYS, assemble_truth, json_ready, leg_truth
from afofit.units import SCALE_TO_MM, deg_to_rad

# Independent random streams (children of default_rng(seed)), so that e.g.
# changing noise_mm does not change the anatomy or the pose.
_STREAM_ANATOMY, _STREAM_STANCE, _STREAM_POSE, _STREAM_NOISE, _STREAM_HOLES = range(5)
_N_STREAMS = 5

# Plantar area share of the face count, removed again by open_sole.
_SOLE_FACE_FRACTION = 0.06


# ---------------------------------------------------------------------------
# Stance, pose, degradation.
# ---------------------------------------------------------------------------


def _transform_leg(
    vertices: FloatArray,
    faces: NDArray[np.int64],
    truth: dict[str, Any],
    rotation: FloatArray,
    translation: FloatArray,
    mirror: bool,
) -> tuple[FloatArray, NDArray[np.int64], dict[str, Any]]:
    """Mirror in x (optionally), then rotate and translate a leg and its truth points."""
    flip = np.array([-1.0 if mirror else 1.0, 1.0, 1.0])
    out = dict(truth)
    for key in POINT_KEYS:
        if out[key] is not None:
            out[key] = rotation @ (np.asarray(out[key]) * flip) + translation
    for key, axis in (("up_axis", (0.0, 0.0, 1.0)), ("anterior_axis", (0.0, 1.0, 0.0))):
        out[key] = rotation @ np.asarray(out.get(key, axis))
    faces = faces[:, ::-1] if mirror else faces  # mirroring flips the winding
    return (vertices * flip) @ rotation.T + translation, faces, out


def _rotation_z(angle_rad: float) -> FloatArray:
    c, s = math.cos(angle_rad), math.sin(angle_rad)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def _random_pose(rng: np.random.Generator) -> tuple[FloatArray, FloatArray]:
    """Uniform random rotation (normalised Gaussian quaternion) and a translation of ±400 mm."""
    w, x, y, z = rng.standard_normal(4)
    n = math.sqrt(w * w + x * x + y * y + z * z)
    w, x, y, z = w / n, x / n, y / n, z / n
    rotation = np.array(
        [
            [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
            [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
            [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
        ]
    )
    return rotation, rng.uniform(-400.0, 400.0, 3)


def _open_sole(
    vertices: FloatArray, faces: NDArray[np.int64], fl_mm: float
) -> tuple[FloatArray, NDArray[np.int64]]:
    """Remove downward-facing faces within 0.05 foot lengths of the floor (neutral frame).

    Islands left under the toes are dropped too, as a scanner would not see them.
    """
    tri = vertices[faces]
    normal = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    n_z = normal[:, 2] / np.maximum(np.linalg.norm(normal, axis=1), 1e-300)
    plantar = (n_z < -0.6) & (tri[:, :, 2].mean(axis=1) < 0.05 * fl_mm)
    return largest_component(vertices, faces[~plantar])


def _add_noise(
    vertices: FloatArray, faces: NDArray[np.int64], sd_mm: float, rng: np.random.Generator
) -> FloatArray:
    normals = trimesh.Trimesh(vertices, faces, process=False).vertex_normals
    normals = np.asarray(normals, dtype=np.float64)
    return vertices + normals * rng.normal(0.0, sd_mm, len(vertices))[:, None]


def _hole_mask(
    vertices: FloatArray, faces: NDArray[np.int64], count: int, rng: np.random.Generator
) -> NDArray[np.bool_]:
    """Mask of the faces to keep after punching `count` holes, (m,) bool.

    A hole deletes the faces within 3-8 mm of a random surface point (area-weighted);
    any speck a hole ring cuts off (< 1 % of the faces) goes too.
    """
    tri = vertices[faces]
    area = 0.5 * np.linalg.norm(np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]), axis=1)
    centroids = tri.mean(axis=1)
    seeds = rng.choice(len(faces), size=count, p=area / area.sum())
    radii = rng.uniform(3.0, 8.0, count)
    keep = np.ones(len(faces), dtype=bool)
    keep[seeds] = False
    for face, radius in zip(seeds, radii, strict=True):
        keep &= np.linalg.norm(centroids - centroids[face], axis=1) >= radius
    labels = vertex_face_components(faces[keep])
    sizes = np.bincount(labels)
    keep[np.flatnonzero(keep)[sizes[labels] < 0.01 * len(labels)]] = False
    return keep


#: The calf's swelling (:attr:`PhantomSpec.calf_swelling_pct`) spans this part of the way
#: from the ankle to the knee, ramped in over SWELLING_RAMP_MM at each end.
SWELLING_FROM, SWELLING_TO, SWELLING_RAMP_MM = 0.35, 0.70, 10.0


def _swell_calf(vertices: FloatArray, an: PhantomAnatomy, pct: float) -> FloatArray:
    """``vertices`` (neutral frame, mm) with every section across the ankle-knee axis
    scaled by 1 + ``pct``/100 about it over the calf (:data:`SWELLING_FROM` to
    :data:`SWELLING_TO`): the girths there change by exactly ``pct`` %."""
    ankle = 0.5 * (an.lat_malleolus_mm + an.med_malleolus_mm)
    axis = an.knee_mm - ankle
    length = float(np.linalg.norm(axis))
    axis = axis / length
    offset = vertices - ankle
    along = offset @ axis
    radial = offset - np.outer(along, axis)
    low, high = SWELLING_FROM * length, SWELLING_TO * length
    weight = np.clip(
        np.minimum(along - (low - SWELLING_RAMP_MM), (high + SWELLING_RAMP_MM) - along)
        / SWELLING_RAMP_MM, 0.0, 1.0,
    )  # fmt: skip
    return ankle + np.outer(along, axis) + radial * (1.0 + 0.01 * pct * weight)[:, None]


def make_phantom(spec: PhantomSpec) -> Phantom:
    """Build a synthetic lower leg with foot, and its exact ground truth.

    Parameters
    ----------
    spec : PhantomSpec
        Size, side, pose, units, resolution and degradation of the phantom.

    Returns
    -------
    Phantom
        ``mesh``: (n, 3) float vertices in ``spec.units``, posed, open at the top
        (and at the sole if ``spec.open_sole``). ``truth``: points in mm in the
        posed frame, built from the noise-free construction; the module
        docstring lists the keys.

    Notes
    -----
    The same spec gives byte-identical vertices and faces. Each random step
    draws from its own child of ``numpy.random.default_rng(spec.seed)``.
    """
    streams = np.random.default_rng(spec.seed).spawn(_N_STREAMS)
    an = make_anatomy(spec, streams[_STREAM_ANATOMY])
    target = spec.faces / (1.0 - _SOLE_FACE_FRACTION) if spec.open_sole else spec.faces
    vertices, faces = mesh_leg(an, round(target))
    if spec.calf_swelling_pct:
        vertices = _swell_calf(vertices, an, spec.calf_swelling_pct)
    truth = leg_truth(an, vertices, faces, spec.reaches_knee)
    if spec.open_sole:
        vertices, faces = _open_sole(vertices, faces, an.fl_mm)
    identity = np.eye(3)
    if spec.side == "both":
        stance = streams[_STREAM_STANCE]
        toe_out = deg_to_rad(stance.uniform(0.0, 12.0, 2))  # right, left
        gap_mm = float(stance.uniform(160.0, 220.0))
        ankle = np.asarray(truth["ankle_joint_centre_mm"])
        legs = []
        for mirror, angle in ((False, -toe_out[0]), (True, toe_out[1])):
            pivot = ankle * [-1.0 if mirror else 1.0, 1.0, 1.0]
            rot = _rotation_z(float(angle))
            legs.append(_transform_leg(vertices, faces, truth, rot, pivot - rot @ pivot, mirror))
        # Ankles gap_mm apart, widened if needed to keep the legs 5 mm apart in x.
        right_medial = legs[0][0][:, 0].min() - legs[0][2]["ankle_joint_centre_mm"][0]
        left_medial = legs[1][0][:, 0].max() - legs[1][2]["ankle_joint_centre_mm"][0]
        half = 0.5 * max(gap_mm, 5.0 + left_medial - right_medial)
        placed = []
        for (v, fc, tr), sense in zip(legs, (1.0, -1.0), strict=True):
            shift = np.array(
                [
                    sense * half - tr["ankle_joint_centre_mm"][0],
                    -tr["ankle_joint_centre_mm"][1],
                    0.0,
                ]
            )
            placed.append(_transform_leg(v, fc, tr, identity, shift, False))
        parts = placed
    else:
        parts = [_transform_leg(vertices, faces, truth, identity, np.zeros(3), spec.side == "left")]
    if spec.pose == "random":
        rotation, translation = _random_pose(streams[_STREAM_POSE])
        parts = [_transform_leg(v, fc, tr, rotation, translation, False) for v, fc, tr in parts]
    offsets = np.cumsum([0] + [len(v) for v, _, _ in parts])
    all_v = np.vstack([v for v, _, _ in parts])
    all_f = np.vstack([fc + o for (_, fc, _), o in zip(parts, offsets, strict=False)])
    if spec.noise_mm > 0.0:
        all_v = _add_noise(all_v, all_f, float(spec.noise_mm), streams[_STREAM_NOISE])
    leg_of_face = np.repeat(np.arange(len(parts)), [len(fc) for _, fc, _ in parts])
    if spec.holes > 0:
        keep = _hole_mask(all_v, all_f, int(spec.holes), streams[_STREAM_HOLES])
        all_v, all_f = compact_mesh(all_v, all_f[keep])
        leg_of_face = leg_of_face[keep]
    scale = SCALE_TO_MM[spec.units]
    mesh = trimesh.Trimesh(all_v / scale, all_f, process=False)
    leg_faces = np.bincount(leg_of_face, minlength=len(parts))
    leg_truths = []
    sides = ("right", "left") if spec.side == "both" else (spec.side,)
    for (_, _, tr), side, n_faces in zip(parts, sides, leg_faces, strict=True):
        leg_truths.append({**tr, "side": side, "faces": int(n_faces)})
    return Phantom(mesh, json_ready(assemble_truth(spec, leg_truths, len(all_f), scale)))
