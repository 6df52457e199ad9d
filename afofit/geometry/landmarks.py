"""Bony landmarks of the lower leg and foot, found on the skin surface.

All work is in the frame's local coordinates (x lateral, y anterior, z up from
the sole, mm; see :mod:`afofit.geometry.frames`), so the same code serves a left
and a right leg in any pose.

Anatomical offsets used (each a typical adult value; the phantom and the
Anny scans measure how well they hold, see the README's accuracy table):

- metatarsophalangeal (MTP) joint centres lie inside the foot, behind the most
  medial (MTP1) and most lateral (MTP5) skin points of the forefoot: the first
  metatarsal head has a radius of about 10 mm under 3-5 mm of soft tissue, the
  fifth about 6 mm under 4-5 mm.
- the ankle (talocrural) joint centre lies between the two malleoli, as
  Plug-in Gait takes it (within about 10 mm of the skeleton's joint on the
  Anny models); its height is fused from the cues that show on the skin
  (:func:`_malleoli`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from afofit.geometry.frames import LegFrame
from afofit.geometry.measure import Sections

__all__ = [
    "LANDMARK_NAMES",
    "AnkleCue",
    "AnkleEstimate",
    "LocalLandmarks",
    "detect_landmarks",
    "fuse_cues",
]

Vec = NDArray[np.float64]

LANDMARK_NAMES = (
    "lateral_malleolus",
    "medial_malleolus",
    "ankle_axis_centre",
    "heel",
    "mtp1",
    "mtp5",
    "toe_tip",
    "knee_centre",
    "fibular_head",
)

#: Skin this close to the most posterior counts as the back of the heel, mm.
HEEL_FLAT_MM = 1.0

#: Levels of the first and fifth MTP joint centres from the heel, as
#: fractions of foot length. Foot-measurement practice puts the first at
#: 0.72-0.73 and the fifth at 0.63-0.65 of foot length; the Anny body model's
#: skeleton at 0.78 and 0.70-0.73. Taken between the two; the error this
#: leaves is measured in tests/test_fit.py.
MTP1_FRACTION = 0.75
MTP5_FRACTION = 0.68
#: Height of the MTP joint centres within the forefoot's thickness there.
MTP_HEIGHT_FRACTION = 0.55

#: Ankle-to-knee joint distance in foot lengths (1.61 and 1.68 on the Anny
#: models; about 0.246 / 0.152 of stature in Drillis-Contini proportions).
SHANK_LENGTH_FRACTION = 1.62
#: The fibular head lies about 2 cm below the knee joint line.
FIBULAR_HEAD_BELOW_KNEE_MM = 20.0

#: Depth of the MTP joint centres below the skin's widest point, mm (see module doc).
MTP1_DEPTH_MM = 13.0
MTP5_DEPTH_MM = 10.0


@dataclass(frozen=True, slots=True)
class LocalLandmarks:
    """Landmarks in local coordinates (x lateral, y anterior, z up), mm.

    ``points`` maps a name of :data:`LANDMARK_NAMES` to a (3,) array or None
    (knee and fibular head when the scan does not reach the knee);
    ``confidence`` maps the same names to 0..1; ``ankle`` says how the ankle
    centre's height was found (its cues and uncertainty).
    """

    points: dict[str, Vec | None]
    confidence: dict[str, float]
    ankle: AnkleEstimate


def _extreme(local: Vec, mask: NDArray[np.bool_], direction: Vec, tol_mm: float = 0.7) -> Vec:
    """Mean of the masked points within ``tol_mm`` of the extreme along ``direction``.

    Averaging the few outermost points keeps one noisy vertex from deciding.
    """
    pts = local[mask]
    s = pts @ direction
    top = s.max()
    return pts[s >= top - tol_mm].mean(axis=0)


def _ankle_ap_centre(local: Vec, foot_length: float) -> float:
    """Antero-posterior centre of the leg just above the ankle, mm (local y).

    Taken from a slab at half a foot length above the sole, clear of the
    heel and the dorsum of the foot, where the leg's section is centred over
    the talus.
    """
    z = local[:, 2]
    slab = np.abs(z - 0.5 * foot_length) < 6.0
    y = local[slab, 1]
    return 0.5 * float(y.min() + y.max()) if len(y) else 0.0


#: The ankle centre's height above the sole as a fraction of foot length, and the spread of
#: that ratio between people (1 sd). Foot-measurement practice puts the malleoli at about a
#: quarter of foot length above the floor; the Anny models have their ankle centres at 0.26
#: and 0.31 of it, so the spread is taken wide (0.025, about 6.5 mm on a 260 mm foot).
ANKLE_HEIGHT_FRACTION = 0.275
ANKLE_HEIGHT_SD_FRACTION = 0.025
#: The medial malleolus stands 0-30 mm higher than the lateral one; when only
#: one is found, the other is put this far from it.
MEDIAL_ABOVE_LATERAL_MM = (0.0, 30.0)
TYPICAL_MEDIAL_ABOVE_LATERAL_MM = 13.0
#: The talus lies forward of the middle of the leg's section at the ankle:
#: behind it are the Achilles tendon and Kager's fat pad (about 2-2.5 cm),
#: in front only the extensor tendons (about 1 cm). Used without bumps.
ANKLE_ANTERIOR_OFFSET_MM = 6.0
#: A malleolus must stand out at least this far from the skin 8-20 mm above
#: and below it (from the mean of the two, so a bump on a sloping side counts), mm.
MIN_PROMINENCE_MM = 1.5
#: Uncertainty (1 sd) of the ankle centre's height from both malleolar bumps, and
#: from one (the other put TYPICAL_MEDIAL_ABOVE_LATERAL_MM away), mm.
BUMPS_SD_MM = 2.0
ONE_BUMP_SD_MM = 4.0
#: The cross-section's width profile: a peak must stand out at least this far (mm,
#: as the prominence above); its height's uncertainty is WIDTH_SD_MM2 / (how far it
#: stands out), within WIDTH_SD_RANGE_MM. Measured (bench/ankle_accuracy.py): the bumpy
#: phantoms' 2-3.7 mm peaks land within 5 mm of the joint centre, mostly within 3; the
#: Anny models' 1.0-1.3 mm peaks within 5.5 mm; weaker peaks (0.6 mm on a smooth
#: phantom) can be 18 mm off, so they are not used.
MIN_WIDTH_PEAK_MM = 0.8
WIDTH_SD_MM2 = 6.0
WIDTH_SD_RANGE_MM = (2.0, 12.0)
_STEP_MM = 2.0


@dataclass(frozen=True, slots=True)
class AnkleCue:
    """One cue to the ankle centre's height: its ``name``, the height it gives above
    the sole (``height_mm``) and that height's uncertainty (``sd_mm``, 1 sd)."""

    name: str
    height_mm: float
    sd_mm: float


