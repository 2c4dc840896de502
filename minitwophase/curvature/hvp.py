"""Hessian-vector products by central differences of gradients (Nocedal & Wright §8.1).

    H(x) v  ~=  [g(x + eps v) - g(x - eps v)] / (2 eps)

Only the gradient is needed, so any ``fun(x) -> (f, g)`` (a network's loss, a CG test problem)
gets curvature for two gradient evaluations per product, with no second-order code.

Step and error. Taylor's theorem gives a truncation error (eps^2 / 6) D^3 g(x)[v, v, v] and
rounding in the two gradients contributes about u |g| / eps (u = 2^-53). Balancing the two
(N&W §8.1: eps ~ u^(1/3) for central differences, against u^(1/2) for forward ones) we take
eps = u^(1/3) (1 + |x|) / |v|, i.e. a step of length u^(1/3) (1 + |x|) ~ 6e-6 (1 + |x|) in
parameter space. The relative error of H v is then of order u^(2/3) ~ 4e-11 times the
problem's ratio of third to second derivatives (and of gradient size to |H v|); measured
against PyTorch's exact double-backward products it is about 1e-10 on small tanh networks and
on the MNIST-5k MLP (tests ask for 1e-7), and exact up to rounding on quadratics.
"""
from __future__ import annotations

import numpy as np
from scipy.sparse.linalg import LinearOperator

from .._validate import as_float_array

EPS_SCALE = np.finfo(np.float64).eps ** (1.0 / 3.0)   # u^(1/3): the central-difference balance


def check_fun(fun):
    if not callable(fun):
        raise TypeError(f"fun must be callable as fun(x) -> (f, g), got {type(fun).__name__}")
    return fun


def check_point(x, name="x"):
    return as_float_array(x, name, ndim=1)


def _gradient(fun, x):
    out = fun(x)
    if not (isinstance(out, tuple) and len(out) == 2):
        raise TypeError(f"fun must return a pair (f, g), got {type(out).__name__}")
    g = np.asarray(out[1], dtype=np.float64)
    if g.shape != x.shape:
        raise ValueError(f"fun's gradient must have the shape of x {x.shape}, got {g.shape}")
    return g


def _hvp(fun, x, v, x_norm):
    v_norm = np.linalg.norm(v)
    if v_norm == 0.0:
        return np.zeros_like(x)
    eps = EPS_SCALE * (1.0 + x_norm) / v_norm
    return (_gradient(fun, x + eps * v) - _gradient(fun, x - eps * v)) / (2.0 * eps)


def hvp(fun, x, v):
    """H(x) @ v for ``fun(x) -> (f, g)``: two gradient evaluations (none for v = 0).

    A central difference of gradients along v (Nocedal & Wright section 8.1), with the step
    u^(1/3) (1 + |x|) / |v|: about 1e-10 relative error against exact second derivatives.

    Parameters
    ----------
    fun : callable
        ``fun(x) -> (f, g)``, g the gradient at x.
    x, v : ndarray
        The point and the direction, 1-D, the same length.

    Returns
    -------
    ndarray
        H(x) @ v, shape like x.

    Raises
    ------
    ValueError
        x and v of different shapes, or non-finite values, naming the argument.

    Examples
    --------
    >>> import numpy as np
    >>> from minitwophase import curvature
    >>> A = np.array([[2.0, 1.0], [1.0, 3.0]])
    >>> fun = lambda x: (0.5 * x @ A @ x, A @ x)         # H = A everywhere
    >>> np.allclose(curvature.hvp(fun, np.zeros(2), np.array([1.0, 0.0])), [2.0, 1.0])
    True
    """
    check_fun(fun)
    x = check_point(x)
    v = as_float_array(v, "v", ndim=1)
    if v.shape != x.shape:
        raise ValueError(f"v must have the shape of x {x.shape}, got {v.shape}")
    return _hvp(fun, x, v, np.linalg.norm(x))


class HessianOperator(LinearOperator):
    """H(x) as a scipy LinearOperator (symmetric), counting every product it computes.

    Each product is ``hvp``'s central difference of gradients. Attributes: ``n_hvp`` products
    so far; ``n_evals`` gradient evaluations they cost (2 each, none for v = 0).

    Parameters
    ----------
    fun : callable
        ``fun(x) -> (f, g)``, g the gradient at x.
    x : ndarray
        The point, 1-D; copied, so later changes to the caller's array do not move it.
    name : str, default "x"
        The argument name error messages use for x.

    Raises
    ------
    TypeError
        ``fun`` not callable, or (in a product) not returning a pair (f, g).
    ValueError
        x not a finite 1-D float array, or (in a product) a gradient of another shape.

    Examples
    --------
    >>> import numpy as np
    >>> from minitwophase import curvature
    >>> A = np.array([[4.0, 1.0], [1.0, 3.0]])
    >>> H = curvature.HessianOperator(lambda x: (0.5 * x @ A @ x, A @ x), np.zeros(2))
    >>> np.allclose(H @ np.array([1.0, 0.0]), A[:, 0])       # H = A everywhere
    True
    >>> H.n_hvp, H.n_evals
    (1, 2)
    """

    def __init__(self, fun, x, name="x"):
        self.fun = check_fun(fun)
        self.x = check_point(x, name).copy()          # the point is fixed; callers may mutate theirs
        self._x_norm = float(np.linalg.norm(self.x))
        self.n_hvp = 0
        self.n_evals = 0
        super().__init__(dtype=np.float64, shape=(self.x.size, self.x.size))

    def _matvec(self, v):
        v = np.asarray(v, dtype=np.float64).reshape(-1)
        self.n_hvp += 1
        self.n_evals += 2 if np.any(v) else 0
        return _hvp(self.fun, self.x, v, self._x_norm)

    def _rmatvec(self, v):                      # H is symmetric
        return self._matvec(v)
