"""Linear conjugate gradient: Nocedal & Wright, Numerical Optimization 2nd ed., Algorithm 5.2.

Solves A x = b, i.e. minimizes 0.5 x^T A x - b^T x, for symmetric positive definite A.
The arguments are checked once, on entry (``_arguments``); the loop is the algorithm alone.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.optimize import OptimizeResult
from scipy.sparse.linalg import LinearOperator

from .._validate import as_float_array, positive_int, real_number

_MESSAGES = {
    0: "Converged: ||r|| <= tol * ||b||.",
    1: "Maximum number of iterations has been exceeded.",
}


def _check_symmetric(diff, scale):
    if diff > 1e-10 * max(scale, np.finfo(float).tiny):
        raise ValueError(f"A must be symmetric, got max |A - A^T| = {diff:.3g}")


def _operator(A, n):
    """v -> A v, with A's shape (and symmetry, when A is stored) checked here, once."""
    if sp.issparse(A) or isinstance(A, LinearOperator):     # as scipy.sparse.linalg.cg takes
        if A.shape != (n, n):
            raise ValueError(f"A must have shape ({n}, {n}) to match b, got {A.shape}")
        if sp.issparse(A) and A.nnz:
            _check_symmetric(abs(A - A.T).max(), abs(A).max())
        return lambda v: np.asarray(A @ v, dtype=np.float64).reshape(n)
    if callable(A):
        return lambda v: np.asarray(A(v), dtype=np.float64)
    A = as_float_array(A, "A", ndim=2)
    if A.shape != (n, n):
        raise ValueError(f"A must have shape ({n}, {n}) to match b, got {A.shape}")
    _check_symmetric(np.max(np.abs(A - A.T)), np.max(np.abs(A)))
    return lambda v: A @ v


def _arguments(A, b, x0, tol, maxiter):
    """Every check of linear_cg's arguments: (matvec, b, x0 copied, A x0, tol, maxiter)."""
    b = as_float_array(b, "b", ndim=1)
    n = b.shape[0]
    matvec = _operator(A, n)
    x = np.zeros(n) if x0 is None else as_float_array(x0, "x0", ndim=1).copy()
    if x.shape != (n,):
        raise ValueError(f"x0 must have shape ({n},) to match b, got {x.shape}")
    tol = real_number(tol, "tol", low=0.0)
    maxiter = 10 * n if maxiter is None else positive_int(maxiter, "maxiter", minimum=0)
    Ax = matvec(x)                    # the first product shows what a callable A returns
    if Ax.shape != (n,):
        raise ValueError(f"A(v) must return shape ({n},), got {Ax.shape}")
    return matvec, b, x, Ax, tol, maxiter


def linear_cg(A, b, x0=None, tol=1e-10, maxiter=None):
    """Solve A x = b for symmetric positive definite A by linear CG (N&W Algorithm 5.2).

    Stops when ||r|| <= tol * ||b|| (2-norms, r = A x - b). In exact arithmetic n iterations
    suffice (N&W Theorem 5.1); in float64 more are needed (Notes). A non-positive
    curvature p^T A p <= 0 is reported (status 2), not raised: x is then the last iterate.

    Parameters
    ----------
    A : ndarray, sparse matrix, LinearOperator or callable
        The SPD matrix (n, n), or a function v -> A @ v.
    b : ndarray
        Right-hand side, shape (n,).
    x0 : ndarray, optional
        Starting point, shape (n,); zeros by default.
    tol : float, default 1e-10
        Relative residual tolerance, > 0.
    maxiter : int, optional
        Iteration limit; 10 n by default.

    Returns
    -------
    OptimizeResult
        ``x``, ``nit``, ``success``, ``status`` (0 converged, 1 maxiter, 2 A not positive
        definite along a search direction), ``message`` and ``residual_norms`` (one per
        iterate, x0's first).

    Raises
    ------
    ValueError
        Shapes of A, b or x0 that do not match, or tol/maxiter out of range, naming the argument.

    Notes
    -----
    n-step termination holds in exact arithmetic only (N&W Theorem 5.1). In float64 the
    residuals lose their mutual orthogonality and CG needs more than n iterations once A
    has a wide spread of eigenvalues; ``maxiter`` therefore defaults to 10 n. Measured by
    ``python benchmarks/cg_float64_termination.py`` (n = 20, eigenvalues log-spaced in
    [1, kappa], random eigenvectors and b, tol 1e-10, 20 seeds; median and range):
    kappa 1e2: 24 (24-25) iterations; 1e4: 38 (38-40); 1e6: 64 (61-71); 1e8: 120 (107-136).
    The same CG with each new residual re-orthogonalized against the earlier ones stops at
    exactly 20 in every case: the extra iterations are rounding (lost orthogonality), not a
    flaw of the method. tests/test_linear_cg.py checks both.

    Examples
    --------
    >>> import numpy as np, minitwophase as mtp
    >>> A = np.diag([1.0, 2.0, 3.0])           # 3 distinct eigenvalues: at most 3 iterations
    >>> res = mtp.linear_cg(A, np.ones(3))
    >>> res.nit, np.allclose(res.x, [1, 1 / 2, 1 / 3])
    (3, True)
    """
    matvec, b, x, Ax, tol, maxiter = _arguments(A, b, x0, tol, maxiter)
    r = Ax - b                        # r_0 = A x_0 - b
    p = -r                            # p_0 = -r_0
    rr = r @ r
    norms = [np.sqrt(rr)]
    stop = tol * np.linalg.norm(b)
    status, k = 1, 0
    while True:
        if norms[-1] <= stop:
            status = 0
            break
        if k >= maxiter:
            break
        Ap = matvec(p)
        pAp = p @ Ap
        if not pAp > 0:               # A is not positive definite along p
            status = 2
            break
        alpha = rr / pAp              # (5.24a)
        x = x + alpha * p             # (5.24b)
        r = r + alpha * Ap            # (5.24c)
        rr_new = r @ r
        p = -r + (rr_new / rr) * p    # (5.24d), (5.24e)
        rr = rr_new
        k += 1
        norms.append(np.sqrt(rr))

    if status == 2:
        message = (f"A is not positive definite: p^T A p = {pAp:.6g} <= 0 at iteration {k}; "
                   "returning the last iterate.")
    else:
        message = _MESSAGES[status]
    return OptimizeResult(x=x, nit=k, success=status == 0, status=status, message=message,
                          residual_norms=np.array(norms))
