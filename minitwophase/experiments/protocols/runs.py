"""A protocol's runs and where they go: this process, N local processes, or a Dask cluster.

A protocol is independent runs (cell x seed x method). Each is a ``Task`` (plain data, so it
pickles) that ``run_task`` trains through ``experiment.run_experiment`` (with the swap-time
curvature probe, CurvatureProbe.swap_only, inside the same process) and returns as plain
data: the run (``history.Run.to_dict``), its swap curvature and its cell's sizes. The table is
assembled from these in the parent (table.py), whatever ran them.

``executor(jobs, scheduler)``: ``None`` (serial, in this process), a
``concurrent.futures.ProcessPoolExecutor`` of ``jobs`` "spawn" processes, or a Dask
distributed Client's executor (``client.get_executor()``) for ``scheduler`` (an address or a
Cluster; the optional extra ``cluster``). The same BLAS kernel gives the same numbers only at
the same thread count (blas.py), so every run is pinned to one BLAS thread: the pool's workers
start with OPENBLAS/OMP/MKL_NUM_THREADS=1 in their environment before NumPy loads, and every
run (serial ones too) runs under threadpoolctl's limit of one thread when it is installed; the
threads a run saw are recorded with it. A run's numbers are then the same on any route.

Layer: experiments; map: docs/architecture.md.
"""
from __future__ import annotations

import os
import signal
import threading
from concurrent.futures import FIRST_COMPLETED, wait
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from functools import lru_cache

from ... import datasets
from ...models import build_model, layout_for
from ...nn.macs import macs_per_sample
from ...training import TrainConfig
from ...training.curvature_probe import CurvatureProbe
from ..blas import blas_info
from ..experiment import Experiment, run_experiment
from .cell import SETUP, Cell

THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
# The keys of a swap-curvature record kept in a cell's JSON (the table's columns read them).
CURVATURE_KEYS = ("lambda_min", "lambda_max", "ratio", "negative_mass", "converged", "convex", "verdict",
                  "margin", "rel_tol", "message", "samples", "epoch")


@dataclass(frozen=True)
class Task:
    index: int                       # position in the serial order (cell, then seed, then method)
    cell: Cell
    method: str
    seed: int
    curvature: dict | None = None    # swap probe options ("samples", "seeds", probe options); None: none


def experiment_for(cell, methods, seeds):
    """The cell's comparison: the paper's SETUP with the cell's epochs, chunks, checks, head, scale."""
    train = TrainConfig(epochs=cell.epochs, chunk_size=cell.chunk_size, check_every=cell.check_every,
                        init_scale=cell.init_scale, **SETUP)
    return Experiment(dataset=cell.dataset, model=cell.model, head=cell.head, methods=tuple(methods),
                      seeds=tuple(seeds), train=train).validate()


@lru_cache(maxsize=2)
def _data(dataset, layout, val_fraction, data_seed):
    """The data set as experiment.load_data loads it, once per process (a process runs many
    runs of one cell)."""
    return datasets.load(dataset, layout=layout, val_fraction=val_fraction, seed=data_seed)


def forget_data():
    _data.cache_clear()


def _probe_factory(curvature, seed):
    if curvature is None:
        return None
    opts = dict(curvature)
    seeds, samples = opts.pop("seeds", None), opts.pop("samples", None)
    if seeds is not None and seed not in seeds:
        return None
    return lambda method, s: [CurvatureProbe.swap_only(samples=samples, seed=s, **opts)]


@contextmanager
def one_blas_thread():
    """One BLAS thread inside (threadpoolctl, when installed); yields the thread count seen."""
    try:
        from threadpoolctl import threadpool_limits      # optional: not a requirement
    except ImportError:
        limit = nullcontext()
    else:
        limit = threadpool_limits(limits=1, user_api="blas")
    with limit:
        yield blas_info()


