"""Running a batch: each case fitted in a process of its own, written as OUT/<case_id>/.

A case runs in a fresh process (forked from a server that has afofit imported, so it starts
in a fraction of a second): a crash, a worker killed for memory or any error fails that
case alone. A case's folder is written whole or not at all (:func:`afofit.export.write_fit`).
With ``resume`` a case whose folder holds a fitting of the same request key (the request,
its inputs' bytes and afofit's version: :meth:`~afofit.request.FitRequest.key`) is not run
again.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from afofit.batch.manifest import BatchCase
from afofit.errors import AfofitError
from afofit.threads import one_thread_each, preloaded_context, uninterrupted

__all__ = [
    "CaseOutcome",
    "case_context",
    "expected_cost",
    "fit_case",
    "outcome_of_folder",
    "plan",
    "run_batch",
    "run_in_process",
]

#: Statuses: fitted and passed its checks; fitted but a check failed (no STL written);
#: not fitted (its error says why); not run again (``resume``: its folder is up to date).
STATUSES = ("done", "checks failed", "failed", "skipped")
#: Failures that the same request meets again (unusable input, no feasible design, not a
#: leg): ``resume`` does not rerun them unchanged. A crash, a killed process or an output
#: that could not be written may pass another time: those are rerun.
REPEATABLE_EXIT_CODES = (3, 4, 6)
#: How ``resume`` marks a failure it did not rerun.
NOT_RERUN = "unchanged since the last run, not rerun: "


@dataclass(frozen=True, slots=True)
class CaseOutcome:
    """One case's result, as summary.json holds it (see the README)."""

    case_id: str
    row: int
    status: str
    exit_code: int
    seconds: float
    message: str | None = None
    key: str | None = None
    design: str | None = None
    material: str | None = None
    thickness_mm: float | None = None
    stiffness_nm_per_deg: float | None = None
    stiffness_method: str | None = None
    mass_g: float | None = None
    checks_passed: bool | None = None
    failed_checks: tuple[str, ...] = ()
    report: str | None = None
    peak_memory_mb: float | None = None
    sides: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready values."""
        out = asdict(self)
        out["failed_checks"] = list(self.failed_checks)
        out["sides"] = list(self.sides)
        return out


def outcome_of_folder(
    case: BatchCase, folder: Path, status: str, seconds: float, memory_mb: float | None = None
) -> CaseOutcome:
    """The outcome of ``case`` read from its written ``folder`` (its fitting.json), with
    its ``status``, the ``seconds`` it took and its process's peak memory ``memory_mb``."""
    data = json.loads((folder / "fitting.json").read_text())
    legs = data["legs"]
    failed = sorted({c["name"] for leg in legs for c in leg["checks"] if not c["passed"]})
    k = [leg["stiffness"]["predicted_nm_per_deg"] for leg in legs if leg.get("stiffness")]
    design = legs[0]["design"]
    return CaseOutcome(
        case_id=case.case_id, row=case.row, status=status,
        exit_code=0 if not failed else 7, seconds=round(seconds, 2),
        message=None if not failed else f"failed check(s): {', '.join(failed)}",
        key=data["request"]["key"], design=design["name"], material=design["material"],
        thickness_mm=design["thickness_mm"],
        stiffness_nm_per_deg=k[0] if len(k) == 1 else None if not k else max(k),
        stiffness_method=data["request"]["stiffness_method"],
        mass_g=sum(leg["shell"]["mass_g"] for leg in legs), checks_passed=not failed,
        failed_checks=tuple(failed), report=f"{case.case_id}/report.html",
        peak_memory_mb=memory_mb, sides=tuple(leg["side"] for leg in legs),
    )  # fmt: skip


def _up_to_date(case: BatchCase, folder: Path, key: str) -> bool:
    try:
        data = json.loads((folder / "fitting.json").read_text())
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and data.get("request", {}).get("key") == key


