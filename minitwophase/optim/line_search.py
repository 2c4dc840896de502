"""Line searches along x + alpha d, both delegating the search itself to scipy.optimize.

``LineFunction`` is phi(alpha) = f(x + alpha d) for one search: it counts every fresh call of
``fun``, answers repeated alphas from a cache (not counted), maps NaN/inf to +inf so a search
backs off from them, and remembers the best finite point seen (scipy forgets it, issue 15643).
"""
from __future__ import annotations

import warnings

import numpy as np
import scipy.optimize as so

# The one table of line searches: name -> a one-line description. The stepper, TrainConfig,
# the command line and the docs read their names from here (consumers use only the keys).
LINE_SEARCHES = {
    "wolfe": "strong Wolfe, scipy.optimize.line_search (the default)",
    "golden": "golden-section search through scipy.optimize (the paper's)",
}


def call_fun(fun, x):
    """(f, g) = fun(x) as (float, float64 array), checking g's shape."""
    f, g = fun(x)
    g = np.asarray(g, dtype=np.float64)
    if g.shape != x.shape:
        raise ValueError(f"fun(x) must return (f, g) with g of shape {x.shape}, got {g.shape}")
    return float(f), g


class LineFunction:
    """phi(alpha) = fun(x + alpha d)[0] with its slope phi'(alpha) = g(x + alpha d) . d."""

    def __init__(self, fun, x, f, g, d):
        self.fun, self.x, self.d = fun, x, d
        self.nfev = 0                 # fresh calls of fun during this search
        self.rejected = 0             # Wolfe steps turned down by wolfe()'s ``accept``
        self.nonfinite = 0            # how many of them returned NaN/inf
        self._f = {0.0: f}            # alpha -> f: floats only, cheap to keep them all
        self._last = (0.0, g)         # gradients kept only for the last and the best alpha
        self.best = (0.0, f, g)       # (alpha, f, g) with the lowest finite f

    def _evaluate(self, alpha):
        f, g = call_fun(self.fun, self.x + alpha * self.d)
        self.nfev += 1
        if not (np.isfinite(f) and np.all(np.isfinite(g))):
            self.nonfinite += 1
            f = np.inf                # "too far": every search below then backs off
        self._f[alpha] = f
        self._last = (alpha, g)
        if f < self.best[1]:
            self.best = (alpha, f, g)

    def phi(self, alpha):
        alpha = float(alpha)
        if alpha not in self._f:
            self._evaluate(alpha)
        return self._f[alpha]

    def grad(self, alpha):
        alpha = float(alpha)
        for a, g in (self._last, (self.best[0], self.best[2])):
            if a == alpha:
                return g
        self._evaluate(alpha)         # a gradient we dropped: honest re-evaluation
        return self._last[1]

    def slope(self, alpha):
        return float(self.grad(alpha) @ self.d)


def wolfe(line, alpha0, c1=1e-4, c2=0.4, accept=None, maxiter=20):
    """Strong Wolfe step (N&W (3.7), Algorithms 3.5-3.6) by scipy.optimize.line_search.

    scipy's search runs on the one-dimensional view t -> phi(t alpha0): start 0, direction
    alpha0, so its first trial (t = 1, given no old_old_fval) is our alpha0, and every
    evaluation goes through ``line``. ``accept(alpha)``, if given, is scipy's
    ``extra_condition``: a Wolfe step is taken only if it also returns True (refusals are
    counted in ``line.rejected``). ``maxiter`` bounds the bracketing phase, which doubles the
    step each time: 20 allows steps up to ~5e5 alpha0 (scipy's own default, used by its CG, is
    10; 10 vs 20 was compared in benchmarks/select_cg_defaults.py and 20 kept).
    Returns (alpha, None) or (None, reason).
    """
    def extra(t, x, f, g):
        ok = accept(t * alpha0)
        line.rejected += not ok
        return ok
    with warnings.catch_warnings():
        # scipy's LineSearchWarning (a RuntimeWarning): failure is reported by our return value
        warnings.filterwarnings("ignore", "(The line search algorithm|Rounding errors)",
                                RuntimeWarning)
        t, _, _, f_new, _, slope_new = so.line_search(
            lambda a: line.phi(a[0]), lambda a: np.array([line.slope(a[0])]),
            np.zeros(1), np.array([alpha0]), gfk=np.array([line.slope(0.0)]),
            old_fval=line.phi(0.0), c1=c1, c2=c2, extra_condition=None if accept is None else extra,
            maxiter=maxiter)
    if t is None or slope_new is None or not np.isfinite(f_new):
        return None, "no step satisfying the strong Wolfe conditions was found"
    return float(t * alpha0), None


def golden(line, alpha0, xtol=np.sqrt(np.finfo(float).eps), maxiter=5000, max_halvings=60):
    """Golden-section line search as in the paper (Numerical Recipes sections 10.1-10.2).

    First halve alpha0 until phi(alpha) < phi(0), so the bracket grows downhill from 0;
    scipy.optimize.bracket then finds a < b < c with phi(b) < phi(a), phi(c), and
    minimize_scalar(method="golden") shrinks it to relative width ``xtol``. Returns the best
    alpha seen, as (alpha, None), or (None, reason).
    """
    f0, alpha = line.phi(0.0), alpha0
    for _ in range(max_halvings):
        if line.phi(alpha) < f0:
            break
        alpha *= 0.5
    else:
        return None, f"no decrease in f after {max_halvings} halvings of the trial step"
    try:
        a, b, c, *_ = so.bracket(line.phi, xa=0.0, xb=alpha)
    except RuntimeError as exc:       # scipy's BracketError: no bracket within its limits
        return None, f"scipy.optimize.bracket failed ({exc})"
    if b > 0 and line.phi(b) < min(line.phi(a), line.phi(c)):
        so.minimize_scalar(line.phi, bracket=(a, b, c), method="golden",
                           options={"xtol": xtol, "maxiter": maxiter})
    # else: scipy returned a degenerate bracket (e.g. phi flat to rounding); the best
    # point seen so far still decreases f, since phi(alpha) < phi(0) above.
    return line.best[0], None