@dataclass(frozen=True, slots=True)
class AnkleEstimate:
    """The ankle centre's height fused from its ``cues`` (inverse-variance weighted):
    ``height_mm`` above the sole and its uncertainty ``sd_mm`` (1 sd)."""

    cues: tuple[AnkleCue, ...]
    height_mm: float
    sd_mm: float

    @property
    def confidence(self) -> float:
        """0..1: 1 for an uncertainty of 2 mm or less, falling as 2 mm / sd (0.3 at 6.5 mm)."""
        return float(np.clip(BUMPS_SD_MM / self.sd_mm, 0.1, 1.0))


def fuse_cues(cues: list[AnkleCue]) -> AnkleEstimate:
    """The inverse-variance weighted mean of independent ``cues`` (at least one)."""
    weights = np.array([1.0 / c.sd_mm**2 for c in cues])
    heights = np.array([c.height_mm for c in cues])
    return AnkleEstimate(
        tuple(cues),
        float(weights @ heights / weights.sum()),
        float(1.0 / np.sqrt(weights.sum())),
    )


def _outer_profile(local: Vec, foot_length: float, sign: float, centre_y: float) -> tuple[Vec, Vec]:
    """Outermost skin (x towards ``sign``) per 2 mm of height in the ankle band.

    Returns the bin centres (mm above the sole) and the profile (mm), with
    gaps filled and dips narrower than two bins closed, so that a hole in
    the scan reads as skin, not as a hollow between two bumps.
    """
    x, y, z = local[:, 0] * sign, local[:, 1], local[:, 2]
    lo_z, hi_z = 0.15 * foot_length, 0.45 * foot_length
    band = (z > lo_z) & (z < hi_z) & (np.abs(y - centre_y) < 0.09 * foot_length)
    edges = np.arange(lo_z, hi_z + 1e-9, _STEP_MM)
    idx = np.digitize(z[band], edges) - 1
    inside = (idx >= 0) & (idx < len(edges) - 1)
    profile = np.full(len(edges) - 1, -np.inf)
    np.maximum.at(profile, idx[inside], x[band][inside])
    valid = np.isfinite(profile)
    centres = 0.5 * (edges[:-1] + edges[1:])
    if valid.sum() < 7:
        return centres, np.full(len(centres), np.nan)
    filled = np.interp(np.arange(len(profile)), np.flatnonzero(valid), profile[valid])
    padded = np.pad(filled, 2, mode="edge")
    closed = np.max(np.lib.stride_tricks.sliding_window_view(padded, 5), axis=1)
    opened = np.pad(closed, 1, mode="edge")
    closed = np.min(np.lib.stride_tricks.sliding_window_view(opened, 3), axis=1)
    smooth = np.convolve(np.pad(closed, 1, mode="edge"), np.ones(3) / 3.0, mode="valid")
    return centres, smooth


