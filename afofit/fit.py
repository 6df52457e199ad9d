"""The afofit pipeline, in one place.

analyse_scan:  scan file ─ load_scan ─ split_limbs ─ units ─ analyse_leg
               (frame, side, landmarks, measurements) per leg ─ ScanAnatomy
analyse_gait:  per file: load_gait ─ analyse_trial (events from the file or
               detected, per-stride metrics, flags) ─ prescribe (worst trial
               drives) ─ GaitAnalysis
fit:           analyse_scan ─ [analyse_gait: the design from the prescription]
               ─ load_design/load_material ─ resolve_design (every request
               checked) ─ per leg: build_shell ─ measure_shell ─ run_checks
               ─ write_fit (afo.stl, fitting.json, report.html)
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import igl
import numpy as np
import trimesh

from afofit.anatomy import (
    LegAnatomy,
    ScanAnatomy,
    analyse_leg,
    guess_units,
    opposite_sides_needed,
    settle_units,
)
from afofit.design import DesignParameters, resolve_design
from afofit.errors import InputError, LandmarkError, ScanError
from afofit.geometry.checks import Check, ShellStats, measure_shell, run_checks
from afofit.geometry.shell import build_shell, relief_bump, relief_sites, trim_field
from afofit.profiles import builtin_profiles, load_design, load_material
from afofit.scan import LandmarkOverrides, load_landmarks, load_scan, split_limbs
from afofit.units import SCALE_TO_MM

if TYPE_CHECKING:  # the gait stack (scipy.signal, ezc3d) loads only when a gait is read
    from afofit.gait.analysis import GaitAnalysis
    from afofit.gait.prescribe import ClinicalInputs

__all__ = ["FitResult", "LegFit", "analyse_gait", "analyse_scan", "fit", "fit_leg"]

log = logging.getLogger(__name__)

SIDES = ("left", "right")
#: The design fitted when neither --design nor a gait prescription names one.
DEFAULT_DESIGN = "pls"


def _scaled(meshes: list[trimesh.Trimesh], scale: float) -> list[trimesh.Trimesh]:
    return [
        trimesh.Trimesh(np.asarray(m.vertices) * scale, m.faces, process=False, validate=False)
        for m in meshes
    ]


def _analyse_legs(
    limbs: list[trimesh.Trimesh], scale: float, name: str, sides: list[str | None]
) -> list[LegAnatomy]:
    return [
        analyse_leg(mesh, name, side=side)
        for mesh, side in zip(_scaled(limbs, scale), sides, strict=True)
    ]


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
    side, units, landmarks : as for :func:`_analyse`, which this calls; only
        the anatomy is returned.
    """
    return _analyse(path, side=side, units=units, landmarks=landmarks)[0]


