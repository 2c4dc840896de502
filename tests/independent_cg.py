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
        self.f_prev = self.f + np.linalg.norm(self.g) / 2                  # header: first_trial_step
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

    def _search(self, d, use_test):
        cache = {}

        def fg(x):                                  # one call of fun per point for f and g
            key = x.tobytes()
            if key not in cache:
                cache[key] = self.fun(x)
            return cache[key]
        refused = [0]

        def accept(alpha, x, f, g):                 # header: line_search.accept
            ok = self._converged(g) or not self._next(g)[2]
            refused[0] += not ok
            return ok
        alpha = so.line_search(lambda x: fg(x)[0], lambda x: fg(x)[1], self.x, d, gfk=self.g,
                               old_fval=self.f, old_old_fval=self.f_prev, c1=self.ls["c1"],
                               c2=self.ls["c2"], amax=self.ls["amax"], maxiter=self.ls["maxiter"],
                               extra_condition=accept if use_test else None)[0]
        return alpha, refused[0]

    def step(self):
        """One iteration; returns (f, ||g||_2, alpha, beta of the direction used)."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)      # scipy: "The line search algorithm did not converge"
            alpha, refused = self._search(self.d, True)
            if alpha is None and refused:            # every Wolfe step refused: again without
                alpha, _ = self._search(self.d, False)
            if alpha is None and not self.restarted:  # header: on_failure
                self.d, self.beta, self.restarted = -self.g, 0.0, True
                alpha, refused = self._search(self.d, True)
                if alpha is None and refused:
                    alpha, _ = self._search(self.d, False)
        if alpha is None:
            self.done = True
            return None
        x_new = self.x + alpha * self.d
        f_new, g_new = self.fun(x_new)
        used_beta = self.beta
        self.beta, d_new, self.restarted = self._next(g_new)
        self.f_prev, self.x, self.f, self.g, self.d = self.f, x_new, f_new, g_new, d_new
        self.done = self._converged(g_new)
        return f_new, np.linalg.norm(g_new), alpha, used_beta
