"""Nonlinear conjugate gradient (Nocedal & Wright 2nd ed., Algorithm 5.4 and Section 5.2).

    d_0 = -z_0;  x_{k+1} = x_k + alpha_k d_k (line search);  d_{k+1} = -z_{k+1} + beta d_k

with z = M^{-1} g, M the preconditioner (``precond``; none: z = g, the plain method), the
inner products of beta taken in M^{-1} (cg_beta.py; N&W Section 5.2, "Preconditioning").

``NonlinearCG`` is a resumable stepper: each ``step()`` is one iteration and its state (x, f,
g, d, f_prev, restart bookkeeping, counters, the line-search rule's own state) lives on the
object, so a trainer can run one iteration per epoch. ``minimize_cg`` is a loop over it.
The line searches (the table in line_search.py) choose alpha_k; sufficient descent
g^T d <= -sigma g^T z (Gilbert & Nocedal 1992) is required of every d. Restarts (d = -z,
beta = 0), recorded in the history with their reason:
  "powell"   |g_{k+1}^T z_k| >= nu g_{k+1}^T z_{k+1}, Powell (1977); N&W (5.52). Default
             ("auto"): nu = 0.2 for FR and DY, which jam without it, and for every beta with
             the near-exact golden search (successive gradients should then be orthogonal).
             Off otherwise: PR, PR+, HS, HZ restart themselves (beta -> 0 when steps stall).
  "periodic" every ``restart_every`` iterations (N&W Section 5.2). Default ("auto"): every
             n iterations with "hager-zhang" (CG_DESCENT 1.4's restart_fac = 1), else off.
  "descent"  the CG direction lacks sufficient descent.
  "beta"     beta not finite (a zero denominator, e.g. d^T y = 0 in HS, DY, HZ).
  "line search"  the search along d failed; retried once along -g before giving up.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .._validate import (args_tuple, as_float_array, callable_or_none, name_choice, positive_int,
                         preconditioner, real_number)
from .cg_beta import BETAS
from .line_function import LineFunction, call_fun, gradient_value, objective_value
from .line_search import LINE_SEARCHES, LINMIN_TOL, RULES
from .stepper import Stepper, gradient_norm, run


class CGRecord(NamedTuple):
    """One row of the history: row 0 is x_0, row k the iteration x_{k-1} -> x_k."""
    k: int          # iterations completed (nit) after this row
    f: float        # f(x_k)
    gnorm: float    # ||g(x_k)||_2, the paper's gradient norm (the stop test uses `norm`)
    alpha: float    # step length along d_{k-1} (nan in row 0 and after a failed search)
    beta: float     # beta of d_{k-1} (0 on a restart; nan in row 0)
    restart: str    # why d_{k-1} was reset to -g ("" = it was not; "initial" for d_0)
    nfev: int       # fresh evaluations of fun in this row (cache hits not counted)


def objective(fun, jac, args):
    """(fun, jac) for LineFunction, scipy's way: jac None or True: fun(x, *args) -> (f, g)
    (jac None returned); jac callable: fun(x, *args) -> f and jac(x, *args) -> g."""
    args = args_tuple(args)
    if not callable(fun):
        raise TypeError(f"fun must be callable x -> (f, g) (or x -> f with jac=), "
                        f"got {type(fun).__name__}")
    if not (jac is None or jac is True or callable(jac)):
        raise TypeError(f"jac must be None, True or a callable x -> g, got {jac!r}")
    bind = (lambda h: (lambda x: h(x, *args))) if args else (lambda h: h)
    return bind(fun), (None if jac is None or jac is True else bind(jac))


def cg_options(beta, line_search, c1, c2, xtol, sigma, powell_nu, restart_every, n):
    """The options of NonlinearCG, validated where they enter (defaults as its docstring)."""
    o = {"beta": name_choice(beta, "beta", set(BETAS)),
         "line_search": name_choice(line_search, "line_search", LINE_SEARCHES)}
    rule = RULES[o["line_search"]]
    c1 = rule.c1 if c1 is None else c1
    c2 = rule.c2 if c2 is None else c2
    o["c1"] = None if c1 is None else real_number(c1, "c1", low=0.0, high=1.0, low_open=True,
                                                  high_open=True)
    o["c2"] = None if c2 is None else real_number(c2, "c2", low=o["c1"] or 0.0, high=1.0,
                                                  low_open=True, high_open=True)
    o["xtol"] = real_number(xtol, "xtol", low=0.0, low_open=True)
    o["sigma"] = real_number(sigma, "sigma", low=0.0, high=1.0, high_open=True)
    if isinstance(powell_nu, str) and powell_nu == "auto":       # see the module docstring
        needed = o["beta"] in ("FR", "DY") or o["line_search"] == "golden"
        powell_nu = 0.2 if needed else None
    o["powell_nu"] = None if powell_nu is None else real_number(powell_nu, "powell_nu",
                                                                low=0.0, low_open=True)
    if isinstance(restart_every, str) and restart_every == "auto":   # module docstring
        restart_every = None if rule.restart_fac is None else max(1, int(rule.restart_fac * n))
    o["restart_every"] = None if restart_every is None else positive_int(restart_every,
                                                                         "restart_every")
    return o


class NonlinearCG(Stepper):
    """Resumable nonlinear CG: ``cg = NonlinearCG(fun, x0, ...)``, then ``cg.step()`` until
    ``cg.done``; ``cg.result()`` is the OptimizeResult.

    Attributes: x, f, g, z (= M^{-1} g); d (next search direction) with its beta and restart
    reason; f_prev (f of the previous iterate); alpha_prev, slope_prev (the last accepted step
    and phi'(0) of its search); nit; nfev (calls of fun) and njev (gradients), as scipy counts
    them; status (None while running, else as scipy's CG) and message; history (CGRecords);
    x_best, f_best, g_best (lowest f evaluated, trial points included). ``step()`` runs one
    iteration and returns its CGRecord (also appended to ``history``).

    Parameters
    ----------
    fun, x0, beta, line_search, gtol, norm, maxiter, args, jac, precond
        As ``minimize_cg``.
    c1, c2 : float, optional
        The search's Wolfe constants, 0 < c1 < c2 < 1; None: the rule's own.
    xtol : float, default 2e-4
        Golden-section relative tolerance (Numerical Recipes' linmin).
    sigma : float, default 0.01
        Sufficient descent: every d must have g^T d <= -sigma g^T z.
    powell_nu : "auto", float or None, default "auto"
        Powell's restart threshold (module docstring); None: no Powell restarts.
    restart_every : "auto", int or None, default "auto"
        Periodic restart every this many iterations (module docstring); None: never.
    on_search : callable, optional
        Called as ``on_search(cg, line, alpha)`` after every line search: ``line.trials``
        holds the alphas it evaluated.
    state : dict, optional
        A ``state_dict()`` of a stepper built with the same options: continue from it
        (x0 then only gives the size; fun is not called here).

    Raises
    ------
    ValueError
        An unknown beta or line search, an option out of range, or a ``precond`` of the wrong
        shape or sign, naming it.
    TypeError
        ``fun``, ``jac`` or ``on_search`` of the wrong kind, or ``fun`` returning a complex
        or non-numeric value.
    RuntimeError
        ``step()`` called once ``cg.done`` (the run has stopped).

    Examples
    --------
    On a 2-D quadratic f = x^T A x / 2 - b^T x, CG with exact line searches reaches the
    minimiser A^{-1} b in at most 2 iterations (N&W Theorem 5.2):

    >>> import numpy as np
    >>> from minitwophase import optim
    >>> A, b = np.array([[4.0, 1.0], [1.0, 3.0]]), np.array([1.0, 2.0])
    >>> cg = optim.NonlinearCG(lambda x: (0.5 * x @ A @ x - b @ x, A @ x - b), np.zeros(2))
    >>> while not cg.done:
    ...     rec = cg.step()
    >>> cg.nit <= 3, cg.status
    (True, 0)
    >>> np.allclose(cg.result().x, np.linalg.solve(A, b))
    True
    """

    def __init__(self, fun, x0, beta="PR+", line_search="wolfe", gtol=1e-5, norm=np.inf,
                 maxiter=None, *, args=(), jac=None, precond=None, c1=None, c2=None,
                 xtol=LINMIN_TOL, sigma=0.01, powell_nu="auto", restart_every="auto",
                 on_search=None, state=None):
        self.fun, self.jac = objective(fun, jac, args)
        self.x = as_float_array(x0, "x0", ndim=1).copy()
        self._stop_tests(gtol, norm, maxiter)
        o = cg_options(beta, line_search, c1, c2, xtol, sigma, powell_nu, restart_every,
                       self.x.size)
        self.beta_name, self.line_search = o["beta"], o["line_search"]
        self.c1, self.c2, self.xtol, self.sigma = o["c1"], o["c2"], o["xtol"], o["sigma"]
        self.powell_nu, self.restart_every = o["powell_nu"], o["restart_every"]
        self.on_search = callable_or_none(on_search, "on_search")
        apply = preconditioner(precond, self.x.size)
        self.precond = (lambda r: r) if apply is None else apply      # z = M^{-1} g
        self.search = self.make_rule(RULES[self.line_search])
        if state is not None:                    # a resumed run: no evaluation at x0
            self.load_state_dict(state)
            return
        self.f, self.g = self._evaluate(self.x)
        self.nfev = self.njev = 1
        self.nit, self._since_restart = 0, 0
        self.z = self.precond(self.g)
        self.d, self.beta, self.restart = -self.z, 0.0, "initial"   # d_0 = -z_0
        self.f_prev = self.f + np.linalg.norm(self.g) / 2   # scipy's f_{-1} (its first trial)
        self.alpha_prev = self.slope_prev = None
        self._start(CGRecord(0, self.f, float(np.linalg.norm(self.g)), np.nan, np.nan, "", 1))

    # Besides Stepper.STATE: the direction, beta and restart bookkeeping of the next step.
    STATE = Stepper.STATE + ("z", "d", "beta", "restart", "f_prev", "alpha_prev", "slope_prev",
                             "_since_restart")
    _record_type = CGRecord

    def state_dict(self):
        """Stepper.state_dict plus the line-search rule's own state (HagerZhang's C_k, Q_k)."""
        return {**super().state_dict(), "search": self.search.state_dict()}

    def load_state_dict(self, state):
        super().load_state_dict(state)
        self.search.load_state_dict(state["search"])
        return self

    def _evaluate(self, x):
        if self.jac is None:
            return call_fun(self.fun, x)
        return objective_value(self.fun(x)), self._gradient(x)

    def _gradient(self, x):
        if self.jac is None:
            return call_fun(self.fun, x)[1]
        return gradient_value(self.jac(x), x.shape, "jac(x) must return g")

    def make_rule(self, rule):
        """The line-search rule object for this run (a subclass may substitute its own)."""
        return rule(self.c1, self.c2, self.xtol)

    def _search(self, retry=False):
        """Line search along self.d; keeps the best point any search has seen."""
        line = LineFunction(self.fun, self.x, self.f, self.g, self.d, self.jac)
        alpha, why = self.search(line, self.descent_ahead(line), f_prev=self.f_prev,
                                 alpha_prev=self.alpha_prev, slope_prev=self.slope_prev,
                                 retry=retry)
        self._keep_best(line, self.d)
        if self.on_search is not None:
            self.on_search(self, line, alpha)
        return line, alpha, why

    def descent_ahead(self, line):
        """accept(alpha): True if the step converges or the next CG direction is a
        sufficient descent one (scipy CG's descent test, Gilbert & Nocedal 1992). ``view``:
        another view of the same line to read g through (the scipy replay's last-point cache)."""
        def accept(alpha, view=line):
            g = view.grad(alpha)
            if gradient_norm(g, self.norm) <= self.gtol:
                return True
            return self._new_direction(g, self.precond(g))[2] not in ("descent", "beta")
        return accept

    def _new_direction(self, g_new, z_new):
        """beta and d_{k+1} = -z_{k+1} + beta d_k (N&W (5.40), preconditioned: Algorithm 5.3's
        direction update), or a restart d = -z_{k+1} and its reason."""
        gz = g_new @ z_new
        if self.restart_every is not None and self._since_restart >= self.restart_every:
            return 0.0, -z_new, "periodic"
        if self.powell_nu is not None and abs(g_new @ self.z) >= self.powell_nu * gz:
            return 0.0, -z_new, "powell"
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            beta = float(BETAS[self.beta_name](g_new, self.g, self.d, g_new - self.g,
                                               z_new, self.z))
        if not np.isfinite(beta):
            return 0.0, -z_new, "beta"
        d = -z_new + beta * self.d
        if g_new @ d > -self.sigma * gz:
            return 0.0, -z_new, "descent"
        return beta, d, ""

    def step(self):
        """One CG iteration (N&W Algorithm 5.4); returns its CGRecord (also in ``history``)."""
        if self.done:
            raise RuntimeError(f"NonlinearCG has stopped (status {self.status}): {self.message}")
        line, alpha, why = self._search()                      # alpha_k along d_k
        nfev = njev = 0
        if alpha is None and not self.restart:                 # retry once along -z
            nfev, njev = line.nfev, line.njev
            self.d, self.beta, self.restart = -self.z, 0.0, "line search"
            line, alpha, why = self._search(retry=True)
        if alpha is not None:
            f_new, g_new = line.phi(alpha), line.grad(alpha)   # (a dropped g is re-evaluated)
        nfev, njev = nfev + line.nfev, njev + line.njev
        self.nfev, self.njev = self.nfev + nfev, self.njev + njev
        if alpha is None:                                      # keep the best point seen
            self._give_up(line, why)
            return self._record(np.nan, nfev)
        x_new = self.x + alpha * self.d                        # x_{k+1} = x_k + alpha_k d_k
        z_new = self.precond(g_new)                            # z_{k+1} = M^{-1} g_{k+1}
        rec_beta, rec_restart = self.beta, self.restart
        self._since_restart += 1
        self.beta, d_new, self.restart = self._new_direction(g_new, z_new)   # d_{k+1}
        if self.restart:
            self._since_restart = 0
        self.alpha_prev, self.slope_prev = alpha, line.slope(0.0)
        self.f_prev, self.x, self.f, self.g, self.z, self.d = (self.f, x_new, f_new, g_new,
                                                                z_new, d_new)
        self.nit += 1
        self._check_stop()
        return self._record(alpha, nfev, rec_beta, rec_restart)

    def _record(self, alpha, nfev, beta=None, restart=None):
        rec = CGRecord(self.nit, self.f, float(np.linalg.norm(self.g)), float(alpha),
                       self.beta if beta is None else beta,
                       self.restart if restart is None else restart, nfev)
        self.history.append(rec)
        return rec


def minimize_cg(fun, x0, beta="PR+", line_search="wolfe", gtol=1e-5, norm=np.inf,
                maxiter=None, callback=None, *, args=(), jac=None, precond=None, **options):
    """Minimize ``fun`` by nonlinear CG (N&W Algorithm 5.4, preconditioned as in Section 5.2).

    The loop: d_0 = -z_0 (z = M^{-1} g; M = I without ``precond``); x_{k+1} = x_k + alpha_k d_k
    with alpha_k from the line search; d_{k+1} = -z_{k+1} + beta_{k+1} d_k. When a line search
    fails the best point seen is kept and ``message`` says why. See ``NonlinearCG`` for the
    further ``options`` (c1, c2, xtol, sigma, powell_nu, restart_every, on_search).

    Parameters
    ----------
    fun : callable
        ``fun(x, *args) -> (f, g)``; with a callable ``jac``, ``fun(x, *args) -> f``. f may be
        a real scalar or an array of size 1.
    x0 : ndarray
        Starting point, 1-D float.
    beta : {"FR", "PR", "PR+", "HS", "DY", "HZ"}, default "PR+"
        The beta formula, any case ("pr+" is "PR+").
    line_search : {"wolfe", "golden", "scipy", "hager-zhang"}, default "wolfe"
        A key of ``minitwophase.optim.LINE_SEARCHES``: strong Wolfe through
        ``scipy.optimize.line_search`` (scale-free first trial), the paper's golden section
        (Numerical Recipes' linmin tolerance 2e-4), the Moré-Thuente search that replays
        scipy's CG, or CG_DESCENT's approximate-Wolfe search.
    gtol : float, default 1e-5
        Stop once the gradient's ``norm`` is at most gtol.
    norm : float, default inf
        Order of that norm (as scipy's CG).
    maxiter : int, optional
        Iteration limit; None means 200 len(x0), as scipy's CG.
    callback : callable, optional
        As in scipy.optimize.minimize: ``callback(xk)`` (a copy of x_k) or, if its one
        parameter is named ``intermediate_result``, ``callback(intermediate_result=res)`` with
        an OptimizeResult (x, fun, jac, nit, record); raising StopIteration stops the run
        (status 99).
    args : tuple, optional
        Extra arguments of ``fun`` and ``jac``.
    jac : None, True or callable, optional
        As in scipy.optimize.minimize: None or True, ``fun`` returns (f, g); a callable,
        ``fun`` returns f alone and ``jac(x, *args)`` the gradient, and a search that needs
        f alone (golden section) calls ``fun`` alone. ``nfev`` counts calls of fun, ``njev``
        gradients, as scipy counts them.
    precond : None, ndarray or callable, optional
        A 1-D positive array m (M = diag(m): the preconditioned residual is g / m) or a
        callable r -> M^{-1} r; ``np.ones(n)`` gives the unpreconditioned iterates exactly.

    Returns
    -------
    OptimizeResult
        ``x`` (the best point), ``fun``, ``jac``, ``nit``, ``nfev``, ``njev``, ``status``
        and ``message`` as scipy's CG (0 converged, 1 maxiter, 2 precision loss / line search
        failed, 3 NaN, 99 stopped by the callback), ``success``, and ``history``: one CGRecord
        per iteration (f, |g|, alpha, beta, restart, nfev).

    Raises
    ------
    ValueError
        An unknown beta or line search, an option out of range, or a ``precond`` of the wrong
        shape or sign, naming it.
    TypeError
        ``fun`` returns a bare number without a ``jac``, or a complex or non-numeric value.

    Examples
    --------
    >>> import numpy as np, minitwophase as mtp
    >>> from scipy.optimize import rosen, rosen_der
    >>> res = mtp.minimize_cg(rosen, np.array([-1.2, 1.0]), jac=rosen_der)
    >>> res.status, res.message
    (0, 'Optimization terminated successfully.')
    >>> np.allclose(res.x, [1.0, 1.0], atol=1e-5)
    True
    """
    cg = NonlinearCG(fun, x0, beta=beta, line_search=line_search, gtol=gtol, norm=norm,
                     maxiter=maxiter, args=args, jac=jac, precond=precond, **options)
    return run(cg, callback)
