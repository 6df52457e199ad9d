"""Finite-element stiffness of a shell in its fixture: quadratic tetrahedra, linear elasticity.

Method (afofit's FE study, reproduced here in the project's own code):

1. The shell is moved into the fixture's frame (x the malleolar axis, z up) and its
   surface remeshed isotropically to edge length ``h`` (pymeshlab), then filled with
   linear tetrahedra (gmsh's HXT, one thread so that the mesh is the same each run).
2. Quadratic (P2, 10-node) tetrahedra are assembled on them (:mod:`afofit.mechanics.p2`):
   linear tetrahedra lock in bending and read far too stiff. Material: the profile's
   modulus, Poisson's ratio :data:`POISSON_RATIO`.
3. Every node below the clamp plane is fixed; every node above the cuff plane moves as
   one rigid body about the axis point (six generalized coordinates, eliminated exactly).
   One sparse factorisation solves for a unit load on each of the cuff's six
   coordinates: the cuff's 6 × 6 compliance. Each cuff constraint then follows in closed
   form: ``free`` takes the compliance as it is (a pure moment), ``guided`` holds the two
   other rotations (their reaction moments solved for).
4. Stresses (von Mises) come from the P2 field at the quadrature points, at the fixture's
   stated moment; the peak is taken away from the clamp and the cuff (within
   :data:`FIXTURE_MARGIN_MM` of them the fixture's own idealisation sets the stress).

Units: mm, N, N·mm, MPa inside; k in N·m/deg only in the result.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import trimesh
from numpy.typing import NDArray

from afofit.errors import FitError
from afofit.mechanics.cuff import RX, CuffSolution, cuff_compliance, guided_forces, solve_cuff
from afofit.mechanics.fixture import Fixture
from afofit.mechanics.p2 import P2Space, p2_space, stiffness_matrix, von_mises
from afofit.units import gpa_to_mpa, nm_to_nmm, nmm_per_rad_to_nm_per_deg

__all__ = [
    "DEFAULT_H_MM",
    "FIXTURE_MARGIN_MM",
    "POISSON_RATIO",
    "FEStiffness",
    "TetMesh",
    "fe_stiffness",
    "solve_fixture",
    "surface_remesh",
    "tet_mesh",
]

Vec = NDArray[np.float64]

#: Poisson's ratio of the shell's polymer (PP 0.40-0.45, PETG and PA 0.38-0.40).
POISSON_RATIO = 0.4
#: Tetrahedron size, mm: the study's converged size (h 4 → 3 mm changed k by ≤ 2 %).
DEFAULT_H_MM = 4.0
#: A fine shell is first decimated to this many times the remesh's face count, then
#: remeshed in this many passes (the remesh is most of the FE's time on a 400k-face shell).
DECIMATE_TO = 1.2
REMESH_PASSES = 3
#: Smoothing passes over the remeshed surface's self-intersections (one cleared every
#: case seen: 8 crossing faces on a 5 mm PLS, volume changed by 0.01 %).
UNTANGLE_PASSES = 5
#: A remesh gmsh cannot fill is made again at these multiples of h (deterministic).
RETRY_SCALES = (0.93, 1.07)
#: Stresses within this distance of the clamp or the cuff plane are the fixture's, not the brace's.
FIXTURE_MARGIN_MM = 10.0


@dataclass(frozen=True, slots=True)
class TetMesh:
    """A tetrahedral mesh: ``nodes`` (n, 3) mm, ``tets`` (m, 4) node indices, positive volume."""

    nodes: Vec
    tets: NDArray[np.int64]


def surface_remesh(
    vertices: Vec, faces: NDArray[np.int64], h_mm: float
) -> tuple[Vec, NDArray[np.int64]]:
    """An isotropic remesh of a closed surface (``vertices``, ``faces``) at edge length ``h_mm``.

    A fine shell (1.25 mm marching cubes, 10⁵ faces) is first decimated to
    :data:`DECIMATE_TO` times the target's face count, then remeshed in
    :data:`REMESH_PASSES` passes that keep every triangle within 0.1 h of the input
    (without that check the remesh runs 6× faster but cuts across the rounded trim
    edges: 1.2 % of the volume and 6 % of the stiffness were lost on a PLS). Faces that
    cross each other afterwards are smoothed apart (:data:`UNTANGLE_PASSES`).
    """
    import pymeshlab  # the FE extra: afofit[fe]

    meshes = pymeshlab.MeshSet()
    meshes.add_mesh(pymeshlab.Mesh(np.asarray(vertices, np.float64), np.asarray(faces, np.int32)))
    area = float(trimesh.Trimesh(vertices, faces, process=False).area)
    target = int(max(4.0 * area / h_mm**2, 2000))
    if len(faces) > DECIMATE_TO * target:
        meshes.meshing_decimation_quadric_edge_collapse(
            targetfacenum=int(DECIMATE_TO * target),
            preservetopology=True,
            preservenormal=True,
            qualitythr=0.5,
        )
    meshes.meshing_isotropic_explicit_remeshing(
        iterations=REMESH_PASSES, targetlen=pymeshlab.PureValue(h_mm), featuredeg=40.0,
        adaptive=False, checksurfdist=True, maxsurfdist=pymeshlab.PureValue(0.1 * h_mm),
    )  # fmt: skip
    meshes.meshing_remove_duplicate_vertices()
    meshes.meshing_remove_duplicate_faces()
    meshes.meshing_remove_folded_faces()
    meshes.meshing_remove_unreferenced_vertices()
    # The remesh can leave a few faces crossing each other where a thin rounded trim edge
    # folds (0-14 faces in the FE study); gmsh cannot fill a surface that crosses itself.
    # Smooth each such spot (and two rings around it) until none is left.
    for _ in range(UNTANGLE_PASSES):
        meshes.compute_selection_by_self_intersections_per_face()
        if meshes.current_mesh().selected_face_number() == 0:
            break
        meshes.apply_selection_dilatation()
        meshes.apply_selection_dilatation()
        meshes.apply_coord_laplacian_smoothing(
            stepsmoothnum=2, selected=True, cotangentweight=False
        )
    out = meshes.current_mesh()
    return np.asarray(out.vertex_matrix(), np.float64), np.asarray(out.face_matrix(), np.int64)


def tet_mesh(vertices: Vec, faces: NDArray[np.int64], h_mm: float) -> TetMesh:
    """Linear tetrahedra filling the closed surface (``vertices``, ``faces``), size about ``h_mm``.

    Raises
    ------
    FitError
        gmsh cannot fill the surface (it does not enclose a volume).
    """
    import gmsh  # the FE extra: afofit[fe]

    gmsh.initialize(interruptible=False)
    try:
        gmsh.option.setNumber("General.Terminal", 0)
        gmsh.option.setNumber("General.NumThreads", 1)  # one thread: the same mesh every run
        gmsh.model.add("shell")
        gmsh.model.addDiscreteEntity(2, 1)
        tags = np.arange(1, len(vertices) + 1)
        gmsh.model.mesh.addNodes(2, 1, tags, np.asarray(vertices, np.float64).ravel())
        gmsh.model.mesh.addElements(
            2, 1, [2], [np.arange(1, len(faces) + 1)], [(faces + 1).ravel()]
        )
        loop = gmsh.model.geo.addSurfaceLoop([1])
        gmsh.model.geo.addVolume([loop])
        gmsh.model.geo.synchronize()
        gmsh.option.setNumber("Mesh.MeshSizeMax", h_mm)
        gmsh.option.setNumber("Mesh.Algorithm3D", 10)  # HXT
        gmsh.option.setNumber("Mesh.Optimize", 1)
        try:
            gmsh.model.mesh.generate(3)
        except Exception as exc:  # gmsh raises a bare Exception with its log line
            raise FitError(f"the FE mesher could not fill the shell ({exc}).") from exc
        node_tags, coords, _ = gmsh.model.mesh.getNodes()
        types, _, connectivity = gmsh.model.mesh.getElements(3)
    finally:
        gmsh.finalize()
    if 4 not in list(types):
        raise FitError("the FE mesher made no tetrahedra: the shell does not enclose a volume.")
    index = np.zeros(int(node_tags.max()) + 1, np.int64)
    index[node_tags.astype(np.int64)] = np.arange(len(node_tags))
    tets = index[np.asarray(connectivity[list(types).index(4)], np.int64).reshape(-1, 4)]
    nodes = coords.reshape(-1, 3)
    used = np.unique(tets)
    remap = np.full(len(nodes), -1, np.int64)
    remap[used] = np.arange(len(used))
    nodes, tets = nodes[used], remap[tets]
    corners = nodes[tets]
    volume = np.einsum(
        "ij,ij->i", corners[:, 1] - corners[:, 0],
        np.cross(corners[:, 2] - corners[:, 0], corners[:, 3] - corners[:, 0]),
    )  # fmt: skip
    tets[volume < 0] = tets[volume < 0][:, [0, 2, 1, 3]]
    return TetMesh(nodes, tets)


def solve_fixture(
    mesh: TetMesh, clamp_z: float, cuff_z: float, modulus_mpa: float, poisson: float = POISSON_RATIO
) -> tuple[CuffSolution, P2Space]:
    """Clamp below ``clamp_z``, make everything above ``cuff_z`` one rigid cuff, and solve.

    ``mesh`` is in the fixture's frame (mm, the axis point at the origin); ``modulus_mpa``
    and ``poisson`` are the material's. Returns the solution and its P2 space (for stresses).

    Raises
    ------
    FitError
        Nothing is clamped, or no cuff: the fixture does not hold the shell.
    """
    space = p2_space(mesh.nodes, mesh.tets)
    stiffness = stiffness_matrix(space, modulus_mpa, poisson)
    component = np.tile(np.arange(3), len(space.points))
    where = np.repeat(space.points, 3, axis=0)
    return solve_cuff(stiffness, where, component, clamp_z, cuff_z), space


@dataclass(frozen=True, slots=True)
class FEStiffness:
    """The FE answer for one shell in one fixture.

    Attributes
    ----------
    sagittal_nm_per_deg : dorsiflexion stiffness with the fixture's cuff constraint.
    lower_bound_nm_per_deg : the same under a pure moment (cuff free).
    frontal_nm_per_deg : inversion/eversion stiffness about the fixture's anterior-posterior
        axis through the axis point, cuff guided.
    peak_stress_mpa : the largest von Mises stress at the fixture's moment, away from the
        clamp and the cuff; ``peak_at_mm`` (3,) where (scan frame), ``peak_height_mm`` its
        height above the axis.
    linear_to_deg : the dorsiflexion at which the peak stress reaches the material's
        strength: the linear answer's range (large rotations are not modelled either).
    tets, dofs, h_mm : the mesh's size.
    """

    sagittal_nm_per_deg: float
    lower_bound_nm_per_deg: float
    frontal_nm_per_deg: float
    peak_stress_mpa: float
    peak_at_mm: Vec
    peak_height_mm: float
    moment_nm: float
    linear_to_deg: float
    tets: int
    dofs: int
    h_mm: float


def _meshed(vertices: Vec, faces: NDArray[np.int64], h_mm: float) -> TetMesh:
    """Tetrahedra for the surface, remeshed at ``h_mm``; if gmsh cannot fill that remesh (a
    fold the untangling missed: two coplanar faces over each other), at the next of
    :data:`RETRY_SCALES` × ``h_mm``, the same way every run.

    Raises
    ------
    FitError
        No remesh could be filled.
    """
    failure = None
    for scale in (1.0, *RETRY_SCALES):
        remeshed = surface_remesh(vertices, faces, scale * h_mm)
        try:
            return tet_mesh(*remeshed, h_mm)
        except FitError as exc:
            failure = exc
    assert failure is not None
    raise failure


def fe_stiffness(
    shell: trimesh.Trimesh,
    fixture: Fixture,
    modulus_gpa: float,
    strength_mpa: float,
    h_mm: float = DEFAULT_H_MM,
) -> FEStiffness:
    """The FE stiffness of ``shell`` (scan frame, mm) in ``fixture``.

    ``modulus_gpa`` and ``strength_mpa`` are the material's; ``h_mm`` the tetrahedra's size.

    Raises
    ------
    FitError
        The shell cannot be meshed, or the fixture does not hold it.
    """
    local = fixture.to_fixture(np.asarray(shell.vertices))
    mesh = _meshed(local, np.asarray(shell.faces, np.int64), h_mm)
    modulus = gpa_to_mpa(modulus_gpa)
    clamp_z, cuff_z = -fixture.clamp_below_mm, fixture.cuff_from_mm
    solution, space = solve_fixture(mesh, clamp_z, cuff_z, modulus)
    c = solution.compliance
    sagittal = cuff_compliance(c, fixture.cuff)
    moment = nm_to_nmm(fixture.moment_nm)
    guided = fixture.cuff == "guided"
    forces = guided_forces(c, RX, moment) if guided else moment * np.eye(6)[RX]
    stress = von_mises(space, solution.unit_fields @ forces, modulus, POISSON_RATIO)
    centres = mesh.nodes[mesh.tets].mean(axis=1)
    away = (centres[:, 2] > clamp_z + FIXTURE_MARGIN_MM) & (
        centres[:, 2] < cuff_z - FIXTURE_MARGIN_MM
    )
    judged = np.where(away, stress, 0.0)
    peak = int(np.argmax(judged))
    k_sagittal = nmm_per_rad_to_nm_per_deg(1.0 / sagittal)
    peak_mpa = float(judged[peak])
    linear_to = (
        fixture.moment_nm * strength_mpa / peak_mpa / k_sagittal if peak_mpa > 0 else math.inf
    )
    return FEStiffness(
        sagittal_nm_per_deg=k_sagittal,
        lower_bound_nm_per_deg=nmm_per_rad_to_nm_per_deg(1.0 / cuff_compliance(c, "free")),
        frontal_nm_per_deg=nmm_per_rad_to_nm_per_deg(1.0 / cuff_compliance(c, "frontal")),
        peak_stress_mpa=peak_mpa,
        peak_at_mm=fixture.to_scan(centres[peak][None, :])[0],
        peak_height_mm=float(centres[peak, 2]),
        moment_nm=fixture.moment_nm,
        linear_to_deg=float(linear_to),
        tets=len(mesh.tets),
        dofs=int(solution.unit_fields.shape[0]),
        h_mm=h_mm,
    )
