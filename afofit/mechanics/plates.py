"""Flat triangular shell elements for linear elasticity, assembled with numpy.

Each triangle is flat in its own frame (x along its first edge, z its normal) and carries
six unknowns at each corner: the displacement (u, v, w) and the rotation vector (θx, θy,
θz), mm and rad. It is the sum of

* a membrane with drilling rotations on (u, v, θz): Allman's (1984) triangle, quadratic
  in-plane displacements whose edge midpoints follow the corners' θz (the constant-strain
  triangle locks when a strut bends in its own plane), its one spurious mode held by
  :data:`SPIN_PENALTY`;
* a plate, the discrete Kirchhoff triangle (DKT: Batoz, Bathe & Ho 1980) on (w, θx, θy):
  the normal's rotations βx = ∂w/∂x, βy = ∂w/∂y are quadratic over the triangle, equal to
  the corners' slopes (βx = −θy, βy = θx for a rotation vector θ), and along each edge w
  is cubic and the normal rotation linear; the bending strains are their derivatives.

Both strain fields are linear over the triangle, their integrands quadratic: the three
edge-midpoint rule integrates them exactly. A flat facet shell converges to thin-shell
theory as its triangles shrink against the radii of curvature (tested against beam theory
on a tube and a C-section).

Units: mm, MPa (N/mm²), N, rad.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

__all__ = ["DOFS_PER_NODE", "SPIN_PENALTY", "element_frames", "shell_stiffness_matrix"]

Vec = NDArray[np.float64]

#: Unknowns per node: u, v, w (mm) and θx, θy, θz (rad), global axes.
DOFS_PER_NODE = 6
#: The weight of the membrane's rotation against its field's (Allman's spurious mode).
SPIN_PENALTY = 1e-2
#: The three edge midpoints (ξ, η) of the reference triangle; each weighs 1/6 (area 1/2).
_GAUSS = np.array([[0.5, 0.0], [0.5, 0.5], [0.0, 0.5]])
#: Each midside node's edge (corners i, j): 4 on 2-3, 5 on 3-1, 6 on 1-2 (zero-based).
_EDGES = ((1, 2), (2, 0), (0, 1))


def element_frames(corners: Vec) -> tuple[Vec, Vec, Vec]:
    """Each triangle's own frame: (e, 3, 3) rows x, y, z (z its unit normal); its corners'
    (e, 3, 2) in-plane coordinates (mm, the first at the origin); its area (e,) mm²."""
    ex = corners[:, 1] - corners[:, 0]
    ez = np.cross(ex, corners[:, 2] - corners[:, 0])
    area = 0.5 * np.linalg.norm(ez, axis=1)
    ex = ex / np.linalg.norm(ex, axis=1)[:, None]
    ez = ez / (2.0 * area)[:, None]
    ey = np.cross(ez, ex)
    frame = np.stack([ex, ey, ez], axis=1)
    local = np.einsum("eij,ekj->eki", frame[:, :2], corners - corners[:, :1])
    return frame, local, area


def _quadratic_gradients(local: Vec, area: Vec, xi: float, eta: float) -> tuple[Vec, Vec]:
    """∂N/∂x, ∂N/∂y (e, 6) of the 6 quadratic shape functions at (ξ, η)."""
    l1, l2, l3 = 1.0 - xi - eta, xi, eta
    d_xi = np.array([-(4 * l1 - 1), 4 * l2 - 1, 0.0, 4 * l3, -4 * l3, 4 * (l1 - l2)])
    d_eta = np.array([-(4 * l1 - 1), 0.0, 4 * l3 - 1, 4 * l2, 4 * (l1 - l3), -4 * l2])
    x, y = local[..., 0], local[..., 1]
    # Jacobian [[x2 − x1, y2 − y1], [x3 − x1, y3 − y1]]; its inverse maps (∂ξ, ∂η) to (∂x, ∂y).
    j11, j12, j21, j22 = x[:, 1] - x[:, 0], y[:, 1] - y[:, 0], x[:, 2] - x[:, 0], y[:, 2] - y[:, 0]
    det = 2.0 * area
    dx = (j22[:, None] * d_xi - j12[:, None] * d_eta) / det[:, None]
    dy = (-j21[:, None] * d_xi + j11[:, None] * d_eta) / det[:, None]
    return dx, dy


def _allman(local: Vec, area: Vec, d: Vec, penalty: float) -> Vec:
    """(e, 9, 9) Allman's (1984) membrane on (u, v, ω) of each corner: the quadratic
    triangle whose edge midpoints bulge by l/8 (ωi − ωj) across the edge, so that in-plane
    bending is carried as a quadratic field (the CST locks in it). Its one spurious mode
    (the same ω at every corner, no displacement) is held by ``penalty`` × d₃₃ × area ×
    (mean ω − the field's rotation)² (Hughes and Brezzi 1989). ``d`` (e, 3, 3) = t × plane
    stress."""
    e = len(area)
    # LST unknowns (u, v) of corners 1-3 then midsides 4-6, from (u, v, ω) of the corners.
    t = np.zeros((e, 12, 9))
    for i in range(3):
        t[:, 2 * i, 3 * i] = 1.0
        t[:, 2 * i + 1, 3 * i + 1] = 1.0
    for side, (i, j) in enumerate(_EDGES):
        d_ij = local[:, j] - local[:, i]  # l (c, s); the left normal times l: (−dy, dx)
        for c in (0, 1):
            t[:, 6 + 2 * side + c, 3 * i + c] = 0.5
            t[:, 6 + 2 * side + c, 3 * j + c] = 0.5
        for corner, sign in ((i, 1.0), (j, -1.0)):
            t[:, 6 + 2 * side, 3 * corner + 2] = sign * -d_ij[:, 1] / 8.0
            t[:, 6 + 2 * side + 1, 3 * corner + 2] = sign * d_ij[:, 0] / 8.0
    k_lst = np.zeros((e, 12, 12))
    for xi, eta in _GAUSS:
        dx, dy = _quadratic_gradients(local, area, xi, eta)
        strain = np.zeros((e, 3, 12))
        strain[:, 0, 0::2] = dx
        strain[:, 1, 1::2] = dy
        strain[:, 2, 0::2] = dy
        strain[:, 2, 1::2] = dx
        k_lst += (np.swapaxes(strain, 1, 2) @ d @ strain) * (area / 3.0)[:, None, None]
    k = np.swapaxes(t, 1, 2) @ k_lst @ t
    # The spurious mode: mean ω against the rotation ½ (∂v/∂x − ∂u/∂y) at the centroid.
    dx, dy = _quadratic_gradients(local, area, 1.0 / 3.0, 1.0 / 3.0)
    spin = np.zeros((e, 12))
    spin[:, 1::2] = 0.5 * dx
    spin[:, 0::2] = -0.5 * dy
    g = -(spin[:, None, :] @ t)[:, 0]
    g[:, 2::3] += 1.0 / 3.0
    return k + penalty * (d[:, 2, 2] * area)[:, None, None] * (g[:, :, None] * g[:, None, :])


def _dkt_slopes(local: Vec) -> Vec:
    """(e, 12, 9): the six nodes' (βx 1-6, βy 1-6) from the corners' (w, θx, θy)."""
    e = len(local)
    g = np.zeros((e, 12, 9))
    for i in range(3):  # corners: βx = −θy, βy = θx
        g[:, i, 3 * i + 2] = -1.0
        g[:, 6 + i, 3 * i + 1] = 1.0
    for k, (i, j) in enumerate(_EDGES):
        d = local[:, j] - local[:, i]
        length = np.linalg.norm(d, axis=1)
        c, s = d[:, 0] / length, d[:, 1] / length
        # Along the edge: βs(mid) = 3/(2l) (wj − wi) − (βs,i + βs,j)/4 (w cubic);
        # across it: βn(mid) = (βn,i + βn,j)/2 (linear). βs = c βx + s βy, βn = −s βx + c βy.
        beta_s = np.zeros((e, 9))
        beta_n = np.zeros((e, 9))
        beta_s[:, 3 * i] = -1.5 / length
        beta_s[:, 3 * j] = 1.5 / length
        for corner in (i, j):
            bx, by = g[:, corner], g[:, 6 + corner]
            beta_s -= 0.25 * (c[:, None] * bx + s[:, None] * by)
            beta_n += 0.5 * (-s[:, None] * bx + c[:, None] * by)
        g[:, 3 + k] = c[:, None] * beta_s - s[:, None] * beta_n
        g[:, 9 + k] = s[:, None] * beta_s + c[:, None] * beta_n
    return g


def _plate(local: Vec, area: Vec, d: Vec) -> Vec:
    """(e, 9, 9) DKT stiffness on (w, θx, θy) of each corner; ``d`` (e, 3, 3) = t³/12 ×
    plane stress."""
    slopes = _dkt_slopes(local)
    k = np.zeros((len(area), 9, 9))
    for xi, eta in _GAUSS:
        dx, dy = _quadratic_gradients(local, area, xi, eta)
        curvature = np.zeros((len(area), 3, 12))
        curvature[:, 0, :6] = dx  # ∂βx/∂x
        curvature[:, 1, 6:] = dy  # ∂βy/∂y
        curvature[:, 2, :6] = dy  # ∂βx/∂y + ∂βy/∂x
        curvature[:, 2, 6:] = dx
        b = curvature @ slopes
        k += (np.swapaxes(b, 1, 2) @ d @ b) * (area / 3.0)[:, None, None]
    return k


def shell_stiffness_matrix(
    nodes: Vec, triangles: NDArray[np.int64], thickness_mm: Vec, modulus_mpa: float, poisson: float
) -> sp.csr_matrix:
    """The global stiffness (6 n × 6 n) of flat shell triangles.

    ``nodes`` (n, 3) mm; ``triangles`` (e, 3) node indices; ``thickness_mm`` (e,) each
    triangle's wall; the material's ``modulus_mpa`` and ``poisson``. Unknowns are node-major:
    node i's u, v, w, θx, θy, θz at 6 i … 6 i + 5, in global axes.
    """
    corners = np.asarray(nodes, np.float64)[triangles]
    frame, local, area = element_frames(corners)
    t = np.asarray(thickness_mm, np.float64)
    plane = (
        modulus_mpa
        / (1.0 - poisson**2)
        * np.array([[1.0, poisson, 0.0], [poisson, 1.0, 0.0], [0.0, 0.0, 0.5 * (1.0 - poisson)]])
    )
    membrane = _allman(local, area, t[:, None, None] * plane, SPIN_PENALTY)
    plate = _plate(local, area, (t**3 / 12.0)[:, None, None] * plane)
    k = np.zeros((len(t), 18, 18))
    m = np.array([[6 * a + c for c in (0, 1, 5)] for a in range(3)]).ravel()
    p = np.array([[6 * a + c for c in (2, 3, 4)] for a in range(3)]).ravel()
    k[:, m[:, None], m] = membrane
    k[:, p[:, None], p] = plate
    # Local unknowns = R global (R = the frame's rows) for each of the six triples.
    rotation = np.zeros((len(t), 18, 18))
    for block in range(6):
        rotation[:, 3 * block : 3 * block + 3, 3 * block : 3 * block + 3] = frame
    k = np.swapaxes(rotation, 1, 2) @ k @ rotation
    dof = (DOFS_PER_NODE * np.asarray(triangles, np.int64)[:, :, None] + np.arange(6)).reshape(
        -1, 18
    )
    size = DOFS_PER_NODE * len(nodes)
    return sp.csr_matrix(
        (k.ravel(), (np.repeat(dof, 18, axis=1).ravel(), np.tile(dof, (1, 18)).ravel())),
        shape=(size, size),
    )
