"""The line searches of NonlinearCG, in one table: ``LINE_SEARCHES`` (name -> description)
and ``RULES`` (name -> the class NonlinearCG runs). Adding a search touches only this file.

A rule is built once per CG run (so it may carry state from one iteration to the next) and
called once per iteration: ``rule(line, accept, ...) -> (alpha, None)`` or ``(None, reason)``, ``line``
being the LineFunction phi(alpha) = f(x_k + alpha d_k) (x_k, d_k, f_k = phi(0), g_k =
line.grad(0)). What else it reads it receives as arguments (``Rule.__call__``): the stepper's
descent test, f_{k-1}, the previous accepted step and its slope.
"""
from __future__ import annotations

import functools
import warnings

import numpy as np
import scipy.optimize as so

from .hager_zhang import approximate_wolfe, initial_step as hz_initial_step
from .line_function import LineFunction, call_fun   # noqa: F401  (re-exported)
from .more_thuente import LastPointOnly, more_thuente


def wolfe(line, alpha0, c1=1e-4, c2=0.4, accept=None, maxiter=20, old_old_fval=None,
          amax=None):
    """Strong Wolfe step (N&W (3.7), Algorithms 3.5-3.6) by scipy.optimize.line_search.

    scipy's search runs on the one-dimensional view t -> phi(t alpha0) (start 0, direction
    alpha0), so every evaluation goes through ``line``. Its first trial is t = 1, i.e.
    alpha0, unless ``old_old_fval`` is given: then scipy's own rule (N&W (3.60) capped at 1).
    ``accept(alpha)`` is scipy's ``extra_condition``: a Wolfe step is taken only if it also
    returns True (refusals counted in ``line.rejected``). ``maxiter`` bounds the bracketing
    phase, which doubles the step each time (scipy's default is 10).
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
            old_fval=line.phi(0.0), old_old_fval=old_old_fval, c1=c1, c2=c2, amax=amax,
            extra_condition=None if accept is None else extra, maxiter=maxiter)
    if t is None or slope_new is None or not np.isfinite(f_new):
        return None, "no step satisfying the strong Wolfe conditions was found"
    return float(t * alpha0), None


LINMIN_TOL = 2.0e-4   # Numerical Recipes (2nd ed.) section 10.5, linmin's TOL


def golden(line, alpha0, xtol=LINMIN_TOL, maxiter=5000, max_halvings=60):
    """Golden-section line search as in the paper (Numerical Recipes sections 10.1-10.2).

    First halve alpha0 until phi(alpha) < phi(0), so the bracket grows downhill from 0;
    scipy.optimize.bracket then finds a < b < c with phi(b) < phi(a), phi(c), and
    minimize_scalar(method="golden") shrinks it until its width is <= xtol (|x1| + |x2|),
    x1, x2 its inner points (NR's golden test). xtol = 2e-4 is the tolerance of NR's linmin, the paper's source (NR 2nd ed.
    section 10.5: "TOL 2.0e-4, tolerance passed to brent"); sqrt(machine eps) is the tightest
    meaningful one (NR (10.1.2)) and costs about twice the evaluations. Every probe needs f
    alone (``line.value``). Returns the best alpha seen, as (alpha, None), or (None, reason).
    """
    f0, alpha = line.value(0.0), alpha0
    for _ in range(max_halvings):
        if line.value(alpha) < f0:
            break
        alpha *= 0.5
    else:
        return None, f"no decrease in f after {max_halvings} halvings of the trial step"
    try:
        a, b, c, *_ = so.bracket(line.value, xa=0.0, xb=alpha)
    except RuntimeError as exc:       # scipy's BracketError: no bracket within its limits
        return None, f"scipy.optimize.bracket failed ({exc})"
    if b > 0 and line.value(b) < min(line.value(a), line.value(c)):
        so.minimize_scalar(line.value, bracket=(a, b, c), method="golden",
                           options={"xtol": xtol, "maxiter": maxiter})
    # else: scipy returned a degenerate bracket (e.g. phi flat to rounding); the best
    # point seen so far still decreases f, since phi(alpha) < phi(0) above.
    return line.best[0], None


def scipy_first_step(line, f_prev):
    """scipy CG's first trial: N&W (3.60) capped at 1, min(1, 1.01 * 2 (f_k - f_{k-1}) /
    phi'(0)), with f_{-1} = f_0 + ||g_0|| / 2 (so ~1 / ||g_0|| at k = 0). Not scale-free: with
    f(s x) it starts s^2 times too far (or too short) and doubles its way back."""
    a = min(1.0, 1.01 * 2 * (line.phi(0.0) - f_prev) / line.slope(0.0))
    return a if np.isfinite(a) and a > 0 else 1.0 / np.linalg.norm(line.d)


def first_step(line, f_prev, alpha_prev, slope_prev, psi0=0.01, psi2=2.0):
    """A scale-free first trial (the same step under x -> s x and f -> c f, as the units of
    alpha are those of x^2 / f). k >= 1: N&W (3.60) uncapped by 1, 2 (f_k - f_{k-1}) / phi'(0),
    or N&W (3.59), alpha_{k-1} phi'_{k-1}(0) / phi'_k(0), if f did not decrease; either capped at
    psi2 alpha_{k-1} (CG_DESCENT's I2 growth, Hager & Zhang 2006, ACM TOMS 32(1), psi2 = 2):
    near a minimizer f_k - f_{k-1} is rounding and phi'(0) tiny, and (3.60) alone then asks for
    10^4-10^10 times the step scipy's zoom can shrink back from in its 10 tries (the cap took
    the failures on problems.selection_problems() from 22 to 3). k = 0: CG_DESCENT's I0,
    psi0 ||x_0||_inf / ||d_0||_inf, else psi0 |f_0| / |phi'(0)| if x_0 = 0, else 1."""
    s0 = line.slope(0.0)
    if alpha_prev is not None:
        a = 2 * (line.phi(0.0) - f_prev) / s0                          # (3.60)
        if not (np.isfinite(a) and a > 0):
            a = alpha_prev * slope_prev / s0                           # (3.59)
        a = min(a, psi2 * alpha_prev) if np.isfinite(a) and a > 0 else psi2 * alpha_prev
        return float(a)
    x_inf, d_inf, f0 = np.max(np.abs(line.x)), np.max(np.abs(line.d)), line.phi(0.0)
    for a in (psi0 * x_inf / d_inf, psi0 * abs(f0) / abs(s0)):        # I0
        if np.isfinite(a) and a > 0:
            return float(a)
    return 1.0


