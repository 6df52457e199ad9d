"""The ``afofit`` command line: parse, call one core function, render.

The only package that prints or imports rich (``tables.py`` builds the tables).
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from afofit.cli.options import (
    AfoType,
    CaseIdOpt,
    ClinicianOpt,
    ContractureOpt,
    DateOpt,
    Footplate,
    Malleoli,
    MassOpt,
    PatientRefOpt,
    PdfOpt,
    Pose,
    SexOpt,
    Side,
    SideOrBoth,
    SliceOpt,
    SpasticityOpt,
    StiffnessOpt,
    StrengthOpt,
    Units,
    clinical_inputs,
    stiffness_range,
)
from afofit.cli.tables import fit_table, gait_tables, scan_table
from afofit.errors import AfofitError, ChecksFailedError
from afofit.version import __version__

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

    from afofit.report.html import ReportInfo

app = typer.Typer(
    name="afofit",
    help="Custom ankle-foot orthoses from a lower-leg scan: anatomy, shell, report.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,  # locals hold patient geometry
    add_completion=False,
)
out = Console()
err = Console(stderr=True)
T = TypeVar("T")


def run() -> None:
    """The ``afofit`` command: :data:`app`, then a quick exit.

    Every file is written and closed by the time a command returns; the interpreter's
    tidying of a large fitting's arrays and modules would take another third of a
    second, so the process ends at once with the command's exit code.

    The numeric libraries are not loaded yet: their BLAS is set to one thread (unless
    OPENBLAS_NUM_THREADS says otherwise) before they are. Its second thread sped nothing
    up (a one-worker batch of two cases: 14.99 s against 15.19 s with one, medians of 4
    alternating runs) and slowed a
    fit by taking the core its helper works on (7.79 s against 6.94 s, medians of 6
    alternating runs of the female scan, every pair).
    """
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    try:
        app(prog_name="afofit")
        code = 0
    except SystemExit as done:
        if isinstance(done.code, str):
            sys.stderr.write(done.code + "\n")
        code = done.code if isinstance(done.code, int) else int(done.code is not None)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _version(value: bool) -> None:
    if value:
        out.print(f"afofit {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """afofit: fit a custom ankle-foot orthosis to a lower-leg scan."""


@contextmanager
def _errors() -> Iterator[None]:
    """Turn an AfofitError into one red line on stderr and its exit code."""
    try:
        yield
    except AfofitError as exc:
        err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        raise typer.Exit(exc.exit_code) from None


class _Stages:
    """Long work's stages on stderr, with their times: on a terminal, a spinner per stage that
    turns into a tick and the time it took; elsewhere (a log, a pipe), one line per stage.
    Use as the ``progress`` callback of the core (:mod:`afofit.progress`)."""

    def __init__(self, console: Console) -> None:
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        self.console = console
        self.started = time.perf_counter()
        self.task: TaskID | None = None
        self.live: Progress | None = None
        if console.is_terminal:
            self.live = Progress(
                SpinnerColumn(finished_text="[green]✓[/]"),
                TextColumn("{task.description}"),
                TimeElapsedColumn(),
                console=console,
            )

    def __enter__(self) -> _Stages:
        if self.live is not None:
            self.live.start()
        return self

    def __call__(self, stage: str) -> None:
        if self.live is None:
            elapsed = time.perf_counter() - self.started
            line = f"afofit {elapsed:6.1f} s  {stage}"
            self.console.print(line, markup=False, highlight=False, soft_wrap=True)
            return
        self._finish()
        self.task = self.live.add_task(escape(stage), total=1)

    def _finish(self) -> None:
        if self.live is not None and self.task is not None:
            self.live.update(self.task, completed=1)

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        if kind is None:
            self._finish()
        if self.live is not None:
            self.live.stop()  # the finished stages stay on screen, an interrupted one too
        if kind is None:  # after the display has stopped, so the line prints below it
            elapsed = time.perf_counter() - self.started
            self.console.print(f"afofit {elapsed:6.1f} s  done", highlight=False)


def _busy(message: str, work: Callable[[], T]) -> T:
    """Run ``work`` with a spinner on stderr (shown only on a terminal)."""
    with _errors(), err.status(message):
        return work()


def _report_info(
    case_id: str | None, patient_ref: str | None, clinician: str | None, date: str | None, pdf: bool
) -> ReportInfo:
    """The report's header from the options (the date checked), the PDF's library checked:
    both before any work."""
    import datetime
    import shlex

    from afofit.errors import InputError
    from afofit.report.html import ReportInfo

    if date is not None:
        try:
            date = datetime.date.fromisoformat(date).isoformat()
        except ValueError:
            raise InputError(f"--date {date!r}: give the date as YYYY-MM-DD.") from None
    if pdf:
        from afofit.report.pdf import check_pdf

        check_pdf()
    command = shlex.join(["afofit", *sys.argv[1:]])
    return ReportInfo(case_id, patient_ref, clinician, date, command)


@app.command()
def phantom(
    out_path: Annotated[
        Path, typer.Argument(metavar="OUT", help="Mesh to write (.stl, .ply or .obj).")
    ],
    side: Annotated[
        SideOrBoth, typer.Option(help="Which leg, or both legs in one file.")
    ] = SideOrBoth.right,
    foot_length: Annotated[float, typer.Option(help="Foot length, mm.")] = 260.0,
    calf_girth: Annotated[float, typer.Option(help="Maximum calf girth, mm.")] = 360.0,
    seed: Annotated[int, typer.Option(help="Seed for the pose, proportions, noise and holes.")] = 0,
    noise: Annotated[float, typer.Option(help="Scanner noise, sd in mm along the normals.")] = 0.0,
    holes: Annotated[int, typer.Option(help="Number of small holes to punch.")] = 0,
    pose: Annotated[
        Pose, typer.Option(help="Random rigid pose, or neutral (z up, y anterior).")
    ] = Pose.random,
    units: Annotated[Units, typer.Option(help="Units to write the mesh in.")] = Units.mm,
    faces: Annotated[int, typer.Option(help="Target face count per leg.")] = 60000,
    open_sole: Annotated[
        bool, typer.Option(help="Leave the sole open, as a standing scan.")
    ] = False,
    knee: Annotated[
        bool, typer.Option(help="Reach above the knee (else stop at mid-shank).")
    ] = True,
    malleoli: Annotated[
        Malleoli,
        typer.Option(help="Malleoli as clear bumps, or smooth (hardly showing on the skin)."),
    ] = Malleoli.bumps,
    calf_swelling: Annotated[
        float,
        typer.Option(
            help="Swell the calf by this many % of its girth (below 0: waste it), from 35 to "
            "70 % of the way from the ankle to the knee: the same seed's leg at a later visit."
        ),
    ] = 0.0,
) -> None:
    """Write a synthetic lower leg with its foot, and its ground truth (OUT.truth.json)."""
    from afofit.export import write_phantom
    from afofit.phantom import PhantomSpec

    spec = PhantomSpec(
        side=side.value, foot_length_mm=foot_length, calf_girth_mm=calf_girth, seed=seed,
        noise_mm=noise, holes=holes, pose=pose.value, units=units.value, faces=faces,
        open_sole=open_sole, reaches_knee=knee, malleoli=malleoli.value,
        calf_swelling_pct=calf_swelling,
    )  # fmt: skip
    mesh_path, truth_path = _busy("Building the phantom…", lambda: write_phantom(spec, out_path))
    out.print(f"wrote {mesh_path} and {truth_path}", markup=False)


@app.command()
def scan(
    scan_path: Annotated[Path, typer.Argument(metavar="SCAN", help="Leg scan: STL, PLY or OBJ.")],
    side: Annotated[Side | None, typer.Option(help="Keep only this leg.")] = None,
    landmarks: Annotated[
        Path | None, typer.Option(help="JSON or MeshLab .pp landmarks that replace detected ones.")
    ] = None,
    units: Annotated[
        Units | None, typer.Option(help="The file's units, instead of detecting them.")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object instead of a table.")
    ] = False,
) -> None:
    """Find the side, frame, landmarks and measurements of the leg(s) in a scan."""
    from afofit.anatomy import anatomy_to_dict
    from afofit.fitting import analyse_scan

    result = _busy(
        f"Reading {scan_path.name}…",
        lambda: analyse_scan(
            scan_path, side=side and side.value, units=units and units.value, landmarks=landmarks
        ),
    )
    data = anatomy_to_dict(result)
    if as_json:
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
        return
    out.print(scan_table(data))
    for warning in data["warnings"]:
        out.print(f"[yellow]warning:[/] {escape(warning)}", highlight=False)


@app.command()
def fit(
    scan_path: Annotated[Path, typer.Argument(metavar="SCAN", help="Leg scan: STL, PLY or OBJ.")],
    out_dir: Annotated[
        Path,
        typer.Option(
            "-o",
            "--out",
            help="Folder for afo.stl, afo-print.stl, afo.3mf, fitting.json, report.html.",
        ),
    ],
    side: Annotated[
        SideOrBoth | None, typer.Option(help="Which leg; 'both' fits a brace to each.")
    ] = None,
    design: Annotated[
        str | None,
        typer.Option(
            help="Design profile: pls, semi-rigid, solid, or a .toml file "
            "(default: the gait's prescription, else pls)."
        ),
    ] = None,
    material: Annotated[
        str, typer.Option(help="Material profile name or .toml file.")
    ] = "pp-copolymer",
    thickness: Annotated[
        float | None, typer.Option(help="Wall thickness, mm (default: the design's).")
    ] = None,
    clearance: Annotated[
        float | None, typer.Option(help="Gap over the skin, mm (default 2).")
    ] = None,
    footplate: Annotated[Footplate | None, typer.Option(help="Footplate length.")] = None,
    strap_slots: Annotated[
        bool | None,
        typer.Option(
            "--strap-slots/--no-strap-slots",
            help="Cut slots for the calf (and ankle) straps (default: the design's).",
        ),
    ] = None,
    units: Annotated[
        Units | None, typer.Option(help="The scan's units, instead of detecting them.")
    ] = None,
    landmarks: Annotated[
        Path | None, typer.Option(help="JSON or MeshLab .pp landmarks that replace detected ones.")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print fitting.json instead of a table.")
    ] = False,
    gait: Annotated[
        list[Path] | None,
        typer.Option(
            help="Gait trial (C3D, .mot, .trc, .csv); repeat for several. Its prescription picks the design."
        ),
    ] = None,
    stiffness: StiffnessOpt = None,
    keep_failed: Annotated[
        bool,
        typer.Option(help="Write the STLs of a shell that failed a check, named *-FAILED.stl."),
    ] = False,
    stiffness_method: Annotated[
        str,
        typer.Option(
            help="How the stiffness is predicted and the tuning judged: fast (the calibrated "
            "model) or fe (finite elements, ~1 min a shell, needs afofit\\[fe])."
        ),
    ] = "fast",
    mass: MassOpt = None,
    sex: SexOpt = None,
    spasticity: SpasticityOpt = None,
    contracture: ContractureOpt = None,
    pf_strength: StrengthOpt = None,
    pdf: PdfOpt = False,
    case_id: CaseIdOpt = None,
    patient_ref: PatientRefOpt = None,
    clinician: ClinicianOpt = None,
    date: DateOpt = None,
    label: Annotated[
        str | None,
        typer.Option(
            help="Text engraved 0.6 mm deep in the outer calf, e.g. 'AFO-7 R 2026-12-01' "
            "(up to 32 letters, digits, spaces and . - _ / : #)."
        ),
    ] = None,
    slice_gcode: SliceOpt = False,
) -> None:
    """Fit a parametric AFO shell to a scan; write a printable STL, fitting.json and report.html."""
    from afofit.export import check_out_dir, write_fit
    from afofit.fitting import SPARE_CORE_MODULES
    from afofit.fitting import fit as fit_afo
    from afofit.report.html import draw_ahead
    from afofit.request import FitRequest
    from afofit.threads import spare_core

    with _errors():
        check_out_dir(out_dir)  # before any work
        info = _report_info(case_id, patient_ref, clinician, date, pdf)
        request = FitRequest(
            scan_path, side=side and side.value, units=units and units.value, landmarks=landmarks,
            design=design, material=material, thickness_mm=thickness, clearance_mm=clearance,
            footplate=footplate and footplate.value, strap_slots=strap_slots,
            stiffness_nm_per_deg=stiffness_range(stiffness), stiffness_method=stiffness_method,
            gait=tuple(gait or ()),
            clinical=clinical_inputs(mass, sex, spasticity, contracture, pf_strength, None, None),
            case_id=case_id, label=label, slice_gcode=slice_gcode,
        )  # fmt: skip
    with (
        _errors(),
        _Stages(err) as stages,
        spare_core(preload=(*SPARE_CORE_MODULES, "afofit.report.render")) as spare,
    ):
        result = fit_afo(
            request, progress=stages, spare=spare, ahead=partial(draw_ahead, spare=spare)
        )
        write_fit(result, out_dir, keep_failed, stages, info, pdf, spare)
    data = json.loads((out_dir / "fitting.json").read_text(encoding="utf-8"))
    if as_json:
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
    else:
        out.print(fit_table(data))
        for warning in data["warnings"]:
            out.print(f"[yellow]warning:[/] {escape(warning)}", highlight=False)
        out.print(f"wrote {out_dir}/ (report: {out_dir / 'report.html'})", markup=False)
    if not result.passed:
        failed = sorted({c.name for leg in result.legs for c in leg.checks if not c.passed})
        kept = (
            "its STLs are named *-FAILED.stl"
            if keep_failed
            else "no STL was written (--keep-failed writes them as *-FAILED.stl)"
        )
        with _errors():
            raise ChecksFailedError(
                f"the brace failed its {', '.join(failed)} check(s): do not print it; {kept}. "
                f"See {out_dir / 'report.html'}."
            )


@app.command()
def compare(
    scan_path: Annotated[Path, typer.Argument(metavar="SCAN", help="Leg scan: STL, PLY or OBJ.")],
    out_dir: Annotated[
        Path,
        typer.Option(
            "-o",
            "--out",
            help="Folder for comparison.json, comparison.html and a folder per candidate.",
        ),
    ],
    designs: Annotated[
        list[str],
        typer.Option(
            "--design",
            help="A candidate, repeated (two or more): DESIGN[,thickness=MM|tuned]"
            "[,material=NAME][,name=NAME], e.g. --design pls --design 'pls,thickness=4' "
            "--design solid.",
        ),
    ],
    side: Annotated[Side | None, typer.Option(help="Which leg (one at a time).")] = None,
    material: Annotated[
        str, typer.Option(help="Material of the candidates that name none.")
    ] = "pp-copolymer",
    units: Annotated[
        Units | None, typer.Option(help="The scan's units, instead of detecting them.")
    ] = None,
    landmarks: Annotated[
        Path | None, typer.Option(help="JSON or MeshLab .pp landmarks that replace detected ones.")
    ] = None,
    gait: Annotated[
        list[Path] | None,
        typer.Option(help="Gait trial(s): their prescription marks which candidates meet it."),
    ] = None,
    stiffness: StiffnessOpt = None,
    stiffness_method: Annotated[
        str,
        typer.Option(
            help="fast (the calibrated model) or fe (finite elements, ~1 min a candidate, "
            "needs afofit\\[fe]; gives stresses and the safety factor)."
        ),
    ] = "fast",
    mass: MassOpt = None,
    sex: SexOpt = None,
    spasticity: SpasticityOpt = None,
    contracture: ContractureOpt = None,
    pf_strength: StrengthOpt = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print comparison.json instead of a table.")
    ] = False,
    workers: Annotated[
        int | None,
        typer.Option(
            help="Candidates fitted at once, one process each, one thread each (default: "
            "every candidate at once, up to two per core, on two cores or more; else one)."
        ),
    ] = None,
    pdf: PdfOpt = False,
    case_id: CaseIdOpt = None,
    patient_ref: PatientRefOpt = None,
    clinician: ClinicianOpt = None,
    date: DateOpt = None,
) -> None:
    """Fit two or more candidate designs to one leg and compare them side by side."""
    from afofit.cli.tables import compare_table
    from afofit.compare import check_candidates, parse_candidate
    from afofit.compare import compare as compare_designs
    from afofit.export import check_out_dir, comparison_writer
    from afofit.report.comparison import comparison_json
    from afofit.report.html import shared_pictures
    from afofit.request import FitRequest

    with _errors():
        check_out_dir(out_dir, "comparison.json")  # before any work
        info = _report_info(case_id, patient_ref, clinician, date, pdf)
        candidates = [parse_candidate(text) for text in designs]
        check_candidates(candidates, material)
        base = FitRequest(
            scan_path, side=side and side.value, units=units and units.value,
            landmarks=landmarks, material=material,
            stiffness_nm_per_deg=stiffness_range(stiffness), stiffness_method=stiffness_method,
            gait=tuple(gait or ()),
            clinical=clinical_inputs(mass, sex, spasticity, contracture, pf_strength, None, None),
            case_id=case_id,
        )  # fmt: skip
    cores = os.cpu_count() or 1
    workers = workers or (min(len(candidates), 2 * cores) if cores > 1 else 1)
    with (
        _errors(),
        _Stages(err) as stages,
        comparison_writer(out_dir, stages, info, [c.name for c in candidates], pdf) as writer,
    ):
        # Each candidate is written where it is fitted, while the others are still being
        # fitted (its process writes its folder in the staged one), and recorded here.
        comparison = compare_designs(
            base, candidates, progress=stages, workers=workers,
            on_outcome=writer.candidate, finish=writer.in_worker(),
            draw=shared_pictures, drawn=writer.shared,
            preload=writer.worker_modules(bool(base.gait)),
        )  # fmt: skip
        writer.finish(comparison)
    data = comparison_json(comparison)
    if as_json:
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
    else:
        out.print(compare_table(data))
        for c in data["candidates"]:
            if c["error"] is not None:
                out.print(f"[bold red]{escape(c['name'])}: not built:[/] {escape(c['error'])}",
                          highlight=False)  # fmt: skip
        out.print(escape(data["summary"]), highlight=False)
        for warning in data["warnings"]:
            out.print(f"[yellow]warning:[/] {escape(warning)}", highlight=False)
        out.print(f"wrote {out_dir}/ (open {out_dir / 'comparison.html'})", markup=False)
    if not comparison.passed:
        bad = [c["name"] for c in data["candidates"] if not c["checks_passed"]]
        with _errors():
            raise ChecksFailedError(
                f"candidate(s) {', '.join(bad)} were not built or failed a check: do not print "
                f"them; see {out_dir / 'comparison.html'}."
            )


@app.command()
def batch(
    manifest: Annotated[
        Path, typer.Argument(metavar="MANIFEST", help="The cases: a .csv or .toml manifest.")
    ],
    out_dir: Annotated[
        Path, typer.Option("-o", "--out", help="Folder for OUT/<case_id>/ and the summary.")
    ],
    workers: Annotated[
        int | None,
        typer.Option(min=1, help="Cases fitted at once (default: one per core)."),
    ] = None,
    resume: Annotated[
        bool,
        typer.Option(
            "--resume", help="Skip cases whose folder holds a fitting of the same request key."
        ),
    ] = False,
    scheduler: Annotated[
        str | None,
        typer.Option(
            help="A Dask scheduler's address (tcp://HOST:8786): fit the cases on its workers "
            "(needs afofit\\[cluster])."
        ),
    ] = None,
    shared_disk: Annotated[
        bool,
        typer.Option(
            "--shared-disk",
            help="With --scheduler: the workers see the inputs and -o at the same paths "
            "(else each task carries its inputs and brings its outputs back).",
        ),
    ] = False,
    slice_gcode: SliceOpt = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print summary.json instead of a table.")
    ] = False,
) -> None:
    """Fit every case of a manifest into OUT/<case_id>/, unattended: a failing case is
    recorded and the others go on; write summary.csv, summary.json and summary.html."""
    import shlex

    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from afofit.batch import read_manifest, run_batch, write_summary
    from afofit.batch.run import CaseOutcome
    from afofit.cli.tables import batch_table
    from afofit.errors import BatchFailedError, ExportError

    with _errors():
        cases = read_manifest(manifest, slice_gcode)  # every row, before any work
        if scheduler is not None and not shared_disk:
            from afofit.batch.cluster import check_shippable

            check_shippable(cases)
        if out_dir.exists() and not out_dir.is_dir():
            raise ExportError(f"{out_dir}: is a file, not a folder; give -o a folder.")
        if out_dir.is_dir() and any(out_dir.iterdir()) and not (out_dir / "summary.json").is_file():
            raise ExportError(
                f"{out_dir}: holds files that are not an afofit batch; give -o a new or empty "
                "folder, or an earlier batch's (with --resume to keep its finished cases)."
            )
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ExportError(f"{out_dir}: cannot be made ({exc.strerror}).") from None
    command = shlex.join(["afofit", *sys.argv[1:]])
    order = {c.case_id: i for i, c in enumerate(cases)}  # the summary keeps the manifest's
    done: list[CaseOutcome] = []
    failed = [0]
    columns = (
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
        TextColumn("[red]{task.fields[failed]} failed"), TimeElapsedColumn(),
        TextColumn("ETA"), TimeRemainingColumn(),
    )  # fmt: skip
    with _errors(), Progress(*columns, console=err, disable=not err.is_terminal) as bar:
        task = bar.add_task("fitting", total=len(cases), failed=0)

        def told(outcome: CaseOutcome) -> None:
            done.append(outcome)
            failed[0] += outcome.exit_code != 0
            bar.update(task, advance=1, failed=failed[0])
            if not err.is_terminal:
                err.print(f"afofit batch {len(done)}/{len(cases)}  {outcome.case_id}: "
                          f"{outcome.status} ({outcome.seconds:.1f} s)", markup=False,
                          highlight=False)  # fmt: skip
            finished = sorted(done, key=lambda o: order[o.case_id])
            seen = {o.case_id for o in done}
            write_summary(out_dir, finished, str(manifest),
                          [c.case_id for c in cases if c.case_id not in seen])  # fmt: skip

        if scheduler is None:
            outcomes = run_batch(cases, out_dir, workers, resume, told, command)
        else:
            from afofit.batch.cluster import run_on_cluster

            outcomes = run_on_cluster(cases, out_dir, scheduler, resume, told, command, shared_disk)
        data = write_summary(out_dir, outcomes, str(manifest))
    if as_json:
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
    else:
        out.print(batch_table(data))
        out.print(f"wrote {out_dir}/ (summary: {out_dir / 'summary.html'})", markup=False)
    if data["failed"]:
        with _errors():
            raise BatchFailedError(
                f"{data['failed']} of {len(outcomes)} case(s) failed; the others are in "
                f"{out_dir}/. See {out_dir / 'summary.html'}; fix them and rerun with --resume."
            )


@app.command()
def gait(
    files: Annotated[
        list[Path],
        typer.Argument(metavar="FILE...", help="Gait trials: C3D, OpenSim .mot/.trc, or CSV."),
    ],
    side: Annotated[Side | None, typer.Option(help="Analyse one side only.")] = None,
    mass: MassOpt = None,
    sex: SexOpt = None,
    spasticity: SpasticityOpt = None,
    contracture: ContractureOpt = None,
    pf_strength: StrengthOpt = None,
    foot_length: Annotated[
        float | None, typer.Option(help="Foot length, mm (default 260, or from a scan in fit).")
    ] = None,
    afo_type: Annotated[
        AfoType | None, typer.Option(help="Override the prescribed AFO type.")
    ] = None,
    stiffness: StiffnessOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the analysis as JSON.")] = False,
    plot: Annotated[
        Path | None, typer.Option(help="Write the ankle angle over the gait cycle to this PNG.")
    ] = None,
) -> None:
    """Read gait trials, find the signs of foot drop and prescribe an AFO type and stiffness."""
    from afofit.export import check_plot_path, write_gait_plot
    from afofit.fitting import analyse_gait
    from afofit.gait.analysis import gait_to_dict

    with _errors():
        if plot is not None:
            check_plot_path(plot)  # before any work
        clinical = clinical_inputs(mass, sex, spasticity, contracture, pf_strength,
                             afo_type and afo_type.value, foot_length)  # fmt: skip
        target = stiffness_range(stiffness)
        if target is not None:
            clinical = replace(clinical, stiffness_nm_per_deg=target)
    analysis = _busy(
        f"Reading {len(files)} gait trial(s)…",
        lambda: analyse_gait(files, side=side and side.value, clinical=clinical),
    )
    if plot is not None:
        _busy("Plotting…", lambda: write_gait_plot(analysis, plot))
    data = gait_to_dict(analysis)
    if as_json:
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
        return
    for part in gait_tables(data):
        out.print(part, highlight=False)
    for warning in data["warnings"]:
        out.print(f"[yellow]note:[/] {escape(warning)}", highlight=False)
    if plot is not None:
        out.print(f"wrote {plot}", markup=False)


@app.command("follow-up")
def follow_up(
    old_scan: Annotated[
        Path, typer.Argument(metavar="OLD_SCAN", help="The earlier scan of the leg.")
    ],
    new_scan: Annotated[Path, typer.Argument(metavar="NEW_SCAN", help="Today's scan of it.")],
    out_dir: Annotated[
        Path,
        typer.Option(
            "-o", "--out", help="Folder for follow-up.json and follow-up.html (new or empty)."
        ),
    ],
    afo: Annotated[
        Path | None,
        typer.Option(
            metavar="FIT_DIR",
            help="An earlier `afofit fit` folder of OLD_SCAN: does its brace still fit?",
        ),
    ] = None,
    side: Annotated[Side | None, typer.Option(help="The leg, when a scan holds both.")] = None,
    old_units: Annotated[
        Units | None, typer.Option(help="OLD_SCAN's units (default: detected).")
    ] = None,
    new_units: Annotated[
        Units | None, typer.Option(help="NEW_SCAN's units (default: detected).")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print follow-up.json instead of a table.")
    ] = False,
) -> None:
    """Compare two scans of one leg: girths, volume, the deviation map; with --afo, whether
    the brace fitted to the old scan still fits the new leg."""
    from afofit.cli.tables import followup_table
    from afofit.export import check_out_dir, write_followup
    from afofit.followup import follow_up as compare_scans

    with _errors():
        check_out_dir(out_dir, "follow-up.json")  # before any work
    with _errors(), _Stages(err) as stages:
        result = compare_scans(
            old_scan, new_scan, afo, side=side and side.value,
            old_units=old_units and old_units.value, new_units=new_units and new_units.value,
            progress=stages,
        )  # fmt: skip
        write_followup(result, out_dir, None if afo is None else str(afo), progress=stages)
    data = json.loads((out_dir / "follow-up.json").read_text(encoding="utf-8"))
    if as_json:
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
        return
    out.print(followup_table(data))
    for warning in data["warnings"]:
        out.print(f"[yellow]warning:[/] {escape(warning)}", highlight=False)
    out.print(f"wrote {out_dir}/ (report: {out_dir / 'follow-up.html'})", markup=False)


@app.command()
def stiffness(
    fit_dir: Annotated[
        Path, typer.Argument(metavar="FIT_DIR", help="A folder `afofit fit -o` wrote.")
    ],
    method: Annotated[
        str,
        typer.Option(help="fe: finite elements (needs afofit\\[fe]); fast: the calibrated model."),
    ] = "fe",
    h: Annotated[float, typer.Option(help="Tetrahedron size, mm (4 is converged to 2 %).")] = 4.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Compute a fitted brace's ankle stiffness (by finite elements unless --method fast)."""
    from afofit.cli.tables import stiffness_table
    from afofit.mechanics.stiffness import fitted_brace_stiffness, stiffness_to_dict

    with _errors(), _Stages(err) as stages:
        braces = fitted_brace_stiffness(fit_dir, method, h, progress=stages)
    data = stiffness_to_dict(braces)
    if as_json:
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
        return
    out.print(stiffness_table(data))


@app.command()
def profiles(
    name: Annotated[
        str | None, typer.Argument(help="A design or material to show in full.")
    ] = None,
) -> None:
    """List the built-in design and material profiles, or show one."""
    from afofit.profiles import builtin_profiles, profile_text

    if name is None:
        listing = builtin_profiles()
        table = Table(title="afofit profiles")
        table.add_column("kind")
        table.add_column("names")
        for kind, names in listing.items():
            table.add_row(kind, ", ".join(names))
        out.print(table)
        return
    with _errors():
        out.print(profile_text(name), highlight=False)
