"""What the resumable line-search optimizers (NonlinearCG, LBFGS) share: the stop tests, the
best point any search has seen, giving up after a failed search, the scipy-style result, and
the ``minimize_*`` loop with its callback. Each algorithm's own step stays in its own file."""
from __future__ import annotations

import inspect
import numbers

import numpy as np
from scipy.optimize import OptimizeResult

from .._validate import callable_or_none, positive_int, real_number

SCIPY_MESSAGES = {  # scipy's CG status messages (scipy.optimize._optimize._status_message)
    0: "Optimization terminated successfully.",
    1: "Maximum number of iterations has been exceeded.",
    2: "Desired error not necessarily achieved due to precision loss.",
    3: "NaN result encountered.",
    99: "`callback` raised `StopIteration`.",
}


def gradient_norm(g, order):
    """||g||_order as scipy's CG takes it for its stop test (scipy.optimize's vecnorm):
    the same operations, so a replay stops where scipy stops."""
    if order == np.inf:
        return np.amax(np.abs(g))
    if order == -np.inf:
        return np.amin(np.abs(g))
    return np.sum(np.abs(g) ** order, axis=0) ** (1.0 / order)


class Stepper:
    """Mixin; the subclass sets fun, x, calls ``_stop_tests``, sets f, g, nit, nfev, njev,
    then calls ``_start``. ``state_dict()`` / ``load_state_dict(state)``: the state between two
    iterations (the attributes named in ``STATE``, the history), so a stepper built with the
    same options continues bit for bit (resumable training runs)."""

    STATE = ("x", "f", "g", "nit", "nfev", "njev", "status", "message", "x_best", "f_best", "g_best")
    _record_type = tuple                 # the history's record type (a NamedTuple)

    def state_dict(self):
        """Copies of everything the next ``step()`` reads: ``STATE``'s attributes (arrays,
        numbers, strings) and the history as lists."""
        state = {k: _copied(getattr(self, k)) for k in self.STATE}
        state["history"] = [list(r) for r in self.history]
        return state

    def load_state_dict(self, state):
        """Continue from ``state_dict()``'s output (of a stepper with the same options)."""
        for k in self.STATE:
            setattr(self, k, _copied(state[k]))
        self.history = [self._record_type(*r) for r in state["history"]]
        return self

    def _stop_tests(self, gtol, norm, maxiter):
        """Validate and keep the stop tests: ||g||_norm <= gtol, nit >= maxiter (None: 200 n)."""
        self.gtol = real_number(gtol, "gtol", low=0.0)
        if isinstance(norm, bool) or not isinstance(norm, numbers.Real) or norm == 0 or norm != norm:
            raise ValueError(f"norm must be a nonzero real order (np.inf allowed), got {norm!r}")
        self.norm = norm
        self.maxiter = 200 * self.x.size if maxiter is None else positive_int(maxiter, "maxiter", 0)

    def _start(self, first_record):
        """After f(x_0), g(x_0): the best point so far, history row 0, the stop tests."""
        self.x_best, self.f_best, self.g_best = self.x, self.f, self.g
        self.status, self.message = None, None
        self.history = [first_record]
        if not (np.isfinite(self.f) and np.all(np.isfinite(self.g))):
            self._finish(3, "fun(x0) returned a non-finite f or gradient.")
        else:
            self._check_stop()

    @property
    def done(self):
        return self.status is not None

    def _finish(self, status, detail=""):
        self.status = status
        self.message = (SCIPY_MESSAGES[status] + " " + detail).strip()

    def _check_stop(self):
        if gradient_norm(self.g, self.norm) <= self.gtol:
            self._finish(0)
        elif self.nit >= self.maxiter:
            self._finish(1)

    def _keep_best(self, line, d):
        """Remember the lowest f the search along d evaluated (trial points included)."""
        a, f, g = line.best
        if f < self.f_best:
            self.x_best, self.f_best, self.g_best = self.x + a * d, f, g

    def _give_up(self, line, why):
        """A failed search (after its retry): back to the best point seen, status 2 (3 if the
        search met NaN/inf)."""
        if self.g_best is None:       # a trial point whose f alone was evaluated (jac given)
            self.g_best = self._gradient(self.x_best)
            self.njev += 1
        self.x, self.f, self.g = self.x_best, self.f_best, self.g_best
        nan = line.nonfinite > 0
        self._finish(3 if nan else 2,
                     f"Line search failed in iteration {self.nit + 1}: {why}"
                     + (f" ({line.nonfinite} NaN/inf evaluation(s))" if nan else "")
                     + f"; returning the best point seen (f = {self.f:.17g}).")

    def result(self):
        """The run so far as a scipy OptimizeResult, plus ``history`` (the records) and
        ``restarts`` (directions reset after d_0). While running, status is None."""
        return OptimizeResult(
            x=self.x, fun=self.f, jac=self.g, nit=self.nit, nfev=self.nfev, njev=self.njev,
            status=self.status, success=self.status == 0,
            message=self.message or "Running: no stopping test met yet.",
            history=list(self.history),
            restarts=sum(1 for r in self.history if r.restart not in ("", "initial")))


def _copied(value):
    return value.copy() if isinstance(value, np.ndarray) else value


def wrap_callback(callback):
    """callback as scipy.optimize.minimize calls it (scipy's _wrap_callback): if its parameters
    are exactly {intermediate_result}, ``callback(intermediate_result=res)``, else
    ``callback(xk)`` with a copy of x_k. Returns f(opt, rec) or None."""
    callable_or_none(callback, "callback", "a callable callback(xk) or "
                     "callback(intermediate_result)")
    if callback is None:
        return None
    try:
        params = set(inspect.signature(callback).parameters)
    except (TypeError, ValueError):   # a builtin without a signature: the old style
        params = set()
    if params == {"intermediate_result"}:
        return lambda opt, rec: callback(intermediate_result=OptimizeResult(
            x=opt.x.copy(), fun=opt.f, jac=opt.g.copy(), nit=opt.nit, nfev=opt.nfev,
            njev=opt.njev, record=rec))
    return lambda opt, rec: callback(opt.x.copy())


def run(opt, callback):
    """Step ``opt`` until done, calling ``callback`` (see ``wrap_callback``) after every
    iteration; StopIteration raised by it stops the run with status 99 (as
    scipy.optimize.minimize; its return value is ignored, as scipy ignores it)."""
    call = wrap_callback(callback)
    while not opt.done:
        rec = opt.step()
        if call is not None:
            try:
                call(opt, rec)
            except StopIteration:
                opt._finish(99)
    return opt.result()
