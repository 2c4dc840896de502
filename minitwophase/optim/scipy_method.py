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
    """Minimize by nonlinear CG in scipy.optimize.minimize's conventions (module docstring).

    Pass it as ``method=mtp.scipy_cg``; scipy.optimize.minimize then hands it every argument
    below. Conventions follow scipy's own CG (scipy.optimize._optimize._minimize_cg).

    Parameters
    ----------
    fun : callable
        ``fun(x, *args)``: f (a scalar or an array of size 1), or ``(f, g)`` when jac is True.
    x0 : array_like
        Starting point, flattened to 1-D float64 (as scipy's CG).
    args : tuple, optional
        Extra arguments of fun and jac.
    jac : callable, True, None or False, optional
        The gradient ``jac(x, *args)``; True: fun returns ``(f, g)``; None or False: forward
        differences with the absolute step ``eps`` (n calls of fun per gradient).
    hess, hessp : optional
        Not used; a RuntimeWarning if given.
    bounds, constraints : optional
        Not supported (CG is unconstrained); a RuntimeWarning if given.
    callback : callable, optional
        ``callback(xk)``, or ``callback(intermediate_result=OptimizeResult)`` when that is its
        only parameter, after every iteration; raising StopIteration ends the run (status 99).
    tol : float, optional
        The default of ``gtol``.
    gtol : float, optional
        Stop when the gradient's ``norm`` is at most gtol (default tol, else 1e-5).
    norm : float, optional
        Order of the gradient norm (default inf, as scipy).
    eps : float, optional
        Forward-difference step when jac is None or False (default sqrt(machine eps)).
    maxiter : int, optional
        Iteration limit (default 200 * len(x0)).
    c1, c2 : float, optional
        Wolfe constants of the line search (None: the search's defaults).
    beta : str, optional
        The CG update rule, "FR", "PR", "PR+", "HS", "DY" or "HZ"
        (default "PR+").
    line_search : str, optional
        The line search, "wolfe", "golden", "scipy" or
        "hager-zhang" (default "wolfe").
    precond : array_like or callable, optional
        The preconditioner M: a 1-D positive array m (M = diag(m)) or a callable
        r -> M^{-1} r; None (default): none.
    return_all : bool, optional
        Store the iterates, x0 first, in ``res.allvecs``.
    disp : bool, optional
        Print scipy's summary at the end.
    **unknown
        Unknown options: an OptimizeWarning naming them (as scipy), otherwise ignored.

    Returns
    -------
    res : scipy.optimize.OptimizeResult
        ``x``, ``fun``, ``jac``, ``nit``, ``status``, ``success``, ``message``, ``nfev``
        (every call of fun, those of the differences too), ``njev`` (gradients), and
        ``allvecs`` if return_all.

    Raises
    ------
    ValueError
        jac neither a callable, True, None nor False; x0 empty or not finite; an unknown beta
        or line_search.
    TypeError
        x0 not a real numeric array.

    Warns
    -----
    OptimizeWarning
        Unknown solver options.
    RuntimeWarning
        bounds, constraints, hess or hessp given.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.optimize import minimize
    >>> import minitwophase as mtp
    >>> A, b = np.diag([1.0, 10.0]), np.array([1.0, 1.0])
    >>> res = minimize(lambda x: 0.5 * x @ A @ x - b @ x, np.zeros(2), method=mtp.scipy_cg,
    ...                jac=lambda x: A @ x - b)
    >>> res.success, np.allclose(res.x, [1.0, 0.1])
    (True, True)
    """
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
