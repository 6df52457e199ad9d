"""The clearance map: the shell's inner surface coloured by its gap to the skin.

Where the gap falls well below the design's clearance the brace will press (a pressure
point, red); where it is much larger the brace is loose there (blue). Measured face by face:
the distance from each face's centre to the nearest skin, on the faces that look towards
the skin (the inner surface: the skin lies in front of the face, within half a wall).
"""

from __future__ import annotations

from dataclasses import dataclass

import igl
import matplotlib
import matplotlib.colors
import numpy as np
import trimesh
from numpy.typing import NDArray

from afofit.geometry.checks import FAR_MM

__all__ = ["LOOSE_BEYOND_MM", "PRESSURE_BELOW_MM", "ClearanceMap", "clearance_map"]

#: The inner surface presses where its gap to the skin is below this, mm.
PRESSURE_BELOW_MM = 0.5
#: It is loose where its gap exceeds the design's clearance by more than this, mm.
LOOSE_BEYOND_MM = 3.0
#: Faces that do not look at the skin (the outer surface, the edges): light grey.
_OTHER = np.array([0.82, 0.84, 0.87])


@dataclass(frozen=True, slots=True)
class ClearanceMap:
    """The inner surface's gap to the skin.

    Attributes
    ----------
    gap_mm : (faces,) each face's gap to the skin, NaN off the inner surface.
    colours : (faces, 3) RGB 0-1: the gap's colour on the inner surface, grey elsewhere.
    cmap, norm : the colour scale (for its bar).
    pressure_cm2, loose_cm2, inner_cm2 : areas of the inner surface that press (gap below
        :data:`PRESSURE_BELOW_MM`), that are loose (beyond the clearance +
        :data:`LOOSE_BEYOND_MM`), and in all.
    """

    gap_mm: NDArray[np.float64]
    colours: NDArray[np.float64]
    cmap: matplotlib.colors.Colormap
    norm: matplotlib.colors.Normalize
    pressure_cm2: float
    loose_cm2: float
    inner_cm2: float


def clearance_map(
    shell: trimesh.Trimesh,
    skin: trimesh.Trimesh | None,
    clearance_mm: float,
    thickness_mm: float,
    gap_mm: NDArray[np.float64] | None = None,
) -> ClearanceMap:
    """The gap from ``shell``'s inner surface to ``skin`` (same frame, mm), for a design of
    ``clearance_mm`` over the skin and walls ``thickness_mm`` thick; or from each face's
    ``gap_mm`` measured already (NaN off the inner surface: the shell's checks measure it,
    :attr:`~afofit.geometry.checks.ShellStats.inner_gap_mm`), then ``skin`` is not read."""
    if gap_mm is None:
        if skin is None:
            raise ValueError("clearance_map needs the skin or the gaps")
        centres = np.asarray(shell.triangles_center)
        squared, _, closest = igl.point_mesh_squared_distance(
            centres, np.asarray(skin.vertices, np.float64), np.asarray(skin.faces, np.int64)
        )
        towards = np.einsum("ij,ij->i", np.asarray(shell.face_normals), closest - centres) > 0.0
        # The outer surface faces away from the skin; the bound leaves out the few faces
        # that look at skin far away (across the foot, past the toes).
        gap_mm = np.where(
            towards & (squared < (clearance_mm + thickness_mm + FAR_MM) ** 2),
            np.sqrt(squared),
            np.nan,
        )
    inner = np.isfinite(gap_mm)
    gap = np.where(inner, gap_mm, 0.0)
    cmap = matplotlib.colormaps["RdYlBu"]
    top = clearance_mm + LOOSE_BEYOND_MM
    norm = matplotlib.colors.TwoSlopeNorm(vmin=0.0, vcenter=clearance_mm, vmax=top)
    colours = np.tile(_OTHER, (len(gap), 1))
    colours[inner] = np.asarray(cmap(norm(np.clip(gap[inner], 0.0, top))))[:, :3]
    area = np.asarray(shell.area_faces)
    loose = inner & (gap > top)
    return ClearanceMap(
        gap_mm=np.where(inner, gap, np.nan),
        colours=colours,
        cmap=cmap,
        norm=norm,
        pressure_cm2=float(area[inner & (gap < PRESSURE_BELOW_MM)].sum() / 100.0),
        loose_cm2=float(area[loose].sum() / 100.0),
        inner_cm2=float(area[inner].sum() / 100.0),
    )