def _prominence(profile: Vec) -> Vec:
    """How far each height stands out from the skin 8-20 mm above and below, mm: its
    excess over the mean of the two sides' means (a straight slope stands out by 0).

    NaN near the ends, where one side is missing.
    """
    near, far = int(8 / _STEP_MM), int(20 / _STEP_MM)
    out = np.full(len(profile), np.nan)
    for k in range(far, len(profile) - far):
        below = profile[k - far : k - near + 1].mean()
        above = profile[k + near : k + far + 1].mean()
        out[k] = profile[k] - 0.5 * (below + above)
    return out


def _peak(heights: Vec, values: Vec, k: int) -> float:
    """The height of the peak of ``values`` at bin ``k``, refined by a parabola through
    it and its neighbours."""
    if 0 < k < len(values) - 1 and np.isfinite(values[k - 1 : k + 2]).all():
        a, b, c = values[k - 1 : k + 2]
        curve = a - 2.0 * b + c
        if curve < 0.0:
            return float(heights[k] + 0.5 * _STEP_MM * (a - c) / curve)
    return float(heights[k])


def _width_cue(heights: Vec, width: Vec, foot_length: float) -> AnkleCue | None:
    """The cross-section's cue: the medio-lateral width profile peaks at the malleoli.

    The most prominent height of ``width`` (:func:`_prominence`) within three sd of the
    proportions' height; None if nothing there stands out MIN_WIDTH_PEAK_MM.
    """
    prominence = _prominence(width)
    expected = ANKLE_HEIGHT_FRACTION * foot_length
    near = np.abs(heights - expected) <= 3.0 * ANKLE_HEIGHT_SD_FRACTION * foot_length
    scored = np.where(near & np.isfinite(prominence), prominence, -np.inf)
    k = int(np.argmax(scored))
    if scored[k] < MIN_WIDTH_PEAK_MM:
        return None
    sd = float(np.clip(WIDTH_SD_MM2 / scored[k], *WIDTH_SD_RANGE_MM))
    return AnkleCue("cross-section width", _peak(heights, prominence, k), sd)


