"""The Lanczos process with full reorthogonalisation (Golub & Van Loan §10.1).

For a symmetric A and a start q1, Lanczos builds an orthonormal basis Q_m of the Krylov space
K_m(A, q1) = span{q1, A q1, ..., A^(m-1) q1} and the tridiagonal T_m = Q_m^T A Q_m:

    beta_j q_{j+1} = A q_j - alpha_j q_j - beta_{j-1} q_{j-1},   alpha_j = q_j^T A q_j.

It is the eigenvalue twin of linear CG (N&W §5.1): CG started from r0 works in the very same
Krylov space, and its step lengths and betas give T_m's entries. The eigenvalues of T_m (Ritz
values) approach A's extreme eigenvalues first. In floating point the q_j lose orthogonality
as Ritz values converge (Paige), and copies ("ghosts") of converged eigenvalues appear;
reorthogonalising each new vector against all previous ones (twice: "twice is enough") keeps
Q_m orthonormal to working precision, at O(m n) memory and O(m^2 n) work.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.linalg import eigh_tridiagonal

from .._validate import as_float_array, positive_int

BREAKDOWN = 1e-12        # beta_j <= BREAKDOWN * |T| : an invariant subspace was found, stop


@dataclass
class LanczosResult:
    alpha: np.ndarray            # diagonal of T_m, length m
    beta: np.ndarray             # off-diagonal of T_m, length m - 1
    beta_last: float             # beta_m: the residual of the last step (0 at breakdown)
    Q: np.ndarray | None         # (m, n) orthonormal rows q_1..q_m, when kept
    n_matvec: int

    def ritz(self):
        """(Ritz values ascending, their eigenvectors' first components, last components)."""
        theta, S = eigh_tridiagonal(self.alpha, self.beta)
        return theta, S[0], S[-1]

    def residuals(self):
        """|A y_i - theta_i y_i| = |beta_m s_{m,i}| for each Ritz pair (GvL §10.1.4)."""
        theta, _, last = self.ritz()
        return theta, np.abs(self.beta_last * last)


def lanczos(matvec, v0, steps, keep_basis=False, callback=None):
    """``steps`` Lanczos steps with full reorthogonalisation from ``v0``; a LanczosResult.

    Stops early at breakdown (the Krylov space is invariant: T's eigenvalues are then exact
    eigenvalues of A).

    Parameters
    ----------
    matvec : callable
        ``matvec(q) -> A q`` for a symmetric A (a ``HessianOperator``'s ``matvec``, say).
    v0 : ndarray
        The start vector, 1-D and nonzero (normalised here).
    steps : int
        At most this many steps (and at most len(v0)).
    keep_basis : bool, default False
        Keep Q, the (m, n) orthonormal Lanczos vectors, in the result.
    callback : callable, optional
        ``callback(result_so_far)`` after each step; returning True stops (used to stop
        once Ritz values converge).

    Returns
    -------
    LanczosResult
        ``alpha`` and ``beta`` (T_m's diagonal and off-diagonal), ``beta_last`` (0 at
        breakdown), ``Q`` (when kept), ``n_matvec``; ``ritz()`` gives the Ritz values
        ascending and ``residuals()`` their residual bounds.

    Raises
    ------
    TypeError
        ``matvec`` not callable, or ``steps`` not an int.
    ValueError
        v0 not a finite 1-D float array or the zero vector, or steps < 1.

    Examples
    --------
    Three steps on a 3 x 3 diagonal matrix span the whole space, so the Ritz values are its
    eigenvalues:

    >>> import numpy as np
    >>> from minitwophase import curvature
    >>> A = np.diag([1.0, 2.0, 3.0])
    >>> res = curvature.lanczos(lambda q: A @ q, np.ones(3), steps=3)
    >>> np.allclose(res.ritz()[0], np.linalg.eigvalsh(A)), res.n_matvec
    (True, 3)
    """
    if not callable(matvec):
        raise TypeError(f"matvec must be callable as matvec(q) -> A q, got {type(matvec).__name__}")
    q = as_float_array(v0, "v0", ndim=1)
    steps = positive_int(steps, "steps")
    norm = np.linalg.norm(q)
    if norm == 0.0:
        raise ValueError("v0 must be nonzero, got the zero vector")
    steps = min(steps, q.size)
    Q = np.empty((steps, q.size))
    alpha, beta = [], []
    q, b, scale = q / norm, 0.0, 0.0
    for j in range(steps):
        Q[j] = q
        w = np.asarray(matvec(q), dtype=np.float64).reshape(-1)
        a = float(q @ w)
        w = w - a * q - (b * Q[j - 1] if j else 0.0)
        for _ in range(2):                               # full reorthogonalisation, twice
            w -= Q[:j + 1].T @ (Q[:j + 1] @ w)
        alpha.append(a)
        b = float(np.linalg.norm(w))
        scale = max(scale, abs(a) + b)
        done = b <= BREAKDOWN * scale or j == steps - 1
        if callback is not None and not done:
            done = bool(callback(LanczosResult(np.array(alpha), np.array(beta), b, None, j + 1)))
        if done:
            break
        beta.append(b)
        q = w / b
    m = len(alpha)
    return LanczosResult(np.array(alpha), np.array(beta), b if b > BREAKDOWN * scale else 0.0,
                         Q[:m] if keep_basis else None, m)