def fit_case(case: BatchCase, out_dir: Path, command: str | None = None) -> CaseOutcome:
    """Fit ``case`` and write it as ``out_dir/<case_id>`` (whole or not at all), its report
    naming the ``command`` that ran it: the work of one case, in whichever process runs it.
    Never raises for the case's own failure: its error becomes a ``failed`` outcome with the
    error's exit code."""
    import resource

    from afofit.export import write_fit
    from afofit.fitting import fit
    from afofit.report.html import ReportInfo

    started = time.perf_counter()
    folder = Path(out_dir) / case.case_id
    info = ReportInfo(case.case_id, case.patient_ref, case.clinician, case.date, command)
    try:
        result = fit(case.request)
        write_fit(result, folder, info=info)
    except AfofitError as exc:
        return CaseOutcome(
            case.case_id, case.row, "failed", exc.exit_code,
            round(time.perf_counter() - started, 2), str(exc), _key(case),
        )  # fmt: skip
    except Exception as exc:  # a bug: the case fails, the batch goes on
        return CaseOutcome(
            case.case_id, case.row, "failed", 1, round(time.perf_counter() - started, 2),
            f"internal error ({type(exc).__name__}: {exc}); please report it",
        )  # fmt: skip
    memory = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    status = "done" if result.passed else "checks failed"
    return outcome_of_folder(case, folder, status, time.perf_counter() - started, memory)


def _key(case: BatchCase) -> str | None:
    try:
        return case.located().key()
    except AfofitError:  # an input that cannot be read has no key: it is always rerun
        return None


def _earlier_failures(out_dir: Path) -> dict[str, dict[str, Any]]:
    """The failed cases of the batch last written into ``out_dir`` (by case id), that the
    same request would fail again (:data:`REPEATABLE_EXIT_CODES`)."""
    try:
        data = json.loads((out_dir / "summary.json").read_text())
        cases = data["cases"]
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    return {
        c["case_id"]: c
        for c in cases
        if isinstance(c, dict) and c.get("status") == "failed" and c.get("key")
        and c.get("exit_code") in REPEATABLE_EXIT_CODES
    }  # fmt: skip


def _child(case: BatchCase, out_dir: Path, command: str | None, single: bool, sender: Any) -> None:
    if single:  # (the server loaded the libraries: their pools are limited as they stand)
        one_thread_each()
    os.chdir(case.base)  # the request's paths are the manifest's, relative to its folder
    sender.send(fit_case(case, out_dir, command))
    sender.close()


def case_context(gait: bool = True) -> multiprocessing.context.BaseContext:
    """Processes forked from a server that has imported the fitting and its report (each
    case starts at once, with nothing left to import); the gait plots too when ``gait``
    (cases with gait draw them; importing their plotting library takes the server half a
    second). The server is started once per process, by the first batch that runs."""
    return preloaded_context([
        "afofit.fitting", "afofit.export", "afofit.batch.run", "afofit.report.html",
        "afofit.report.render", *(["afofit.report.plots"] if gait else []),
    ])  # fmt: skip


def run_in_process(
    context: multiprocessing.context.BaseContext,
    case: BatchCase,
    out_dir: Path,
    command: str | None,
    single: bool,
) -> CaseOutcome:
    """Run ``case`` (:func:`fit_case` into ``out_dir``, its report naming ``command``) in a
    process of its own from ``context`` (:func:`case_context`), ``single``-threaded when
    cases run side by side. A process that dies without an answer (a crash, or killed
    for memory) is the case's failure, with the signal in its message."""
    started = time.perf_counter()
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(  # type: ignore[attr-defined]
        target=_child, args=(case, out_dir, command, single, sender), name=f"afofit-{case.case_id}"
    )
    process.start()
    sender.close()
    outcome: CaseOutcome | None = None
    try:
        outcome = receiver.recv()
    except EOFError:  # the process ended without an answer
        pass
    process.join()
    if outcome is not None:
        return outcome
    code = process.exitcode
    why = (
        f"its process was killed (signal {-code}{', out of memory?' if code == -9 else ''})"
        if code is not None and code < 0
        else f"its process ended with code {code} without an answer"
    )
    return CaseOutcome(
        case.case_id, case.row, "failed", 1, round(time.perf_counter() - started, 2),
        f"{why}; the other cases went on",
    )  # fmt: skip


