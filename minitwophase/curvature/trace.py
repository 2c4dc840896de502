"""Hutchinson's trace estimator: tr(H) = E[z^T H z] for z with i.i.d. +-1 entries.

With m Rademacher probes the estimate is the sample mean of z_i^T H z_i and its standard error
is the sample standard deviation / sqrt(m) (Hutchinson 1990; PyHessian, Yao et al. 2020).
Rademacher probes have the smallest variance among i.i.d. probes: 2 sum_{i != j} H_ij^2.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validate import positive_int
from ._checks import check_seed
from .hvp import HessianOperator


@dataclass
class TraceEstimate:
    value: float            # the mean of z^T H z
    stderr: float           # its standard error (sample std / sqrt(m)); nan for m = 1
    samples: np.ndarray     # the m values z_i^T H z_i
    n_hvp: int
    n_evals: int


def trace(fun, x, n_samples=64, seed=0):
    """Hutchinson estimate of tr(H(x)) from ``n_samples`` seeded Rademacher probes.

    tr(H) = E[z^T H z] for z with independent +-1 entries; each sample costs one Hessian-vector
    product (two gradients).

    Parameters
    ----------
    fun : callable
        ``fun(x) -> (f, g)``.
    x : ndarray
        The point, 1-D.
    n_samples : int, default 64
        Number of probes, >= 1.
    seed : int, default 0
        Seed of the probes (the estimate repeats bit for bit).

    Returns
    -------
    TraceEstimate
        ``value`` (the mean of the samples), ``stderr``, ``samples``, ``n_hvp``, ``n_evals``.

    Raises
    ------
    ValueError
        ``n_samples`` below 1, or an x that is not a finite 1-D array, naming the argument.

    Examples
    --------
    >>> import numpy as np
    >>> from minitwophase import curvature
    >>> A = np.diag([-1.0, 0.5, 2.0, 4.0])              # a saddle: one negative eigenvalue
    >>> fun = lambda x: (0.5 * x @ A @ x, A @ x)
    >>> curvature.trace(fun, np.zeros(4), n_samples=16).value    # exact for a diagonal H
    5.5
    """
    n_samples, seed = positive_int(n_samples, "n_samples"), check_seed(seed)
    op = HessianOperator(fun, x)
    rng = np.random.default_rng(seed)
    samples = np.empty(n_samples)
    for i in range(n_samples):
        z = rng.choice((-1.0, 1.0), size=op.shape[0])
        samples[i] = z @ op.matvec(z)
    stderr = samples.std(ddof=1) / np.sqrt(n_samples) if n_samples > 1 else float("nan")
    return TraceEstimate(float(samples.mean()), float(stderr), samples, op.n_hvp, op.n_evals)
