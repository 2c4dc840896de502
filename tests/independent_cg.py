"""An independent PR+ CG (NumPy + scipy.optimize.line_search), from a trace header's constants.

Used by tests/test_trace_recipe.py; lesson 07 writes the same one out for students."""
import warnings

import numpy as np
import scipy.optimize as so


class IndependentCG:
    """PR+ nonlinear CG written from the trace header's constants alone, on NumPy and
    scipy.optimize.line_search (none of minitwophase's CG): one ``step()`` per CG epoch."""

    def __init__(self, fun, x, k):
        ls = k["line_search"]
        assert k["beta"] == "PR+" and ls["name"] == "wolfe" and k["norm"] == "inf"
        assert k["powell_nu"] is None and k["restart_every"] is None
        self.fun, self.k, self.ls = fun, k, ls
        self.x = np.array(x, dtype=float)
        self.f, self.g = fun(self.x)
        self.d, self.beta, self.restarted = -self.g, 0.0, True            # d_0 = -g_0
        self.f_prev = self.alpha_prev = self.slope_prev = None             # header: first_trial_step
        self.done = self._converged(self.g)

    def _converged(self, g):
        return np.linalg.norm(g, np.inf) <= self.k["gtol"]                 # header: stop, norm

    def _next(self, g_new):
        """(beta, d_new, restarted): PR+, then the descent test with sigma (header)."""
        beta = max(0.0, g_new @ (g_new - self.g) / (self.g @ self.g))     # N&W (5.45)
        d_new = -g_new + beta * self.d
        if g_new @ d_new > -self.k["sigma"] * (g_new @ g_new):
            return 0.0, -g_new, True
        return beta, d_new, False

    def _first_trial(self, d):
        """header: first_trial_step"""
        s0 = self.g @ d
        if self.alpha_prev is None:
            for a in (0.01 * np.abs(self.x).max() / np.abs(d).max(), 0.01 * abs(self.f) / abs(s0)):
                if np.isfinite(a) and a > 0:
                    return a
            return 1.0
        a = 2 * (self.f - self.f_prev) / s0
        if not (np.isfinite(a) and a > 0):
            a = self.alpha_prev * self.slope_prev / s0
        return min(a, 2 * self.alpha_prev) if np.isfinite(a) and a > 0 else 2 * self.alpha_prev

    def _search(self, d, use_test, alpha0):
        cache = {}

        def fg(a):                                  # phi(a) = f(x + a d), one call per point
            if a not in cache:
                cache[a] = self.fun(self.x + a * d)
            return cache[a]
        refused = [0]

        def accept(t, x, f, g):                     # header: line_search.accept
            ok = self._converged(fg(float(x[0]))[1]) or not self._next(fg(float(x[0]))[1])[2]
            refused[0] += not ok
            return ok
        t = so.line_search(lambda a: fg(float(a[0]))[0], lambda a: np.array([fg(float(a[0]))[1] @ d]),
                           np.zeros(1), np.array([alpha0]), gfk=np.array([self.g @ d]),
                           old_fval=self.f, old_old_fval=None, c1=self.ls["c1"],
                           c2=self.ls["c2"], amax=self.ls["amax"], maxiter=self.ls["maxiter"],
                           extra_condition=accept if use_test else None)[0]
        return (None if t is None else float(t * alpha0)), refused[0]

    def _search_twice(self, d):
        alpha0 = self._first_trial(d)
        alpha, refused = self._search(d, True, alpha0)
        if alpha is None and refused:                # every Wolfe step refused: again without
            alpha, _ = self._search(d, False, alpha0)
        return alpha

    def step(self):
        """One iteration; returns (f, ||g||_2, alpha, beta of the direction used)."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)      # scipy: "The line search algorithm did not converge"
            alpha = self._search_twice(self.d)
            if alpha is None and not self.restarted:  # header: on_failure
                self.d, self.beta, self.restarted = -self.g, 0.0, True
                alpha = self._search_twice(self.d)
        if alpha is None:
            self.done = True
            return None
        x_new = self.x + alpha * self.d
        f_new, g_new = self.fun(x_new)
        used_beta = self.beta
        self.alpha_prev, self.slope_prev = alpha, self.g @ self.d
        self.beta, d_new, self.restarted = self._next(g_new)
        self.f_prev, self.x, self.f, self.g, self.d = self.f, x_new, f_new, g_new, d_new
        self.done = self._converged(g_new)
        return f_new, np.linalg.norm(g_new), alpha, used_beta