#: How long a design's fitting takes against a posterior leaf spring's (measured on the
#: bench's phantoms: pls 7.6-8.5 s, semi-rigid 9.7-10.6 s, solid 11.5-11.9 s a case).
DESIGN_COST = {"semi-rigid": 1.25, "solid": 1.45}


def expected_cost(case: BatchCase) -> float:
    """A rough measure of how long ``case`` takes, to start the longest first: its scan's
    size in bytes (0 when it cannot be read) times its design's :data:`DESIGN_COST`."""
    try:
        size = float(case.located().scan.stat().st_size)
    except OSError:
        size = 0.0
    design = case.request.design
    return size * DESIGN_COST.get(design if isinstance(design, str) else "", 1.0)


def plan(
    cases: Sequence[BatchCase], out_dir: Path, resume: bool
) -> tuple[dict[str, CaseOutcome], list[BatchCase]]:
    """Which of ``cases`` to run into ``out_dir``: all, or with ``resume`` those not up to
    date (see :func:`run_batch`); returns the outcomes known already (by case id) and the
    cases to run."""
    outcomes: dict[str, CaseOutcome] = {}
    todo = []
    failures = _earlier_failures(out_dir) if resume else {}
    for case in cases:
        folder = out_dir / case.case_id
        if resume:
            try:
                key = case.located().key()
            except AfofitError as exc:
                outcomes[case.case_id] = CaseOutcome(
                    case.case_id, case.row, "failed", exc.exit_code, 0.0, str(exc)
                )
                continue
            if _up_to_date(case, folder, key):
                outcomes[case.case_id] = outcome_of_folder(case, folder, "skipped", 0.0)
                continue
            failed = failures.get(case.case_id)
            if failed is not None and failed["key"] == key:
                message = str(failed.get("message") or "")
                outcomes[case.case_id] = CaseOutcome(
                    case.case_id, case.row, "failed", int(failed["exit_code"]), 0.0,
                    message if message.startswith(NOT_RERUN) else NOT_RERUN + message, key,
                )  # fmt: skip
                continue
        todo.append(case)
    return outcomes, todo


def run_batch(
    cases: Sequence[BatchCase],
    out_dir: Path,
    workers: int | None = None,
    resume: bool = False,
    on_outcome: Callable[[CaseOutcome], None] | None = None,
    command: str | None = None,
) -> list[CaseOutcome]:
    """Fit each of ``cases`` into ``out_dir/<case_id>``, ``workers`` at a time (default: the
    machine's cores), each in its own process; with ``resume``, skip a case whose folder
    holds a fitting of the same request key, and one that the batch last written there
    failed with the same key and an error it would meet again (:data:`REPEATABLE_EXIT_CODES`:
    it stays failed, its message says it was not rerun). ``on_outcome`` is told each outcome as it
    comes (from a worker thread); ``command`` goes into each report. Returns the outcomes
    in the manifest's order. A case that fails (its error, a crash, its process killed)
    is an outcome like any other: the batch goes on."""
    out_dir = Path(os.path.abspath(out_dir))  # each case runs in its manifest's folder
    out_dir.mkdir(parents=True, exist_ok=True)
    workers = max(1, workers or os.cpu_count() or 1)
    outcomes, todo = plan(cases, out_dir, resume)
    lock = threading.Lock()
    for outcome in outcomes.values():
        if on_outcome is not None:
            on_outcome(outcome)
    if todo:
        context = case_context(gait=any(case.request.gait for case in todo))

        def one(case: BatchCase) -> None:
            outcome = run_in_process(context, case, out_dir, command, min(workers, len(todo)) > 1)
            with lock:
                outcomes[case.case_id] = outcome
                if on_outcome is not None:
                    on_outcome(outcome)

        if workers > 1:  # the longest first: the last case to end is then a short one
            todo = sorted(todo, key=expected_cost, reverse=True)
        with ThreadPoolExecutor(min(workers, len(todo))) as pool:
            with uninterrupted():  # (every case handed over whole: see uninterrupted)
                running = pool.map(one, todo)
            list(running)
    return [outcomes[case.case_id] for case in cases]