def _analyse(
    path: Path | str,
    *,
    side: str | None = None,
    units: str | None = None,
    landmarks: Path | str | None = None,
) -> tuple[ScanAnatomy, list[trimesh.Trimesh]]:
    """Read a scan and find each leg's frame, side, landmarks and measurements.

    Parameters
    ----------
    path : STL, PLY or OBJ scan of one or two lower legs with their feet.
    side : "left" | "right": keep only that leg. With a one-leg scan, a side
        the geometry contradicts with confidence is an error; with low
        confidence it is taken as given.
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
    if side is not None and side not in SIDES:
        raise InputError(f"--side {side!r}: use 'left' or 'right'.")
    if units is not None and units not in SCALE_TO_MM:
        raise InputError(f"--units {units!r}: use one of {', '.join(SCALE_TO_MM)}.")
    overrides: LandmarkOverrides | None = load_landmarks(landmarks) if landmarks else None
    raw = load_scan(path)
    name = raw.path.name
    warnings = list(raw.warnings)
    limbs, debris = split_limbs(raw.vertices, raw.faces)
    if debris:
        warnings.append(f"left out {debris} faces of small loose pieces (scan debris)")
    if len(limbs) > 2:
        warnings.append(f"found {len(limbs)} limb-sized pieces; kept the two largest")
        limbs = limbs[:2]

    unit = units or guess_units(np.asarray(limbs[0].vertices))
    legs = _analyse_legs(limbs, SCALE_TO_MM[unit], name, [None] * len(limbs))
    if units is None:
        foot_file = legs[0].measurements.foot_length_mm / SCALE_TO_MM[unit]
        settled = settle_units(np.asarray(limbs[0].vertices), foot_file)
        if settled != unit:
            unit = settled
            legs = _analyse_legs(limbs, SCALE_TO_MM[unit], name, [None] * len(limbs))
    forced = opposite_sides_needed(legs)
    if forced is not None:
        warnings.append("both legs looked like the same side; sides set from where each stands")
        legs = _analyse_legs(limbs, SCALE_TO_MM[unit], name, list(forced))

    scale = SCALE_TO_MM[unit]
    if side is not None:
        keep = [i for i, leg in enumerate(legs) if leg.side == side]
        if not keep and len(legs) == 1 and legs[0].frame.side_confidence < 0.5:
            warnings.append(
                f"--side {side}: the shape suggests {legs[0].side} with low confidence "
                f"({legs[0].frame.side_confidence:.2f}); taken as {side}"
            )
            legs = _analyse_legs(limbs, scale, name, [side])
            keep = [0]
        if not keep:
            found = " and a ".join(leg.side for leg in legs)
            raise ScanError(
                f"{name}: --side {side}: the scan holds a {found} leg, not a {side} one. "
                "Leave out --side, or check that this is the intended scan."
            )
        limbs, legs = [limbs[i] for i in keep], [legs[i] for i in keep]

    if overrides is not None:
        target = overrides.side or (legs[0].side if len(legs) == 1 else None)
        if target is None:
            raise LandmarkError(
                f"{name}: holds two legs; say which leg the landmarks are for with --side "
                '(or a "side" member in the landmark file).'
            )
        index = next((i for i, leg in enumerate(legs) if leg.side == target), None)
        if index is None:
            raise LandmarkError(f"{name}: the landmarks are for a {target} leg; the scan has none.")
        given = {
            k: p * (scale if overrides.in_file_units else 1.0) for k, p in overrides.points.items()
        }
        mesh = _scaled([limbs[index]], scale)[0]
        legs[index] = analyse_leg(mesh, name, overrides=given, side=legs[index].side)

    for leg in legs:
        if leg.measurements.calf_max_at_scan_top:
            warnings.append(
                f"{leg.side} leg: the scan ends before the calf's widest point; "
                "calf girth is the girth at the top of the scan"
            )
        if leg.landmarks_mm["knee_centre"] is None:
            warnings.append(f"{leg.side} leg: the scan does not reach the knee; no knee centre")
        low = [k for k, c in leg.confidence.items() if c < 0.3 and leg.landmarks_mm[k] is not None]
        if low:
            warnings.append(
                f"{leg.side} leg: low confidence in {', '.join(low)}; check them on the "
                "report or give them with --landmarks"
            )
    anatomy = ScanAnatomy(
        path=str(raw.path),
        sha256=raw.sha256,
        units_detected=unit,
        units_source="given" if units else "detected",
        scale_to_mm=SCALE_TO_MM[unit],
        faces=raw.faces_in_file,
        legs=tuple(legs),
        warnings=tuple(warnings),
    )
    return anatomy, _scaled(limbs, scale)


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
    from afofit.gait.prescribe import ClinicalInputs, prescribe
    from afofit.gait.readers import load_gait

    if not files:
        raise InputError("no gait file given: pass one or more C3D, .mot, .trc or .csv trials.")
    if side is not None and side not in SIDES:
        raise InputError(f"--side {side!r}: use 'left' or 'right'.")
    clinical = clinical or ClinicalInputs()
    trials, warnings = [], []
    for path in files:
        trial = analyse_trial(load_gait(path))
        name = Path(path).name
        warnings += [f"{name}: {note}" for note in trial.trial.notes]
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
    """

    leg: LegAnatomy
    params: DesignParameters
    shell_scan: trimesh.Trimesh
    shell_local: trimesh.Trimesh
    skin_local: trimesh.Trimesh
    stats: ShellStats
    checks: tuple[Check, ...]
    warnings: tuple[str, ...]

    def covers(self, name: str) -> bool:
        """Whether the shell's wall lies over landmark ``name``.

        Probes the middle of the wall (clearance, the landmark's relief and half
        the thickness) out from the skin nearest the landmark (an estimated
        landmark can lie a little inside the skin) along the skin's normal
        there, the normal taken pointing away from the shank axis.

        Raises
        ------
        LandmarkError
            The leg has no landmark ``name``.
        """
        landmark = self.leg.landmarks_mm.get(name)
        if landmark is None:
            raise LandmarkError(f"the leg has no {name.replace('_', ' ')} to look for.")
        point = self.leg.frame.to_local(landmark[None, :])[0]
        skin = self.skin_local
        nearest = int(np.argmin(np.sum((np.asarray(skin.vertices) - point) ** 2, axis=1)))
        normal = np.asarray(skin.vertex_normals[nearest])
        axis = self.leg.frame.rotation @ self.leg.frame.shank_up
        radial = point - axis * (point @ axis)
        if normal @ radial < 0.0:
            normal = -normal
        relief = self.params.reliefs.get(name, (None, 0.0))[1]
        depth = self.params.clearance_mm + relief + 0.5 * self.params.thickness_mm
        probe = np.asarray(skin.vertices[nearest]) + depth * normal
        mesh = self.shell_local
        winding = igl.fast_winding_number(
            np.asarray(mesh.vertices, dtype=np.float64),
            np.asarray(mesh.faces, dtype=np.int64),
            probe[None, :],
        )
        return bool(winding[0] > 0.5)


