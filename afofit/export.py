"""Every file afofit writes goes through here, atomically (temp file + rename).

A crash or a refused write never leaves a half-written output behind.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import numpy as np
import trimesh

from afofit.atomic import current_umask, write_atomic, write_json, write_utf8
from afofit.errors import ExportError
from afofit.progress import Progress, silent
from afofit.threads import HERE, SpareCore, uninterrupted
from afofit.threemf import threemf_bytes

if TYPE_CHECKING:
    from afofit.compare import CandidateOutcome, Comparison
    from afofit.fitting import FitResult, LegFit
    from afofit.followup import FollowUp
    from afofit.gait.analysis import GaitAnalysis
    from afofit.gait.model import GaitTrial
    from afofit.phantom import PhantomSpec
    from afofit.report.html import ReportInfo
    from afofit.slicing import SliceResult, Slicing

__all__ = [
    "MESH_SUFFIXES",
    "SLICE_TIMEOUT_S",
    "CandidateFiles",
    "ComparisonWriter",
    "check_build_volume",
    "check_mesh_path",
    "check_out_dir",
    "check_plot_path",
    "comparison_writer",
    "gcode_name",
    "slice_print",
    "staged_folder",
    "standing_shell",
    "write_candidate",
    "write_comparison",
    "write_fit",
    "write_fit_files",
    "write_followup",
    "write_gait_csv",
    "write_gait_plot",
    "write_mesh",
    "write_phantom",
]

MESH_SUFFIXES = (".stl", ".ply", ".obj")
#: The longest PrusaSlicer may take over one shell (a 300k-face shell takes ~30 s here).
SLICE_TIMEOUT_S = 900.0


def _stl_bytes(vertices: np.ndarray, faces: np.ndarray, units: str) -> Callable[[IO[bytes]], None]:
    from stl import mesh as stl_mesh  # numpy-stl: only here

    body = stl_mesh.Mesh(np.zeros(len(faces), dtype=stl_mesh.Mesh.dtype))
    body.vectors[:] = vertices[faces].astype(np.float32)
    body.update_normals()

    def write(handle: IO[bytes]) -> None:
        # Written by hand with numpy-stl's record layout: its own writer puts
        # a timestamp in the header, and afofit's outputs must be byte-identical.
        header = f"afofit binary STL, units: {units}".encode("ascii").ljust(80, b" ")
        handle.write(header)
        handle.write(np.uint32(len(faces)).tobytes())
        handle.write(body.data.tobytes())

    return write


def check_mesh_path(path: Path) -> None:
    """Refuse a mesh output path before any work is done.

    Raises
    ------
    ExportError
        Unsupported suffix, a folder, or a missing parent folder.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in MESH_SUFFIXES:
        raise ExportError(f"{path.name}: write .stl, .ply or .obj, not '{suffix or 'no suffix'}'.")
    if path.is_dir():
        raise ExportError(f"{path}: is a folder; give a file name to write.")
    if not path.parent.is_dir():
        raise ExportError(f"{path.parent}: no such folder; create it first or write elsewhere.")


def write_mesh(mesh: trimesh.Trimesh, path: Path, units: str = "mm") -> Path:
    """Write a mesh to ``path`` as binary STL, PLY (binary) or OBJ, chosen by the suffix.

    ``units`` only labels the STL header (STL has no units field).

    Raises
    ------
    ExportError
        Unsupported suffix or unwritable place.
    """
    path = Path(path)
    check_mesh_path(path)
    suffix = path.suffix.lower()
    vertices = np.asarray(mesh.vertices, dtype=np.float64)
    faces = np.asarray(mesh.faces, dtype=np.int64)
    if suffix == ".stl":
        return write_atomic(path, _stl_bytes(vertices, faces, units))
    data = trimesh.exchange.export.export_mesh(
        trimesh.Trimesh(vertices, faces, process=False), file_obj=None, file_type=suffix[1:]
    )
    payload = data.encode("utf-8") if isinstance(data, str) else data
    return write_atomic(path, lambda h: h.write(payload))


