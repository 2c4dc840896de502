"""Limited-memory BFGS (Nocedal & Wright 2nd ed., Algorithms 7.4 and 7.5).

    d_k = -H_k g_k                       two-loop recursion (Algorithm 7.4) over the last m pairs
    H_k^0 = gamma_k I,  gamma_k = s_{k-1}^T y_{k-1} / y_{k-1}^T y_{k-1}              (7.20)
    x_{k+1} = x_k + alpha_k d_k          strong Wolfe line search, trial alpha = 1 first (N&W p. 142)
    s_k = x_{k+1} - x_k,  y_k = g_{k+1} - g_k;  keep the newest m pairs (Algorithm 7.5)

Choices the book leaves open, as L-BFGS-B does them (Byrd, Lu, Nocedal & Zhu 1995; scipy's
``lbfgsb``): with no pairs yet (k = 0, or after a reset) the trial step is min(1, 1/||d||_2);
a pair with s^T y <= eps_mach y^T y is not stored (the Wolfe conditions make s^T y > 0, so this
only guards rounding). Resets (memory cleared, d = -g), recorded with their reason:
"descent" (d is not a descent direction, by rounding) and "line search" (the search along d
failed: retried once along -g before giving up, as NonlinearCG does; if d was -g already, the
retry starts from the best step the failed search found, or a tenth of its shortest trial).

``LBFGS`` is a resumable stepper like ``NonlinearCG`` (one ``step()`` per iteration, so a
trainer can run one per epoch); ``minimize_lbfgs`` is a loop over it.
"""
from __future__ import annotations

from collections import deque
from typing import NamedTuple

import numpy as np

from .._validate import as_float_array, choice, positive_int, real_number
from .line_function import LineFunction, call_fun
from .line_search import LINE_SEARCHES, wolfe
from .more_thuente import more_thuente
from .stepper import Stepper, run


def _wolfe(line, alpha0, c1, c2):
    return wolfe(line, alpha0, c1, c2, maxiter=20)


def _more_thuente(line, alpha0, c1, c2):
    return more_thuente(line, alpha0, c1, c2, xtol=0.1, stpmin=0.0, stpmax=1e10)


# The searches L-BFGS runs (keys of LINE_SEARCHES; the others do not guarantee s^T y > 0).
SEARCHES = {"wolfe": _wolfe, "scipy": _more_thuente}
LBFGS_LINE_SEARCHES = {
    "wolfe": "strong Wolfe, scipy.optimize.line_search from alpha = 1 (the default)",
    "scipy": "Moré–Thuente (MINPACK-2 dcsrch, L-BFGS-B's search; xtol 0.1) from alpha = 1",
}
assert set(SEARCHES) <= set(LINE_SEARCHES)


class LBFGSRecord(NamedTuple):
    """One row of the history: row 0 is x_0, row k the iteration x_{k-1} -> x_k."""
    k: int          # iterations completed (nit) after this row
    f: float        # f(x_k)
    gnorm: float    # ||g(x_k)||_2
    alpha: float    # step length along d_{k-1} (nan in row 0 and after a failed search)
    restart: str    # why the memory was cleared before d_{k-1} ("" = it was not; "initial")
    nfev: int       # fresh evaluations of fun in this row
    memory: int     # pairs (s, y) held after this row

    @property
    def beta(self):          # the trainer's per-epoch row has a beta column: L-BFGS has none
        return float("nan")


def two_loop(g, pairs, gamma=None):
    """H_k g by N&W Algorithm 7.4; ``pairs`` = [(s, y), ...] oldest first, H_k^0 = gamma I
    with gamma from (7.20) on the newest pair unless given (1 without pairs)."""
    q = np.array(g, dtype=np.float64)
    rhos = [1.0 / (y @ s) for s, y in pairs]
    alphas = []
    for (s, y), rho in zip(reversed(pairs), reversed(rhos)):     # i = k-1, ..., k-m
        a = rho * (s @ q)
        q -= a * y
        alphas.append(a)
    if gamma is None:
        gamma = 1.0 if not pairs else (pairs[-1][0] @ pairs[-1][1]) / (pairs[-1][1] @ pairs[-1][1])
    r = gamma * q                                                 # r = H_k^0 q
    for (s, y), rho, a in zip(pairs, rhos, reversed(alphas)):   # i = k-m, ..., k-1
        b = rho * (y @ r)
        r += (a - b) * s
    return r


