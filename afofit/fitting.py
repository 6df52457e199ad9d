"""The afofit pipeline, in one place.

analyse_scan:  scan file ─ load_scan ─ find_legs (split_limbs, units and sides
               decided first, then analyse_leg once per leg: frame, side,
               landmarks, measurements) ─ ScanAnatomy
analyse_gait:  per file: load_gait ─ analyse_trial (events from the file or
               detected, per-stride metrics, flags) ─ prescribe (worst trial
               drives) ─ GaitAnalysis
fit:           FitRequest ─ analyse_scan ─ [analyse_gait: the design from the
               prescription] ─ load_design/load_material ─ resolve_design (every
               request checked) ─ per leg: [tune_design to the target stiffness:
               build_shell ─ fast model, repeated] ─ build_shell ─ measure_shell ─
               run_checks ─ stiffness (fast or FE) ─ FitResult. Pure: it writes
               nothing; afofit.export.write_fit writes the STLs, fitting.json and
               the report.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import igl
import numpy as np
import trimesh
from numpy.typing import NDArray

from afofit.anatomy import LegAnatomy, ScanAnatomy
from afofit.clinical import SIDES, ClinicalInputs
from afofit.design import DesignParameters, resolve_design
from afofit.errors import AfofitError, InputError, LandmarkError
from afofit.geometry.checks import (
    FAR_MM,
    Check,
    ShellStats,
    keep_skin_tree,
    measure_shell,
    run_checks,
    skin_key,
)
from afofit.geometry.frames import LegFrame
from afofit.geometry.grid import squared_distances
from afofit.geometry.label import LABEL_ALLOWANCE_MM, LabelPlacement, label_depth
from afofit.geometry.required import required
from afofit.geometry.shell import (
    ShellGeometry,
    SkinEnvelope,
    SkinSamples,
    build_shell,
    relief_bump,
    relief_sites,
    sample_skin,
    shell_extent,
    shell_in_scan,
    skin_envelope,
)
from afofit.geometry.trimline import trim_field
from afofit.legs import check_options, find_legs
from afofit.mechanics.fast import FastStiffness
from afofit.mechanics.fe import FEStiffness
from afofit.mechanics.fixture import Fixture, fixture_for_leg
from afofit.mechanics.stiffness import LegStiffness, fast_stiffness_of, shell_stiffness
from afofit.profiles import builtin_profiles, load_design, load_material
from afofit.progress import Progress, silent
from afofit.request import FitRequest
from afofit.scan import load_landmarks, load_scan
from afofit.slicing import slicing_for
from afofit.threads import HERE, SpareCore
from afofit.tuning import OutOfReachError, Tuning, joined, strut_width_mm, tune_design

if TYPE_CHECKING:  # the gait stack (scipy.signal, ezc3d) loads only when a gait is read
    from afofit.gait.analysis import GaitAnalysis
    from afofit.gait.model import TrialGait

__all__ = [
    "MALLEOLI",
    "SPARE_CORE_MODULES",
    "FitResult",
    "LegFit",
    "Prepared",
    "analyse_gait",
    "analyse_scan",
    "fit",
    "fit_leg",
    "fit_prepared",
    "prepare",
    "scan_legs",
    "shell_efforts",
    "stl_name",
    "wall_probes",
]

log = logging.getLogger(__name__)

Vec = NDArray[np.float64]

#: The design fitted when neither --design nor a gait prescription names one.
DEFAULT_DESIGN = "pls"


def analyse_scan(
    path: Path | str,
    *,
    side: str | None = None,
    units: str | None = None,
    landmarks: Path | str | None = None,
) -> ScanAnatomy:
    """Read a scan and find each leg's frame, side, landmarks and measurements.

    Parameters
    ----------
    path : STL, PLY or OBJ scan of one or two lower legs with their feet.
    side, units, landmarks : as for :func:`scan_legs`, which this calls; only the
        anatomy is returned.
    """
    return scan_legs(path, side=side, units=units, landmarks=landmarks)[0]


def scan_legs(
    path: Path | str,
    *,
    side: str | None = None,
    units: str | None = None,
    landmarks: Path | str | None = None,
) -> tuple[ScanAnatomy, list[trimesh.Trimesh]]:
    """Read a scan and find its legs: their anatomy and their surfaces in mm.

    Parameters
    ----------
    path : STL, PLY or OBJ scan of one or two lower legs with their feet.
    side : "left" | "right": keep only that leg (see :func:`afofit.legs.find_legs`).
    units : the file's length unit ("mm", "cm", "m", "in"); None to detect.
    landmarks : JSON or MeshLab ``.pp`` file of landmarks that replace the
        detected ones (see :func:`afofit.scan.load_landmarks`).

    Returns
    -------
    ScanAnatomy, coordinates in the file's frame scaled to mm, and each
    leg's surface (mm), in the same order as its legs.

    Raises
    ------
    ScanError, NotALegError, LandmarkError, InputError
    """
    check_options(side, units)  # before the scan is read
    overrides = load_landmarks(landmarks) if landmarks else None
    return find_legs(load_scan(path), side=side, units=units, overrides=overrides)


def analyse_gait(
    files: Sequence[Path | str],
    *,
    side: str | None = None,
    clinical: ClinicalInputs | None = None,
) -> GaitAnalysis:
    """Read gait trials of one person, measure each side, flag foot drop and prescribe an AFO.

    Parameters
    ----------
    files : C3D, OpenSim .mot/.trc or CSV trials (e.g. rested, after a long walk, on a hot
        day); each is judged alone and the most demanding one drives the prescription.
    side : "left" or "right" to analyse one side only; None for every side in the files.
    clinical : clinical findings and overrides (body mass, spasticity...); None for none.

    Raises
    ------
    GaitError, InputError
        A file is unreadable or lacks what is needed (named in the message), no stride is
        complete, or a stiffness needs a body mass that neither the file nor ``--mass`` gives.
    """
    from afofit.gait.analysis import GaitAnalysis
    from afofit.gait.metrics import analyse_trial
    from afofit.gait.prescribe import prescribe
    from afofit.gait.readers import load_gait

    if not files:
        raise InputError("no gait file given: pass one or more C3D, .mot, .trc or .csv trials.")
    check_options(side, None)
    clinical = clinical or ClinicalInputs()
    trials, warnings = [], []
    for path in files:
        trial = analyse_trial(load_gait(path))
        name = Path(path).name
        warnings += [f"{name}: {note}" for note in trial.trial.notes]
        warnings += [f"{name}: {note}" for note in _running(trial)]
        if side is not None:
            if side not in trial.sides:
                raise InputError(
                    f"{name}: --side {side}: no complete {side} stride in this trial "
                    f"(sides found: {', '.join(trial.sides) or 'none'})."
                )
            trial = replace(trial, sides={side: trial.sides[side]})
        trials.append(trial)
    prescription = prescribe(trials, clinical)
    return GaitAnalysis(tuple(trials), prescription, clinical, tuple(warnings))


#: Above these a trial is running, not walking: cadence (steps/min; brisk walking reaches
#: about 130-140, running starts near 160) and speed (m/s; people change to running near 2.0).
RUNNING_CADENCE_STEPS_PER_MIN = 160.0
RUNNING_SPEED_M_PER_S = 2.0


def _running(trial: TrialGait) -> list[str]:
    """A note for each side of ``trial`` that looks like running (the bands are for walking)."""
    notes = []
    for name, gait in trial.sides.items():
        cadence = gait.mean("cadence_steps_per_min")
        speed_mm = gait.mean("walking_speed_mm_per_s")
        speed = None if speed_mm is None else speed_mm / 1000.0
        if (cadence is not None and cadence > RUNNING_CADENCE_STEPS_PER_MIN) or (
            speed is not None and speed > RUNNING_SPEED_M_PER_S
        ):
            shown = [f"cadence {cadence:.0f} steps/min" if cadence is not None else "",
                     f"speed {speed:.1f} m/s" if speed is not None else ""]  # fmt: skip
            notes.append(
                f"{name} side looks like running ({', '.join(s for s in shown if s)}): the "
                "normal bands and the prescription are for walking; record a walking trial."
            )
    return notes


@dataclass(frozen=True, slots=True)
class LegFit:
    """One leg's fitted shell.

    Attributes
    ----------
    leg : the leg's anatomy.
    params : the resolved design.
    shell_scan : the shell in the input scan's frame, mm.
    shell_local, skin_local : shell and skin in the leg's local frame (for pictures).
    stats, checks : what the checks measured and concluded.
    warnings : what the user should know about this leg's design and shell.
    print_transform : (4, 4) rigid motion, mm, from the scan's frame to the same shell
        standing on its flat footplate on z = 0, centred (how it is printed).
    stiffness : its predicted ankle stiffness in the standard fixture (and the tuning).
    covered : whether the wall lies over each of the leg's :data:`MALLEOLI` (as
        :meth:`covers`), found as the shell was built; None when not looked for.
    """

    leg: LegAnatomy
    params: DesignParameters
    shell_scan: trimesh.Trimesh
    shell_local: trimesh.Trimesh
    skin_local: trimesh.Trimesh
    stats: ShellStats
    checks: tuple[Check, ...]
    warnings: tuple[str, ...]
    print_transform: NDArray[np.float64]
    stiffness: LegStiffness | None = None
    covered: dict[str, bool] | None = None

    @property
    def passed(self) -> bool:
        """Whether the shell passed every check."""
        return all(check.passed for check in self.checks)

    def covers(self, name: str) -> bool:
        """Whether the shell's wall lies over landmark ``name``.

        Probes the middle of the wall (clearance, the landmark's relief and half
        the thickness) out from the skin nearest the landmark (an estimated
        landmark can lie a little inside the skin) along the skin's normal
        there (its faces' area-weighted normal), the normal taken pointing away
        from the shank axis.

        Raises
        ------
        LandmarkError
            The leg has no landmark ``name``.
        """
        return self.covering((name,))[name]

    def covering(self, names: Sequence[str]) -> dict[str, bool]:
        """:meth:`covers` for each of ``names`` at once: as found when the shell was built
        (:data:`MALLEOLI`, from its grid), else by the winding number of the shell at each
        probe (one pass over the shell).

        Raises
        ------
        LandmarkError
            The leg lacks one of the landmarks.
        """
        if self.covered is not None and all(name in self.covered for name in names):
            return {name: self.covered[name] for name in names}
        local = {name: self._local(name) for name in names}
        probes = wall_probes(self.skin_local, local, self.leg.frame, self.params)
        return _winding_inside(self.shell_local, probes)

    def malleoli_covered(self) -> dict[str, bool | None]:
        """Whether the wall lies over each malleolus (:meth:`covers`), keyed ``lateral`` and
        ``medial``; None for one the leg has no landmark for."""
        known = [name for name in MALLEOLI if self.leg.landmarks_mm.get(name) is not None]
        found = self.covering(known)
        return {name.split("_")[0]: found.get(name) for name in MALLEOLI}

    def _local(self, name: str) -> Vec:
        landmark = self.leg.landmarks_mm.get(name)
        if landmark is None:
            raise LandmarkError(f"the leg has no {name.replace('_', ' ')} to look for.")
        return self.leg.frame.to_local(landmark[None, :])[0]


#: The landmarks whose coverage a fit finds as it builds the shell (:attr:`LegFit.covered`).
MALLEOLI = ("lateral_malleolus", "medial_malleolus")


def wall_probes(
    skin: trimesh.Trimesh, local: dict[str, Vec], frame: LegFrame, params: DesignParameters
) -> dict[str, Vec]:
    """Where :meth:`LegFit.covers` probes for each of the ``local`` landmarks (name → local
    point on the leg's ``skin``, local mm): the middle of the wall of the design ``params``
    (clearance, the landmark's relief and half the thickness) out from the skin vertex
    nearest the landmark, along the skin's normal there (its faces' area-weighted normal),
    taken pointing away from the shank axis (the leg ``frame``'s)."""
    vertices, faces = np.asarray(skin.vertices), np.asarray(skin.faces)
    axis = frame.rotation @ frame.shank_up
    probes = {}
    for name, point in local.items():
        nearest = int(np.argmin(squared_distances(vertices, point)))
        around = vertices[faces[(faces == nearest).any(axis=1)]]
        normal = np.cross(around[:, 1] - around[:, 0], around[:, 2] - around[:, 0]).sum(axis=0)
        normal /= max(float(np.linalg.norm(normal)), 1e-12)
        radial = point - axis * (point @ axis)
        if normal @ radial < 0.0:
            normal = -normal
        relief = params.reliefs.get(name, (None, 0.0))[1]
        depth = params.clearance_mm + relief + 0.5 * params.thickness_mm
        probes[name] = vertices[nearest] + depth * normal
    return probes


def _winding_inside(mesh: trimesh.Trimesh, probes: dict[str, Vec]) -> dict[str, bool]:
    """Whether each of ``probes`` (name → local point) lies inside the closed ``mesh``."""
    if not probes:
        return {}
    winding = igl.fast_winding_number(
        np.asarray(mesh.vertices, dtype=np.float64),
        np.asarray(mesh.faces, dtype=np.int64),
        np.asarray(list(probes.values()), dtype=np.float64).reshape(-1, 3),
    )
    return {name: bool(w > 0.5) for name, w in zip(probes, winding, strict=True)}


def _covered(geometry: ShellGeometry, probes: dict[str, Vec]) -> dict[str, bool]:
    """Whether each of ``probes`` lies in ``geometry``'s material: told from its grid
    (:meth:`ShellGeometry.in_material`), the winding number settling what that leaves
    unknown (the same answers, measured, at a fraction of the cost)."""
    points = np.asarray(list(probes.values()), dtype=np.float64).reshape(-1, 3)
    known, inside = geometry.in_material(points)
    found = {name: bool(i) for name, k, i in zip(probes, known, inside, strict=True) if k}
    unknown = {name: q for name, q in probes.items() if name not in found}
    return {**found, **_winding_inside(geometry.mesh, unknown)}


def threemf_name(stl: str) -> str:
    """The 3MF beside the STL named ``stl`` (:func:`stl_name`): ``afo.3mf``,
    ``afo-left.3mf``, ``afo-FAILED.3mf``; it holds the standing shell."""
    return stl.removesuffix(".stl") + ".3mf"


def stl_name(side: str, both: bool, printing: bool = False, failed: bool = False) -> str:
    """``afo.stl`` for one leg; ``afo-left.stl`` / ``afo-right.stl`` (by ``side``) for both.

    ``printing`` names the copy that stands on the printer's bed: ``afo-print.stl``,
    ``afo-left-print.stl``. A shell that ``failed`` a check says so in its name:
    ``afo-FAILED.stl``, ``afo-print-FAILED.stl``.
    """
    stem = f"afo-{side}" if both else "afo"
    stem = f"{stem}-print" if printing else stem
    return f"{stem}-FAILED.stl" if failed else f"{stem}.stl"


@dataclass(frozen=True, slots=True)
class FitResult:
    """Everything a fitting produces, in memory; :func:`afofit.export.write_fit` writes it.

    Attributes
    ----------
    anatomy : the scan's anatomy (every leg analysed).
    legs : each fitted leg's shell, checks and warnings.
    request : the request it answers.
    gait : the gait analysis, when gait trials were given.
    targets : side → where its design came from and the target stiffness (N·m/deg).
    """

    anatomy: ScanAnatomy
    legs: tuple[LegFit, ...]
    request: FitRequest
    gait: GaitAnalysis | None = None
    targets: dict[str, dict[str, object]] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        """Whether every leg's shell passed every check."""
        return all(leg.passed for leg in self.legs)

    def stl_names(self) -> list[tuple[str, str]]:
        """Each leg's (STL over the scan, STL standing for the printer) file names; a leg
        whose shell failed a check gets ``-FAILED`` names."""
        both = len(self.legs) > 1
        return [
            (stl_name(f.leg.side, both, failed=not f.passed),
             stl_name(f.leg.side, both, True, failed=not f.passed))
            for f in self.legs
        ]  # fmt: skip


#: A face whose normal is this close to pointing straight away from its skin sample
#: (cosine) is on the outer surface: it cannot look at the skin (the sample's direction
#: would have to be 60 degrees off the skin's nearest point's).
FACING_AWAY = -0.85


def fit_leg(
    limb_mm: trimesh.Trimesh,
    leg: LegAnatomy,
    params: DesignParameters,
    voxel_mm: float = 1.25,
    skin_sampled: SkinSamples | None = None,
    geometry: ShellGeometry | None = None,
    spare: SpareCore = HERE,
) -> LegFit:
    """Build and check the shell for one leg (the pipeline's geometry half).

    Parameters
    ----------
    limb_mm : the leg's surface, scan frame, mm.
    leg : its anatomy.
    params : the resolved design.
    voxel_mm : the shell's grid spacing.
    skin_sampled : the skin's samples, when already taken (see :func:`sample_skin`).
    geometry : the shell, when already built for ``params`` (a tuning search's last).
    spare : a helper process for part of the checks (:func:`afofit.threads.spare_core`).
    """
    frame = leg.frame
    skin, local, axis, foot = _leg_local(limb_mm, leg)
    if geometry is None:
        geometry = build_shell(
            skin, params, axis, local, foot, voxel_mm=voxel_mm, skin_sampled=skin_sampled
        )
    mesh = geometry.mesh
    ankle, heel = required(local, "ankle_axis_centre", "heel")
    centres = mesh.triangles_center
    sample = geometry.nearest_sample(centres)  # the sample the build found for each face's voxel
    # How far inside the trim lines each face lies, judged where the build judged it (the
    # build then smooths the trim lines' field by a voxel: an edge moves by less than that).
    judged = geometry.judged_at(centres, sample)
    inside = -trim_field(
        judged,
        params,
        axis,
        float(ankle[2]),
        float(heel[1]),
        geometry.toes_from_mm,
    )
    relief = np.zeros(len(mesh.faces))
    for site, _ in relief_sites(geometry.samples, params):
        relief = np.maximum(relief, relief_bump(centres, site))
    # Only faces near a skin sample and facing it can be over the skin: the exact (costly)
    # distance to the scan is measured for them alone, up to FAR_MM beyond the wall (the
    # clearance map shows the loose parts too). The sample the build found for a
    # face's voxel lies at most a relief (and a smoothing) further than the skin itself,
    # and seen from the face within some 60 degrees of the skin's nearest point (a few
    # degrees over most of the wall: measured, the statistics are the same): the outer
    # surface, which faces straight away from it, is left out.
    towards = geometry.samples[sample] - centres
    to_sample = np.linalg.norm(towards, axis=1)
    bound = params.clearance_mm + params.thickness_mm + FAR_MM + params.max_relief_mm + 2.0
    facing = np.einsum("ij,ij->i", np.asarray(mesh.face_normals), towards)
    maybe_inner = (sample >= 0) & (to_sample < bound) & (facing >= FACING_AWAY * to_sample)
    engraved = None
    if params.label is not None:
        # Behind an inner face the label lies a wall out, against the face's normal
        # (inner faces look at the skin): judged there, at the outer surface's radius,
        # the deepest cut within LABEL_ALLOWANCE_MM (a wall's chord from a face's corners
        # meets the letters' sloped sides a little way off).
        place = LabelPlacement(axis, params.label_centre_mm, params.label_mirrored)
        outwards = centres - params.thickness_mm * np.asarray(mesh.face_normals)
        engraved = label_depth(outwards, params.label, place, LABEL_ALLOWANCE_MM)
    stats = measure_shell(
        mesh,
        skin,
        params.clearance_mm,
        params.thickness_mm,
        inside,
        relief,
        maybe_inner,
        geometry.toes_from_mm,
        engraved,
        spare,
        (geometry.grid_origin, geometry.voxel_mm),
        geometry.in_material,
        skin_key(skin) if spare.parallel else None,
    )
    checks = run_checks(
        stats, params.clearance_mm, params.thickness_mm, params.material.min_wall_mm
    )
    warnings = list(params.warnings)
    if geometry.removed_pieces:
        warnings.append(
            f"dropped {geometry.removed_pieces} faces of loose fragments from the shell"
        )
    shell_scan = shell_in_scan(mesh, frame)
    found = {name: point for name in MALLEOLI if (point := local.get(name)) is not None}
    return LegFit(
        leg=leg, params=params, shell_scan=shell_scan, shell_local=mesh, skin_local=skin,
        stats=stats, checks=tuple(checks), warnings=tuple(warnings),
        print_transform=frame.standing(np.asarray(shell_scan.vertices)),
        covered=_covered(geometry, wall_probes(skin, found, frame, params)),
    )  # fmt: skip


def _leg_local(
    limb_mm: trimesh.Trimesh, leg: LegAnatomy
) -> tuple[trimesh.Trimesh, dict[str, Vec | None], Vec, float]:
    """The leg's skin and landmarks in its local frame, its shank axis and foot length."""
    frame = leg.frame
    skin = trimesh.Trimesh(frame.to_local(limb_mm.vertices), limb_mm.faces, process=False)
    local = {
        k: (None if p is None else frame.to_local(p[None, :])[0])
        for k, p in leg.landmarks_mm.items()
    }
    return skin, local, frame.rotation @ frame.shank_up, leg.measurements.foot_length_mm


def _fit_to_stiffness(
    limb: trimesh.Trimesh,
    leg: LegAnatomy,
    params: DesignParameters,
    target: tuple[float, float] | None,
    request: FitRequest,
    progress: Progress = silent,
    shared: SkinSamples | None = None,
    spare: SpareCore = HERE,
) -> LegFit:
    """One leg's shell, tuned to ``target`` (unless the thickness was given), and its stiffness;
    ``shared`` is the leg's skin sampled already (:func:`share_skin`), used when it serves;
    ``spare`` a helper process for the final shell's fast stiffness and part of its checks.

    Tuning builds real shells and judges each by the fast model; with the ``fe`` method
    FE then judges the tuned shell, and if it reads outside the tolerance the search runs
    once more, aimed off by FE's ratio to the fast model on that shell.

    Raises
    ------
    FitError
        The target is out of the design's reach (before any file is written).
    """
    material, method, voxel = params.material, request.stiffness_method, request.voxel_mm
    skin, local, axis, foot = _leg_local(limb, leg)
    if spare.parallel:  # the checks' tree over the skin, built by the helper meanwhile
        spare.submit(keep_skin_tree, skin_key(skin), np.asarray(skin.vertices),
                     np.asarray(skin.faces))  # fmt: skip
    radius = leg.measurements.ankle_girth_mm / (2.0 * math.pi)
    # The search's last shell: its design's key, the shell, its fixture and fast stiffness.
    # The tuned design is the last one measured, so its shell is not built (or, with the
    # fast method, measured) twice.
    last: dict[str, Any] = {}
    sampled: SkinSamples | None = None
    if shared is not None and shared.envelope is not None:
        thickest = max(params.thickness_mm, material.thickness_range_mm[1])
        if shared.envelope.covers(skin_envelope(params, thickest)):
            sampled = shared

    def predict(p: DesignParameters) -> float:
        strut = strut_width_mm(p, radius)
        struts = "" if strut is None else f", {strut:.0f} mm struts"
        progress(f"tuning the {leg.side} shell: trying {p.thickness_mm:.2f} mm walls{struts}")
        geometry = build_shell(skin, p, axis, local, foot, voxel_mm=voxel, skin_sampled=sampled)
        shell = shell_in_scan(geometry.mesh, leg.frame)
        fixture = fixture_for_leg(leg, np.asarray(shell.vertices))
        result = shell_stiffness(shell, fixture, material, "fast")
        last.update(key=(p.thickness_mm, p.ankle_trim_rad), geometry=geometry,
                    fixture=fixture, result=result)  # fmt: skip
        return result.sagittal_nm_per_deg

    def fitted(p: DesignParameters) -> tuple[LegFit, Fixture, FEStiffness | FastStiffness]:
        known = last.get("key") == (p.thickness_mm, p.ankle_trim_rad)
        geometry = last["geometry"] if known else None
        if known and method == "fast":
            progress(f"checking the {leg.side} shell")
            leg_fit = fit_leg(limb, leg, p, voxel, sampled, geometry, spare)
            return leg_fit, last["fixture"], last["result"]
        if method == "fast" and spare.parallel:
            # The fast stiffness needs the shell alone: worked out beside its checks.
            progress(f"building the {leg.side} shell")
            geometry = geometry or build_shell(skin, p, axis, local, foot, voxel, sampled)
            shell = shell_in_scan(geometry.mesh, leg.frame)
            fixture = fixture_for_leg(leg, np.asarray(shell.vertices))
            stiffness = spare.submit(
                fast_stiffness_of, np.asarray(shell.vertices), np.asarray(shell.faces),
                fixture, material,
            )  # fmt: skip
            progress(f"checking the {leg.side} shell and its fast stiffness")
            leg_fit = fit_leg(limb, leg, p, voxel, sampled, geometry, spare)
            return leg_fit, fixture, stiffness.result()
        progress(f"{'checking' if known else 'building and checking'} the {leg.side} shell")
        leg_fit = fit_leg(limb, leg, p, voxel, sampled, geometry, spare)
        fixture = fixture_for_leg(leg, np.asarray(leg_fit.shell_scan.vertices))
        progress(f"{'FE' if method == 'fe' else 'fast'} stiffness of the {leg.side} shell")
        return leg_fit, fixture, shell_stiffness(leg_fit.shell_scan, fixture, material, method)

    tuning: Tuning | None = None
    correction: float | None = None
    notes: list[str] = []
    middle = None if target is None else 0.5 * (target[0] + target[1])
    if middle is not None and request.thickness_mm is None:
        if sampled is None:  # one sampling of the skin serves every wall up to the thickest
            thickest = material.thickness_range_mm[1]
            progress(f"sampling the {leg.side} leg's skin")
            sampled = sample_skin(skin, params, axis, local, foot, thickness_mm=thickest)
        try:
            tuning = tune_design(params, middle, predict, radius)
        except OutOfReachError as out:
            if method != "fe":
                raise
            tuning, correction = _reach_by_fe(out, middle, predict, radius, fitted)
        params = tuning.params
    leg_fit, fixture, result = fitted(params)
    stiffness = LegStiffness(method, fixture, result, target, tuning, correction)
    if tuning is not None and middle is not None and method == "fe" and not stiffness.within_target:
        correction = result.sagittal_nm_per_deg / tuning.predicted_nm_per_deg
        again = tune_design(params, middle / correction, predict, radius)
        tuning = joined(tuning, again, middle)
        leg_fit, fixture, result = fitted(tuning.params)
        stiffness = LegStiffness(method, fixture, result, target, tuning, correction)
    if middle is not None and not stiffness.within_target:
        k = result.sagittal_nm_per_deg
        why = "its thickness was fixed, so it was not tuned" if tuning is None else "tuned"
        notes.append(
            f"{leg.side} leg: predicted stiffness {k:.2f} N·m/deg ({method}) is outside the "
            f"target {target[0]:.2f}-{target[1]:.2f} N·m/deg ({why})"  # type: ignore[index]
        )
    return replace(leg_fit, stiffness=stiffness, warnings=(*leg_fit.warnings, *notes))


def _reach_by_fe(
    out: OutOfReachError,
    middle: float,
    predict: Callable[[DesignParameters], float],
    radius: float,
    fitted: Callable[[DesignParameters], tuple[LegFit, Fixture, FEStiffness | FastStiffness]],
) -> tuple[Tuning, float]:
    """FE's word on a target the fast model found out of reach: FE the nearest shell, and
    search again aimed off by FE's ratio to the fast model there; returns the whole tuning
    and that ratio. If that too falls short, refuse with the fast numbers corrected by it."""
    fe = fitted(out.nearest)[2].sagittal_nm_per_deg
    ratio = fe / out.nearest_step.stiffness_nm_per_deg
    try:
        again = tune_design(out.nearest, middle / ratio, predict, radius)
        return joined(out.tuning, again, middle), ratio
    except OutOfReachError as again:
        raise OutOfReachError(
            out.start, middle, [*out.steps, *again.steps], out.ankle_radius_mm, ratio,
            "; the fast model scaled to FE",
        ) from again  # fmt: skip


def stiffness_target(target: dict[str, object]) -> tuple[float, float] | None:
    """The (low, high) target stiffness, N·m/deg, of one leg's ``target`` (FitResult.targets)."""
    k = target.get("target_stiffness_nm_per_deg")
    if not isinstance(k, Sequence):
        return None
    return float(k[0]), float(k[1])


def _choose_design(
    side: str,
    design: str | None,
    stiffness: tuple[float, float] | None,
    gait: GaitAnalysis | None,
) -> tuple[str, dict[str, object], list[str]]:
    """One leg's design and its source: ``--design``, the gait prescription, or the default."""
    warnings: list[str] = []
    given = gait.prescription.get(side) if gait is not None else None
    target = stiffness or (given.stiffness_nm_per_deg if given is not None else None)
    if design is not None:
        source = "--design"
    elif given is not None and given.afo_type in builtin_profiles()["designs"]:
        design, source = given.afo_type, "gait prescription"
    else:
        design, source = DEFAULT_DESIGN, "default"
        if given is not None:
            warnings.append(
                f"{side} leg: the gait prescribes {given.afo_type!r}; fitted the default "
                f"{DEFAULT_DESIGN!r} design (choose one with --design)"
            )
        elif gait is not None:
            warnings.append(
                f"{side} leg: the gait files hold no {side} stride; design not from gait"
            )
    return (
        design,
        {
            "design_source": source,
            "target_stiffness_nm_per_deg": None
            if target is None
            else [round(float(v), 3) for v in target],
            "stiffness_source": "--stiffness"
            if stiffness
            else ("gait prescription" if target else None),
        },
        warnings,
    )


#: What a helper process (:func:`afofit.threads.spare_core`) imports to serve a fitting.
SPARE_CORE_MODULES = ("afofit.geometry.checks", "afofit.mechanics.stiffness")


def fit(
    request: FitRequest | Path | str,
    /,
    progress: Progress = silent,
    spare: SpareCore = HERE,
    ahead: Callable[[Prepared], object] | None = None,
    **options: Any,
) -> FitResult:
    """Fit AFO shells to a scan: anatomy, design, shell and checks, in memory.

    Pure: it reads the inputs and writes nothing (:func:`afofit.export.write_fit`
    writes the result). Call it with a :class:`~afofit.request.FitRequest`, or with
    the scan and the request's fields as keywords::

        fit(FitRequest("leg.stl", design="solid", thickness_mm=4.5))
        fit("leg.stl", design="solid", thickness_mm=4.5)

    Parameters
    ----------
    request : the request, or the scan's path.
    progress : told each stage as it begins (:mod:`afofit.progress`).
    spare : a helper process on the machine's other core
        (:func:`afofit.threads.spare_core`): part of the checks and the fast stiffness
        run there; the result is the same without one.
    ahead : called with the scan as read (:class:`Prepared`) before the shells are built:
        a caller may start work of its own on it (the command line has the helper draw
        the scan's pictures for the report, :func:`afofit.report.html.draw_ahead`).
    options : with a path, the other :class:`~afofit.request.FitRequest` fields
        (``side``, ``design``, ``material``, ``thickness_mm``, ``gait``, ...).

    Returns
    -------
    FitResult

    Raises
    ------
    InputError, ProfileError, FitError
        Every request is checked before any geometry is built.
    """
    if not isinstance(request, FitRequest):
        request = FitRequest(Path(request), **options)
    elif options:
        raise TypeError("fit(): give the options in the FitRequest, or a path and keywords")
    material = load_material(request.material)  # a bad --material or --design fails first
    if request.slice_gcode:
        slicing_for(material)  # so do --slice without PrusaSlicer or for a powder material
    if request.design is not None:
        load_design(request.design)
    prepared = prepare(request, progress)
    if ahead is not None:
        ahead(prepared)
    return fit_prepared(request, prepared, progress, spare)


@dataclass(frozen=True, slots=True)
class Prepared:
    """What every fitting of one scan (and gait) shares: read once, fitted many times.

    Attributes
    ----------
    anatomy : the scan's legs that the request fits.
    limbs : each of those legs' mesh, scan frame, mm.
    gait : the gait analysis (None without trials).
    skins : each leg's skin sampled for several designs at once (:func:`share_skin`), or
        empty: each fitting then samples its own.
    """

    anatomy: ScanAnatomy
    limbs: tuple[trimesh.Trimesh, ...]
    gait: GaitAnalysis | None
    skins: tuple[SkinSamples, ...] = ()


def prepare(request: FitRequest, progress: Progress = silent) -> Prepared:
    """Read ``request``'s scan (the legs it fits) and its gait trials: the part of a fitting
    that does not depend on the design (:func:`fit_prepared` does the rest); ``progress``
    is told each stage.

    Raises
    ------
    InputError, LandmarkError
        The scan or a trial cannot be read, or the side does not match the scan.
    """
    progress(f"reading {request.scan.name}")
    anatomy, limbs = _fitted_legs(request)
    if request.gait:
        count = len(request.gait)
        progress(f"reading {count} gait trial{'s' * (count > 1)}")
    analysis = _gait_for(request, anatomy) if request.gait else None
    return Prepared(anatomy, tuple(limbs), analysis)


def fit_prepared(
    request: FitRequest, prepared: Prepared, progress: Progress = silent, spare: SpareCore = HERE
) -> FitResult:
    """:func:`fit` of ``request`` on its scan and gait already read (``prepared`` from
    :func:`prepare` of a request with the same scan, side, units, landmarks, gait and
    clinical inputs): its design, shells, checks and stiffness; ``progress`` is told each
    stage; ``spare`` as for :func:`fit`.

    Raises
    ------
    ProfileError, FitError
        The design or material cannot be loaded, or a shell cannot be built or tuned.
    """
    progress("choosing the design")
    jobs, targets = design_jobs(request, prepared)
    skins = prepared.skins or (None,) * len(jobs)
    legs = tuple(
        _fit_to_stiffness(
            limb, leg, p, stiffness_target(targets[leg.side]), request, progress, skin, spare
        )
        for (limb, leg, p), skin in zip(jobs, skins, strict=True)
    )
    return FitResult(
        anatomy=prepared.anatomy, legs=legs, request=request, gait=prepared.gait, targets=targets
    )


def design_jobs(
    request: FitRequest, prepared: Prepared
) -> tuple[
    list[tuple[trimesh.Trimesh, LegAnatomy, DesignParameters]], dict[str, dict[str, object]]
]:
    """Each of ``prepared``'s legs with its mesh and the design ``request`` resolves to for it
    (chosen from the gait when not given), and each side's stiffness target (by side).

    Raises
    ------
    ProfileError
        The design or material cannot be loaded.
    """
    material = load_material(request.material)
    jobs, targets = [], {}
    for leg, limb in zip(prepared.anatomy.legs, prepared.limbs, strict=True):
        name, targets[leg.side], notes = _choose_design(
            leg.side, request.design, request.stiffness_nm_per_deg, prepared.gait
        )
        top = float(leg.frame.to_local(np.asarray(limb.vertices))[:, 2].max())
        params = resolve_design(
            load_design(name), material, leg, top, thickness_mm=request.thickness_mm,
            clearance_mm=request.clearance_mm, footplate=request.footplate,
            strap_slots=request.strap_slots, label=request.label,
        )  # fmt: skip
        jobs.append((limb, leg, replace(params, warnings=(*params.warnings, *notes))))
    return jobs, targets


def share_skin(
    prepared: Prepared, requests: Sequence[FitRequest], progress: Progress = silent
) -> Prepared:
    """``prepared`` with each leg's skin sampled once for all of ``requests`` (each at its
    material's thickest wall, so tuning needs no sampling of its own): fitting them then
    skips the sampling, a third of a shell's build. A request whose design cannot be
    resolved is left out (its own fitting reports why); ``progress`` is told the stage."""
    wanted: dict[int, tuple[DesignParameters, SkinEnvelope]] = {}
    for request in requests:
        try:
            jobs, _ = design_jobs(request, prepared)
            thickest = load_material(request.material).thickness_range_mm[1]
        except AfofitError:
            continue
        for i, (_, _, params) in enumerate(jobs):
            needed = skin_envelope(params, max(params.thickness_mm, thickest))
            first, known = wanted.get(i, (params, needed))
            wanted[i] = (first, known.join(needed))
    if len(wanted) < len(prepared.limbs):
        return prepared
    skins = []
    for i, (leg, limb) in enumerate(zip(prepared.anatomy.legs, prepared.limbs, strict=True)):
        progress(f"sampling the {leg.side} leg's skin")
        skin, local, axis, foot = _leg_local(limb, leg)
        params, envelope = wanted[i]
        skins.append(sample_skin(skin, params, axis, local, foot, envelope=envelope))
    return replace(prepared, skins=tuple(skins))


def shell_efforts(prepared: Prepared, requests: Sequence[FitRequest]) -> list[float]:
    """How much work each of ``requests`` will be, roughly (mm³ of shell over all its legs,
    :func:`~afofit.geometry.shell.shell_extent`; its design's own thickness), on
    ``prepared`` with its skins shared (:func:`share_skin`): to start the heaviest first.
    0 for a request whose design cannot be resolved (its fitting fails at once), and for
    all without shared skins."""
    if not prepared.skins:
        return [0.0] * len(requests)
    legs = [
        _leg_local(limb, leg)
        for limb, leg in zip(prepared.limbs, prepared.anatomy.legs, strict=True)
    ]
    efforts = []
    for request in requests:
        try:
            jobs, _ = design_jobs(request, prepared)
        except AfofitError:
            efforts.append(0.0)
            continue
        pairs = zip(prepared.skins, jobs, legs, strict=True)
        efforts.append(sum(
            shell_extent(sampled, params, axis, local)
            for sampled, (_, _, params), (_, local, axis, _) in pairs
        ))  # fmt: skip
    return efforts


def _fitted_legs(request: FitRequest) -> tuple[ScanAnatomy, list[trimesh.Trimesh]]:
    """The scan's legs that ``request`` fits (one, or both with ``side="both"``)."""
    both = request.side == "both"
    anatomy, limbs = scan_legs(
        request.scan, side=None if both else request.side, units=request.units,
        landmarks=request.landmarks,
    )  # fmt: skip
    name = request.scan.name
    if both and len(anatomy.legs) != 2:
        raise InputError(
            f"{name}: --side both needs two legs; the scan holds one ({anatomy.legs[0].side})."
        )
    if len(anatomy.legs) > 1 and not both:
        raise InputError(f"{name}: the scan holds two legs; choose --side left, right or both.")
    return anatomy, limbs


def _gait_for(request: FitRequest, anatomy: ScanAnatomy) -> GaitAnalysis:
    """The gait analysis of ``request``'s trials, the scan giving the foot length."""
    clinical = request.clinical
    if clinical.foot_length_mm is None:  # the scan knows the feet
        feet = {leg.side: leg.measurements.foot_length_mm for leg in anatomy.legs}
        if len(feet) == 1:  # one leg scanned: take its foot for the other side too
            feet = dict.fromkeys(SIDES, next(iter(feet.values())))
        clinical = replace(clinical, foot_length_mm=feet)
    return analyse_gait(request.gait, clinical=clinical)