def run_task(task, log=None, progress_every=10):
    """Train one run; returns plain data (picklable, JSON-ready): the run, its swap curvature,
    its cell's sizes, the BLAS threads, whether it was interrupted, its wall time."""
    with one_blas_thread() as blas:
        exp = experiment_for(task.cell, (task.method,), (task.seed,))
        data = _data(exp.dataset, layout_for(exp.model), exp.val_fraction, exp.data_seed)
        net = build_model(exp.model, data.image_shape, data.n_classes, exp.activation, head=exp.head)
        sizes = {"data": data.description, "n_train": len(data.y_train), "n_outputs": data.n_classes,
                 "n_params": net.size, "macs_per_sample": macs_per_sample(net, data.X_train.shape[1:])}
        outcome = run_experiment(exp, data=data, net=net, log=log, progress_every=progress_every,
                                 probes=_probe_factory(task.curvature, task.seed))
    run = outcome.runs[0] if outcome.runs else None
    swap = None if run is None else run.swap_curvature
    curvature = None
    if swap is not None:
        curvature = {k: swap.get(k) for k in CURVATURE_KEYS}
        curvature["cost_epochs_of_subset"] = run.rows[-1].get("diag_cost")
    return {"index": task.index, "cell": task.cell.name, "method": task.method, "seed": task.seed,
            "run": None if run is None else run.to_dict(), "curvature": curvature, "sizes": sizes,
            "interrupted": outcome.interrupted, "wall_time": outcome.wall_time,
            "blas_threads": blas.get("threads")}


# ---------------------------------------------------------------- executors
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)   # the ones cli/signals.py handles too
_STOPPING = None          # in a local pool's worker: the parent's "stop" event


def _ignore_stop_signals():
    for sig in STOP_SIGNALS:
        signal.signal(sig, signal.SIG_IGN)


def _worker_start(stopping):
    """A pool worker: Ctrl-C and SIGTERM (a batch scheduler signals every process of a job)
    are ignored between runs; inside one the first stops the run (below)."""
    global _STOPPING
    _STOPPING = stopping
    _ignore_stop_signals()
    for var in THREAD_VARIABLES:
        os.environ[var] = "1"


def _stop_once(signum, frame):
    _ignore_stop_signals()                              # one stop per run: the finish is not cut
    raise KeyboardInterrupt


def _interruptible(fn, *args):
    """Run ``fn(*args)`` in a worker so that a Ctrl-C or SIGTERM (its own, or the Ctrl-C
    Pool.interrupt forwards) stops it the way it stops a serial run: the trainer keeps the rows
    so far and returns. None if the pool was stopping before it began, or it stopped outside
    training."""
    for sig in STOP_SIGNALS:                            # first, so no signal falls between
        signal.signal(sig, _stop_once)
    try:
        if _STOPPING is not None and _STOPPING.is_set():
            return None
        return fn(*args)
    except KeyboardInterrupt:
        return None
    finally:
        _ignore_stop_signals()


@contextmanager
def _one_thread_environment():
    """OPENBLAS/OMP/MKL_NUM_THREADS=1 in os.environ while workers are spawned (they inherit it
    before NumPy loads; this process's BLAS read its own at start and is left alone)."""
    saved = {v: os.environ.get(v) for v in THREAD_VARIABLES}
    os.environ.update(dict.fromkeys(THREAD_VARIABLES, "1"))
    try:
        yield
    finally:
        for v, value in saved.items():
            if value is None:
                os.environ.pop(v, None)
            else:
                os.environ[v] = value


