"""Timing and memory helpers shared by the benchmarks."""

from __future__ import annotations

import statistics
import time
import tracemalloc


def median_time(fn, repeats):
    """Median seconds of ``repeats`` calls after one warm-up call.

    One library at a time: interleaving makes each pay for the other's spinning worker
    threads (OpenBLAS and OpenMP both busy-wait after a parallel call).
    """
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def traced_peak(fn):
    """Peak bytes Python allocations reach during one call of ``fn`` (tracemalloc)."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak
