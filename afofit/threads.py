"""How afofit uses the machine's cores: the numeric libraries' threads, and a helper process.

A fitting uses both cores of a small machine in places (numpy's BLAS, the OpenMP of the
nearest-sample search, libigl's threads), but those threads gain little: a 400k-face fit
took as long with one thread each (measured, 12.9-15.0 s either way). Processes that each
fit a case side by side (a batch's workers, a comparison's candidates) do better with one
thread each: two cases on two cores with two threads each ran 10-16 % slower than with one.

A single fitting uses the second core better with a helper process (:func:`spare_core`):
the parts of its work that need nothing but arrays and run beside the rest (the shell's
self-intersection test and its fast stiffness beside the other checks, a report picture
beside the others) are handed to it.
"""

from __future__ import annotations

import atexit
import importlib
import os
import pickle
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from multiprocessing import current_process, get_all_start_methods, get_context
from multiprocessing.context import BaseContext
from multiprocessing.shared_memory import SharedMemory
from typing import Any, Generic, TypeVar

from threadpoolctl import threadpool_limits

from afofit.kept import Kept

__all__ = [
    "HERE",
    "THREAD_VARIABLES",
    "YIELD_NICENESS",
    "Pending",
    "Shipped",
    "SpareCore",
    "one_thread_each",
    "preloaded_context",
    "separate_process",
    "ship",
    "spare_core",
    "uninterrupted",
    "usable_cores",
    "worker_started",
    "yield_cores",
]

T = TypeVar("T")

#: The variables the libraries read for their thread counts.
THREAD_VARIABLES = ("IGL_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")


def one_thread_each() -> None:
    """Limit this process's numeric libraries to one thread each: the variables for those
    that read them at their first parallel call (unless already set), and the pools of
    those already loaded (BLAS, OpenMP) as they stand."""
    for name in THREAD_VARIABLES:
        os.environ.setdefault(name, "1")
    threadpool_limits(1)


@contextmanager
def uninterrupted() -> Iterator[None]:
    """Ctrl-C held until the block ends, then handed to the handler it was held from (Python's
    own raises KeyboardInterrupt there); in the main thread, where signals are handled
    (elsewhere, or with Ctrl-C ignored, the block runs as it is). A Ctrl-C that comes in the
    block takes the place of an exception the block raised.

    For steps that must not be split: handing work to a pool (a KeyboardInterrupt raised
    inside an executor's ``submit`` can leave one of its locks held, and the pool's shutdown
    then waits for ever: seen, a fit interrupted just as it handed its helper the skin's
    tree), and the renames that swap an output folder into place. Starting a pool's first
    process from the fork server happens in such a step: Ctrl-C then waits for it (a
    second at most, the server's imports)."""
    previous = signal.getsignal(signal.SIGINT)
    if threading.current_thread() is not threading.main_thread() or previous in (
        signal.SIG_IGN,
        None,
    ):
        yield
        return
    caught: list[tuple[int, Any]] = []
    signal.signal(signal.SIGINT, lambda number, frame: caught.append((number, frame)))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if caught:
            if callable(previous):
                previous(*caught[0])
            else:  # the default action (ending the process), as it would have been
                signal.raise_signal(signal.SIGINT)


class Pending(Generic[T]):
    """A call handed to a :class:`SpareCore`: :meth:`result` waits for its value."""

    def __init__(self, future: Future[T], call: Callable[..., T], args: tuple[Any, ...]):
        self._future, self._call, self._args = future, call, args

    def result(self) -> T:
        """The call's value (or its exception, raised here). If the helper process died
        (killed for memory, say), the call runs again here."""
        try:
            return self._future.result()
        except BrokenProcessPool:
            return self._call(*self._args)


