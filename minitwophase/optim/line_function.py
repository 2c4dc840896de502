"""phi(alpha) = f(x + alpha d): the one-dimensional view every line search works on.

``LineFunction`` takes the objective the way scipy.optimize.minimize does: ``fun(x) -> (f, g)``
(jac None or True), or ``fun(x) -> f`` with ``jac(x) -> g`` (jac callable). It counts calls as
scipy does: ``nfev`` the calls of ``fun``, ``njev`` the gradients asked for (with fun -> (f, g)
a gradient already computed is counted the first time a search asks for it). ``value(alpha)``
needs f alone, so with a separate ``jac`` it calls ``fun`` alone: golden section and QuadStep
probes cost a forward pass, not a forward and backward one. Repeated alphas are answered from
a cache (not counted); NaN/inf become +inf so a search backs off from them; the best finite
point seen is remembered (scipy forgets it, scipy issue 15643); ``trials`` records the alphas
at which ``fun`` was called, in order (the recording hook benchmarks and lessons read).
"""
from __future__ import annotations

import numbers

import numpy as np


def objective_value(f, name="fun"):
    """f as a float: a real scalar or a size-1 array (as scipy accepts), else a clear error."""
    if isinstance(f, (numbers.Real, np.floating, np.integer)) and not isinstance(f, bool):
        return float(f)
    try:
        arr = None if isinstance(f, (str, bytes, tuple)) else np.asarray(f)
    except (TypeError, ValueError):   # ragged sequences
        arr = None
    if arr is None or arr.dtype == object or not np.issubdtype(arr.dtype, np.number):
        hint = ("; with a callable jac, fun returns f alone (jac=True: fun returns (f, g))"
                if isinstance(f, tuple) else "")
        raise TypeError(f"{name} must return a real number f, got {type(f).__name__} "
                        f"{f!r:.60}{hint}")
    if np.issubdtype(arr.dtype, np.complexfloating):
        raise TypeError(f"{name} must return a real f, got the complex value {f!r:.60}")
    if arr.size != 1:
        raise ValueError(f"{name} must return a scalar f (or an array of size 1), "
                         f"got an array of shape {arr.shape}")
    return float(arr.reshape(()))


def gradient_value(g, shape, name="fun(x) must return (f, g) with g"):
    """g as a float64 array of ``shape``, refusing complex gradients (their imaginary part
    would otherwise be dropped with only a warning)."""
    arr = np.asarray(g)
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise TypeError(f"{name} must be a real array, got {type(g).__name__} of dtype {arr.dtype}")
    if np.issubdtype(arr.dtype, np.complexfloating):
        raise TypeError(f"{name} must be real, got dtype {arr.dtype}")
    if arr.shape != shape:
        raise ValueError(f"{name} of shape {shape}, got {arr.shape}")
    return arr.astype(np.float64, copy=False)


def call_fun(fun, x):
    """(f, g) = fun(x) as (float, float64 array), checking what fun returned."""
    out = fun(x)
    if isinstance(out, (str, bytes)) or not isinstance(out, (tuple, list)) or len(out) != 2:
        raise TypeError("fun must return (f, g), the value and the gradient, got "
                        f"{type(out).__name__} {np.shape(out) if not isinstance(out, str) else ''}; "
                        "if fun returns f alone, pass its gradient as jac=grad "
                        "(as scipy.optimize.minimize)")
    f, g = out
    return objective_value(f), gradient_value(g, x.shape)


class LineFunction:
    """phi(alpha) = f(x + alpha d) with its slope phi'(alpha) = g(x + alpha d) . d.

    ``fun(x) -> (f, g)``, or with ``jac``: ``fun(x) -> f`` and ``jac(x) -> g``."""

    def __init__(self, fun, x, f, g, d, jac=None):
        self.fun, self.jac, self.x, self.d = fun, jac, x, d
        self.nfev = 0                 # calls of fun during this search
        self.njev = 0                 # gradients asked for during this search
        self.trials = []              # the alphas of the fun calls, in order
        self.rejected = 0             # steps a search turned down by its ``accept`` test
        self.nonfinite = 0            # how many evaluations returned NaN/inf
        self._f = {0.0: f}            # alpha -> f and alpha -> phi'(alpha): floats only,
        self._s = {0.0: float(g @ d)}  # cheap to keep them all
        self._asked = {0.0}           # alphas whose gradient has been counted in njev
        self._g0 = g                  # gradients kept only for alpha = 0, the last and the best
        self._last = (0.0, g)
        self.best = (0.0, f, g)       # (alpha, f, g) with the lowest finite f (g None: not known)

    def _point(self, alpha):
        return self.x + alpha * self.d

    def _set_f(self, alpha, f):
        if not np.isfinite(f):
            self.nonfinite += 1
            f = np.inf                # "too far": every search backs off from it
        self._f[alpha] = f
        if f < self.best[1]:
            self.best = (alpha, f, None)

    def evaluate(self, alpha):
        """A fresh, counted call of fun at alpha, cached or not (for replays of searches that
        re-evaluate, as scipy's): its gradient, if asked for again, is counted again."""
        alpha = float(alpha)
        self._call_fun(alpha)
        self._asked.discard(alpha)

    def _set_g(self, alpha, g):
        finite = bool(np.all(np.isfinite(g)))
        self._s[alpha] = float(g @ self.d) if finite else np.nan
        self._last = (alpha, g)
        if not finite and np.isfinite(self._f.get(alpha, 0.0)):
            self._f[alpha] = np.inf   # a NaN gradient makes the point unusable
            self.nonfinite += 1
            if self.best[0] == alpha:
                self.best = (0.0, self._f[0.0], self._g0)
        if self.best[0] == alpha and self.best[2] is None:
            self.best = (alpha, self.best[1], g)

    def _call_fun(self, alpha):
        """One call of fun at alpha (with fun -> (f, g) it brings the gradient along)."""
        self.nfev += 1
        self.trials.append(alpha)
        if self.jac is None:
            f, g = call_fun(self.fun, self._point(alpha))
            if not np.all(np.isfinite(g)):
                f = np.nan
            self._set_f(alpha, f)
            self._set_g(alpha, g)
        else:
            self._set_f(alpha, objective_value(self.fun(self._point(alpha))))

    def _count(self, alpha):
        if alpha not in self._asked:
            self._asked.add(alpha)
            self.njev += 1

    def _gradient(self, alpha):
        """g at alpha, counted once per alpha in njev (a dropped g is honestly recomputed)."""
        self._count(alpha)
        for a, g in ((0.0, self._g0), self._last, (self.best[0], self.best[2])):
            if a == alpha and g is not None:
                return g
        if self.jac is None:
            self._call_fun(alpha)
        else:
            x = self._point(alpha)
            self._set_g(alpha, gradient_value(self.jac(x), x.shape, "jac(x) must return g"))
        return self._last[1]

    def value(self, alpha):
        """phi(alpha) = f(x + alpha d) alone: calls fun alone when the objective offers f
        alone (jac given), else evaluates (f, g) and caches both."""
        alpha = float(alpha)
        if alpha not in self._f:
            self._call_fun(alpha)
        return self._f[alpha]

    phi = value

    def grad(self, alpha):
        return self._gradient(float(alpha))

    def slope(self, alpha):
        alpha = float(alpha)
        if alpha in self._s:
            self._count(alpha)
        else:
            self._gradient(alpha)
        return self._s[alpha]
