"""How many threads the numeric libraries use in a process that runs beside others.

A fitting uses both cores of a small machine in places (numpy's BLAS, the OpenMP of the
nearest-sample search, libigl's threads). Processes that each fit a case side by side
(a batch's workers, a comparison's candidates) do better with one thread each: two cases
on two cores with two threads each ran 10-16 % slower than with one.
"""

from __future__ import annotations

import os

from threadpoolctl import threadpool_limits

__all__ = ["THREAD_VARIABLES", "one_thread_each"]

#: The variables the libraries read for their thread counts.
THREAD_VARIABLES = ("IGL_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")


def one_thread_each() -> None:
    """Limit this process's numeric libraries to one thread each: the variables for those
    that read them at their first parallel call (unless already set), and the pools of
    those already loaded (BLAS, OpenMP) as they stand."""
    for name in THREAD_VARIABLES:
        os.environ.setdefault(name, "1")
    threadpool_limits(1)
