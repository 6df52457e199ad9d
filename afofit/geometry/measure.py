"""Limb measurements from cross-sections: girths as a tape measure takes them.

A tape measure bridges concavities, so a girth is the perimeter of the convex
hull of the section, which also makes it insensitive to holes in the scan.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import ConvexHull, QhullError

from afofit.geometry.required import required

__all__ = ["LegMeasurements", "Sections", "hull_perimeter", "measure_leg"]

Vec = NDArray[np.float64]


def hull_perimeter(points_2d: Vec) -> float:
    """Perimeter of the convex hull of ``points_2d`` (n, 2), mm; NaN for fewer than 3 or a line."""
    if len(points_2d) < 3:
        return float("nan")
    try:
        hull = ConvexHull(points_2d)
    except QhullError:
        return float("nan")
    ring = points_2d[hull.vertices]
    return float(np.linalg.norm(ring - np.roll(ring, 1, axis=0), axis=1).sum())


@dataclass(frozen=True, slots=True)
class Sections:
    """Horizontal cross-sections of a leg in local coordinates (z up, mm).

    Built once from the mesh's edges; each query intersects the edges with a
    plane ``z = const``, so sections are exact whatever the mesh density.
    """

    start: Vec  # (e, 3) edge start points, local mm, sorted by their lower z
    end: Vec  # (e, 3) edge end points, local mm
    low: Vec  # (e,) the lower z of each edge, ascending
    span: float  # the largest z extent of any edge, mm

    @classmethod
    def from_mesh(cls, local_vertices: Vec, faces: NDArray[np.int64]) -> Sections:
        """Build from (n, 3) local vertices (mm) and (m, 3) faces."""
        a = faces.reshape(-1)
        b = np.roll(faces, -1, axis=1).reshape(-1)
        # Each interior edge appears in both orders; keep one. A boundary edge
        # stored the other way round is lost, which moves no girth: the hull
        # is spanned by the many edges around it.
        keep = a < b
        start, end = local_vertices[a[keep]], local_vertices[b[keep]]
        low = np.minimum(start[:, 2], end[:, 2])
        order = np.argsort(low, kind="stable")
        span = float(np.abs(end[:, 2] - start[:, 2]).max()) if len(low) else 0.0
        return cls(start=start[order], end=end[order], low=low[order], span=span)

    def points(self, z: float, region: Vec | None = None) -> Vec:
        """(k, 2) points (x, y) where the surface crosses the plane at height ``z`` mm.

        ``region`` (4,) = (xmin, xmax, ymin, ymax) keeps only the points inside it.
        """
        # Only edges whose lower end lies within one edge span below z can cross.
        first, last = np.searchsorted(self.low, [z - self.span, z])
        s, e = self.start[first:last], self.end[first:last]
        cross = (s[:, 2] - z) * (e[:, 2] - z) < 0.0
        s, e = s[cross], e[cross]
        t = (z - s[:, 2]) / (e[:, 2] - s[:, 2])
        pts = s[:, :2] + t[:, None] * (e[:, :2] - s[:, :2])
        if region is not None:
            inside = (pts[:, 0] >= region[0]) & (pts[:, 0] <= region[1])
            inside &= (pts[:, 1] >= region[2]) & (pts[:, 1] <= region[3])
            pts = pts[inside]
        return pts

    def girth(self, z: float, region: Vec | None = None) -> float:
        """Tape-measure girth at height ``z`` mm (convex-hull perimeter), mm."""
        return hull_perimeter(self.points(z, region))

    def width(self, z: float, region: Vec | None = None) -> float:
        """Medio-lateral width (extent in x) at height ``z`` mm."""
        pts = self.points(z, region)
        return float(np.ptp(pts[:, 0])) if len(pts) else float("nan")


@dataclass(frozen=True, slots=True)
class LegMeasurements:
    """Limb measurements, mm. Heights are above the sole, along the shank axis."""

    foot_length_mm: float
    malleolar_width_mm: float
    ankle_girth_mm: float
    ankle_girth_height_mm: float
    calf_girth_max_mm: float
    calf_girth_height_mm: float
    shank_length_mm: float | None
    calf_max_at_scan_top: bool


def measure_leg(
    sections: Sections,
    points: dict[str, Vec | None],
    top_z: float,
    foot_points: dict[str, Vec | None],
) -> LegMeasurements:
    """Measure one leg from its landmarks and its sections.

    ``sections``, ``points`` and ``top_z`` are in shank coordinates (heights
    along the shank, sections across it); ``foot_points`` in the foot's local
    coordinates, where the foot length is taken.

    - foot length: heel to toe tip along the foot's long axis, in the sole's
      plane (as a foot gauge measures it);
    - malleolar width: distance between the two malleoli;
    - ankle girth: the least girth between the malleoli and the calf (the
      narrowest part of the lower shank, where a tape is put);
    - calf girth: the greatest girth between the ankle and 4 cm below the knee
      (or the scan's top, less 1 cm for its ragged edge);
    - shank length: ankle centre to knee centre.
    """
    heel, toe = required(foot_points, "heel", "toe_tip")
    lat, med, ankle = required(points, "lateral_malleolus", "medial_malleolus", "ankle_axis_centre")
    knee = points["knee_centre"]
    top = (knee[2] - 40.0) if knee is not None else (top_z - 10.0)
    low = max(lat[2], med[2]) + 10.0
    zs = np.arange(low, top, 4.0)
    girths = np.array([sections.girth(z) for z in zs]) if len(zs) else np.array([])
    ok = np.isfinite(girths)
    if ok.sum() == 0:
        nan = float("nan")
        return LegMeasurements(
            float(toe[1] - heel[1]),
            float(np.linalg.norm(lat - med)),
            nan,
            nan,
            nan,
            nan,
            None if knee is None else float(np.linalg.norm(knee - ankle)),
            True,
        )
    zs, girths = zs[ok], girths[ok]
    i_calf = int(np.argmax(girths))
    i_ankle = int(np.argmin(girths[: i_calf + 1]))
    return LegMeasurements(
        foot_length_mm=float(toe[1] - heel[1]),
        malleolar_width_mm=float(np.linalg.norm(lat - med)),
        ankle_girth_mm=float(girths[i_ankle]),
        ankle_girth_height_mm=float(zs[i_ankle]),
        calf_girth_max_mm=float(girths[i_calf]),
        calf_girth_height_mm=float(zs[i_calf]),
        shank_length_mm=None if knee is None else float(np.linalg.norm(knee - ankle)),
        calf_max_at_scan_top=bool(knee is None and i_calf >= len(zs) - 2),
    )