class Rule:
    """Base of the rules: the constants at construction, per-run state on the object, one
    search per call: ``rule(line, accept, f_prev=, alpha_prev=, slope_prev=, retry=)`` with
    accept(alpha) the stepper's descent test (scipy CG's extra_condition), f_prev = f_{k-1}
    (scipy's f_0 + ||g_0|| / 2 at k = 0), alpha_prev and slope_prev = phi'_{k-1}(0) of the last
    accepted step (None at k = 0), retry True for the second search of an iteration (along
    -g after a failure)."""
    description = ""
    c1 = c2 = None                    # the rule's defaults (NonlinearCG's c1, c2 override)
    restart_fac = None                # restart_every="auto": every restart_fac * n iterations

    def __init__(self, c1=None, c2=None, xtol=None):
        self.c1 = type(self).c1 if c1 is None else c1
        self.c2 = type(self).c2 if c2 is None else c2
        self.xtol = xtol

    def __call__(self, line, accept, *, f_prev, alpha_prev, slope_prev, retry=False):
        raise NotImplementedError

    STATE = ()                        # attributes carried from one search to the next

    def state_dict(self):
        return {k: _copied(getattr(self, k)) for k in self.STATE}

    def load_state_dict(self, state):
        for k in self.STATE:
            setattr(self, k, _copied(state[k]))


def _copied(value):
    return dict(value) if isinstance(value, dict) else value


class Wolfe(Rule):
    """scipy.optimize.line_search from the scale-free first trial (``first_step``), refusing
    steps after which the next direction lacks sufficient descent (as scipy's CG); if it
    refused every Wolfe step, the search reruns on the same cache without the test and the
    stepper then restarts d = -g ("descent"). c2 = 0.2 and the bracketing limit 20 were chosen
    on problems.selection_problems() (benchmarks/select_cg_defaults.py, then with scipy's
    first trial), the cap of ``first_step`` on the same set."""
    description = "strong Wolfe, scipy.optimize.line_search (the default)"
    c1, c2, maxiter = 1e-4, 0.2, 20

    def __call__(self, line, accept, *, f_prev, alpha_prev, slope_prev, retry=False):
        alpha0 = first_step(line, f_prev, alpha_prev, slope_prev)
        alpha, why = wolfe(line, alpha0, self.c1, self.c2, accept, self.maxiter)
        if alpha is None and line.rejected:
            alpha, why = wolfe(line, alpha0, self.c1, self.c2, None, self.maxiter)
        return alpha, why