class Pool:
    """A concurrent.futures executor for ``jobs`` local processes or a Dask ``scheduler``, with
    a ``stop()`` that cancels what has not started and ends what runs."""

    def __init__(self, jobs=None, scheduler=None):
        self.client = None
        if scheduler is not None:
            try:
                from distributed import Client
            except ImportError:
                raise ImportError("--scheduler needs Dask distributed: pip install 'minitwophase[cluster]'") from None
            self.client = Client(scheduler)
            self.executor = self.client.get_executor(pure=False)
            self.workers = len(self.client.scheduler_info().get("workers", {})) or None
            self.where = f"Dask cluster {self.client.scheduler.address} ({self.workers} workers)"
        else:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor
            context = multiprocessing.get_context("spawn")
            self.environment = _one_thread_environment()
            self.environment.__enter__()
            self.stopping = context.Event()
            self.executor = ProcessPoolExecutor(max_workers=jobs, mp_context=context,
                                                initializer=_worker_start, initargs=(self.stopping,))
            self.workers, self.where = jobs, f"{jobs} local processes"

    def submit(self, fn, *args):
        if self.client is None:
            return self.executor.submit(_interruptible, fn, *args)
        return self.executor.submit(fn, *args)

    def interrupt(self):
        """Local processes: start no more runs and send each worker a Ctrl-C, which stops its
        run with the rows so far (collect them, then stop()); True. A Dask cluster: False."""
        if self.client is not None:
            return False
        self.stopping.set()                             # before the signal: see _interruptible
        procs = dict(getattr(self.executor, "_processes", None) or {})
        for proc in procs.values():
            if proc.is_alive():
                os.kill(proc.pid, signal.SIGINT)
        return True

    def stop(self):
        """Cancel the pending runs and end the running ones (on a Dask cluster, or after a
        second Ctrl-C, their partial rows are lost)."""
        if self.client is None:
            procs = dict(getattr(self.executor, "_processes", None) or {})   # the pool's own workers
            self.executor.shutdown(wait=False, cancel_futures=True)
            for proc in procs.values():
                if proc.is_alive():
                    proc.kill()                         # SIGKILL: the workers ignore SIGTERM
        else:
            self.executor.shutdown(wait=False)

    def close(self):
        try:
            if self.client is None:
                self.executor.shutdown(wait=True, cancel_futures=True)
                self.environment.__exit__(None, None, None)
            else:
                self.executor.shutdown(wait=False)
                self.client.close()
        except KeyboardInterrupt:           # a second Ctrl-C while closing: the results are written
            pass


def as_finished(pool, calls, poll=0.5):
    """Submit every ``(fn, *args)`` of ``calls`` to ``pool``; yield the results as they finish.
    A Ctrl-C only raises a flag (Python drops a KeyboardInterrupt raised inside a finalizer
    or weakref callback, which a waiting executor runs often), seen between results. Then, on
    local processes, the runs under way are stopped (Pool.interrupt) and their partial results
    yielded as they come back; a second Ctrl-C (or a Dask cluster) ends them at once
    (Pool.stop). KeyboardInterrupt is raised here after that. SIGTERM (a batch scheduler's
    time limit) is handled as Ctrl-C; the signals seen are handed on to the handlers they
    replaced (a verb's StopSignals learns that a SIGTERM came)."""
    flagged = []
    main = threading.current_thread() is threading.main_thread()
    previous = {sig: signal.signal(sig, lambda signum, frame: flagged.append(signum))
                for sig in STOP_SIGNALS} if main else {}
    pending = set()
    try:
        pending = {pool.submit(*call) for call in calls}
        while pending:
            if flagged:
                raise KeyboardInterrupt
            done, pending = wait(pending, timeout=poll, return_when=FIRST_COMPLETED)
            for future in done:
                yield future.result()
    except KeyboardInterrupt:
        if pool.interrupt():
            for future in pending:
                future.cancel()                                 # those not yet handed to a worker
            seen = len(flagged)
            while pending and len(flagged) <= seen:             # until every run is back, or Ctrl-C again
                done, pending = wait(pending, timeout=poll, return_when=FIRST_COMPLETED)
                for future in done:
                    if not future.cancelled() and future.exception() is None and future.result() is not None:
                        yield future.result()
        pool.stop()
        raise
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        for sig in dict.fromkeys(flagged):
            if callable(previous.get(sig)):
                try:
                    previous[sig](sig, None)
                except KeyboardInterrupt:                       # raised below anyway
                    pass


def finished_line(done, total, result):
    """``[3/48] mnist5k-mlp adam+cg seed 1: completed, train loss 0.01234, val acc 0.912, 12 s``"""
    run = result["run"] or {}
    last = (run.get("rows") or [{}])[-1]
    loss, acc = last.get("train_loss"), last.get("val_acc")
    return (f"[{done}/{total}] {result['cell']} {result['method']} seed {result['seed']}: "
            f"{run.get('status', 'not started')}, train loss {'nan' if loss is None else format(loss, '.5f')}, "
            f"val acc {'nan' if acc is None else format(acc, '.3f')}, {result['wall_time']:.0f} s")