class LBFGS(Stepper):
    """Resumable L-BFGS: ``opt = LBFGS(fun, x0, ...)``, then ``opt.step()`` until ``opt.done``;
    ``opt.result()`` is the OptimizeResult. Arguments as ``minimize_lbfgs``, plus c1, c2 (the
    Wolfe constants; N&W's 1e-4 and 0.9 for quasi-Newton methods).

    Attributes: x, f, g; pairs (the deque of (s, y), oldest first); nit; nfev = njev (fresh
    evaluations, cache hits not counted); status (None while running, else scipy's codes:
    0 converged, 1 maxiter, 2 line search failed, 3 NaN/inf) and message; history
    (LBFGSRecords); x_best, f_best, g_best (lowest f evaluated, trial points included).

    Parameters
    ----------
    fun : callable
        ``fun(x) -> (f, g)``, f a float and g the gradient, an array like x.
    x0 : array_like
        Starting point, 1-D.
    m : int, default 10
        Pairs (s, y) kept, >= 1.
    line_search : {"wolfe", "scipy"}, default "wolfe"
        Strong Wolfe by scipy.optimize.line_search, or Moré–Thuente (L-BFGS-B's search).
    gtol : float, default 1e-5
        Stop when the gradient's ``norm`` is at most gtol (>= 0).
    norm : float, default inf
        Order of that norm (nonzero; inf, as L-BFGS-B's pgtol).
    maxiter : int, optional
        Iteration limit, >= 0 (None: 200 * len(x0)).
    c1, c2 : float, default 1e-4 and 0.9
        Wolfe constants, 0 < c1 < c2 < 1.
    state : dict, optional
        A ``state_dict()`` of a stepper built with the same options: continue from it
        (x0 then only gives the size; fun is not called here).

    Raises
    ------
    TypeError
        fun not callable, x0 not a real numeric array, or m, maxiter not ints, naming it.
    ValueError
        x0 not 1-D, empty or not finite; m below 1; an unknown line_search; gtol below 0;
        a zero or NaN norm; c1, c2 outside 0 < c1 < c2 < 1; each naming the argument.
    RuntimeError
        ``step()`` after the run has stopped (``opt.done``).

    Examples
    --------
    >>> import numpy as np
    >>> from minitwophase.optim import LBFGS
    >>> A, b = np.diag([1.0, 10.0]), np.array([1.0, 1.0])     # minimum at A^-1 b = (1, 0.1)
    >>> opt = LBFGS(lambda x: (0.5 * x @ A @ x - b @ x, A @ x - b), np.zeros(2), m=5)
    >>> while not opt.done:
    ...     record = opt.step()
    >>> res = opt.result()
    >>> res.status, np.allclose(res.x, [1.0, 0.1], atol=1e-5)
    (0, True)
    >>> len(res.history) == res.nit + 1           # row 0 is x0
    True
    """

    def __init__(self, fun, x0, m=10, line_search="wolfe", gtol=1e-5, norm=np.inf,
                 maxiter=None, *, c1=1e-4, c2=0.9, state=None):
        if not callable(fun):
            raise TypeError(f"fun must be callable x -> (f, g), got {type(fun).__name__}")
        self.fun, self.x = fun, as_float_array(x0, "x0", ndim=1).copy()
        self.m = positive_int(m, "m")
        self.line_search = choice(line_search, "line_search", LBFGS_LINE_SEARCHES)
        self._stop_tests(gtol, norm, maxiter)
        self.c1 = real_number(c1, "c1", low=0.0, high=1.0, low_open=True, high_open=True)
        self.c2 = real_number(c2, "c2", low=self.c1, high=1.0, low_open=True, high_open=True)
        self.pairs = deque(maxlen=self.m)
        if state is not None:                    # a resumed run: no evaluation at x0
            self.load_state_dict(state)
            return
        self.f, self.g = call_fun(fun, self.x)
        self.nfev = self.njev = 1
        self.nit, self.restart = 0, "initial"
        self._start(LBFGSRecord(0, self.f, float(np.linalg.norm(self.g)), np.nan, "", 1, 0))

    STATE = Stepper.STATE + ("restart",)
    _record_type = LBFGSRecord

    def state_dict(self):
        """Stepper.state_dict plus the pairs (s, y), oldest first."""
        return {**super().state_dict(), "pairs": [[s.copy(), y.copy()] for s, y in self.pairs]}

    def load_state_dict(self, state):
        super().load_state_dict(state)
        self.pairs = deque(((s.copy(), y.copy()) for s, y in state["pairs"]), maxlen=self.m)
        return self

    def direction(self):
        """d_k = -H_k g_k (Algorithm 7.4)."""
        return -two_loop(self.g, list(self.pairs))

    def _search(self, d, alpha0=None):
        line = LineFunction(self.fun, self.x, self.f, self.g, d)
        if alpha0 is None:                                        # N&W: 1; no pairs: L-BFGS-B's
            alpha0 = 1.0 if self.pairs else min(1.0, 1.0 / np.linalg.norm(d))
        alpha, why = SEARCHES[self.line_search](line, alpha0, self.c1, self.c2)
        self._keep_best(line, d)
        return line, alpha, why

    def step(self):
        """One L-BFGS iteration (Algorithm 7.5); returns its LBFGSRecord."""
        if self.done:
            raise RuntimeError(f"LBFGS has stopped (status {self.status}): {self.message}")
        restart = "initial" if self.nit == 0 else ""
        d = self.direction()
        if not self.g @ d < 0:                                    # rounding only: H_k is SPD
            self.pairs.clear()
            d, restart = -self.g, "descent"
        line, alpha, why = self._search(d)
        nfev = 0
        if alpha is None:                                         # retry once along -g
            nfev = line.nfev
            # along -g already: from the best step that search found (scipy's zoom gives up
            # after 10 bisections when the first trial overshoots by far), or, if none of its
            # trials lowered f, from a tenth of the shortest (all were too long)
            alpha0 = None
            if not self.pairs:
                alpha0 = line.best[0] if line.best[0] > 0 else min(line.trials, default=0) / 10
                alpha0 = alpha0 if alpha0 > 0 else None
            self.pairs.clear()
            d, restart = -self.g, "line search"
            line, alpha, why = self._search(d, alpha0)
        if alpha is not None:                                     # before counting: a dropped
            f_new, g_new = line.phi(alpha), line.grad(alpha)      # g is re-evaluated (as CG)
        nfev += line.nfev
        self.nfev += nfev
        self.njev = self.nfev
        if alpha is None:                                         # keep the best point seen
            self._give_up(line, why)
            return self._record(np.nan, restart, nfev)
        x_new = self.x + alpha * d
        s, y = x_new - self.x, g_new - self.g
        if s @ y > np.finfo(float).eps * (y @ y):                 # curvature condition s^T y > 0
            self.pairs.append((s, y))                             # deque drops the oldest
        self.x, self.f, self.g = x_new, f_new, g_new
        self.nit += 1
        self._check_stop()
        return self._record(alpha, restart, nfev)

    def _record(self, alpha, restart, nfev):
        rec = LBFGSRecord(self.nit, self.f, float(np.linalg.norm(self.g)), float(alpha),
                          restart, nfev, len(self.pairs))
        self.history.append(rec)
        return rec


