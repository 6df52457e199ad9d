"""The helper process: the same answers as here, errors handed back, a dead helper survived."""

from __future__ import annotations

import os
import pickle

import numpy as np
import pytest
import trimesh

from afofit.geometry.checks import self_intersecting_pairs
from afofit.threads import (
    HERE,
    YIELD_NICENESS,
    Shipped,
    SpareCore,
    separate_process,
    ship,
    spare_core,
    uninterrupted,
    usable_cores,
    yield_cores,
)

needs_two_cores = pytest.mark.skipif(usable_cores() < 2, reason="one core: no helper process")


def _die_unless_in(pid: int) -> int:
    """Kills the process it runs in unless that is ``pid``; there, returns 7."""
    if os.getpid() != pid:
        os._exit(3)
    return 7


def _fail() -> None:
    raise ValueError("bad input")


def test_here_runs_at_once_and_keeps_the_error_for_result() -> None:
    assert not HERE.parallel
    assert HERE.submit(sum, [1, 2, 3]).result() == 6
    pending = HERE.submit(_fail)  # no raise yet: as from a pool
    with pytest.raises(ValueError, match="bad input"):
        pending.result()


def test_without_wanting_one_there_is_no_helper() -> None:
    with spare_core(wanted=False) as spare:
        assert spare is HERE


@needs_two_cores
def test_the_helper_gives_the_same_answers_and_errors() -> None:
    # Two crossed triangles and a lone one: one intersecting pair, counted there as here.
    vertices = np.array(
        [[0, 0, 0], [2, 0, 0], [0, 2, 0], [0.5, 0.5, -1], [0.5, 0.5, 1], [1.5, 0.2, 0],
         [9, 9, 9], [10, 9, 9], [9, 10, 9]], dtype=np.float64,
    )  # fmt: skip
    faces = np.array([[0, 1, 2], [3, 4, 5], [6, 7, 8]], dtype=np.int64)
    with spare_core(preload=("afofit.geometry.checks",)) as spare:
        assert spare.parallel
        mesh = trimesh.Trimesh(vertices, faces, process=False)
        there = spare.submit(self_intersecting_pairs, mesh).result()
        with pytest.raises(ValueError, match="bad input"):
            spare.submit(_fail).result()

    assert there == self_intersecting_pairs(mesh) == 1


@needs_two_cores
def test_a_helper_that_dies_is_not_the_end() -> None:
    with spare_core() as spare:
        first = spare.submit(_die_unless_in, os.getpid())
        assert first.result() == 7  # the helper died: the call ran again here
        assert spare.submit(sum, [4, 5]).result() == 9  # and later calls too


def test_a_spare_core_without_a_pool_runs_here() -> None:
    assert SpareCore().submit(max, 3, 8).result() == 8


def _unshipped(shipped: Shipped[dict[str, np.ndarray]]) -> tuple[float, int]:
    """In a worker: the sum of the shipped array but its first value (which it changes)
    and the length of the shipped text."""
    value = shipped.value()
    again = shipped.value()  # taken out once: the same object
    assert again is value
    value["a"][0] = -1.0  # a copy of its own: the sender's stays as it was
    return float(value["a"][1:].sum()), len(value["b"])


def test_a_shipped_value_reaches_a_worker_whole_and_its_block_is_freed() -> None:
    from multiprocessing.shared_memory import SharedMemory

    value = {"a": np.arange(100_000, dtype=np.float64), "b": "text", "c": None}
    with ship(value) as shipped:
        assert len(pickle.dumps(shipped)) < 10_000  # the arrays' bytes are not in the task
        with separate_process(True, one_thread=True) as there:
            total, length = there.submit(_unshipped, shipped).result()
        assert (total, length) == (float(np.arange(1, 100_000).sum()), 4)
        assert value["a"][0] == 0.0
    with pytest.raises(FileNotFoundError):
        SharedMemory(shipped.name)


def _yielded() -> tuple[int, int, int]:
    """The priority of the process it runs in before and after yielding the cores, and after
    yielding again."""
    before = os.getpriority(os.PRIO_PROCESS, 0)
    yield_cores()
    once = os.getpriority(os.PRIO_PROCESS, 0)
    yield_cores()
    return before, once, os.getpriority(os.PRIO_PROCESS, 0)


def test_a_process_that_yields_the_cores_runs_at_the_yielding_priority() -> None:
    # In a process of its own: this one's priority stays as it is.
    with separate_process() as helper:
        before, once, twice = helper.submit(_yielded).result()
    assert once == twice == max(before, YIELD_NICENESS)


def test_ctrl_c_is_held_while_work_is_handed_to_a_pool() -> None:
    """A Ctrl-C that comes while a pool is handed its work (uninterrupted) is raised once
    the hand-over is done, not inside it (where it can leave the pool's lock held), and
    Python's own handler is back after the block, whether it came or not."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signals are handled in the main thread; these tests run in another")
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        done = []
        with pytest.raises(KeyboardInterrupt), uninterrupted():
            os.kill(os.getpid(), signal.SIGINT)
            done.append("the rest of the block ran")
        assert done == ["the rest of the block ran"]
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
        with uninterrupted():
            done.append("quiet")
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
        # Elsewhere than the main thread it changes nothing (and raises nothing).
        seen: list[object] = []

        def elsewhere() -> None:
            with uninterrupted():
                seen.append(signal.getsignal(signal.SIGINT))

        thread = threading.Thread(target=elsewhere)
        thread.start()
        thread.join()
        assert seen == [signal.default_int_handler]
        # A handler of the program's own is handed the Ctrl-C after the block, once.
        told: list[int] = []

        def own(number: int, _: object) -> None:
            told.append(number)

        signal.signal(signal.SIGINT, own)
        with uninterrupted():
            os.kill(os.getpid(), signal.SIGINT)
            os.kill(os.getpid(), signal.SIGINT)
            assert told == []
        assert told == [signal.SIGINT] and signal.getsignal(signal.SIGINT) is own
    finally:
        signal.signal(signal.SIGINT, before)