@dataclass(frozen=True, slots=True)
class FitResult:
    """Everything ``afofit fit`` produces, before it is written."""

    anatomy: ScanAnatomy
    legs: tuple[LegFit, ...]
    options: Mapping[str, object]
    gait: GaitAnalysis | None = None
    #: side → where its design came from and the target stiffness (N·m/deg) if any.
    targets: dict[str, dict[str, object]] = field(default_factory=dict)


def fit_leg(
    limb_mm: trimesh.Trimesh,
    leg: LegAnatomy,
    params: DesignParameters,
    voxel_mm: float = 1.25,
) -> LegFit:
    """Build and check the shell for one leg (the pipeline's geometry half).

    Parameters
    ----------
    limb_mm : the leg's surface, scan frame, mm.
    leg : its anatomy.
    params : the resolved design.
    voxel_mm : the shell's grid spacing.
    """
    frame = leg.frame
    skin = trimesh.Trimesh(frame.to_local(limb_mm.vertices), limb_mm.faces, process=False)
    local = {
        k: (None if p is None else frame.to_local(p[None, :])[0])
        for k, p in leg.landmarks_mm.items()
    }
    axis = frame.rotation @ frame.shank_up
    foot = leg.measurements.foot_length_mm
    geometry = build_shell(skin, params, axis, local, foot, voxel_mm=voxel_mm)
    mesh = geometry.mesh
    ankle, heel = local["ankle_axis_centre"], local["heel"]
    assert ankle is not None and heel is not None
    centres = mesh.triangles_center
    sample = geometry.nearest_sample(centres)  # the sample the build found for each face's voxel
    # How far inside the trim lines each face lies, judged exactly as the build judged it.
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
    # Only faces near a skin sample can be inner faces: the exact (costly)
    # distance to the scan is measured for them alone. The sample the build
    # found for a face's voxel lies at most a relief (and a smoothing) further
    # than the skin itself.
    to_sample = np.linalg.norm(centres - geometry.samples[sample], axis=1)
    bound = params.clearance_mm + 0.5 * params.thickness_mm + params.max_relief_mm + 2.0
    maybe_inner = (sample >= 0) & (to_sample < bound)
    stats = measure_shell(
        mesh, skin, params.clearance_mm, params.thickness_mm, inside, relief, maybe_inner
    )
    checks = run_checks(
        stats, params.clearance_mm, params.thickness_mm, params.material.min_wall_mm
    )
    warnings = list(params.warnings)
    if geometry.removed_pieces:
        warnings.append(
            f"dropped {geometry.removed_pieces} faces of loose fragments from the shell"
        )
    shell_scan = trimesh.Trimesh(frame.to_scan(mesh.vertices), mesh.faces, process=False)
    if np.linalg.det(frame.rotation) < 0:  # a left leg's local frame is a mirror image
        shell_scan.invert()
    return LegFit(
        leg=leg, params=params, shell_scan=shell_scan, shell_local=mesh, skin_local=skin,
        stats=stats, checks=tuple(checks), warnings=tuple(warnings),
    )  # fmt: skip


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


