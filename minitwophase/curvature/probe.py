"""One curvature measurement at one point, sized for a training loop, and its verdict.

``probe`` runs one Lanczos process (full reorthogonalisation) from a seeded Rademacher vector
until both extreme Ritz pairs have converged to ``tol`` (relative residual, as ARPACK's), so
lambda_min and lambda_max come from the same Krylov space as the first probe of the stochastic
Lanczos quadrature; ``n_vectors - 1`` further probes of ``steps`` steps complete the density.

Negative spectral mass: the quadrature measure's weight on eigenvalues below
-NEGATIVE_FRACTION * |lambda_max| (default 1e-3). Why that threshold: an overparameterised
network's Hessian has a large bulk of near-zero eigenvalues whose sign is noise (the HVP's
finite-difference error is ~1e-8 |lambda_max|, and each Ritz value is only resolved to about
the extreme eigenvalues' tolerance); counting only eigenvalues more negative than 0.1 % of the
largest one makes the mass measure curvature the measurement can actually resolve, the same
resolution at which ``convex_verdict`` calls a point convex.
"""
from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from scipy.linalg import eigh_tridiagonal

from .._validate import positive_int, real_number
from ._checks import check_seed, check_tol
from .density import SpectralDensity, slq_nodes, smooth
from .hvp import HessianOperator
from .lanczos import lanczos

NEGATIVE_FRACTION = 1e-3     # eigenvalues below -1e-3 |lambda_max| count as negative
CONVEX_TOL = 1e-3            # lambda_min >= -1e-3 lambda_max: convex at the measurement's resolution
ROW_KEYS = ("lambda_min", "lambda_max", "ratio", "negative_mass", "n_hvp", "n_evals", "seconds")


@dataclass
class CurvatureRecord:
    lambda_min: float
    lambda_max: float
    ratio: float                  # lambda_min / lambda_max
    negative_mass: float          # density weight below -threshold
    threshold: float              # the absolute threshold used (NEGATIVE_FRACTION |lambda_max|)
    n_hvp: int                    # Hessian-vector products
    n_evals: int                  # gradient evaluations (2 per product): the diagnostic cost
    seconds: float
    converged: bool               # False: max_hvp hit before the extremes met tol
    density: SpectralDensity | None = field(default=None, repr=False)

    def row(self):
        """The scalar fields, named for a history row (prefix ``curv_`` is the caller's choice)."""
        return {k: getattr(self, k) for k in ROW_KEYS}


def check_options(seed=0, tol=1e-3, n_vectors=2, steps=40, max_hvp=300,
                  negative_fraction=NEGATIVE_FRACTION):
    """probe's options checked (ValueError/TypeError naming each), e.g. before a long setup."""
    return (check_seed(seed), check_tol(tol), positive_int(n_vectors, "n_vectors"),
            positive_int(steps, "steps"), positive_int(max_hvp, "max_hvp"),
            real_number(negative_fraction, "negative_fraction", low=0.0))


def probe(fun, theta, seed=0, tol=1e-3, n_vectors=2, steps=40, max_hvp=300,
          negative_fraction=NEGATIVE_FRACTION):
    """Extreme eigenvalues, their ratio and the negative spectral mass of H(theta).

    ``fun(theta) -> (f, g)``; nothing in ``theta`` is changed. Costs n_hvp products, each two
    gradient evaluations of ``fun`` (reported as n_evals, for the caller's cost column). In a
    training loop, pass an objective that does not charge the method's own cost (e.g. a second
    training.Objective on the same data: n_evals full-batch evaluations = n_evals
    epoch-equivalents) and a seed that differs per checkpoint if independent probes are wanted.
    ``record.row()`` holds the scalars for a history row; ``record.density`` the density.

    Parameters
    ----------
    fun : callable
        ``fun(theta) -> (f, g)``.
    theta : ndarray
        The point, 1-D.
    seed : int, default 0
        Seed of the Lanczos start vector and the density's probes.
    tol : float, default 1e-3
        Relative accuracy of both extreme Ritz pairs, in (0, 1).
    n_vectors, steps : int, default 2 and 40
        The spectral density's probes and Lanczos steps.
    max_hvp : int, default 300
        Limit on Hessian-vector products for the extremes.
    negative_fraction : float
        Eigenvalues below -negative_fraction * abs(lambda_max) count as negative mass.

    Returns
    -------
    CurvatureRecord
        ``lambda_min``, ``lambda_max``, ``ratio``, ``negative_mass``, ``n_hvp``, ``n_evals``,
        ``converged``, ``density``; ``row()`` for a history row.

    Raises
    ------
    ValueError
        An option out of range, naming it (``tol must lie in (0.0, 1.0), got -1.0``).

    Examples
    --------
    >>> import numpy as np
    >>> from minitwophase import curvature
    >>> A = np.diag([-1.0, 0.5, 2.0, 4.0])              # a saddle: one negative eigenvalue
    >>> fun = lambda x: (0.5 * x @ A @ x, A @ x)
    >>> r = curvature.probe(fun, np.zeros(4))
    >>> round(r.lambda_min, 6), round(r.lambda_max, 6), round(r.negative_mass, 6)
    (-1.0, 4.0, 0.25)
    """
    seed, tol, n_vectors, steps, max_hvp, negative_fraction = check_options(
        seed, tol, n_vectors, steps, max_hvp, negative_fraction)
    start = time.perf_counter()
    op = HessianOperator(fun, theta, name="theta")
    n = op.shape[0]
    rng = np.random.default_rng(seed)

    def converged(res):
        theta_, r = res.residuals()
        return r[0] <= tol * abs(theta_[0]) and r[-1] <= tol * abs(theta_[-1])

    res = lanczos(op.matvec, rng.choice((-1.0, 1.0), size=n), min(max_hvp, n),
                  callback=lambda r: r.n_matvec >= steps and converged(r))
    ritz, S = eigh_tridiagonal(res.alpha, res.beta)
    ok = res.beta_last == 0.0 or converged(res)
    nodes, weights = ritz, S[0] ** 2 / n_vectors
    if n_vectors > 1:
        more_nodes, more_weights = slq_nodes(op.matvec, n, n_vectors - 1, steps, rng)
        # slq_nodes weighted each of its probes 1 / (n_vectors - 1); here each is 1 / n_vectors
        nodes = np.r_[nodes, more_nodes]
        weights = np.r_[weights, more_weights * (n_vectors - 1) / n_vectors]
    lo, hi = float(ritz[0]), float(ritz[-1])
    threshold = negative_fraction * abs(hi)
    dens = smooth(nodes, weights, n_vectors=n_vectors, steps=steps, n_hvp=op.n_hvp, n_evals=op.n_evals)
    return CurvatureRecord(lo, hi, lo / hi if hi != 0 else float("nan"),
                           dens.mass_below(-threshold), threshold, op.n_hvp, op.n_evals,
                           time.perf_counter() - start, bool(ok), dens)


