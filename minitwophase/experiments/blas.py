"""The BLAS under NumPy and its thread count: they change the last bits of every matrix product.

Summation order depends on the BLAS kernel and on how many threads split a product, so the
same seed gives bit-identical numbers only with the same library, kernel and thread count
(measured: 1 vs 2 OpenBLAS threads differ by 2e-16 after one epoch and by 1.6e-5 relative
after 80 epochs of adam+cg). ``blas_info()`` records them in results.json; ``repeat_command``
prefixes the run's command with the thread count, e.g. ``OPENBLAS_NUM_THREADS=1 minitwophase
run ...``. The build comes from ``numpy.show_config(mode="dicts")``; the kernel chosen at run
time and the live thread count from threadpoolctl when it happens to be installed (optional),
else the thread count from the environment variable the library reads.
Layer: experiments (numpy and the standard library only).
"""
from __future__ import annotations

import os

import numpy as np

# The variable each BLAS reads first for its thread count (OMP_NUM_THREADS is the fallback
# both OpenBLAS and MKL read after their own).
THREAD_VARIABLES = {"openblas": "OPENBLAS_NUM_THREADS", "mkl": "MKL_NUM_THREADS",
                    "blis": "BLIS_NUM_THREADS"}


def _build():
    """(library name, version, build configuration) from NumPy's build information."""
    try:
        deps = np.show_config(mode="dicts").get("Build Dependencies", {})
    except (TypeError, AttributeError, ValueError):       # NumPy < 1.26: no mode="dicts"
        deps = {}
    blas = deps.get("blas") or {}
    return (str(blas.get("name") or "unknown"), blas.get("version"),
            blas.get("openblas configuration"))


def _family(name):
    name = (name or "").lower()
    return next((k for k in THREAD_VARIABLES if k in name), None)


def blas_info():
    """{"library", "version", "kernel", "threads", "threads_from", "variable", "build"} of
    NumPy's BLAS (and "libraries": every BLAS loaded, when threadpoolctl can list them)."""
    name, version, build = _build()
    family = _family(name)
    info = {"library": name, "version": version, "kernel": None, "threads": None,
            "threads_from": None, "variable": THREAD_VARIABLES.get(family, "OMP_NUM_THREADS"),
            "build": build}
    try:
        from threadpoolctl import threadpool_info       # optional: not a requirement
    except ImportError:
        pools = []
    else:
        pools = [p for p in threadpool_info() if p.get("user_api") == "blas"]
    if pools:      # NumPy's own first (SciPy may bundle a second BLAS: recorded under "libraries")
        pools.sort(key=lambda p: "numpy" not in str(p.get("filepath", "")))
        info["libraries"] = [{k: p.get(k) for k in ("internal_api", "version", "architecture",
                                                     "num_threads", "threading_layer")}
                             | {"file": os.path.basename(str(p.get("filepath", "")))} for p in pools]
        pool = pools[0]
        family = _family(pool.get("internal_api")) or family
        info.update(kernel=pool.get("architecture"), threads=pool.get("num_threads"),
                    threads_from="threadpoolctl", version=pool.get("version") or version,
                    variable=THREAD_VARIABLES.get(family, info["variable"]))
        return info
    for var in (info["variable"], "OMP_NUM_THREADS"):
        value = os.environ.get(var, "").strip()
        if value.isdigit() and int(value) > 0:
            info.update(threads=int(value), threads_from=var)
            return info
    # Neither measured nor set: OpenBLAS and MKL then use one thread per core.
    info.update(threads=os.cpu_count(), threads_from="assumed: one per core (nothing set)")
    return info


def repeat_command(experiment, blas=None):
    """The command that repeats the run exactly: the BLAS thread count, then the run's flags."""
    blas = blas_info() if blas is None else blas
    if not blas.get("threads"):
        return experiment.command_line()
    return f"{blas['variable']}={int(blas['threads'])} " + experiment.command_line()


__all__ = ["blas_info", "repeat_command", "THREAD_VARIABLES"]