def _bumps(heights: Vec, lat_prom: Vec, med_prom: Vec) -> tuple[int | None, int | None]:
    """The bins of the lateral and medial malleolar bumps (None for a side without one).

    A bump stands out at least MIN_PROMINENCE_MM; the pair is chosen together (the
    medial one 0-30 mm higher, the most prominent such pair); without a pair, the
    more prominent single bump.
    """
    lat_ok = np.nan_to_num(lat_prom, nan=-np.inf) >= MIN_PROMINENCE_MM
    med_ok = np.nan_to_num(med_prom, nan=-np.inf) >= MIN_PROMINENCE_MM
    lo, hi = MEDIAL_ABOVE_LATERAL_MM
    best = (-np.inf, -1, -1)
    for i in np.flatnonzero(lat_ok):
        for j in np.flatnonzero(med_ok):
            if lo <= heights[j] - heights[i] <= hi:
                score = lat_prom[i] + med_prom[j]
                if score > best[0]:
                    best = (score, int(i), int(j))
    if best[1] >= 0:
        return best[1], best[2]
    lat_best = np.where(lat_ok, lat_prom, -np.inf)
    med_best = np.where(med_ok, med_prom, -np.inf)
    if not (lat_ok.any() or med_ok.any()):
        return None, None
    if lat_best.max() >= med_best.max():
        return int(np.argmax(lat_best)), None
    return None, int(np.argmax(med_best))


def _malleoli(
    local: Vec, foot_length: float, centre_y: float
) -> tuple[Vec, Vec, float, float, AnkleEstimate]:
    """The lateral and medial malleoli, their confidences (0..1) and the ankle's height.

    The outermost skin is profiled over height on each side, in the ankle
    band above the foot (15-45 % of foot length above the sole) and within 9 %
    of foot length of the ankle's antero-posterior centre; that window keeps
    out the heel behind and the talar head and navicular in front, which
    stand out sideways as much as the malleoli do. Three cues give the ankle
    centre's height, each with its uncertainty, fused (:func:`fuse_cues`):

    - the malleolar bumps on those profiles (:func:`_bumps`), where they show;
    - the cross-section's medio-lateral width, which peaks at the malleoli
      (:func:`_width_cue`), where it does;
    - the foot's proportions (ANKLE_HEIGHT_FRACTION of foot length), always.

    A malleolus with a bump is put at it; one without, half the typical spacing
    (TYPICAL_MEDIAL_ABOVE_LATERAL_MM) from the fused height, or that spacing from
    the other malleolus's bump.
    """
    heights, lat_profile = _outer_profile(local, foot_length, +1.0, centre_y)
    _, med_profile = _outer_profile(local, foot_length, -1.0, centre_y)
    lat_prom, med_prom = _prominence(lat_profile), _prominence(med_profile)
    i, j = _bumps(heights, lat_prom, med_prom)
    spacing = TYPICAL_MEDIAL_ABOVE_LATERAL_MM
    cues = [
        AnkleCue(
            "foot proportions",
            ANKLE_HEIGHT_FRACTION * foot_length,
            ANKLE_HEIGHT_SD_FRACTION * foot_length,
        )
    ]
    z_lat = None if i is None else _peak(heights, lat_prom, i)
    z_med = None if j is None else _peak(heights, med_prom, j)
    if z_lat is not None and z_med is not None:
        cues.append(AnkleCue("malleolar bumps", 0.5 * (z_lat + z_med), BUMPS_SD_MM))
    elif z_lat is not None:
        cues.append(AnkleCue("lateral malleolar bump", z_lat + 0.5 * spacing, ONE_BUMP_SD_MM))
    elif z_med is not None:
        cues.append(AnkleCue("medial malleolar bump", z_med - 0.5 * spacing, ONE_BUMP_SD_MM))
    width = _width_cue(heights, lat_profile + med_profile, foot_length)
    if width is not None:
        cues.append(width)
    ankle = fuse_cues(cues)
    if z_lat is None:
        z_lat = ankle.height_mm - 0.5 * spacing if z_med is None else z_med - spacing
    if z_med is None:
        z_med = ankle.height_mm + 0.5 * spacing if i is None else z_lat + spacing
    c_lat = 0.0 if i is None else float(lat_prom[i])
    c_med = 0.0 if j is None else float(med_prom[j])
    lateral = _skin_point(local, foot_length, +1.0, centre_y, float(z_lat), c_lat > 0)
    medial = _skin_point(local, foot_length, -1.0, centre_y, float(z_med), c_med > 0)
    return lateral, medial, _bump_confidence(c_lat), _bump_confidence(c_med), ankle


def _bump_confidence(prominence_mm: float) -> float:
    """0.2 for no bump (placed from the ankle's height), rising to 1 for a 5 mm bump."""
    if prominence_mm <= 0.0:
        return 0.2
    return float(np.clip(prominence_mm / 5.0, 0.3, 1.0))


