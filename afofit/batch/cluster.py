"""A batch on a Dask cluster (``afofit batch --scheduler tcp://HOST:8786``; the extra
``afofit[cluster]``).

Each case is a Dask task that runs the case in a fresh interpreter on its worker
(:mod:`afofit.batch.worker`), so a crash or a kill fails that case alone. Two ways to reach
the files:

* **shipped** (the default): the task carries the case's input files' bytes; the worker
  writes them into a temporary folder laid out as the manifest's, fits there, and sends the
  case's output files back, which are written here into OUT/<case_id>/ whole or not at all.
  The workers need no disk in common with this machine; every input must lie in the
  manifest's folder (or below it).
* **shared disk**: the workers see the manifest's folder and OUT at the same paths as this
  machine (one network filesystem); each writes its case's folder itself.

Same request, same bytes: a case's STLs are those the local pool writes.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from afofit.batch.manifest import BatchCase, ManifestError
from afofit.batch.run import CaseOutcome, plan
from afofit.errors import AfofitError, InputError
from afofit.export import staged_folder

__all__ = ["check_shippable", "run_on_cluster"]


def check_shippable(cases: Sequence[BatchCase]) -> None:
    """Refuse, before any work, one of ``cases`` whose input lies outside its manifest's
    folder: it cannot be laid out the same way on a worker.

    Raises
    ------
    ManifestError
        Such a case, by its row.
    """
    outside = [
        f"row {case.row}: {path} lies outside the manifest's folder"
        for case in cases
        for path in case.inputs()
        if path.is_absolute()
    ]
    if outside:
        raise ManifestError(
            "shipping the inputs to the workers needs every file in the manifest's folder "
            "or below it (or use --shared-disk):\n  " + "\n  ".join(outside)
        )


def _run_worker(case: BatchCase, cwd: Path, out_dir: Path, command: str | None) -> CaseOutcome:
    """The case in a fresh interpreter in ``cwd`` (see :mod:`afofit.batch.worker`)."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "afofit.batch.worker"], cwd=cwd,
        input=pickle.dumps((replace(case, base=cwd), out_dir, command)), capture_output=True,
    )  # fmt: skip
    if done.returncode == 0 and done.stdout:
        outcome: CaseOutcome = pickle.loads(done.stdout)
        return outcome
    tail = done.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["no message"]
    why = (
        f"its process was killed (signal {-done.returncode})"
        if done.returncode < 0
        else f"its process ended with code {done.returncode} ({tail[0][:200]})"
    )
    return CaseOutcome(
        case.case_id, case.row, "failed", 1, round(time.perf_counter() - started, 2), why
    )


def shared_task(case: BatchCase, out_dir: Path, command: str | None) -> CaseOutcome:
    """A Dask task: ``case`` read from, and written to, a disk the worker shares."""
    return _run_worker(case, case.base, out_dir, command)


def shipped_task(
    case: BatchCase, inputs: dict[str, bytes], command: str | None
) -> tuple[CaseOutcome, dict[str, bytes]]:
    """A Dask task: ``case`` with its ``inputs`` (relative path → bytes) laid out in a
    temporary folder; returns its outcome and its folder's files (name → bytes)."""
    with tempfile.TemporaryDirectory(prefix="afofit-case-") as tmp:
        root = Path(tmp) / "in"
        for name, data in inputs.items():
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        out = Path(tmp) / "out"
        out.mkdir()
        root.mkdir(exist_ok=True)
        outcome = _run_worker(case, root, out, command)
        folder = out / case.case_id
        files = (
            {p.name: p.read_bytes() for p in sorted(folder.iterdir())} if folder.is_dir() else {}
        )
    return outcome, files


def _inputs(case: BatchCase) -> dict[str, bytes]:
    try:
        return {str(path): (case.base / path).read_bytes() for path in case.inputs()}
    except OSError as exc:
        raise InputError(f"{exc.filename}: cannot be read ({exc.strerror}).") from None


def run_on_cluster(
    cases: Sequence[BatchCase],
    out_dir: Path,
    address: str,
    resume: bool = False,
    on_outcome: Callable[[CaseOutcome], None] | None = None,
    command: str | None = None,
    shared_disk: bool = False,
) -> list[CaseOutcome]:
    """:func:`~afofit.batch.run.run_batch` of ``cases`` (into ``out_dir``, ``resume``,
    ``on_outcome`` and ``command`` as there) on the Dask scheduler at ``address``, the
    inputs shipped with each task unless ``shared_disk``.

    Raises
    ------
    InputError
        Dask is not installed (``pip install afofit[cluster]``), or the scheduler cannot be
        reached.
    ManifestError
        Shipped inputs outside the manifest's folder (:func:`check_shippable`).
    """
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise InputError(
            "--scheduler needs Dask: pip install 'afofit[cluster]' (or dask[distributed])."
        ) from None
    out_dir = Path(os.path.abspath(out_dir))
    out_dir.mkdir(parents=True, exist_ok=True)
    if not shared_disk:
        check_shippable(cases)
    outcomes, todo = plan(cases, out_dir, resume)
    for outcome in outcomes.values():
        if on_outcome is not None:
            on_outcome(outcome)
    try:
        client = Client(address, timeout="20s")
    except (OSError, TimeoutError) as exc:
        raise InputError(
            f"--scheduler {address}: cannot reach it ({exc}); is `dask scheduler` running there?"
        ) from None
    with client:
        futures: dict[Any, BatchCase] = {}
        for case in todo:
            if shared_disk:
                future = client.submit(shared_task, case, out_dir, command, pure=False,
                                       key=f"afofit-{case.case_id}-{time.time_ns()}")  # fmt: skip
            else:
                task: Callable[..., Any] = shipped_task
                future = client.submit(task, case, _inputs(case), command, pure=False,
                                       key=f"afofit-{case.case_id}-{time.time_ns()}")  # fmt: skip
            futures[future] = case
        for future in as_completed(futures):
            case = futures[future]
            try:
                result = future.result()
            except Exception as exc:  # the task itself failed (a lost worker, a bug)
                outcome = CaseOutcome(
                    case.case_id, case.row, "failed", 1, 0.0,
                    f"its Dask task failed ({type(exc).__name__}: {exc})",
                )  # fmt: skip
            else:
                outcome = result if shared_disk else _unpacked(result, out_dir / case.case_id)
            outcomes[case.case_id] = outcome
            if on_outcome is not None:
                on_outcome(outcome)
    return [outcomes[case.case_id] for case in cases]


def _unpacked(result: tuple[CaseOutcome, dict[str, bytes]], folder: Path) -> CaseOutcome:
    """Write a shipped case's files as ``folder`` (whole or not at all)."""
    outcome, files = result
    if not files:
        return outcome
    try:
        with staged_folder(folder) as stage:
            for name, data in files.items():
                (stage / name).write_bytes(data)
    except AfofitError as exc:
        return replace(outcome, status="failed", exit_code=exc.exit_code, message=str(exc))
    return outcome