def write_phantom(spec: PhantomSpec, path: Path) -> tuple[Path, Path]:
    """Build the phantom ``spec`` asks for; write its mesh to ``path``.

    Its ground truth goes to ``<stem>.truth.json`` beside it, naming the mesh file
    (``mesh_file``); a truth file of another mesh (``leg.ply`` beside a new ``leg.stl``)
    is not overwritten.

    Raises
    ------
    ExportError
        The path cannot take a mesh, or its truth file belongs to another mesh.
    """
    from afofit.phantom import make_phantom

    path = Path(path)
    check_mesh_path(path)
    truth_path = path.with_suffix(".truth.json")
    owner = _truth_owner(truth_path)
    if owner not in (None, path.name):
        raise ExportError(
            f"{truth_path}: holds the ground truth of {owner}; writing {path.name} would "
            f"replace it. Give the new phantom another name (or remove {owner} and its truth)."
        )
    built = make_phantom(spec)
    write_mesh(built.mesh, path, units=spec.units)
    write_json({"mesh_file": path.name, **built.truth}, truth_path)
    return path, truth_path


def _truth_owner(truth_path: Path) -> str | None:
    """The mesh file a phantom's truth file names (None: no such file, or it names none)."""
    try:
        owner = json.loads(truth_path.read_text(encoding="utf-8")).get("mesh_file")
    except (OSError, ValueError, AttributeError):
        return None
    return owner if isinstance(owner, str) else None


