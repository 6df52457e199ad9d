"""Parametric synthetic lower leg with foot, with known ground truth.

The phantom is afofit's self-contained test fixture and demo input. It is an
implicit surface (an approximate signed-distance field: a lofted shank of
star-shaped sections, a foot slab from plan-view height fields, heel, toes and
metatarsal heads, joined by a polynomial smooth minimum, plus Gaussian skin
bumps for the malleoli and the fibular head), meshed with marching cubes and
Taubin smoothing, and cut open at the top like a real scan. It is then posed,
converted to the requested units and optionally degraded with noise and holes.

Construction frame (neutral, RIGHT leg, mm): floor at z = 0, +z up, +y anterior
(toes), +x the subject's right (lateral for a right leg). A left leg is the
mirror image in x. ``pose="neutral"`` returns this frame (for ``side="both"``:
ankles on the x axis, symmetric about x = 0).

Ground truth (``Phantom.truth``). Points are (3,) lists in mm in the POSED frame
(file coordinates × ``scale_to_mm``), computed from the noise-free construction
before open_sole, noise and holes. The first keys match the real-scan truth
files: ``case``, ``side``, ``units_in_file``, ``stature_mm``, ``faces`` (in the
file), ``ankle_joint_centre_mm`` (midpoint of the malleolar apexes, by
definition), ``knee_joint_centre_mm`` (bounding-box centre of the section at the
joint line; None below the knee), ``mtp1_joint_mm``, ``mtp5_joint_mm``,
``heel_posterior_mm`` (posterior-most vertex below 0.3 FL), ``toe_tip_mm``
(anterior-most vertex), ``foot_length_mm`` ((toe - heel) · anterior),
``other_ankle_joint_centre_mm`` (the other leg's, for "both"), ``up_axis``,
``anterior_axis`` (unit vectors). Extras: ``lateral_malleolus_mm`` and
``medial_malleolus_mm`` (skin points furthest out along ±x of the construction
frame), ``fibular_head_mm`` (skin apex; None below the knee),
``malleolar_width_mm`` (apex distance along the mediolateral axis),
``calf_girth_max_mm`` and ``calf_girth_height_mm`` (largest convex-hull
perimeter of horizontal sections between 0.20 and 0.85 shank lengths above the
ankle and below the cut, and its height above the floor), ``shank_length_mm``
(ankle to knee centre; None below the knee), ``scale_to_mm``, ``seed``. For
``side="both"`` the top level describes the right leg (``faces`` counts both),
``legs`` holds the right and left per-leg dicts, and each leg's
``anterior_axis`` includes its toe-out.
"""

from __future__ import annotations

from afofit.phantom.make import make_phantom
from afofit.phantom.spec import Phantom, PhantomSpec, random_specs

__all__ = ["Phantom", "PhantomSpec", "make_phantom", "random_specs"]