class ScipyCG(Rule):
    """scipy.optimize.minimize(method="CG")'s search, replayed: Moré–Thuente (scipy's private
    line_search_wolfe1: amin 1e-100, amax 1e100, xtol 1e-14) with c1 = 1e-4, c2 = 0.4 from
    its first trial step (scipy's, capped at 1); the step must pass scipy CG's descent test,
    else (or if MT fails) scipy.optimize.line_search (line_search_wolfe2, amax 1e100) with
    that test. Both search through ``LastPointOnly``, so fun is called where scipy calls it (nfev as scipy's)."""
    description = "Moré–Thuente with scipy CG's constants and fallback (replays scipy's CG)"
    c1, c2 = 1e-4, 0.4

    def __call__(self, line, accept, *, f_prev, alpha_prev, slope_prev, retry=False):
        line = LastPointOnly(line)     # scipy's calls, including its re-evaluations
        accept = functools.partial(accept, view=line)   # scipy's descent test reads g there too
        f0, s0 = line.phi(0.0), line.slope(0.0)
        alpha1 = 1.0                  # scipy's scalar_search_wolfe1
        if s0 != 0:
            alpha1 = min(1.0, 1.01 * 2 * (f0 - f_prev) / s0)
            if alpha1 < 0:
                alpha1 = 1.0
        alpha, why = more_thuente(line, alpha1, self.c1, self.c2, xtol=1e-14, stpmin=1e-100,
                                  stpmax=1e100)
        if alpha is not None and not accept(alpha):
            line.rejected += 1
            alpha, why = None, "the Moré–Thuente step failed the descent test"
        if alpha is None:             # scipy's _line_search_wolfe12 fallback
            alpha, why = wolfe(line, 1.0, self.c1, self.c2, accept, maxiter=10,
                               old_old_fval=f_prev, amax=1e100)
        return line.canonical(alpha), why


class HagerZhang(Rule):
    """CG_DESCENT's search (HZ06): first trial by I0-I2, then the approximate-Wolfe search.
    eps_k = eps C_k, C_k a running average of |f| (HZ06: Q_{k+1} = 1 + Delta Q_k,
    C_{k+1} = C_k + (|f_{k+1}| - C_k) / Q_{k+1}); (T2) is switched on for good once
    |f_k - f_{k-1}| <= omega C_{k-1} (HZ06's AWolfe rule). Constants are HZ06's defaults
    (delta = c1 = 0.1, eps = 1e-6, Delta = 0.7, psi0-2 = 0.01, 0.1, 2, QuadCutOff = 1e-12,
    theta = 0.5, gamma = 0.66, rho = 5, restart every n iterations) except three chosen on
    problems.selection_problems() by benchmarks/select_hz_constants.py: sigma = c2 = 0.2
    (HZ06: 0.9), omega = inf, i.e. (T2) from the second iteration on (HZ06: 1e-3), and no
    QuadStep (I1 off; HZ06: on). The first trial ends the search only after a QuadStep, as in
    CG_DESCENT's code (accept_initial = False: testing every trial, HZ05 Section 4, ranked
    lower on the selection set). ``counts``: where the evaluations went (bench_cg.py)."""
    description = "CG_DESCENT's approximate Wolfe search (Hager & Zhang); with beta='HZ' it is CG_DESCENT"
    c1, c2 = 0.1, 0.2
    eps, omega, decay = 1e-6, np.inf, 0.7
    psi0, psi1, psi2, quad_step, quad_cutoff = 0.01, 0.1, 2.0, False, 1e-12
    accept_initial = False
    theta, gamma, rho = 0.5, 0.66, 5.0
    restart_fac = 1.0
    STATE = ("Q", "C", "approx", "counts")

    def __init__(self, c1=None, c2=None, xtol=None):
        super().__init__(c1, c2, xtol)
        self.Q, self.C, self.approx = 0.0, 0.0, False
        self.counts = {}              # where the evaluations went (approximate_wolfe's keys,
                                      # plus "quad": QuadStep's probes)

    def __call__(self, line, accept, *, f_prev, alpha_prev, slope_prev, retry=False):
        f = line.phi(0.0)
        if not retry:                 # once per iteration (a retry along -g reuses C_k)
            if alpha_prev is not None and abs(f - f_prev) <= self.omega * self.C:
                self.approx = True
            self.Q = 1.0 + self.decay * self.Q
            self.C += (abs(f) - self.C) / self.Q
        before = line.nfev
        c, quad = hz_initial_step(alpha_prev is None, line.x, f, line.grad(0.0), line.d, line,
                                  alpha_prev, self.psi0, self.psi1, self.psi2,
                                  self.quad_step, f_prev, self.quad_cutoff)
        self.counts["quad"] = self.counts.get("quad", 0) + line.nfev - before
        return approximate_wolfe(line, c, self.eps * self.C, self.approx, self.c1, self.c2,
                                 self.theta, self.gamma, self.rho, quad=quad,
                                 accept_initial=self.accept_initial, counts=self.counts)


class Golden(Rule):
    """The paper's golden-section search from the scale-free first trial (``first_step``);
    its probes need f alone (``line.value``)."""
    description = "golden-section search through scipy.optimize (the paper's)"

    def __call__(self, line, accept, *, f_prev, alpha_prev, slope_prev, retry=False):
        return golden(line, first_step(line, f_prev, alpha_prev, slope_prev), self.xtol)


RULES = {"wolfe": Wolfe, "golden": Golden, "scipy": ScipyCG, "hager-zhang": HagerZhang}

# The one table of line-search names: the stepper, TrainConfig, the command line and the docs
# read their names from here (consumers use only the keys).
LINE_SEARCHES = {name: rule.description for name, rule in RULES.items()}