class SpareCore:
    """Runs calls in a helper process on the machine's other core, or, without one (a
    single core, or ``pool`` None), here at once.

    The calls and their arguments must pickle (module-level functions, arrays and
    dataclasses): the helper is a fresh process (spawned, not forked: a fork of a process
    that has run OpenMP code hangs in its next parallel loop). Results are the same
    either way.
    """

    def __init__(self, pool: ProcessPoolExecutor | None = None):
        self._pool = pool

    @property
    def parallel(self) -> bool:
        """Whether calls run in a helper process (else here, as they are handed over)."""
        return self._pool is not None

    def submit(self, call: Callable[..., T], *args: Any) -> Pending[T]:
        """Start ``call(*args)``; its :class:`Pending` gives the value."""
        if self._pool is None:
            future: Future[T] = Future()
            try:
                future.set_result(call(*args))
            except Exception as error:  # handed back by result(), as a pool does
                future.set_exception(error)
            return Pending(future, call, args)
        try:
            with uninterrupted():
                return Pending(self._pool.submit(call, *args), call, args)
        except BrokenProcessPool:
            return SpareCore().submit(call, *args)


#: A :class:`SpareCore` that runs everything here: the default of the functions that take one.
HERE = SpareCore()


def worker_started() -> None:
    """The start of a process that works for another (a helper, a comparison's candidate):
    one thread each, as :func:`one_thread_each`, and Ctrl-C left to the parent, which
    stops the work (the worker then ends quietly, without a traceback of its own)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    one_thread_each()


#: The niceness of a worker that yields the cores (from 0, normal: each level gives it about
#: a fifth less of a core it shares with a process at normal priority).
YIELD_NICENESS = 4


def yield_cores() -> None:
    """Lower this process's priority (to :data:`YIELD_NICENESS`, where the platform allows):
    the processes at normal priority beside it then take the cores first, and it the rest.

    Three candidates of a comparison on two cores share them alike, so the heaviest (a
    solid AFO: a third more work than a leaf spring) ran alone for its last two seconds
    while a core idled; with the lighter two yielding, it has a core of its own and they
    share the other (the same work, in 16.4-16.9 s rather than 18.6-18.9 s: medians of 4
    alternating runs, anny female). A process whose priority cannot be lowered runs as it is.
    """
    try:
        now = os.getpriority(os.PRIO_PROCESS, 0)
        os.setpriority(os.PRIO_PROCESS, 0, max(now, YIELD_NICENESS))
    except (AttributeError, OSError):  # (not on Windows)
        pass


def preloaded_context(modules: Sequence[str]) -> BaseContext:
    """Processes forked from a server that has imported ``modules`` (each starts at once,
    with nothing left to import: a comparison's three candidates or a batch's cases import
    afofit once, not each, a second of a core's time apiece). The server is started here,
    once per process (later calls reuse it, with the modules it was first asked for), and
    imports them while its caller goes on; the first process asked of it waits for that.
    Where there is no fork server (Windows), fresh interpreters (spawn)."""
    if "forkserver" not in get_all_start_methods():
        return get_context("spawn")
    from multiprocessing import forkserver  # (not on every platform)

    context = get_context("forkserver")
    context.set_forkserver_preload(list(modules))
    forkserver.ensure_running()  # starts the server and returns: it does not wait for it
    return context


def _helper_started(modules: tuple[str, ...], one_thread: bool) -> None:
    """A helper's start: Ctrl-C left to the parent, one thread each when it shares the
    cores with its parent (:func:`worker_started`), ``modules`` imported while the
    parent reads the scan, and a quick end (:func:`_end_at_once`)."""
    if one_thread:
        worker_started()
    else:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    atexit.register(_end_at_once)
    for name in modules:
        importlib.import_module(name)


def _end_at_once() -> None:
    """A helper's last act: its answers are all handed back by the time it is told to stop,
    and its parent waits for it to end; the interpreter's tidying of its modules and arrays
    would take a sixth of a second (measured), so it ends here, its output flushed."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def usable_cores() -> int:
    """How many cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


@contextmanager
def separate_process(
    wanted: bool = True,
    preload: tuple[str, ...] = (),
    one_thread: bool = False,
    start: str = "spawn",
) -> Iterator[SpareCore]:
    """A :class:`SpareCore` with a process of its own when ``wanted`` (else, or in a
    daemonic process, which may not start one, one that runs calls here), shut down on
    leaving: its memory goes with it.

    The process starts at once and imports the ``preload`` modules, so that it is ready by
    the time work is handed to it; with ``one_thread`` its numeric libraries use one thread
    each (:func:`worker_started`). ``start`` is how: ``spawn``, a fresh interpreter (about a
    second of a core's time), or ``fork``, a copy of this process as it stands (at once; on
    Linux only, else the calls run here), for calls that use no OpenMP or thread pool this
    process may have started (a copy's next parallel loop would hang).
    """
    forked = start == "fork"
    if not wanted or current_process().daemon or (forked and not sys.platform.startswith("linux")):
        yield HERE
        return
    pool = ProcessPoolExecutor(
        1,
        mp_context=get_context(start),
        initializer=_helper_started,
        initargs=(preload, one_thread),
    )
    try:
        with uninterrupted():
            pool.submit(int)  # starts the process now
        yield SpareCore(pool)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def spare_core(
    wanted: bool = True, preload: tuple[str, ...] = ()
) -> AbstractContextManager[SpareCore]:
    """A :func:`separate_process` on the machine's other core, held to one thread (it works
    beside its parent), when ``wanted`` and this process may run on two cores or more; else
    a :class:`SpareCore` that runs calls here.

    On Linux the helper is a fork of this process once it has imported the ``preload``
    modules (which it needs next in any case): it is ready at once and imports nothing.
    A spawned helper imported them for a second of a core's time while its parent read
    the scan, and slowed that reading by a third (the two cores share a cache; measured on
    a 400k-face fit: 1.9 -> 1.3 s to read and analyse the scan, 1.3 s of processor time
    less in all). Its calls (geometry checks, fast stiffness, pictures) use no OpenMP: a
    fork is safe for them wherever it is taken. Elsewhere a fresh interpreter that imports
    ``preload`` as it starts."""
    wanted = wanted and usable_cores() >= 2
    if not (wanted and sys.platform.startswith("linux")):
        return separate_process(wanted, preload, one_thread=True)
    for name in preload:
        importlib.import_module(name)
    return separate_process(wanted, preload, one_thread=True, start="fork")


#: The value a worker last took out of a :class:`Shipped` (by its block's name): a worker
#: that runs several tasks on the same value unpacks it once.
_UNPACKED: Kept[str, Any] = Kept(1)


@dataclass(frozen=True, slots=True)
class Shipped(Generic[T]):
    """A value put once in shared memory for worker processes (:func:`ship`): what a task
    carries instead of the value (the block's ``name``, the value's pickle ``outline``
    without its arrays' bytes, and where in the block each array's bytes lie)."""

    name: str
    outline: bytes
    spans: tuple[tuple[int, int], ...]

    def value(self) -> T:
        """The value, a copy of its own for this process (taken out once per process)."""
        found = _UNPACKED.get(self.name)
        if found is None:
            block = SharedMemory(self.name)
            try:
                buf = block.buf
                assert buf is not None  # an open block has its buffer
                buffers = [bytearray(buf[at : at + size]) for at, size in self.spans]
            finally:
                block.close()
            found = pickle.loads(self.outline, buffers=buffers)
            _UNPACKED.keep(self.name, found)
        return found


@contextmanager
def ship(value: T) -> Iterator[Shipped[T]]:
    """``value`` put in shared memory (its arrays' bytes; the rest pickled beside them) for
    as long as the block is open, to be handed to worker processes: each task then carries
    a few bytes, not the value, and each worker copies it out once (:meth:`Shipped.value`).

    A comparison's shared scan, legs and skin samples are 120 MB: pickled through a
    process pool's pipe for each of three candidates they held the candidates back for
    two seconds (measured); copied out of shared memory, a tenth of a second.
    """
    buffers: list[pickle.PickleBuffer] = []
    outline = pickle.dumps(value, protocol=5, buffer_callback=buffers.append)
    raw = [buffer.raw() for buffer in buffers]
    block = SharedMemory(create=True, size=max(1, sum(r.nbytes for r in raw)))
    try:
        buf = block.buf
        assert buf is not None  # an open block has its buffer
        spans, at = [], 0
        for r in raw:
            buf[at : at + r.nbytes] = r
            spans.append((at, r.nbytes))
            at += r.nbytes
        yield Shipped(block.name, outline, tuple(spans))
    finally:
        block.close()
        block.unlink()
