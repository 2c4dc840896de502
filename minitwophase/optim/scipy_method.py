"""``scipy_cg``: NonlinearCG as a custom method of scipy.optimize.minimize.

    scipy.optimize.minimize(fun, x0, method=mtp.scipy_cg, jac=..., args=..., callback=...,
                            tol=..., options={...})

scipy hands a callable ``method`` everything it was given (scipy.optimize.minimize, "Custom
minimizers"); this function follows scipy's own CG (scipy.optimize._optimize._minimize_cg) in
every convention a user sees:
- jac: a callable (fun returns f), True (fun returns (f, g)), or None/False: forward
  differences with the absolute step ``eps`` = sqrt(machine eps), as scipy's CG, through the
  public scipy.optimize.approx_fprime at the f already computed there (n calls of fun per
  gradient). nfev counts every call of fun (those of the differences too), njev gradients.
- tol: the default of ``gtol`` (scipy: options.setdefault("gtol", tol)).
- options: gtol, norm, eps, maxiter (default 200 * len(x0)), c1, c2, beta, line_search,
  precond, return_all (the iterates in ``allvecs``, x0 first), disp (prints scipy's summary);
  unknown options give scipy's OptimizeWarning; bounds and constraints a RuntimeWarning (CG
  is unconstrained), as scipy's CG.
- callback(xk), or callback(intermediate_result=OptimizeResult) when that is its only
  parameter; StopIteration ends the run with status 99 and scipy's message.
- f may be a scalar or an array of size 1 (scipy's ScalarFunction accepts both).
"""
from __future__ import annotations

import warnings

import numpy as np
from scipy.optimize import OptimizeWarning, approx_fprime

from .._validate import args_tuple, as_float_array
from .line_function import objective_value
from .nonlinear_cg import NonlinearCG
from .stepper import run, wrap_callback

EPS = np.sqrt(np.finfo(float).eps)    # scipy's _epsilon, the forward-difference step


def _forward_differences(fun, eps):
    """(f, jac) with jac(x) by approx_fprime, reusing f at the last point fun was called at
    (scipy's ScalarFunction does the same), so each gradient costs n calls of fun."""
    last = {}

    def f(x):
        value = fun(x)
        last["x"], last["f"] = x.copy(), value
        return value

    def reuse(z):
        if "x" in last and np.array_equal(z, last["x"]):
            return last["f"]
        return fun(z)

    def jac(x):
        return approx_fprime(x, lambda z: objective_value(reuse(z)), eps)
    return f, jac


def scipy_cg(fun, x0, args=(), jac=None, hess=None, hessp=None, bounds=None, constraints=(),
             callback=None, tol=None, *, gtol=None, norm=np.inf, eps=EPS, maxiter=None,
             c1=None, c2=None, beta="PR+", line_search="wolfe", precond=None,
             return_all=False, disp=False, **unknown):
    """Minimize by nonlinear CG in scipy.optimize.minimize's conventions (module docstring)."""
    if unknown:
        warnings.warn(f"Unknown solver options: {', '.join(sorted(unknown))}",
                      OptimizeWarning, stacklevel=3)
    if bounds is not None or constraints not in ((), None, []):
        warnings.warn("Method scipy_cg cannot handle constraints nor bounds.", RuntimeWarning,
                      stacklevel=3)
    if hess is not None or hessp is not None:
        warnings.warn("Method scipy_cg does not use Hessian information (hess).",
                      RuntimeWarning, stacklevel=3)
    args = args_tuple(args)
    x0 = as_float_array(np.atleast_1d(x0), "x0").reshape(-1)   # scipy's CG: x0.flatten()
    calls = {"fun": 0}

    def counted(x, *a):
        calls["fun"] += 1
        return fun(x, *a)

    f_only, grad = counted, jac
    if jac is None or jac is False:
        f_only, grad = _forward_differences(lambda x: counted(x, *args), eps)
        args = ()
    elif not (jac is True or callable(jac)):
        raise ValueError(f"jac must be a callable, True, or None/False (forward differences, "
                         f"as scipy's CG), got {jac!r}")
    gtol = (1e-5 if tol is None else tol) if gtol is None else gtol
    cg = NonlinearCG(f_only, x0, beta=beta, line_search=line_search, gtol=gtol, norm=norm,
                     maxiter=maxiter, args=args, jac=grad, precond=precond, c1=c1, c2=c2)
    allvecs, user = [cg.x.copy()], wrap_callback(callback)

    def each(intermediate_result):    # after every iteration: allvecs, then the user's
        allvecs.append(intermediate_result.x)
        if user is not None:
            user(cg, intermediate_result.record)

    res = run(cg, each)
    res.nfev, res.njev = calls["fun"], cg.njev
    if return_all:
        res.allvecs = allvecs
    if disp:
        print(res.message)
        print(f"         Current function value: {res.fun:f}")
        print(f"         Iterations: {res.nit:d}")
        print(f"         Function evaluations: {res.nfev:d}")
        print(f"         Gradient evaluations: {res.njev:d}")
    return res
