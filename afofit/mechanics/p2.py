"""Quadratic (P2, 10-node) tetrahedra for linear elasticity, assembled with numpy.

Linear tetrahedra lock in bending (a thin shell reads far too stiff), so each tetrahedron
gets quadratic shape functions: its 4 corners and 6 edge midpoints carry the unknowns. In
barycentric coordinates λ: corner ``N_i = λ_i (2 λ_i − 1)``, edge ``N_ij = 4 λ_i λ_j``;
the gradients are linear in λ and the stiffness integrand quadratic, so the 4-point rule
of degree 2 integrates it exactly. Vectorised over elements in chunks (each chunk's
element matrices are 900 numbers per element).

Units: mm, MPa (N/mm²), N.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

__all__ = ["P2Space", "lame", "p2_space", "stiffness_matrix", "von_mises"]

Vec = NDArray[np.float64]

#: The tetrahedron's edges as pairs of its corners (the 6 edge nodes' order).
EDGES = np.array([[0, 1], [1, 2], [0, 2], [0, 3], [1, 3], [2, 3]])
#: 4-point quadrature of degree 2: barycentric points (4, 4), equal weights of 1/4 volume.
_A, _B = 0.5854101966249685, 0.1381966011250105
QUAD_POINTS = np.full((4, 4), _B) + np.eye(4) * (_A - _B)
#: Elements per assembly chunk: bounds the memory of the element matrices (~0.2 GB).
CHUNK = 25_000


@dataclass(frozen=True, slots=True)
class P2Space:
    """Quadratic unknowns on a tetrahedral mesh.

    Attributes
    ----------
    points : (n, 3) the nodes carrying unknowns, mm: the mesh's vertices, then its edges'
        midpoints. Node ``k`` carries the dofs ``3k, 3k + 1, 3k + 2`` (x, y, z).
    elements : (m, 10) each tetrahedron's nodes: its 4 corners, then its 6 edges (``EDGES``).
    gradients : (m, 4, 3) the constant gradients of the barycentric coordinates, 1/mm.
    volumes : (m,) mm³.
    """

    points: Vec
    elements: NDArray[np.int64]
    gradients: Vec
    volumes: Vec

    @property
    def ndof(self) -> int:
        """The number of unknowns (three per node)."""
        return 3 * len(self.points)


def p2_space(nodes: Vec, tets: NDArray[np.int64]) -> P2Space:
    """The P2 space on the tetrahedra ``tets`` (m, 4) of ``nodes`` (n, 3), positively oriented."""
    pairs = np.sort(tets[:, EDGES].reshape(-1, 2), axis=1)
    edges, edge_of = np.unique(pairs, axis=0, return_inverse=True)
    points = np.vstack([nodes, 0.5 * (nodes[edges[:, 0]] + nodes[edges[:, 1]])])
    elements = np.hstack([tets, len(nodes) + edge_of.reshape(-1, 6)])
    corners = nodes[tets]
    jacobian = np.transpose(corners[:, 1:] - corners[:, :1], (0, 2, 1))  # columns: edges from 0
    inverse = np.linalg.inv(jacobian)  # rows: ∇λ1, ∇λ2, ∇λ3
    gradients = np.concatenate([-inverse.sum(axis=1, keepdims=True), inverse], axis=1)
    volumes = np.linalg.det(jacobian) / 6.0
    return P2Space(points, elements.astype(np.int64), gradients, volumes)


def _shape_gradients(space: P2Space, chunk: slice, point: Vec) -> Vec:
    """(k, 10, 3) gradients of the 10 shape functions at barycentric ``point`` (4,)."""
    g = space.gradients[chunk]  # (k, 4, 3)
    corner = (4.0 * point - 1.0)[None, :, None] * g
    i, j = EDGES[:, 0], EDGES[:, 1]
    edge = 4.0 * (point[i][None, :, None] * g[:, j] + point[j][None, :, None] * g[:, i])
    return np.concatenate([corner, edge], axis=1)


def lame(modulus_mpa: float, poisson: float) -> tuple[float, float]:
    """The Lamé parameters (λ, μ), MPa, of ``modulus_mpa`` and ``poisson``."""
    lam = modulus_mpa * poisson / ((1.0 + poisson) * (1.0 - 2.0 * poisson))
    return lam, modulus_mpa / (2.0 * (1.0 + poisson))


def stiffness_matrix(space: P2Space, modulus_mpa: float, poisson: float) -> sp.csr_matrix:
    """The global stiffness matrix (ndof, ndof), N/mm, on ``space`` (isotropic ``modulus_mpa``,
    ``poisson``)."""
    lam, mu = lame(modulus_mpa, poisson)
    ndof = space.ndof
    total = sp.csr_matrix((ndof, ndof))
    for start in range(0, len(space.elements), CHUNK):
        chunk = slice(start, start + CHUNK)
        k = len(space.elements[chunk])
        local = np.zeros((k, 10, 3, 10, 3))
        weight = 0.25 * space.volumes[chunk]
        for point in QUAD_POINTS:
            g = _shape_gradients(space, chunk, point) * np.sqrt(weight)[:, None, None]
            local += lam * np.einsum("mai,mbj->maibj", g, g)
            local += mu * np.einsum("maj,mbi->maibj", g, g)
            dot = np.einsum("mak,mbk->mab", g, g)
            for i in range(3):
                local[:, :, i, :, i] += mu * dot
        dofs = (3 * space.elements[chunk][:, :, None] + np.arange(3)).reshape(k, 30)
        dofs = dofs.astype(np.int32)
        rows = np.repeat(dofs, 30, axis=1).ravel()
        cols = np.tile(dofs, (1, 30)).ravel()
        # Summed chunk by chunk: the COO triplets of a whole shell would take ~1 GB.
        total = total + sp.csr_matrix((local.reshape(-1), (rows, cols)), shape=(ndof, ndof))
    return total


def von_mises(space: P2Space, field: Vec, modulus_mpa: float, poisson: float) -> Vec:
    """The largest von Mises stress (MPa) of each element of ``space`` over its quadrature points.

    ``field`` (ndof,) is the displacement, mm; ``modulus_mpa`` and ``poisson`` the material's.
    """
    lam, mu = lame(modulus_mpa, poisson)
    u = field.reshape(-1, 3)[space.elements]  # (m, 10, 3)
    chunk = slice(0, len(space.elements))
    peak = np.zeros(len(space.elements))
    for point in QUAD_POINTS:
        grad = np.einsum("mai,maj->mij", u, _shape_gradients(space, chunk, point))  # ∂u_i/∂x_j
        strain = 0.5 * (grad + np.transpose(grad, (0, 2, 1)))
        stress = 2.0 * mu * strain + lam * np.trace(strain, axis1=1, axis2=2)[
            :, None, None
        ] * np.eye(3)
        deviator = stress - np.trace(stress, axis1=1, axis2=2)[:, None, None] / 3.0 * np.eye(3)
        peak = np.maximum(peak, np.sqrt(1.5 * np.einsum("mij,mij->m", deviator, deviator)))
    return peak