def minimize_lbfgs(fun, x0, m=10, line_search="wolfe", gtol=1e-5, maxiter=None, callback=None,
                   **options):
    """Minimize ``fun(x) -> (f, g)`` by L-BFGS with memory ``m``; see ``LBFGS`` for
    ``options`` (norm, c1, c2). line_search: a key of ``LBFGS_LINE_SEARCHES``. Stops when
    ||g||_norm <= gtol (max-norm by default, as L-BFGS-B's pgtol). ``callback`` as in
    ``minimize_cg`` and scipy.optimize.minimize (``callback(xk)``, or
    ``callback(intermediate_result)`` with an OptimizeResult holding x, fun, jac, nit, record;
    StopIteration stops the run with status 99).

    N&W Algorithms 7.4 (two-loop recursion) and 7.5, H_k^0 = gamma_k I by (7.20).

    Parameters
    ----------
    fun : callable
        ``fun(x) -> (f, g)``.
    x0 : array_like
        Starting point, 1-D.
    m : int, default 10
        Pairs (s, y) kept, >= 1.
    line_search : {"wolfe", "scipy"}, default "wolfe"
        A key of ``LBFGS_LINE_SEARCHES``.
    gtol : float, default 1e-5
        Gradient-norm tolerance, >= 0.
    maxiter : int, optional
        Iteration limit, >= 0 (None: 200 * len(x0)).
    callback : callable, optional
        Called after every iteration, as above.
    **options
        norm, c1, c2, passed to ``LBFGS``.

    Returns
    -------
    OptimizeResult
        ``x``, ``fun``, ``jac``, ``nit``, ``nfev``, ``njev``, ``status`` (0 converged,
        1 maxiter, 2 line search failed, 3 NaN/inf, 99 stopped by the callback),
        ``success``, ``message``, ``history`` (one LBFGSRecord per iteration, row 0 for x0)
        and ``restarts``.

    Raises
    ------
    TypeError
        fun or callback not callable, or an argument of the wrong type, naming it.
    ValueError
        An argument out of range or an unknown line_search (see ``LBFGS``), naming it.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.optimize import rosen, rosen_der
    >>> from minitwophase.optim import minimize_lbfgs
    >>> res = minimize_lbfgs(lambda x: (rosen(x), rosen_der(x)), np.array([-1.2, 1.0]))
    >>> res.success, np.allclose(res.x, [1.0, 1.0], atol=1e-4)   # Rosenbrock's minimum
    (True, True)
    """
    opt = LBFGS(fun, x0, m=m, line_search=line_search, gtol=gtol, maxiter=maxiter, **options)
    return run(opt, callback)