@dataclass
class Verdict:
    convex: bool        # lambda_min >= -rel_tol * lambda_max (and lambda_max > 0)
    label: str          # "convex", "convex up to flat directions" or "non-convex"
    ratio: float        # lambda_min / lambda_max
    margin: float       # ratio + rel_tol: >= 0 convex; how far from the boundary, in units of lambda_max
    rel_tol: float
    message: str


def convex_verdict(record, rel_tol=CONVEX_TOL):
    """Does the measurement call H(theta) positive semidefinite, and by how much?

    Rule: convex iff lambda_max > 0 and lambda_min >= -rel_tol * lambda_max, i.e. no direction
    curves downwards by more than ``rel_tol`` of the steepest upward curvature (the resolution
    of the measurement, see NEGATIVE_FRACTION). "convex up to flat directions" when
    |lambda_min| <= rel_tol lambda_max. ``record``: a CurvatureRecord, ExtremeEigenvalues or a
    mapping with "lambda_min" and "lambda_max" (a history row).

    Parameters
    ----------
    record : CurvatureRecord, ExtremeEigenvalues or mapping
        Holds ``lambda_min`` and ``lambda_max``.
    rel_tol : float, default 1e-3
        The resolution of the measurement, relative to lambda_max.

    Returns
    -------
    Verdict
        ``convex`` (bool), ``label`` ("convex", "convex up to flat directions" or
        "non-convex"), ``ratio`` = lambda_min / lambda_max, ``margin`` = ratio + rel_tol,
        ``rel_tol`` and a one-line ``message``.

    Raises
    ------
    TypeError
        A record without real ``lambda_min`` and ``lambda_max``.

    Examples
    --------
    >>> from minitwophase import curvature
    >>> curvature.convex_verdict({"lambda_min": -1.0, "lambda_max": 4.0}).label
    'non-convex'
    >>> curvature.convex_verdict({"lambda_min": -1e-5, "lambda_max": 1.0}).label
    'convex up to flat directions'
    """
    rel_tol = real_number(rel_tol, "rel_tol", low=0.0)
    get = record.get if isinstance(record, Mapping) else lambda k: getattr(record, k, None)
    lo, hi = get("lambda_min"), get("lambda_max")
    for name, value in (("lambda_min", lo), ("lambda_max", hi)):
        real_number(value, f"record's {name}")
    lo, hi = float(lo), float(hi)
    if hi <= 0:
        return Verdict(False, "non-convex", float("nan"), float("-inf"), rel_tol,
                       f"lambda_max = {hi:.3g} <= 0: no direction curves upwards")
    ratio = lo / hi
    convex = ratio >= -rel_tol
    label = ("convex" if ratio > rel_tol else "convex up to flat directions") if convex else "non-convex"
    msg = (f"{label}: lambda_min / lambda_max = {ratio:.3g} "
           f"({'>=' if convex else '<'} -{rel_tol:g}; lambda_min = {lo:.3g}, lambda_max = {hi:.3g})")
    return Verdict(convex, label, ratio, ratio + rel_tol, rel_tol, msg)