def _skin_point(
    local: Vec, foot_length: float, sign: float, centre_y: float, height: float, bump: bool
) -> Vec:
    """The outermost skin point at ``height``; on a flat side, at the ankle's AP centre."""
    x, y, z = local[:, 0] * sign, local[:, 1], local[:, 2]
    window = np.abs(y - centre_y) < 0.09 * foot_length
    level = window & (np.abs(z - height) <= 2.0 * _STEP_MM)
    if not level.any():
        return np.array([np.nan, np.nan, np.nan])
    if bump:
        return _extreme(local, level, np.array([sign, 0.0, 0.0]))
    # On a smooth ankle the outermost point slides along a flat side; put it
    # at the talus's antero-posterior level, the lateral one slightly behind.
    outer = float(x[level].max())
    return np.array([outer * sign, centre_y + ANKLE_ANTERIOR_OFFSET_MM - 5.0 * sign, height])


def _mtp_joint(local: Vec, y_joint: float, sign: float, depth_mm: float) -> Vec:
    """A metatarsophalangeal joint centre at the given antero-posterior level.

    The forefoot's border is nearly straight over the metatarsal heads, so
    the joint's level along the foot comes from foot proportions (see
    ``MTP1_FRACTION``); across the foot it is ``depth_mm`` inside the skin of
    the border; in height, at ``MTP_HEIGHT_FRACTION`` of the forefoot's
    local thickness on that side.
    """
    x, y, z = local[:, 0] * sign, local[:, 1], local[:, 2]
    slab = (np.abs(y - y_joint) < 5.0) & (x > 0.0)
    if slab.sum() < 3:
        return np.array([np.nan, np.nan, np.nan])
    border = float(x[slab].max())
    column = slab & (x > border - 2.0 * depth_mm)
    bottom, top = np.percentile(z[column], [1, 99])
    height = bottom + MTP_HEIGHT_FRACTION * (top - bottom)
    return np.array([(border - depth_mm) * sign, y_joint, height])


def _heel(local: Vec, foot_length: float) -> Vec:
    """Posterior-most point of the heel.

    The back of the heel is often flat over 2-3 cm of height, so the single
    most posterior vertex is decided by noise and by a degree of tilt. The
    skin within ``HEEL_FLAT_MM`` of the most posterior is the back of the
    heel; its point is taken at the middle of that patch's height, on the
    heel's midline (halfway across the heel 25 mm in front of it), so that
    noise on a coarse scan cannot pull it sideways.
    """
    z = local[:, 2]
    zone = z < 0.4 * foot_length
    y = local[zone, 1]
    flat = local[zone][y <= y.min() + HEEL_FLAT_MM]
    low, high = np.percentile(flat[:, 2], [10, 90])
    height = 0.5 * (low + high)
    middle = np.abs(flat[:, 2] - height) <= 2.0
    point = flat[middle].mean(axis=0) if middle.any() else flat.mean(axis=0)
    slab = zone & (np.abs(z - height) <= 3.0) & (local[:, 1] < point[1] + 25.0)
    if slab.sum() >= 4:
        point[0] = 0.5 * (local[slab, 0].min() + local[slab, 0].max())
    return point


