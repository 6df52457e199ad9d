"""Candidate designs for one leg, side by side: the numbers a clinician chooses a brace by.

``compare`` reads the scan (and the gait) once, fits each candidate (a design, with its
thickness and material) as ``afofit fit`` would, and measures on each what the choice
between a flexible and a rigid brace turns on:

* its predicted ankle stiffness (sagittal, and its lower bound) and whether it lies in
  the prescribed range;
* **swing**: how far the foot's own weight turns the ankle down, M_hold / k, with
  M_hold = m_foot·g·d (§2.2: Plagenhoef 1983's foot mass, its centre at half the foot's
  length, the ankle axis at 22.5 %), and the toe clearance that costs, 171 mm per radian
  (Moosabhoy & Gard 2006); with gait, against the patient's own allowance (the measured
  minimum toe clearance less the margin, over the same 171 mm/rad);
* **stance**: how far the brace lets the ankle dorsiflex under a stance moment of
  :data:`STANCE_MOMENT_NM_PER_KG` × body mass (the largest moment an articulated AFO
  needed to hold the ankle through the gait cycle after stroke, Kobayashi et al. 2017),
  and with FE the peak stress under it and the safety factor against the material's
  strength;
* mass, volume, a print-time and material-cost estimate (:mod:`afofit.printing`), the
  footprint on the bed, thickness, trims, footplate and checks.

It decides nothing: :attr:`Comparison.summary` says which candidates meet the prescription
and why, and the choice stays with the clinician. Pure: it writes nothing
(:func:`afofit.export.write_comparison` does).

Units: mm, N·mm inside; N·m/deg, N·m and degrees only in :class:`CandidateMetrics`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from contextlib import ExitStack
from dataclasses import dataclass, replace
from typing import Any, TypeVar

import numpy as np
import trimesh

from afofit.errors import AfofitError, InputError
from afofit.fitting import (
    FitResult,
    LegFit,
    Prepared,
    fit_prepared,
    prepare,
    share_skin,
    shell_efforts,
)
from afofit.gait.holding import MTC_MM_PER_RAD, body_mass, body_numbers
from afofit.printing import print_estimate
from afofit.profiles import load_design, load_material
from afofit.progress import Progress, silent
from afofit.request import FitRequest
from afofit.threads import (
    Shipped,
    preloaded_context,
    ship,
    uninterrupted,
    usable_cores,
    worker_started,
    yield_cores,
)
from afofit.units import mm3_to_cm3, nmm_to_nm, rad_to_deg

__all__ = [
    "ASSUMED_BODY_MASS_KG",
    "STANCE_MOMENT_NM_PER_KG",
    "WORKER_MODULES",
    "Candidate",
    "CandidateMetrics",
    "CandidateOutcome",
    "Comparison",
    "candidate_request",
    "check_candidates",
    "compare",
    "parse_candidate",
    "swing_allowance_deg",
]

R = TypeVar("R")
D = TypeVar("D")

#: Body mass assumed when neither --mass nor a gait file gives one, kg (the reference's
#: worked example, §2.2): the swing and stance numbers then say so.
ASSUMED_BODY_MASS_KG = 75.0
#: Stance moment per body mass, N·m/kg: the upper end of 0.029-0.062 N·m/kg that an
#: articulated AFO applied to hold the ankle dorsiflexed over the whole gait cycle after
#: stroke (Kobayashi et al. 2017, §2.2 [S12], V).
STANCE_MOMENT_NM_PER_KG = 0.062
#: What the candidates' processes import before they are forked (the fitting, and this
#: module, which runs it there).
WORKER_MODULES = ("afofit.fitting", "afofit.compare")
#: The keys a candidate's text may set after its design: ``pls,thickness=3,material=petg``.
_KEYS = ("thickness", "material", "name")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


@dataclass(frozen=True, slots=True)
class Candidate:
    """One design to compare.

    Attributes
    ----------
    name : its folder's name under the comparison's output, and its column.
    design : a built-in design name or a ``.toml`` path.
    material : a material name or ``.toml`` path; None: the comparison's material.
    thickness_mm : the wall; None: the design's own (or tuned, with ``tuned``).
    tuned : tune the thickness (and a PLS's strut) to the prescription's middle, as
        ``afofit fit`` does.
    """

    name: str
    design: str
    material: str | None = None
    thickness_mm: float | None = None
    tuned: bool = False


def parse_candidate(text: str) -> Candidate:
    """A candidate from its command-line text, ``DESIGN[,KEY=VALUE...]``: the keys are
    ``thickness`` (mm, or ``tuned``), ``material`` and ``name``.

    ``pls``, ``pls,thickness=3``, ``pls,thickness=4,material=petg``, ``solid,name=rigid``,
    ``pls,thickness=tuned``. Without a name, one is made from the parts (``pls-3mm-petg``).

    Raises
    ------
    InputError
        The text does not follow that form.
    """
    design, *parts = [p.strip() for p in text.split(",")]
    hint = "write DESIGN[,thickness=MM|tuned][,material=NAME][,name=NAME], e.g. 'pls,thickness=3'"
    if not design:
        raise InputError(f"--design {text!r}: no design named; {hint}.")
    values: dict[str, str] = {}
    for part in parts:
        key, sep, value = part.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or key not in _KEYS or not value:
            raise InputError(f"--design {text!r}: cannot read {part!r}; {hint}.")
        if key in values:
            raise InputError(f"--design {text!r}: {key} is given twice.")
        values[key] = value
    thickness, tuned = None, values.get("thickness") == "tuned"
    if "thickness" in values and not tuned:
        try:
            thickness = float(values["thickness"].removesuffix("mm"))
        except ValueError:
            raise InputError(
                f"--design {text!r}: thickness={values['thickness']!r} is not a number of mm "
                "(or 'tuned')."
            ) from None
        if not thickness > 0.0:
            raise InputError(f"--design {text!r}: the thickness must be > 0 mm.")
    material = values.get("material")
    name = values.get("name") or "-".join(
        [
            _stem(design),
            *([f"{thickness:g}mm"] if thickness is not None else []),
            *(["tuned"] if tuned else []),
            *([_stem(material)] if material else []),
        ]
    )
    if not _NAME.match(name):
        raise InputError(
            f"--design {text!r}: name {name!r} cannot be a folder name; use letters, digits, "
            "'.', '_' and '-' (name=...)."
        )
    return Candidate(name, design, material, thickness, tuned)


def _stem(profile: str) -> str:
    """A profile's short name: a built-in's name, or a .toml file's stem."""
    return profile.rsplit("/", 1)[-1].removesuffix(".toml")


def check_candidates(candidates: Sequence[Candidate], material: str) -> None:
    """Refuse a comparison that cannot be made, before any work: fewer than two candidates,
    two with the same name or the same design, material and thickness, or a design or
    material that does not load (``material``: the comparison's own).

    Raises
    ------
    InputError, ProfileError
    """
    if len(candidates) < 2:
        raise InputError(
            "a comparison needs two or more candidates: repeat --design (e.g. --design pls "
            "--design solid); for one design, use afofit fit."
        )
    names: set[str] = set()
    seen: dict[tuple[str, str, float | None, bool], str] = {}
    for c in candidates:
        if c.name in names:
            raise InputError(f"two candidates are named {c.name!r}: give one another name=.")
        names.add(c.name)
        load_design(c.design)
        load_material(c.material or material)
        same = (c.design, c.material or material, c.thickness_mm, c.tuned)
        if same in seen:
            raise InputError(
                f"candidates {seen[same]!r} and {c.name!r} are the same brace (design, material "
                "and thickness): drop one, or change its thickness or material."
            )
        seen[same] = c.name


@dataclass(frozen=True, slots=True)
class SwingLoad:
    """The loads every candidate is judged under (one leg, one body).

    Attributes
    ----------
    body_mass_kg : the body mass used; ``mass_assumed``: not given, :data:`ASSUMED_BODY_MASS_KG`.
    holding_moment_nmm : the foot's static moment about the ankle in swing, N·mm.
    stance_moment_nmm : the stance moment, N·mm.
    measured_mtc_mm : the patient's mean minimum toe clearance on this side (gait), mm.
    allowance_rad : the swing drop that clearance allows, less the margin (gait), rad.
    """

    body_mass_kg: float
    mass_assumed: bool
    holding_moment_nmm: float
    stance_moment_nmm: float
    measured_mtc_mm: float | None
    allowance_rad: float | None


@dataclass(frozen=True, slots=True)
class CandidateMetrics:
    """What one candidate measures (clinician's units: N·m/deg, N·m, degrees, g, h).

    ``stance_peak_stress_mpa`` and ``safety_factor`` come from FE only (None with the
    fast model, whose stresses read too far from FE to be stated); ``meets_prescription``
    is None without a prescription.
    """

    stiffness_nm_per_deg: float
    lower_bound_nm_per_deg: float
    frontal_nm_per_deg: float | None
    method: str
    meets_prescription: bool | None
    swing_drop_deg: float
    toe_clearance_loss_mm: float
    within_swing_allowance: bool | None
    stance_dorsiflexion_deg: float
    stance_peak_stress_mpa: float | None
    safety_factor: float | None
    mass_g: float
    volume_cm3: float
    print_hours: float
    material_cost: float
    footprint_mm: tuple[float, float]
    print_height_mm: float
    thickness_mm: float
    material: str
    footplate: str
    covers_malleoli: dict[str, bool | None]
    checks_passed: bool
    failed_checks: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CandidateOutcome:
    """A candidate's request and, when it could be built, its fit and metrics; else why not."""

    candidate: Candidate
    request: FitRequest
    result: FitResult | None
    metrics: CandidateMetrics | None
    error: str | None = None
    exit_code: int | None = None

    @property
    def fit(self) -> LegFit | None:
        """The candidate's one leg (None if it could not be built)."""
        return None if self.result is None else self.result.legs[0]


@dataclass(frozen=True, slots=True)
class Comparison:
    """A comparison of candidates on one leg.

    Attributes
    ----------
    prepared : the scan (one leg) and gait every candidate shares.
    side : the leg.
    outcomes : each candidate, in the order given.
    prescription_nm_per_deg : the prescribed (low, high) range, or None.
    prescription_source : "--stiffness", "gait prescription" or None.
    prescribed_type : the gait's AFO type for this side (None without gait).
    load : the swing and stance loads.
    stiffness_method : "fast" or "fe".
    """

    prepared: Prepared
    side: str
    outcomes: tuple[CandidateOutcome, ...]
    prescription_nm_per_deg: tuple[float, float] | None
    prescription_source: str | None
    prescribed_type: str | None
    load: SwingLoad
    stiffness_method: str

    @property
    def passed(self) -> bool:
        """Whether every candidate was built and passed its checks."""
        return all(o.metrics is not None and o.metrics.checks_passed for o in self.outcomes)

    @property
    def no_prescription(self) -> str:
        """Why there is no stiffness range to judge the candidates against: no gait and no
        --stiffness, a gait without a whole stride of this leg, or a gait that prescribes
        none for it (and what it found)."""
        gait = self.prepared.gait
        if gait is None:
            return "No prescription to meet (give --gait, or --stiffness)"
        given = gait.prescription.get(self.side)
        if given is None:
            return (
                f"The gait has no whole stride of the {self.side} leg to prescribe from, so "
                "there is no range to judge the candidates against (give --stiffness for one)"
            )
        # (its first reason is the decision, then why: "no AFO: no foot-drop sign in ...")
        found = f" ({given.rationale[0].text.split(': ', 1)[-1]})" if given.rationale else ""
        what = "no AFO" if given.afo_type == "none" else f"a {given.afo_type} AFO but no stiffness"
        return (
            f"The gait prescribes {what} for the {self.side} leg{found}, so there is no range "
            "to judge the candidates against (give --stiffness for one)"
        )

    @property
    def summary(self) -> str:
        """One closing paragraph: which candidates meet the prescription, and why not the
        others (it does not choose)."""
        built = [o for o in self.outcomes if o.metrics is not None]
        failed = [o.candidate.name for o in self.outcomes if o.metrics is None]
        tail = f" Not built: {', '.join(failed)} (see its error)." if failed else ""
        if self.prescription_nm_per_deg is None:
            order = sorted(built, key=lambda o: o.metrics.stiffness_nm_per_deg)  # type: ignore[union-attr]
            return (
                f"{self.no_prescription}: from the most flexible to the stiffest, "
                f"{', '.join(_k(o) for o in order)}. The choice is the clinician's.{tail}"
            )
        low, high = self.prescription_nm_per_deg
        meets = [o for o in built if o.metrics.meets_prescription]  # type: ignore[union-attr]
        soft = [o for o in built if o.metrics.stiffness_nm_per_deg < low]  # type: ignore[union-attr]
        stiff = [o for o in built if o.metrics.stiffness_nm_per_deg > high]  # type: ignore[union-attr]
        parts = [
            f"The prescription ({self.prescription_source}) asks for {low:.2f}-{high:.2f} N·m/deg."
        ]
        if meets:
            parts.append(f"In that range: {', '.join(_k(o) for o in meets)}.")
        else:
            parts.append("No candidate lies in that range.")
        if soft:
            parts.append(
                f"More flexible than prescribed: {', '.join(_k(o) for o in soft)}: the foot's "
                "weight would turn the ankle further in swing than the prescription allows."
            )
        if stiff:
            parts.append(
                f"Stiffer than prescribed: {', '.join(_k(o) for o in stiff)}: more control in "
                "stance, at the cost of the ankle's motion (and a harder push on the shin)."
            )
        unchecked = [o.candidate.name for o in built if not o.metrics.checks_passed]  # type: ignore[union-attr]
        if unchecked:
            parts.append(f"Failed a check (do not print): {', '.join(unchecked)}.")
        if self.stiffness_method == "fast":
            parts.append(
                "Stiffness by the fast model (its error against FE is stated with it): near a "
                "limit, confirm with --stiffness-method fe."
            )
        parts.append("The choice is the clinician's.")
        return " ".join(parts) + tail


def _k(outcome: CandidateOutcome) -> str:
    m = outcome.metrics
    assert m is not None
    return f"{outcome.candidate.name} ({m.stiffness_nm_per_deg:.2f})"


def _load(request: FitRequest, prepared: Prepared, side: str) -> SwingLoad:
    """The body's loads on ``side``: the holding moment from the foot (scan) and body mass."""
    clinical = request.clinical
    mass, _ = body_mass(prepared.gait.trials if prepared.gait else (), clinical)
    assumed = mass is None
    mass = ASSUMED_BODY_MASS_KG if mass is None else mass
    leg = prepared.anatomy.legs[0]
    feet = {side: leg.measurements.foot_length_mm}
    body = body_numbers(side, replace(clinical, foot_length_mm=feet), mass)
    assert body.holding_moment_nmm is not None  # a mass was given
    mtc = allowance = None
    if prepared.gait is not None and side in prepared.gait.sides:
        from afofit.gait.analysis import pooled_metrics
        from afofit.gait.holding import DEFLECTION_ALLOW_RAD

        mtc = pooled_metrics(prepared.gait.trials, side)["min_toe_clearance_mm"]["mean"]
        if mtc is not None:
            raw = (mtc - clinical.mtc_margin_mm) / MTC_MM_PER_RAD
            allowance = min(max(raw, DEFLECTION_ALLOW_RAD[0]), DEFLECTION_ALLOW_RAD[1])
    return SwingLoad(
        body_mass_kg=mass, mass_assumed=assumed, holding_moment_nmm=body.holding_moment_nmm,
        stance_moment_nmm=1000.0 * STANCE_MOMENT_NM_PER_KG * mass, measured_mtc_mm=mtc,
        allowance_rad=allowance,
    )  # fmt: skip


def _metrics(
    fit: LegFit, load: SwingLoad, prescription: tuple[float, float] | None
) -> CandidateMetrics:
    """One built candidate's numbers under ``load``."""
    from afofit.units import nm_per_deg_to_nmm_per_rad

    stiffness = fit.stiffness
    assert stiffness is not None  # every fit predicts its stiffness
    r = stiffness.result
    k = r.sagittal_nm_per_deg
    k_nmm = nm_per_deg_to_nmm_per_rad(k)
    drop = load.holding_moment_nmm / k_nmm
    stance = load.stance_moment_nmm / k_nmm
    stress = safety = None
    if r.peak_stress_mpa is not None:  # FE: linear, so the stress scales with the moment
        stress = r.peak_stress_mpa * nmm_to_nm(load.stance_moment_nmm) / r.moment_nm
        safety = fit.params.material.strength_mpa / stress if stress > 0 else None
    material = fit.params.material
    volume = fit.stats.volume_mm3
    estimate = print_estimate(volume, material.density_g_cm3)
    # The shell as it stands on the printer's bed (afo-print.stl).
    standing = trimesh.transform_points(np.asarray(fit.shell_scan.vertices), fit.print_transform)
    extent = standing.max(axis=0) - standing.min(axis=0)
    return CandidateMetrics(
        stiffness_nm_per_deg=k,
        lower_bound_nm_per_deg=r.lower_bound_nm_per_deg,
        frontal_nm_per_deg=r.frontal_nm_per_deg,
        method=stiffness.method,
        meets_prescription=None
        if prescription is None
        else bool(prescription[0] <= k <= prescription[1]),
        swing_drop_deg=rad_to_deg(drop),
        toe_clearance_loss_mm=MTC_MM_PER_RAD * drop,
        within_swing_allowance=None if load.allowance_rad is None else drop <= load.allowance_rad,
        stance_dorsiflexion_deg=rad_to_deg(stance),
        stance_peak_stress_mpa=stress,
        safety_factor=safety,
        mass_g=estimate.mass_g,
        volume_cm3=mm3_to_cm3(volume),
        print_hours=estimate.hours,
        material_cost=estimate.material_cost,
        footprint_mm=(float(extent[0]), float(extent[1])),
        print_height_mm=float(extent[2]),
        thickness_mm=fit.params.thickness_mm,
        material=material.name,
        footplate=fit.params.footplate,
        covers_malleoli=fit.malleoli_covered(),
        checks_passed=fit.passed,
        failed_checks=tuple(c.name for c in fit.checks if not c.passed),
    )


def candidate_request(base: FitRequest, candidate: Candidate) -> FitRequest:
    """``base`` (the scan, side, gait, clinical inputs and method) with ``candidate``'s
    design, material and thickness; an untuned candidate without a thickness gets its
    design's own, so that the prescription does not tune it."""
    thickness = candidate.thickness_mm
    if thickness is None and not candidate.tuned:
        thickness = load_design(candidate.design).thickness_mm
    return replace(
        base,
        design=candidate.design,
        material=candidate.material or base.material,
        thickness_mm=thickness,
    )


def _fitted(
    request: FitRequest, prepared: Prepared, progress: Progress = silent
) -> tuple[FitResult | None, str | None, int | None]:
    """One candidate's fit, or (None, its error, its exit code)."""
    try:
        return fit_prepared(request, prepared, progress), None, None
    except AfofitError as exc:
        return None, str(exc), exc.exit_code


@dataclass(frozen=True, slots=True)
class _Job:
    """What a candidate's fitting needs besides the scan: its place among the candidates
    (``index``), the candidate, its request, the loads and prescription its metrics use,
    the caller's ``finish`` (see :func:`compare`), and whether its process ``yields`` the
    cores to the heavier candidates' (:func:`afofit.threads.yield_cores`)."""

    index: int
    candidate: Candidate
    request: FitRequest
    load: SwingLoad
    prescription: tuple[float, float] | None
    finish: Callable[[CandidateOutcome, int], Any] | None
    yields: bool = False


def _candidate(
    job: _Job, prepared: Prepared, progress: Progress = silent
) -> tuple[CandidateOutcome, Any]:
    """A candidate fitted and measured, and the caller's ``finish`` of it (where it was
    fitted: in a worker process, beside the others)."""
    result, error, code = _fitted(job.request, prepared, progress)
    metrics = None if result is None else _metrics(result.legs[0], job.load, job.prescription)
    done = CandidateOutcome(job.candidate, job.request, result, metrics, error, code)
    finished = None if job.finish is None or result is None else job.finish(done, job.index)
    return done, finished


def _candidate_shipped(job: _Job, prepared: Shipped[Prepared]) -> tuple[CandidateOutcome, Any]:
    """:func:`_candidate` on the shared ``prepared`` (put in shared memory once for all the
    candidates' processes), its meshes handed back bare (:func:`_bare_mesh`): run in a
    worker process. (A process that yields the cores stays yielding: a candidate it takes
    after its first is one of the lighter ones, which yield too, as they come last.)"""
    if job.yields:
        yield_cores()
    done, finished = _candidate(job, prepared.value())
    if done.result is not None:
        legs = tuple(
            replace(leg, shell_scan=_bare_mesh(leg.shell_scan),
                    shell_local=_bare_mesh(leg.shell_local), skin_local=_bare_mesh(leg.skin_local))
            for leg in done.result.legs
        )  # fmt: skip
        done = replace(done, result=replace(done.result, legs=legs))
    return done, finished


def _draw_shipped(draw: Callable[[Prepared], D], prepared: Shipped[Prepared]) -> D:
    """``draw`` of the shared ``prepared``: run in a worker process."""
    return draw(prepared.value())


def _bare_mesh(mesh: trimesh.Trimesh) -> trimesh.Trimesh:
    """``mesh``'s vertices and faces alone, without the arrays a mesh keeps once it has
    computed them (a checked shell's are ten times its own bytes): what goes between
    processes, which recompute what they need."""
    return trimesh.Trimesh(np.asarray(mesh.vertices), np.asarray(mesh.faces), process=False)


def _bare(prepared: Prepared) -> Prepared:
    """``prepared`` with its legs as bare meshes (:func:`_bare_mesh`): what the
    candidates' processes are handed."""
    return replace(prepared, limbs=tuple(_bare_mesh(m) for m in prepared.limbs))


def compare(
    base: FitRequest,
    candidates: Sequence[Candidate],
    progress: Progress = silent,
    workers: int = 1,
    on_outcome: Callable[[CandidateOutcome, R | None], None] | None = None,
    finish: Callable[[CandidateOutcome, int], R] | None = None,
    preload: Sequence[str] = (),
    draw: Callable[[Prepared], D] | None = None,
    drawn: Callable[[D], None] | None = None,
) -> Comparison:
    """Fit each of ``candidates`` on ``base``'s scan and gait (read once) and measure them.

    ``base`` holds what the candidates share (scan, side, units, landmarks, gait,
    clinical inputs, --stiffness, material, method); its design and thickness are not
    used. A candidate that cannot be built (its target out of reach, a shell that cannot
    be made) is recorded with its error; the others go on. ``progress`` is told each
    stage (:mod:`afofit.progress`). With ``workers`` > 1 the candidates are fitted in that
    many processes at once (forked from a server that imports afofit: a script that calls
    this needs the usual ``if __name__ == "__main__":`` guard), one thread each; the answer
    is the same either way. ``finish`` (a module-level function, or a ``partial`` of one: it
    must pickle) is called with each built candidate's outcome and its place among the
    candidates where it was fitted, in its worker process, so that the heavy part of a
    writer runs beside the other candidates' fitting; ``on_outcome`` is told each
    candidate's outcome as it comes, with what ``finish`` gave (None without it, or for a
    candidate not built). ``preload`` names the modules ``finish`` needs: the candidates'
    processes have them imported before they are forked (once, not once each).
    ``draw`` (a module-level function: it must pickle) is run on the scan as read beside the
    skin's sampling, in one of the candidates' processes before it takes a candidate (here,
    without them), and ``drawn`` is given what it gave once the candidates are under way:
    a writer draws there what every candidate shows alike, once.

    Raises
    ------
    InputError, ProfileError
        Fewer than two candidates, two alike, a design or material that does not load,
        a scan of two legs without one side chosen.
    AfofitError
        The scan or the gait cannot be read.
    """
    check_candidates(candidates, base.material)
    if base.side == "both":
        raise InputError("afofit compare compares designs on one leg: choose --side left or right.")
    workers = max(1, min(len(candidates), workers))
    with ExitStack() as stack:
        pool = None
        if workers > 1:
            # The candidates' processes are forked from a server that imports afofit (once
            # for all of them) while the scan is read here: asked for a process at once, this
            # process waited a second for those imports (measured), so the first is asked
            # for when the skin is sampled.
            pool = stack.enter_context(ProcessPoolExecutor(
                workers,
                mp_context=preloaded_context([*WORKER_MODULES, *preload]),
                initializer=worker_started,
            ))  # fmt: skip
        prepared = prepare(base, progress)
        side = prepared.anatomy.legs[0].side
        load = _load(base, prepared, side)
        prescription, source, prescribed = _prescription(base, prepared, side)
        requests = [candidate_request(base, c) for c in candidates]
        drawing: Future[Future[D]] | None = None
        reading = stack.enter_context(ExitStack())  # the scan shipped to be drawn, until it is
        if draw is not None and pool is not None:  # on the core the sampling leaves idle
            read = reading.enter_context(ship(_bare(prepared)))
            # Asked from a thread: the first process waits for the server's imports (a
            # quarter of a second, measured), which the sampling need not wait for.
            asking = stack.enter_context(ThreadPoolExecutor(1))
            with uninterrupted():
                drawing = asking.submit(pool.submit, _draw_shipped, draw, read)
        # The skin is sampled once, for the widest of the candidates' walls.
        prepared = share_skin(prepared, requests, progress)
        # The heaviest first, and with more candidates at once than cores, each core but
        # one keeps one of the heaviest to itself while the others yield it and share the
        # last: the same work, ending together rather than the heaviest alone at the end.
        efforts = shell_efforts(prepared, requests) if pool is not None else [0.0] * len(requests)
        order = sorted(range(len(candidates)), key=lambda i: -efforts[i])
        keeping = set(order[: usable_cores() - 1]) if workers > usable_cores() else set(order)
        jobs = [
            _Job(i, candidates[i], requests[i], load, prescription, finish, i not in keeping)
            for i in order
        ]
        outcomes: list[CandidateOutcome | None] = [None] * len(candidates)

        def outcome(index: int, done: CandidateOutcome, finished: R | None) -> None:
            outcomes[index] = done
            if on_outcome is not None:
                on_outcome(done, finished)

        if pool is not None:
            progress(f"fitting {len(candidates)} candidates in {workers} processes")
            shared = stack.enter_context(ship(_bare(prepared)))
            with uninterrupted():
                futures = {pool.submit(_candidate_shipped, job, shared): job for job in jobs}
            if drawing is not None:
                pictures = drawing.result().result()
                reading.close()  # (its block let go of: the candidates have theirs)
                if drawn is not None:
                    drawn(pictures)
            for future in as_completed(futures):
                progress(f"candidate {futures[future].candidate.name} fitted")
                outcome(futures[future].index, *future.result())
        else:
            if draw is not None and drawn is not None:
                drawn(draw(prepared))
            for job in jobs:
                progress(f"candidate {job.index + 1}/{len(candidates)}: {job.candidate.name}")
                outcome(job.index, *_candidate(job, prepared, progress))
    return Comparison(
        prepared=prepared, side=side, outcomes=tuple(o for o in outcomes if o is not None),
        prescription_nm_per_deg=prescription, prescription_source=source,
        prescribed_type=prescribed, load=load, stiffness_method=base.stiffness_method,
    )  # fmt: skip


def _prescription(
    base: FitRequest, prepared: Prepared, side: str
) -> tuple[tuple[float, float] | None, str | None, str | None]:
    """The stiffness range the candidates are judged against, where it comes from
    (``--stiffness`` or the gait's prescription; None without either), and the AFO type
    the gait prescribes (None without gait)."""
    given = prepared.gait.prescription.get(side) if prepared.gait is not None else None
    prescribed = None if given is None else given.afo_type
    if base.stiffness_nm_per_deg is not None:
        return base.stiffness_nm_per_deg, "--stiffness", prescribed
    if given is not None and given.stiffness_nm_per_deg is not None:
        return given.stiffness_nm_per_deg, "gait prescription", prescribed
    return None, None, prescribed


def swing_allowance_deg(load: SwingLoad) -> float | None:
    """The swing drop the patient's clearance allows under ``load``, degrees (None without gait)."""
    return None if load.allowance_rad is None else rad_to_deg(load.allowance_rad)