def check_out_dir(folder: Path, marker: str = "fitting.json") -> None:
    """Refuse an output folder that cannot be one, before any work.

    The folder may be new, empty, or an earlier afofit output (it holds a ``marker``
    file: ``fitting.json`` of a fitting, ``comparison.json`` of a comparison): that one is
    replaced wholly, at the end, in one move.

    Raises
    ------
    ExportError
        ``folder`` is a file, holds files that are not an afofit output, or its parent
        does not exist or cannot be written.
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise ExportError(f"{folder}: is a file, not a folder; give -o a folder to write into.")
    parent = folder.resolve().parent
    if not parent.is_dir():
        raise ExportError(f"{parent}: no such folder; create it first or choose another -o.")
    if not _writable(parent):
        raise ExportError(f"{parent}: cannot write here (permission denied); choose another -o.")
    if folder.is_dir() and any(folder.iterdir()) and not (folder / marker).is_file():
        what = "an afofit fitting" if marker == "fitting.json" else f"an afofit output ({marker})"
        raise ExportError(
            f"{folder}: holds files that are not {what}; give -o a new or empty "
            "folder (an earlier afofit output folder of the same kind is replaced wholly)."
        )


@contextmanager
def staged_folder(folder: Path) -> Iterator[Path]:
    """A temporary folder beside ``folder`` to write into; moved into place (replacing an
    earlier ``folder`` wholly) when the block ends, removed if it fails or is interrupted.

    Whatever happens, ``folder`` holds either its whole previous content or the whole new
    one: the swap's two renames cannot be split by a Ctrl-C.

    Raises
    ------
    ExportError
        The temporary folder cannot be made, or the result cannot be moved into place.
    """
    folder = Path(folder)
    parent = folder.resolve().parent
    stage: Path | None = None
    try:
        with uninterrupted():  # a Ctrl-C here waits until ``stage`` names what to remove
            stage = _mkdtemp(parent, folder.name)
        yield stage
        stage.chmod(0o777 & ~current_umask())  # mkdtemp makes it private: the usual mode instead
        with uninterrupted():  # a Ctrl-C waits for the swap and the old folder's removal
            old = None
            if folder.exists():
                old = parent / f".{folder.name}.{stage.name.split('.')[-2]}.old"
                folder.rename(old)
            try:
                stage.rename(folder)
            except OSError:
                if old is not None:
                    old.rename(folder)  # the previous content back in place
                raise
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)
    except OSError as exc:
        raise ExportError(f"{folder}: cannot move the result into place ({exc.strerror}).") from exc
    finally:
        with uninterrupted():  # nor may it leave the stage half removed
            if stage is not None and stage.exists():
                shutil.rmtree(stage, ignore_errors=True)


def _mkdtemp(parent: Path, name: str) -> Path:
    """A new private folder ``.NAME.XXXXXXXX.partial`` in ``parent``."""
    try:
        return Path(tempfile.mkdtemp(prefix=f".{name}.", suffix=".partial", dir=parent))
    except OSError as exc:
        raise ExportError(f"{parent}: cannot write here ({exc.strerror}).") from exc


def _writable(folder: Path) -> bool:
    """Whether this process may create files in ``folder``."""
    return os.access(folder, os.W_OK | os.X_OK)


def standing_shell(fit: LegFit) -> tuple[trimesh.Trimesh, np.ndarray]:
    """The ``fit``'s shell moved to stand on its footplate on a printer's bed, and the motion.

    The (4, 4) motion is the fit's ``print_transform``.

    A slicer drops a part onto the bed as it lies; in a scan's pose the shell
    can touch the bed at a point (PrusaSlicer: "no extrusions in the first
    layer"). Standing on its flat footplate it prints without supports under
    the plate.
    """
    motion = fit.print_transform
    vertices = np.asarray(fit.shell_scan.vertices) @ motion[:3, :3].T + motion[:3, 3]
    return trimesh.Trimesh(vertices, fit.shell_scan.faces, process=False), motion


def write_gait_plot(analysis: GaitAnalysis, path: Path) -> Path:
    """Write the ankle-angle plot of a gait ``analysis`` to the PNG ``path``, atomically."""
    from afofit.report.plots import ankle_cycle_plot

    path = Path(path)
    check_plot_path(path)
    png = ankle_cycle_plot(analysis.trials)
    return write_atomic(path, lambda h: h.write(png))


def check_plot_path(path: Path) -> None:
    """Refuse a ``--plot`` path that cannot be written, before any work.

    Raises
    ------
    ExportError
        Not a .png, a folder, or in a folder that does not exist (it is not made: a typo
        in the path should not leave new folders behind).
    """
    path = Path(path)
    if path.suffix.lower() != ".png":
        raise ExportError(f"--plot {path}: the plot is a PNG; give a path ending in .png.")
    if path.is_dir():
        raise ExportError(f"--plot {path}: is a folder; give a file path ending in .png.")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise ExportError(f"--plot {path}: no folder {folder}; create it first or plot elsewhere.")


def write_gait_csv(trial: GaitTrial, path: Path, body_mass_kg: float | None = None) -> Path:
    """Write ``trial`` as afofit's gait CSV (:func:`afofit.gait.csvfile.csv_text`) to ``path``.

    Atomically; ``body_mass_kg`` (else the trial's) goes in a comment line.
    """
    from afofit.gait.csvfile import csv_text

    return write_utf8(csv_text(trial, body_mass_kg), path)


def write_fit(
    result: FitResult,
    folder: Path,
    keep_failed: bool = False,
    progress: Progress = silent,
    info: ReportInfo | None = None,
    pdf: bool = False,
    spare: SpareCore = HERE,
) -> list[Path]:
    """Write a fitting ``result``'s STLs, ``fitting.json`` and ``report.html`` (and with
    ``pdf``, ``report.pdf``) as ``folder``; ``info`` heads the report (case, patient,
    clinician, date, command); ``spare`` a helper process that draws one of its pictures
    (:func:`afofit.threads.spare_core`).

    Everything is rendered in memory, written into a temporary folder beside it, and
    moved into place at the end (:func:`staged_folder`): ``folder`` ends up holding the
    whole new result, or (after any failure or a Ctrl-C) exactly what it held before.
    A leg whose shell failed a check gets no STL, so that nothing unprintable looks
    ready for the slicer, unless ``keep_failed``: then ``afo-FAILED.stl`` and
    ``afo-print-FAILED.stl``. ``progress`` is told each stage (:mod:`afofit.progress`).
    Returns the paths written.

    Raises
    ------
    ExportError
        ``folder`` cannot be a folder or cannot be written, or ``pdf`` without WeasyPrint.
    """
    folder = Path(folder)
    check_out_dir(folder)
    if pdf:
        from afofit.report.pdf import check_pdf

        check_pdf()
    with staged_folder(folder) as stage:
        names = write_fit_files(result, stage, keep_failed, progress, str(folder), info, pdf, spare)
    return [folder / name for name in names]


def write_fit_files(
    result: FitResult,
    folder: Path,
    keep_failed: bool = False,
    progress: Progress = silent,
    label: str | None = None,
    info: ReportInfo | None = None,
    pdf: bool = False,
    spare: SpareCore = HERE,
    drawn: Mapping[str, bytes] | None = None,
) -> list[str]:
    """Write a fitting ``result``'s files into the existing, empty ``folder`` (a staged
    folder: :func:`write_fit` and the comparison's writer move it into place), as
    :func:`write_fit` describes (``keep_failed``, ``info``, ``pdf`` and ``spare`` too); ``label``
    names the folder in ``progress``; ``drawn`` holds the report's pictures drawn already
    (:func:`afofit.report.html.shared_pictures`). Returns the names written."""
    from afofit.fitting import threemf_name
    from afofit.report.html import NOTHING_DRAWN, ReportInfo, fitting_html
    from afofit.report.json import fitting_json

    info = (info or ReportInfo()).dated()
    slicing = None
    if result.request.slice_gcode:
        from afofit.slicing import slicing_for

        slicing = slicing_for(result.legs[0].params.material)  # fails before any writing
    progress(f"writing {label or folder.name}")
    names: list[str] = []
    sliced: list[SliceResult | None] = []
    # The 3MF packages are made in a thread while the report is drawn: lib3mf lets go of
    # the interpreter while it writes (half a second for a 300k-face shell).
    with ThreadPoolExecutor(1) as pool:
        packages: list[tuple[str, Future[bytes]]] = []
        for fit, (name, print_name) in zip(result.legs, result.stl_names(), strict=True):
            sliced.append(None)
            if fit.passed or keep_failed:
                standing = standing_shell(fit)[0]
                write_mesh(fit.shell_scan, folder / name)
                write_mesh(standing, folder / print_name)
                with uninterrupted():  # (the pool's shutdown must not wait for ever)
                    packages.append((threemf_name(name), pool.submit(
                        threemf_bytes, np.asarray(standing.vertices), np.asarray(standing.faces),
                        " ".join(filter(None, (info.case_id, f"{fit.leg.side} AFO"))),
                        f"{fit.params.name} in {fit.params.material.name}, "
                        f"{fit.params.thickness_mm:.2f} mm walls; standing on its footplate",
                    )))  # fmt: skip
                names += [name, print_name, packages[-1][0]]
                if slicing is not None:
                    gcode = gcode_name(name)
                    progress(f"slicing {print_name} with PrusaSlicer (a minute for a large shell)")
                    check_build_volume(standing, slicing, print_name)
                    sliced[-1] = slice_print(folder / print_name, folder / gcode, slicing)
                    names.append(gcode)
        data = fitting_json(result, keep_failed, tuple(sliced))
        progress("drawing the report")
        page = fitting_html(result, data, info, spare, drawn or NOTHING_DRAWN)
        for part, package in packages:
            write_atomic(folder / part, _writer(package.result()))
    write_json(data, folder / "fitting.json")
    write_utf8(page, folder / "report.html")
    names += ["fitting.json", "report.html"]
    if pdf:
        from afofit.report.pdf import pdf_bytes

        progress("laying out the PDF")
        document = pdf_bytes(page, info.date or "")
        write_atomic(folder / "report.pdf", lambda h: h.write(document))
        names.append("report.pdf")
    return names


def gcode_name(stl: str) -> str:
    """The G-code beside the STL named ``stl``: ``afo.gcode``, ``afo-left.gcode``."""
    return stl.removesuffix(".stl") + ".gcode"


def check_build_volume(standing: trimesh.Trimesh, slicing: Slicing, name: str) -> None:
    """Refuse (before slicing) a ``standing`` shell (its file ``name``) that
    ``slicing``'s printer cannot hold.

    Raises
    ------
    ExportError
        The shell is wider, deeper or taller than the build volume.
    """
    extents = np.asarray(standing.extents, dtype=float)
    volume = np.asarray(slicing.build_volume_mm())
    if np.all(extents[:2] <= volume[:2]) and extents[2] <= volume[2]:
        return
    raise ExportError(
        f"{name} stands {' × '.join(f'{e:.0f}' for e in extents)} mm, and the slicing "
        f"printer holds {' × '.join(f'{v:.0f}' for v in volume)} mm: copy "
        f"{slicing.profiles[-1]}, add your printer's bed_shape and max_print_height to it, "
        'and name the copy in a material profile (slicing_profile = "my-petg.ini"); or '
        "leave out --slice and print it on its back."
    )


def slice_print(stl: Path, gcode: Path, slicing: Slicing) -> SliceResult:
    """Slice ``stl`` into ``gcode`` with PrusaSlicer (``slicing``), and read its estimate.

    The G-code's first line loses its date (``; generated by PrusaSlicer 2.5.0``). The
    rest is PrusaSlicer's, and not byte-identical from run to run: its parallel slicing
    orders equal choices by which thread comes first (the one output of afofit that
    varies; the estimate agrees to a second).

    Raises
    ------
    ExportError
        PrusaSlicer failed, took longer than :data:`SLICE_TIMEOUT_S`, or wrote no estimate.
    """
    from afofit.slicing import read_slice_summary, slicer_of

    try:
        run = subprocess.run(
            slicing.command(stl, gcode), capture_output=True, text=True,
            timeout=SLICE_TIMEOUT_S, check=False,
        )  # fmt: skip
    except subprocess.TimeoutExpired as exc:
        raise ExportError(
            f"PrusaSlicer took more than {SLICE_TIMEOUT_S:.0f} s over {stl.name}; slice "
            "afo.3mf in PrusaSlicer yourself, or leave out --slice."
        ) from exc
    except OSError as exc:
        raise ExportError(f"PrusaSlicer ({slicing.program}) cannot run: {exc}.") from exc
    said = [
        ln for ln in (run.stdout + run.stderr).splitlines()
        if ln.strip() and "[trace]" not in ln and "=>" not in ln
    ]  # fmt: skip
    if run.returncode != 0 or not gcode.is_file():
        raise ExportError(
            f"PrusaSlicer could not slice {stl.name} (exit {run.returncode}): "
            f"{' / '.join(said[-3:]) or 'no message'}. Slice afo.3mf in PrusaSlicer "
            "yourself, or leave out --slice."
        )
    with gcode.open("rb") as handle:
        first = handle.readline().decode("utf-8", "replace")
        handle.seek(0, os.SEEK_END)
        handle.seek(max(0, handle.tell() - 65536))
        tail = handle.read().decode("utf-8", "replace")
    if first.startswith("; generated by"):
        undated = f"; generated by {slicer_of(first)}\n".encode()
        with gcode.open("rb") as source, gcode.with_suffix(".tmp").open("wb") as target:
            source.readline()
            target.write(undated)
            shutil.copyfileobj(source, target, 1 << 20)
        os.replace(gcode.with_suffix(".tmp"), gcode)
    return read_slice_summary(first, tail, gcode.name, slicing, tuple(said))


def _writer(data: bytes) -> Callable[[IO[bytes]], object]:
    return lambda handle: handle.write(data)


@dataclass(frozen=True, slots=True)
class CandidateFiles:
    """What writing a candidate's fitting gives back (:func:`write_candidate`): the names
    written in its folder, and its column of the comparison page's side-by-side picture
    (PIL images; empty when the page does not show it)."""

    names: tuple[str, ...]
    column: tuple[Any, ...] = ()


def write_candidate(
    outcome: CandidateOutcome,
    index: int,
    stage: Path,
    folder: Path,
    info: ReportInfo | None,
    progress: Progress = silent,
    drawn: Mapping[str, bytes] | None = None,
    pdf: bool = False,
) -> CandidateFiles:
    """Write the built candidate ``outcome``'s STLs, fitting.json and report.html (headed
    by ``info``; with the pictures every candidate shows, ``drawn`` once for all when given;
    report.pdf too with ``pdf``) in ``stage/<name>/`` (a staged comparison folder that
    becomes ``folder``), and draw its column of the page's picture in the colour of its
    ``index`` among the candidates (none for -1); ``progress`` is told each stage."""
    from afofit.report.comparison import predraw_candidate

    assert outcome.result is not None  # the caller writes built candidates alone
    name = outcome.candidate.name
    (stage / name).mkdir()
    names = write_fit_files(outcome.result, stage / name, progress=progress,
                            label=str(folder / name), info=info, pdf=pdf, drawn=drawn)  # fmt: skip
    column = predraw_candidate(outcome, index) if index >= 0 else []
    return CandidateFiles(tuple(names), tuple(column))


def _write_candidate_at(
    outcome: CandidateOutcome,
    index: int,
    stage: Path,
    folder: Path,
    info: ReportInfo | None,
    shown: tuple[str, ...],
    pictures: Path,
    pdf: bool = False,
) -> CandidateFiles:
    """:func:`write_candidate` as :meth:`ComparisonWriter.in_worker` calls it: the column
    drawn when the page shows the candidate (``shown`` names those it shows), and the
    pictures every candidate shows taken from the folder ``pictures`` (those the
    comparison has put in it by now: :meth:`ComparisonWriter.shared`)."""
    index = index if outcome.candidate.name in shown else -1
    drawn = {path.stem: path.read_bytes() for path in sorted(pictures.glob("*.png"))}
    return write_candidate(outcome, index, stage, folder, info, drawn=drawn, pdf=pdf)


class ComparisonWriter:
    """Writes a comparison into a staged folder (:func:`comparison_writer`): each built
    candidate's fitting as it comes (:meth:`candidate`), then the comparison's own files
    (:meth:`finish`); with ``pdf``, comparison.pdf and each candidate's report.pdf too.
    ``written`` lists the paths as they will be once in place."""

    def __init__(
        self,
        folder: Path,
        stage: Path,
        progress: Progress,
        info: ReportInfo | None,
        names: Sequence[str] = (),
        pdf: bool = False,
    ) -> None:
        self.folder, self.stage, self.progress, self.info = folder, stage, progress, info
        self.names, self.pdf = list(names), pdf
        self.written = [folder / "comparison.json", folder / "comparison.html"]
        if pdf:
            self.written.append(folder / "comparison.pdf")
        #: The pictures every candidate's report shows (:meth:`shared`), and the folder
        #: they are put in for the candidates' processes (gone once the comparison is).
        self.drawn: dict[str, bytes] = {}
        self.pictures = stage / ".shared-pictures"
        self.pictures.mkdir()

    def shared(self, drawn: dict[str, bytes]) -> None:
        """Keep the pictures every candidate's report shows alike, ``drawn`` once (each leg's
        landmarks, the gait plot: :func:`afofit.report.html.shared_pictures`, which
        :func:`afofit.compare.compare` runs as ``draw``), for the candidates' reports to take
        instead of drawing their own (a candidate written before they are here draws them:
        the same bytes)."""
        self.drawn = dict(drawn)
        for key, png in self.drawn.items():
            write_atomic(self.pictures / f"{key}.png", _writer(png))

    def candidate(self, outcome: CandidateOutcome, files: CandidateFiles | None = None) -> None:
        """Write a built candidate's STLs, fitting.json and report.html (headed by the
        writer's ``info``) in ``<folder>/<name>/``, and draw its part of the page's picture;
        nothing for one that was not built. With ``files``, they were written where it was
        fitted (:meth:`in_worker`): only recorded here."""
        if outcome.result is None:
            return
        name = outcome.candidate.name
        if files is None:
            files = write_candidate(outcome, self.names.index(name) if name in self.names else -1,
                                    self.stage, self.folder, self.info, self.progress,
                                    self.drawn, self.pdf)  # fmt: skip
        elif files.column:
            from afofit.report.comparison import keep_candidate_column

            keep_candidate_column(outcome, self.names.index(name), list(files.column))
        self.written += [self.folder / name / n for n in files.names]

    def in_worker(self) -> Callable[[CandidateOutcome, int], CandidateFiles]:
        """:func:`write_candidate` into this writer's folder, for
        :func:`afofit.compare.compare` to call where each candidate is fitted (it pickles);
        :meth:`candidate` then records what it wrote."""
        return partial(
            _write_candidate_at, stage=self.stage, folder=self.folder, info=self.info,
            shown=tuple(self.names), pictures=self.pictures, pdf=self.pdf,
        )  # fmt: skip

    def worker_modules(self, gait: bool) -> tuple[str, ...]:
        """What :meth:`in_worker`'s writing imports (the gait plots' too when ``gait``, and
        WeasyPrint with ``pdf``), for :func:`afofit.compare.compare` to import once, before
        the candidates' processes are forked: imported in each of them, they held each
        candidate back 0.4 s."""
        plots = ("afofit.report.plots",) if gait else ()
        pdf = ("afofit.report.pdf", "weasyprint") if self.pdf else ()
        return ("afofit.export", "afofit.report.html", "afofit.report.comparison", *plots, *pdf)

    def finish(self, comparison: Comparison) -> None:
        """Write ``comparison.json`` and ``comparison.html`` (headed by the writer's ``info``),
        and ``comparison.pdf`` with ``pdf``."""
        from afofit.report.comparison import comparison_html, comparison_json
        from afofit.report.html import ReportInfo

        shutil.rmtree(self.pictures, ignore_errors=True)
        data = comparison_json(comparison)
        self.progress("drawing the comparison")
        info = (self.info or ReportInfo()).dated()  # (comparison_writer has dated it)
        page = comparison_html(comparison, data, info)
        write_json(data, self.stage / "comparison.json")
        write_utf8(page, self.stage / "comparison.html")
        if self.pdf:
            from afofit.report.pdf import pdf_bytes

            self.progress("writing comparison.pdf")
            document = pdf_bytes(page, info.date or "")
            write_atomic(self.stage / "comparison.pdf", _writer(document))


@contextmanager
def comparison_writer(
    folder: Path,
    progress: Progress = silent,
    info: ReportInfo | None = None,
    names: Sequence[str] = (),
    pdf: bool = False,
) -> Iterator[ComparisonWriter]:
    """A :class:`ComparisonWriter` for ``folder``: all or nothing, as :func:`write_fit` (the
    folder is in place when the block ends, untouched if it fails); ``progress`` is told
    each stage, ``info`` heads the page and each candidate's report. ``names`` are the
    candidates' names in order: each one's part of the page's pictures is then drawn as it
    is written. With ``pdf``, the page and each candidate's report are written as PDF too.

    Raises
    ------
    ExportError
        ``folder`` cannot be a folder, holds something else, or cannot be written, or
        ``pdf`` without WeasyPrint.
    """
    folder = Path(folder)
    check_out_dir(folder, "comparison.json")
    from afofit.report.html import ReportInfo

    if pdf:
        from afofit.report.pdf import check_pdf

        check_pdf()
    # One date for the page and every candidate's report (a run across midnight too).
    info = (info or ReportInfo()).dated()
    with staged_folder(folder) as stage:
        writer = ComparisonWriter(folder, stage, progress, info, names, pdf)
        yield writer
        shutil.rmtree(writer.pictures, ignore_errors=True)  # (if finish was not called)


def write_comparison(
    comparison: Comparison,
    folder: Path,
    progress: Progress = silent,
    info: ReportInfo | None = None,
    pdf: bool = False,
) -> list[Path]:
    """Write a ``comparison`` as ``folder``: ``comparison.json``, ``comparison.html`` and
    each built candidate's fitting (STLs, fitting.json, report.html headed by ``info``) in
    ``folder/<name>/`` (with ``pdf``, comparison.pdf and each report.pdf too); all or
    nothing, as :func:`write_fit` (``progress`` is told each stage).

    Returns the paths written (the comparison's own files first).

    Raises
    ------
    ExportError
        ``folder`` cannot be a folder, holds something else, or cannot be written, or
        ``pdf`` without WeasyPrint.
    """
    names = [o.candidate.name for o in comparison.outcomes]
    with comparison_writer(folder, progress, info, names, pdf) as writer:
        from afofit.report.html import shared_pictures

        writer.shared(shared_pictures(comparison.prepared))
        for outcome in comparison.outcomes:
            writer.candidate(outcome)
        writer.finish(comparison)
    return writer.written


def write_followup(
    result: FollowUp, folder: Path, afo_dir: str | None = None, progress: Progress = silent
) -> list[Path]:
    """Write a follow-up ``result`` as ``folder``: ``follow-up.json`` and a self-contained
    ``follow-up.html``, all or nothing (as :func:`write_fit`); ``afo_dir`` names the
    brace's folder as the user gave it; ``progress`` is told each stage. Returns the paths
    written.

    Raises
    ------
    ExportError
        ``folder`` cannot be a folder, holds something else, or cannot be written.
    """
    from afofit.report.followup import followup_html, followup_json

    folder = Path(folder)
    check_out_dir(folder, "follow-up.json")
    data = followup_json(result, afo_dir)
    progress("drawing the follow-up")
    page = followup_html(result, data)
    with staged_folder(folder) as stage:
        write_json(data, stage / "follow-up.json")
        write_utf8(page, stage / "follow-up.html")
    return [folder / "follow-up.json", folder / "follow-up.html"]