def _knee(
    sections: Sections, top_z: float, ankle: Vec, foot_length: float
) -> tuple[Vec | None, float]:
    # ``sections``, ``top_z``, ``ankle`` and the result are in shank coordinates.
    """Knee joint centre, or None when the scan stops below the knee.

    Two estimates, averaged: the girth minimum between the calf and the knee
    lies about 4 cm below the joint line (the tibial tuberosity level); and
    anthropometry puts the joint line ``SHANK_LENGTH_FRACTION`` foot lengths
    above the ankle. On the Anny models this lands 8 and 23 mm from the
    skeleton's knee centre, so the confidence stays low.
    """
    if top_z < ankle[2] + 1.45 * foot_length:
        return None, 0.0
    zs = np.arange(ankle[2] + 0.6 * foot_length, top_z - 12.0, 5.0)
    girths = np.array([sections.girth(z) for z in zs])
    ok = np.isfinite(girths)
    if ok.sum() < 10:
        return None, 0.0
    zs, girths = zs[ok], girths[ok]
    calf = int(np.argmax(girths))
    above = girths[calf:]
    neck = calf + int(np.argmin(above))
    anthropometric = ankle[2] + SHANK_LENGTH_FRACTION * foot_length
    has_neck = neck < len(zs) - 2 and girths[neck] < 0.97 * girths[calf]
    if has_neck:
        z_knee = 0.5 * (zs[neck] + 40.0 + anthropometric)
    else:
        z_knee = anthropometric
    if z_knee > top_z - 5.0:
        return None, 0.0
    pts = sections.points(z_knee)
    if len(pts) < 3:
        return None, 0.0
    centre = 0.5 * (pts.min(axis=0) + pts.max(axis=0))
    return np.array([centre[0], centre[1], z_knee]), (0.5 if has_neck else 0.3)


def _fibular_head(sections: Sections, knee: Vec) -> Vec | None:
    """Fibular head region: lateral skin behind the knee's centre, 2 cm below the joint line."""
    z = knee[2] - FIBULAR_HEAD_BELOW_KNEE_MM
    pts = sections.points(z)
    behind = pts[pts[:, 1] < knee[1]]
    if len(behind) == 0:
        return None
    lateral = behind[np.argmax(behind[:, 0])]
    return np.array([lateral[0], lateral[1], z])


def detect_landmarks(local: Vec, sections: Sections, frame: LegFrame) -> LocalLandmarks:
    """Find the landmarks of one leg.

    Parameters
    ----------
    local : (n, 3) mm, the leg's surface vertices in local coordinates.
    sections : the same surface in shank coordinates, for cross-sections.
    frame : the leg's frame, to move between the two.

    Returns
    -------
    LocalLandmarks
    """
    y, z = local[:, 1], local[:, 2]
    foot = z < 70.0
    toe = _extreme(local, foot, np.array([0.0, 1.0, 0.0]))
    rough_length = float(toe[1] - y[foot].min())
    heel = _heel(local, rough_length)
    foot_length = float(toe[1] - heel[1])
    centre_y = _ankle_ap_centre(local, foot_length)
    lateral, medial, c_lat, c_med, estimate = _malleoli(local, foot_length, centre_y)
    # Across and along the foot, between the malleoli; in height, the fused cues.
    ankle = np.array([*(0.5 * (lateral + medial))[:2], estimate.height_mm])

    mtp1 = _mtp_joint(local, heel[1] + MTP1_FRACTION * foot_length, -1.0, MTP1_DEPTH_MM)
    mtp5 = _mtp_joint(local, heel[1] + MTP5_FRACTION * foot_length, +1.0, MTP5_DEPTH_MM)

    shank = frame.to_shank_local(frame.to_scan(local))
    ankle_s = frame.to_shank_local(frame.to_scan(ankle[None, :]))[0]
    knee_s, c_knee = _knee(sections, float(shank[:, 2].max()), ankle_s, foot_length)
    fibula_s = None if knee_s is None else _fibular_head(sections, knee_s)

    def back(p: Vec | None) -> Vec | None:
        return None if p is None else frame.to_local(frame.shank_to_scan(p[None, :]))[0]

    knee = back(knee_s)

    points: dict[str, Vec | None] = {
        "lateral_malleolus": lateral,
        "medial_malleolus": medial,
        "ankle_axis_centre": ankle,
        "heel": heel,
        "mtp1": mtp1,
        "mtp5": mtp5,
        "toe_tip": toe,
        "knee_centre": knee,
        "fibular_head": back(fibula_s),
    }
    confidence = {
        "lateral_malleolus": c_lat,
        "medial_malleolus": c_med,
        "ankle_axis_centre": estimate.confidence,
        "heel": 0.9,
        "mtp1": 0.6,
        "mtp5": 0.6,
        "toe_tip": 0.9,
        "knee_centre": c_knee,
        "fibular_head": 0.5 * c_knee,
    }
    return LocalLandmarks(points=points, confidence=confidence, ankle=estimate)