def fit(
    scan: Path | str,
    out_dir: Path | str,
    *,
    side: str | None = None,
    design: str | None = None,
    material: str = "pp-copolymer",
    thickness_mm: float | None = None,
    clearance_mm: float | None = None,
    footplate: str | None = None,
    strap_slots: bool | None = None,
    units: str | None = None,
    landmarks: Path | str | None = None,
    voxel_mm: float = 1.25,
    gait: Sequence[Path | str] | None = None,
    clinical: ClinicalInputs | None = None,
    stiffness_nm_per_deg: tuple[float, float] | None = None,
) -> FitResult:
    """Fit AFO shells to a scan and write ``afo.stl``, ``fitting.json`` and ``report.html``.

    Parameters
    ----------
    scan : the leg scan (STL, PLY, OBJ).
    out_dir : folder for the outputs (created if missing; must not be a file).
    side : "left", "right" or "both"; None takes the one leg of a one-leg scan.
    design, material : built-in profile names or ``.toml`` paths; with ``gait`` and no
        ``design``, the design the gait prescribes (else ``pls``).
    thickness_mm, clearance_mm, footplate, strap_slots : override the design's values.
    units, landmarks : as for :func:`analyse_scan`.
    voxel_mm : the shell's grid spacing.
    gait : gait trials (see :func:`analyse_gait`); their prescription picks the design and
        the target stiffness, and fitting.json and the report gain a gait section.
    clinical : clinical inputs for the prescription (the scan gives the foot length).
    stiffness_nm_per_deg : the target ankle stiffness (low, high), N·m/deg, instead of the
        prescription's.

    Returns
    -------
    FitResult (already written to ``out_dir``).

    Raises
    ------
    InputError, ProfileError, FitError, ExportError
        Every request is checked before any geometry is built; nothing is
        written unless every leg's shell was built.
    """
    from afofit.export import check_out_dir, write_fit

    out = Path(out_dir)
    check_out_dir(out)
    mat = load_material(material)
    if design is not None:
        load_design(design)  # a bad --design fails before any work
    both = side == "both"
    anatomy, limbs = _analyse(scan, side=None if both else side, units=units, landmarks=landmarks)
    if both and len(anatomy.legs) != 2:
        raise InputError(
            f"{Path(scan).name}: --side both needs two legs; the scan holds one "
            f"({anatomy.legs[0].side})."
        )
    if len(anatomy.legs) > 1 and not both:
        raise InputError(
            f"{Path(scan).name}: the scan holds two legs; choose --side left, right or both."
        )
    analysis = None
    if gait:
        from afofit.gait.prescribe import ClinicalInputs

        clinical = clinical or ClinicalInputs()
        if clinical.foot_length_mm is None:  # the scan knows the feet
            feet = {leg.side: leg.measurements.foot_length_mm for leg in anatomy.legs}
            if len(feet) == 1:  # one leg scanned: take its foot for the other side too
                feet = dict.fromkeys(SIDES, next(iter(feet.values())))
            clinical = replace(clinical, foot_length_mm=feet)
        analysis = analyse_gait(gait, clinical=clinical)
    jobs, targets = [], {}
    for leg, limb in zip(anatomy.legs, limbs, strict=True):
        name, targets[leg.side], notes = _choose_design(
            leg.side, design, stiffness_nm_per_deg, analysis
        )
        top = float(leg.frame.to_local(np.asarray(limb.vertices))[:, 2].max())
        params = resolve_design(
            load_design(name), mat, leg, top, thickness_mm=thickness_mm,
            clearance_mm=clearance_mm, footplate=footplate, strap_slots=strap_slots,
        )  # fmt: skip
        params = replace(params, warnings=(*params.warnings, *notes))
        jobs.append((limb, leg, params))
    legs = tuple(fit_leg(limb, leg, params, voxel_mm=voxel_mm) for limb, leg, params in jobs)
    options = {
        "side": side, "design": design, "material": material, "thickness_mm": thickness_mm,
        "clearance_mm": clearance_mm, "footplate": footplate, "strap_slots": strap_slots,
        "units": units,
        "landmarks": None if landmarks is None else str(landmarks), "voxel_mm": voxel_mm,
        "gait": [str(g) for g in gait] if gait else None,
        "stiffness_nm_per_deg": list(stiffness_nm_per_deg) if stiffness_nm_per_deg else None,
    }  # fmt: skip
    result = FitResult(anatomy=anatomy, legs=legs, options=options, gait=analysis, targets=targets)
    write_fit(result, out)
    return result
