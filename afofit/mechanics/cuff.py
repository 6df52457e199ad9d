"""The fixture's clamp and rigid cuff on a discretised brace, and the cuff's compliance.

Shared by both stiffness models (solid FE and shell elements): every unknown below the
clamp plane is fixed; every unknown above the cuff plane follows one rigid body about the
axis point (six generalized coordinates, eliminated exactly: u = U + Θ × r for a
displacement, θ = Θ for a rotation). One sparse factorisation then solves for a unit load
on each of the cuff's six coordinates: its 6 × 6 compliance. Each cuff constraint follows
in closed form (:func:`held_compliance`).

Units: mm, N, N·mm, rad.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from afofit.errors import FitError

__all__ = [
    "RX",
    "RY",
    "RZ",
    "TX",
    "TY",
    "TZ",
    "CuffSolution",
    "cuff_compliance",
    "guided_forces",
    "held_compliance",
    "rigid_modes",
    "solve_cuff",
    "solve_spd",
]

Vec = NDArray[np.float64]

#: Indices of the cuff's generalized coordinates: translations x, y, z; rotations x, y, z.
TX, TY, TZ, RX, RY, RZ = range(6)


@dataclass(frozen=True, slots=True)
class CuffSolution:
    """The solved fixture: the cuff's compliance and what turns it into fields.

    Attributes
    ----------
    compliance : (6, 6) the cuff's generalized displacements (mm, rad) per unit
        generalized force (N, N·mm), about the axis point, fixture axes.
    unit_fields : (ndof, 6) the unknowns' values for a unit load on each coordinate.
    """

    compliance: NDArray[np.float64]
    unit_fields: NDArray[np.float64]


def rigid_modes(where: Vec, component: NDArray[np.int64]) -> NDArray[np.float64]:
    """(ndof, 6) each unknown's value under the six unit rigid motions about the origin.

    ``where`` (ndof, 3) is each unknown's node (mm); ``component`` its kind: 0-2 the
    displacement's x, y, z, 3-5 the rotation's (shell elements' nodes have those).
    """
    modes = np.zeros((len(component), 6))
    x, y, z = where.T
    for c in range(3):
        modes[component == c, c] = 1.0
        modes[component == 3 + c, 3 + c] = 1.0
    # u = θ × r: ux = θy z − θz y, uy = θz x − θx z, uz = θx y − θy x
    modes[component == 1, RX] = -z[component == 1]
    modes[component == 2, RX] = y[component == 2]
    modes[component == 0, RY] = z[component == 0]
    modes[component == 2, RY] = -x[component == 2]
    modes[component == 0, RZ] = -y[component == 0]
    modes[component == 1, RZ] = x[component == 1]
    return modes


def solve_spd(
    matrix: sp.spmatrix, rhs: NDArray[np.float64], large: bool = True
) -> NDArray[np.float64]:
    """Solve the symmetric positive definite ``matrix`` for the columns of ``rhs``.

    A ``large`` system goes to PARDISO (MKL, the FE extra) when it is installed: a
    supernodal Cholesky on the upper triangle. A small one (the shell model's, ~20 000
    unknowns) to QDLDL, a sparse LDLᵀ with AMD ordering: 3-4 times as fast as SuperLU's LU
    there, and PARDISO's wrapper alone takes 0.4 s to find MKL.
    """
    upper = sp.triu(matrix, format="csc" if not large else "csr")
    upper.sort_indices()
    if not large:
        import qdldl

        factor = qdldl.Solver(upper, upper=True)
        return np.column_stack([factor.solve(np.ascontiguousarray(b)) for b in rhs.T])
    try:
        import pypardiso  # the FE extra's fast direct solver (MKL)
    except ImportError:  # pragma: no cover - without the FE extra: SuperLU
        import scipy.sparse.linalg as spla

        return np.asarray(spla.splu(sp.csc_matrix(matrix)).solve(rhs))
    solver = pypardiso.PyPardisoSolver(mtype=2)
    try:
        return np.asarray(solver.solve(upper, np.asfortranarray(rhs)))
    finally:
        solver.free_memory(everything=True)


def solve_cuff(
    stiffness: sp.spmatrix,
    where: Vec,
    component: NDArray[np.int64],
    clamp_z: float,
    cuff_z: float,
    large: bool = True,
) -> CuffSolution:
    """Clamp every unknown whose node lies below ``clamp_z``, make those above ``cuff_z`` one
    rigid cuff, and solve ``stiffness`` (ndof × ndof) for the cuff's compliance.

    ``where`` (ndof, 3) each unknown's node, fixture frame (mm, the axis point at the
    origin); ``component`` its kind (:func:`rigid_modes`); ``large``: see :func:`solve_spd`.

    Raises
    ------
    FitError
        Nothing is clamped, or no cuff: the fixture does not hold the shell.
    """
    ndof = len(component)
    fixed = where[:, 2] < clamp_z
    cuff = (where[:, 2] > cuff_z) & ~fixed
    if not fixed.any() or not cuff.any():
        raise FitError("the fixture does not hold this shell: nothing lies in its clamp or cuff.")
    free = np.flatnonzero(~fixed & ~cuff)
    held = np.flatnonzero(cuff)
    modes = rigid_modes(where[held], component[held])
    n = len(free)
    rows, cols = np.nonzero(modes)
    transform = (
        sp.csr_matrix((np.ones(n), (free, np.arange(n))), shape=(ndof, n + 6))
        + sp.csr_matrix((modes[rows, cols], (held[rows], n + cols)), shape=(ndof, n + 6))
    ).tocsr()
    reduced = (transform.T @ stiffness @ transform).tocsr()
    rhs = np.zeros((n + 6, 6))
    rhs[n:, :] = np.eye(6)
    solution = solve_spd(reduced, rhs, large)
    fields = np.asarray(transform @ solution)
    return CuffSolution(compliance=solution[n:, :], unit_fields=fields)


def held_compliance(compliance: NDArray[np.float64], moving: list[int], load: int) -> float:
    """Rotation (rad) per unit moment on coordinate ``load`` when only the coordinates
    ``moving`` may move, for the cuff's 6 × 6 ``compliance``."""
    held = [i for i in range(6) if i not in moving]
    c_mm = compliance[np.ix_(moving, moving)]
    if held:
        c_mh = compliance[np.ix_(moving, held)]
        c_hh = compliance[np.ix_(held, held)]
        c_mm = c_mm - c_mh @ np.linalg.solve(c_hh, c_mh.T)
    return float(c_mm[moving.index(load), moving.index(load)])


def cuff_compliance(compliance: NDArray[np.float64], kind: str) -> float:
    """Rotation (rad) per unit moment (N·mm) of the cuff's 6 × 6 ``compliance`` for ``kind``:
    "guided" (dorsiflexion, the two other rotations held), "free" (dorsiflexion under a pure
    moment) or "frontal" (inversion/eversion, the two other rotations held)."""
    if kind == "free":
        return float(compliance[RX, RX])
    load = RY if kind == "frontal" else RX
    return held_compliance(compliance, [TX, TY, TZ, load], load)


def guided_forces(compliance: NDArray[np.float64], load: int, moment_nmm: float) -> Vec:
    """The cuff's generalized forces (6,) under a guided moment: ``moment_nmm`` on
    coordinate ``load`` (:data:`RX` or :data:`RY`), the two other rotations held, for the
    cuff's 6 × 6 ``compliance``."""
    held = [r for r in (RX, RY, RZ) if r != load]
    forces = np.zeros(6)
    forces[load] = moment_nmm
    # Held rotations stay 0: C_hh F_h = −C_h,load M.
    forces[held] = np.linalg.solve(
        compliance[np.ix_(held, held)], -compliance[held, load] * moment_nmm
    )
    return forces
