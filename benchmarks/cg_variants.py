"""Selection-study variants of NonlinearCG, kept out of the library.

``VariantCG`` is NonlinearCG with the Wolfe-search options that only the selection study
(select_cg_defaults.py) compares; the library keeps the chosen ones. ``PublicSearchCG`` is
scipy's CG replayed with its Moré–Thuente search skipped, i.e. scipy's CG forced onto the
public scipy.optimize.line_search (the "scipy CG/w2" column of bench_cg.py), without
patching scipy's module attributes.

Options of VariantCG (library defaults first):
  initial_step  first trial step of each Wolfe search:
    "scale-free"  the library's line_search.first_step: N&W (3.60) capped at 2 alpha_{k-1}
                (CG_DESCENT's I2 growth), I0 at k = 0
    "scipy"     N&W (3.60) capped as in scipy's CG: min(1, 1.01 * 2 (f_k - f_{k-1}) / phi'(0))
    "quadratic" N&W (3.60) without the cap
    "slope"     N&W (3.59): alpha_{k-1} phi'_{k-1}(0) / phi'_k(0)
    "previous"  alpha_{k-1}
    "hager-zhang"  Hager & Zhang (2006) I0-I2 (one counted probe evaluation per iteration)
  descent_test  "search": the search refuses steps after which d lacks sufficient descent
                (scipy's CG); "restart": take the Wolfe step, the stepper restarts d = -g
  fallback      when the descent test refused every Wolfe step: "same" reruns on the same
                cache without the test; "steepest" lets the stepper retry along -g
                (plain Wolfe, if d was not -g already)
  ls_maxiter    bracketing limit of scipy.optimize.line_search
  c2, powell_nu as NonlinearCG's.
"""
import numpy as np

from minitwophase.optim.hager_zhang import initial_step as hz_initial_step
from minitwophase.optim.line_search import ScipyCG, Wolfe, first_step, scipy_first_step, wolfe
from minitwophase.optim.nonlinear_cg import NonlinearCG

INITIAL_STEPS = ("scale-free", "scipy", "quadratic", "slope", "previous", "hager-zhang")


class VariantWolfe(Wolfe):
    def __init__(self, c1, c2, xtol, initial_step="scale-free", descent_test="search",
                 fallback="same", ls_maxiter=20):
        super().__init__(c1, c2, xtol)
        if initial_step not in INITIAL_STEPS:
            raise ValueError(f"initial_step must be one of {INITIAL_STEPS}, got {initial_step!r}")
        if descent_test not in ("search", "restart"):
            raise ValueError(f"descent_test must be 'search' or 'restart', got {descent_test!r}")
        if fallback not in ("same", "steepest"):
            raise ValueError(f"fallback must be 'same' or 'steepest', got {fallback!r}")
        self.rule, self.descent_test, self.fallback = initial_step, descent_test, fallback
        self.maxiter = ls_maxiter
        self.alpha_prev = self.slope_prev = None

    def first_step(self, line, f_prev, alpha_prev=None, slope_prev=None):
        rule, slope = self.rule, line.slope(0.0)
        x, f, g = line.x, line.phi(0.0), line.grad(0.0)
        if rule == "scale-free":
            return first_step(line, f_prev, alpha_prev, slope_prev)
        if self.alpha_prev is None:            # k = 0, or nothing accepted yet
            if rule == "hager-zhang":
                return hz_initial_step(True, x, f, g, line.d, line, None)[0]
            return scipy_first_step(line, f_prev)
        if rule == "scipy":
            return scipy_first_step(line, f_prev)
        if rule == "quadratic":
            a = 1.01 * 2 * (f - f_prev) / slope
        elif rule == "slope":
            a = self.alpha_prev * self.slope_prev / slope
        elif rule == "previous":
            a = self.alpha_prev
        else:
            a = hz_initial_step(False, x, f, g, line.d, line, self.alpha_prev)[0]
        return a if np.isfinite(a) and a > 0 else 1.0 / np.linalg.norm(line.d)

    def __call__(self, line, accept, *, f_prev, alpha_prev, slope_prev, retry=False):
        alpha0 = self.first_step(line, f_prev, alpha_prev, slope_prev)
        strict = self.descent_test == "search" and not retry
        accept = accept if strict else None    # the retry along -g: plain
        alpha, why = wolfe(line, alpha0, self.c1, self.c2, accept, self.maxiter)
        if alpha is None and line.rejected and self.fallback == "same":
            alpha, why = wolfe(line, alpha0, self.c1, self.c2, None, self.maxiter)
        if alpha is not None:
            self.alpha_prev, self.slope_prev = alpha, line.slope(0.0)
        return alpha, why


class VariantCG(NonlinearCG):
    """NonlinearCG(..., line_search="wolfe") with the study's options (module docstring)."""

    def __init__(self, fun, x0, *args, initial_step="scale-free", descent_test="search",
                 fallback="same", ls_maxiter=20, **kwargs):
        self.variant = dict(initial_step=initial_step, descent_test=descent_test,
                            fallback=fallback, ls_maxiter=ls_maxiter)
        super().__init__(fun, x0, *args, **kwargs)

    def make_rule(self, rule):
        if rule is Wolfe:
            return VariantWolfe(self.c1, self.c2, self.xtol, **self.variant)
        return super().make_rule(rule)


class PublicSearchOnly(ScipyCG):
    """scipy CG's search with line_search_wolfe1 (Moré–Thuente) always failing."""

    def __call__(self, line, accept, *, f_prev, alpha_prev, slope_prev, retry=False):
        if retry:                                # scipy stops where NonlinearCG would retry
            return None, "the search failed (scipy's CG does not retry along -g)"
        return wolfe(line, 1.0, self.c1, self.c2, accept, maxiter=10, old_old_fval=f_prev,
                     amax=1e100)


class PublicSearchCG(NonlinearCG):
    """scipy's CG on the public scipy.optimize.line_search only (beta PR+, c2 = 0.4)."""

    def __init__(self, fun, x0, **kwargs):
        super().__init__(fun, x0, beta="PR+", line_search="scipy", **kwargs)

    def make_rule(self, rule):
        return PublicSearchOnly(self.c1, self.c2, self.xtol)


def run(cg):
    while not cg.done:
        cg.step()
    return cg
