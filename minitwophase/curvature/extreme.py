"""The Hessian's smallest and largest eigenvalues at one point, from products H v only.

Two routes that must agree (tests check both against numpy.linalg.eigvalsh):
  "eigsh"    scipy.sparse.linalg.eigsh (ARPACK's implicitly restarted Lanczos) on a
             LinearOperator, which="BE": both ends of the spectrum from one Krylov space.
  "lanczos"  the hand-written Lanczos with full reorthogonalisation (lanczos.py), stopped
             when both extreme Ritz pairs have residual |H y - theta y| <= tol |theta|.
Both stop on ARPACK's criterion, a residual relative to the eigenvalue itself, so tol is
(at most) the relative error of each eigenvalue: |theta - lambda| <= |H y - theta y|.

Measured caveat: near a minimum lambda_min sits inside the large cluster of near-zero
eigenvalues, and a residual relative to a tiny |lambda_min| is hard for a restarted method:
on lesson 09's trained toy network eigsh (ncv 20) had not converged after 32,000 products,
where the unrestarted Lanczos needed 531. eigsh then reports nan and converged=False; use
method="lanczos" there (its memory is one length-n vector per product: max_hvp * n floats).
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from scipy.sparse.linalg import ArpackNoConvergence, eigsh

from .._validate import choice, positive_int
from ._checks import check_seed, check_tol
from .hvp import HessianOperator
from .lanczos import lanczos

METHODS = ("eigsh", "lanczos")


@dataclass
class ExtremeEigenvalues:
    lambda_min: float
    lambda_max: float
    n_hvp: int              # Hessian-vector products used
    n_evals: int            # gradient evaluations they cost (2 per product)
    converged: bool         # False: max_hvp reached first; the values are the best so far
    method: str
    seconds: float

    @property
    def ratio(self):
        """lambda_min / lambda_max: < 0 means a saddle, >= 0 a locally convex point."""
        return self.lambda_min / self.lambda_max if self.lambda_max != 0 else float("nan")


def extreme_eigenvalues(fun, x, tol=1e-6, seed=0, method="eigsh", max_hvp=None):
    """lambda_min and lambda_max of the Hessian of ``fun(x) -> (f, g)`` at ``x``.

    The start vector is drawn from ``numpy.random.default_rng(seed)``, so a seed repeats the
    numbers bit for bit. ``max_hvp`` bounds the products (default 1000); if it is reached
    first, ``converged`` is False and an end that has not converged is nan (eigsh) or the
    best Ritz value so far (lanczos).

    Parameters
    ----------
    fun : callable
        ``fun(x) -> (f, g)``.
    x : ndarray
        The point, 1-D.
    tol : float, default 1e-6
        Relative accuracy of each eigenvalue (ARPACK's, for both methods).
    seed : int, default 0
        Seed of the start vector.
    method : {"eigsh", "lanczos"}, default "eigsh"
        ``scipy.sparse.linalg.eigsh`` on a LinearOperator of Hessian-vector products, or the
        hand-written Lanczos with full reorthogonalisation (``curvature.lanczos``).
    max_hvp : int, optional
        Limit on Hessian-vector products (default 1000).

    Returns
    -------
    ExtremeEigenvalues
        ``lambda_min``, ``lambda_max`` (floats), ``n_hvp`` (products used), ``converged``.

    Raises
    ------
    ValueError
        An unknown method or an option out of range, naming it.

    Examples
    --------
    >>> import numpy as np
    >>> from minitwophase import curvature
    >>> A = np.diag([-1.0, 0.5, 2.0, 4.0])              # a saddle: one negative eigenvalue
    >>> r = curvature.extreme_eigenvalues(lambda x: (0.5 * x @ A @ x, A @ x), np.zeros(4))
    >>> round(r.lambda_min, 6), round(r.lambda_max, 6)
    (-1.0, 4.0)
    """
    tol, seed = check_tol(tol), check_seed(seed)
    choice(method, "method", METHODS)
    op = HessianOperator(fun, x)
    n = op.shape[0]
    max_hvp = 1000 if max_hvp is None else positive_int(max_hvp, "max_hvp")
    v0 = np.random.default_rng(seed).standard_normal(n)
    start = time.perf_counter()
    if n <= 2:                      # ARPACK needs k < n: build the tiny Hessian column by column
        H = np.column_stack([op.matvec(e) for e in np.eye(n)])
        lam = np.linalg.eigvalsh(0.5 * (H + H.T))
        lo, hi, converged = lam[0], lam[-1], True
    elif method == "eigsh":
        lo, hi, converged = _eigsh(op, tol, v0, max_hvp)
    else:
        lo, hi, converged = _lanczos(op, tol, v0, max_hvp)
    converged = bool(converged)
    return ExtremeEigenvalues(float(lo), float(hi), op.n_hvp, op.n_evals, converged, method,
                              time.perf_counter() - start)


def _eigsh(op, tol, v0, max_hvp):
    n = op.shape[0]
    ncv = min(n, 20)
    # ARPACK counts restarts, not products; each restart costs at most ncv - k products.
    maxiter = max(1, (max_hvp - ncv) // (ncv - 2) + 1)
    try:
        lam = eigsh(op, k=2, which="BE", tol=tol, v0=v0, ncv=ncv, maxiter=maxiter,
                    return_eigenvectors=False)
        return lam.min(), lam.max(), True
    except ArpackNoConvergence as exc:
        lam = np.sort(exc.eigenvalues)
        # which="BE": with both converged they are the two ends; one alone cannot be placed
        return (lam[0], lam[-1], False) if lam.size == 2 else (np.nan, np.nan, False)


def _lanczos(op, tol, v0, max_hvp):
    def converged(res):
        theta, r = res.residuals()
        return r[0] <= tol * abs(theta[0]) and r[-1] <= tol * abs(theta[-1])

    res = lanczos(op.matvec, v0, min(max_hvp, op.shape[0]), callback=converged)
    theta, _, _ = res.ritz()
    return theta[0], theta[-1], res.beta_last == 0.0 or converged(res)
