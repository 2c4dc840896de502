"""phi(alpha) = f(x + alpha d): the one-dimensional view every line search works on.

``LineFunction`` counts every fresh call of ``fun``, answers repeated alphas from a cache (not
counted), maps NaN/inf to +inf so a search backs off from them, remembers the best finite point
seen (scipy forgets it, scipy issue 15643) and records the alphas it evaluated, in order, in
``trials`` (the recording hook benchmarks and lessons read; no patching needed).
"""
from __future__ import annotations

import numpy as np


def with_gradient(fun, jac=None):
    """``fun`` as x -> (f, g), scipy's way: jac=None or True means fun already returns (f, g);
    a callable jac means fun returns f alone and jac(x) returns g."""
    if jac is None or jac is True:
        return fun
    if callable(jac):
        if not callable(fun):
            raise TypeError(f"fun must be callable x -> f, got {type(fun).__name__}")
        return lambda x: (fun(x), jac(x))
    raise TypeError(f"jac must be None, True or a callable x -> g, got {jac!r}")


def call_fun(fun, x):
    """(f, g) = fun(x) as (float, float64 array), checking g's shape."""
    out = fun(x)
    try:
        f, g = out
    except (TypeError, ValueError):
        raise TypeError("fun must return (f, g), the value and the gradient, got "
                        f"{type(out).__name__} {np.shape(out)}; if fun returns f alone, "
                        "pass its gradient as jac=grad (as scipy.optimize.minimize)") from None
    g = np.asarray(g, dtype=np.float64)
    if g.shape != x.shape:
        raise ValueError(f"fun(x) must return (f, g) with g of shape {x.shape}, got {g.shape}")
    return float(f), g


class LineFunction:
    """phi(alpha) = fun(x + alpha d)[0] with its slope phi'(alpha) = g(x + alpha d) . d."""

    def __init__(self, fun, x, f, g, d):
        self.fun, self.x, self.d = fun, x, d
        self.nfev = 0                 # fresh calls of fun during this search
        self.trials = []              # the alphas of those calls, in order
        self.rejected = 0             # steps a search turned down by its ``accept`` test
        self.nonfinite = 0            # how many evaluations returned NaN/inf
        self._f = {0.0: f}            # alpha -> f and alpha -> phi'(alpha): floats only,
        self._s = {0.0: float(g @ d)}  # cheap to keep them all
        self._g0 = g                  # gradients kept only for alpha = 0, the last and the best
        self._last = (0.0, g)
        self.best = (0.0, f, g)       # (alpha, f, g) with the lowest finite f

    def _evaluate(self, alpha):
        f, g = call_fun(self.fun, self.x + alpha * self.d)
        self.nfev += 1
        self.trials.append(alpha)
        finite = np.isfinite(f) and np.all(np.isfinite(g))
        if not finite:
            self.nonfinite += 1
            f = np.inf                # "too far": every search backs off from it
        self._f[alpha], self._s[alpha] = f, float(g @ self.d) if finite else np.nan
        self._last = (alpha, g)
        if f < self.best[1]:
            self.best = (alpha, f, g)

    def evaluate(self, alpha):
        """A fresh, counted call of fun at alpha, cached or not (for replays of searches that
        re-evaluate, as scipy's)."""
        self._evaluate(float(alpha))

    def value(self, alpha):
        """f alone at alpha (phi without the slope)."""
        return self.phi(alpha)

    def phi(self, alpha):
        alpha = float(alpha)
        if alpha not in self._f:
            self._evaluate(alpha)
        return self._f[alpha]

    def grad(self, alpha):
        alpha = float(alpha)
        for a, g in ((0.0, self._g0), self._last, (self.best[0], self.best[2])):
            if a == alpha:
                return g
        self._evaluate(alpha)         # a gradient we dropped: honest re-evaluation
        return self._last[1]

    def slope(self, alpha):
        alpha = float(alpha)
        if alpha not in self._s:
            self._evaluate(alpha)
        return self._s[alpha]
