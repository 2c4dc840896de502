"""Nonlinear CG: quadratics vs linear CG, minimizers vs scipy, honesty of results/counters."""
import numpy as np
import pytest
import scipy.optimize as so
from hypothesis import given, strategies as st

import minitwophase as mtp
from minitwophase import problems as P
from minitwophase.optim.cg_beta import BETAS
from minitwophase.optim.nonlinear_cg import NonlinearCG

from line_functions import counted

BETA_NAMES = ["FR", "PR", "PR+", "HS", "DY", "HZ"]


def uniform_quadratic(n, cond, seed):
    rng = np.random.default_rng(seed)
    lam = np.concatenate([[1.0, cond], rng.uniform(1.0, cond, n)])[:n]
    return P.quadratic(lam, seed)


@given(st.integers(2, 40), st.floats(1.0, 1e3), st.integers(0, 2 ** 16),
       st.sampled_from(BETA_NAMES))
def test_quadratic_near_exact_search_matches_linear_cg(n, cond, seed, beta):
    # Golden section held to xtol = sqrt(eps) (the tightest; the default is Numerical
    # Recipes' linmin 2e-4) locates alpha from f values to ~sqrt(eps) relative, so conjugacy
    # decays at that level: gtol 1e-4 |b| is usually reached within n + 2, but up to n + 4
    # was seen (n = 7, cond 404, DY/HZ; linear CG is at 2e-9 after 7). At 1e-6 |b| f's
    # rounding stops the search first (status 2, best point kept).
    p = uniform_quadratic(n, cond, seed)
    gtol = 1e-4 * np.abs(p.b).max()
    cg = NonlinearCG(p.fun, p.x0, beta=beta, line_search="golden", gtol=gtol,
                     xtol=np.sqrt(np.finfo(float).eps))
    iterates = []
    while not cg.done:
        cg.step()
        iterates.append(cg.x)
    assert cg.status == 0 and cg.nit <= n + 4
    # lambda_min = 1, so ||x - x*|| <= ||A x - b||_2 <= sqrt(n) gtol
    assert np.linalg.norm(cg.x - np.linalg.solve(p.A, p.b)) <= np.sqrt(n) * gtol
    scale = np.linalg.norm(p.x_star)
    for k, xk in enumerate(iterates[:3], start=1):   # golden's alpha error ~ sqrt(eps)
        lin = mtp.linear_cg(p.A, p.b, x0=p.x0, tol=0.0, maxiter=k).x
        assert np.linalg.norm(xk - lin) <= 1e-5 * scale


@given(st.sampled_from(range(6)), st.sampled_from(BETA_NAMES), st.sampled_from(["wolfe", "golden"]),
       st.integers(0, 2 ** 16))
def test_every_step_is_a_descent_step(i, beta, ls, seed):
    p = [P.rosenbrock(2), P.beale(), P.wood(), P.helical_valley(), P.powell_singular(4),
         uniform_quadratic(10, 100.0, seed)][i]
    x0 = p.x0 + 0.1 * np.random.default_rng(seed).standard_normal(p.n)
    cg = NonlinearCG(p.fun, x0, beta=beta, line_search=ls, maxiter=25)
    while not cg.done:
        assert cg.g @ cg.d <= -cg.sigma * (cg.g @ cg.g) * (1 - 1e-12)   # sufficient descent
        f_before = cg.f
        cg.step()
        assert cg.f < f_before or cg.status != 1 and cg.f <= f_before


@pytest.mark.parametrize("p", P.standard_problems(), ids=lambda p: p.name)
@pytest.mark.parametrize("beta", BETA_NAMES)
def test_reaches_scipy_cg_minimizer_wolfe(p, beta):
    res = mtp.minimize_cg(p.fun, p.x0, beta=beta)
    ref = so.minimize(p.fun, p.x0, jac=True, method="CG", options={"gtol": 1e-5})
    assert res.success, res.message
    # singular Hessian at x* (Powell): x is only determined to ~gtol^(1/3)
    tol = 0.05 if "powell" in p.name else 2e-3
    np.testing.assert_allclose(res.x, p.x_star, atol=tol * max(1, np.abs(p.x_star).max()))
    if ref.success:   # scipy stops early on variably_dimensioned (precision loss)
        np.testing.assert_allclose(res.x, ref.x, atol=2 * tol * max(1, np.abs(p.x_star).max()))
    assert np.abs(res.jac).max() <= 1e-5


@pytest.mark.parametrize("p", [P.rosenbrock(2), P.beale(), P.wood()], ids=lambda p: p.name)
@pytest.mark.parametrize("beta", BETA_NAMES)
def test_reaches_scipy_cg_minimizer_golden(p, beta):
    res = mtp.minimize_cg(p.fun, p.x0, beta=beta, line_search="golden")
    ref = so.minimize(p.fun, p.x0, jac=True, method="CG", options={"gtol": 1e-5})
    assert res.success, res.message
    np.testing.assert_allclose(res.x, ref.x, atol=2e-3)


def test_beta_formulas_by_hand():
    g, g_old, d = np.array([1.0, 0.0]), np.array([0.0, 2.0]), np.array([1.0, 1.0])
    y = g - g_old                              # (1, -2); d.y = -1; g.y = 1; |g_old|^2 = 4
    assert BETAS["FR"](g, g_old, d, y) == 0.25
    assert BETAS["PR"](g, g_old, d, y) == 0.25
    assert BETAS["HS"](g, g_old, d, y) == -1.0
    assert BETAS["DY"](g, g_old, d, y) == -1.0
    g2 = np.array([2.0, 0.0])                  # PR = g.(g - g2) / |g2|^2 = -1/4 -> PR+ = 0
    assert BETAS["PR"](g, g2, d, g - g2) == -0.25 and BETAS["PR+"](g, g2, d, g - g2) == 0.0
    # HZ: (y - 2 d |y|^2 / d.y).g / d.y = ((1,-2) + 10 (1,1)).(1,0) / -1 = -11,
    # above the truncation -1 / (|d| min(0.01, |g_old|)) = -100 / sqrt(2)
    assert BETAS["HZ"](g, g_old, d, y) == pytest.approx(-11.0, rel=1e-15)
    # d nearly orthogonal to y = (1, -1): beta_N ~ -4e6, so the truncation binds
    g3, d3 = np.array([0.0, 1.0]), np.array([1.0, 1.001])
    assert BETAS["HZ"](g, g3, d3, g - g3) == pytest.approx(-1.0 / (np.linalg.norm(d3) * 0.01))
    # HZ05 (1.7): eta_k = -1 / (||d_k|| min(eta, ||g_k||)) takes the OLD gradient g_k: with
    # ||g_k|| = 1e-3 < eta = 0.01 < ||g_{k+1}|| = 1 the bound is -1000 / ||d||, not -100 / ||d||
    g4, d4 = np.array([0.0, 1e-3]), np.array([1e-3, 0.999])   # d.y = 1e-6: beta_N ~ -2e9
    assert BETAS["HZ"](g, g4, d4, g - g4) == pytest.approx(-1.0 / (np.linalg.norm(d4) * 1e-3),
                                                           rel=1e-12)


def test_keeps_best_point_where_scipy_loses_it():
    # scipy issue 15643: f = |x| with its exact gradient; scipy discards its best trial point.
    fun, calls = counted(lambda x: (float(np.abs(x).sum()), np.sign(x)))
    res = mtp.minimize_cg(fun, np.array([1.1]))
    best = min(float(np.abs(c).sum()) for c in calls)
    assert res.status == 2 and not res.success
    assert "Line search failed" in res.message and "best point" in res.message
    assert res.fun == best and abs(res.x[0]) == best
    ref = so.minimize(lambda x: np.abs(x).sum(), [1.1], jac=np.sign, method="CG")
    assert res.fun <= ref.fun


def test_nan_start_and_nan_region():
    res = mtp.minimize_cg(lambda x: (np.nan, x), np.ones(2))
    assert res.status == 3 and "NaN" in res.message and res.nit == 0

    def fun(x):                               # NaN everywhere except at the start
        return (1.0, np.ones(1)) if x[0] == 0 else (np.nan, np.full(1, np.nan))
    res = mtp.minimize_cg(fun, np.zeros(1), line_search="golden")
    assert res.status == 3 and np.array_equal(res.x, np.zeros(1)) and res.fun == 1.0
    assert "NaN" in res.message and "best point" in res.message

    def fun2(x):                              # finite only for x < 2; minimum at 1.5
        return (float((x[0] - 1.5) ** 2), 2 * (x - 1.5)) if x[0] < 2 else (np.inf, x)
    for ls in ("wolfe", "golden"):
        res = mtp.minimize_cg(fun2, np.array([-10.0]), line_search=ls)
        assert res.success and res.x[0] == pytest.approx(1.5, abs=1e-5)


@pytest.mark.parametrize("ls", ["wolfe", "golden"])
def test_counters_are_honest_and_cache_works(ls):
    p = P.rosenbrock(4)
    fun, calls = counted(p.fun)
    res = mtp.minimize_cg(fun, p.x0, line_search=ls)
    # nfev counts calls of fun; njev the gradients the searches used (as scipy counts with
    # jac=True): golden section uses f alone, so there njev is about nit + 1
    assert res.nfev == len(calls) and res.njev <= res.nfev
    if ls == "golden":
        assert res.njev == res.nit + 1
    assert sum(r.nfev for r in res.history) == res.nfev
    keys = [c.tobytes() for c in calls]
    assert len(set(keys)) == len(keys)        # no point evaluated twice


def test_history_record():
    p = P.beale()
    res = mtp.minimize_cg(p.fun, p.x0)
    h = res.history
    assert len(h) == res.nit + 1 and [r.k for r in h] == list(range(res.nit + 1))
    assert h[0].f == p.fun(p.x0)[0] and np.isnan(h[0].alpha) and h[1].restart == "initial"
    assert h[-1].f == res.fun and h[-1].gnorm == pytest.approx(np.linalg.norm(res.jac))
    fs = np.array([r.f for r in h])
    assert np.all(np.diff(fs) < 0)
    assert all(r.alpha > 0 for r in h[1:]) and all(r.beta >= 0 for r in h[1:])   # PR+
    assert res.restarts == sum(1 for r in h if r.restart not in ("", "initial"))


def test_fr_jams_without_restart():
    # N&W Section 5.2: FR without restarts crawls; Powell's restart (5.52) cures it.
    p = P.rosenbrock(10)
    with_r = mtp.minimize_cg(p.fun, p.x0, beta="FR", line_search="golden", maxiter=400)
    without = mtp.minimize_cg(p.fun, p.x0, beta="FR", line_search="golden", maxiter=400,
                              powell_nu=None)
    assert with_r.success
    assert with_r.nit < without.nit


def test_callback_stops_and_maxiter():
    p = P.rosenbrock(2)
    seen = []

    def cb(intermediate_result):             # scipy's new-style callback, by its name
        seen.append(intermediate_result.nit)
        if intermediate_result.nit == 3:
            raise StopIteration
    res = mtp.minimize_cg(p.fun, p.x0, callback=cb)
    assert res.status == 99 and res.nit == 3 and seen == [1, 2, 3] and not res.success
    xs = []                                  # scipy's old style: callback(xk), a copy of x_k
    res = mtp.minimize_cg(p.fun, p.x0, callback=lambda xk: xs.append(xk))
    assert len(xs) == res.nit and np.array_equal(xs[-1], res.x) and xs[-1] is not res.x
    res = mtp.minimize_cg(p.fun, p.x0, callback=lambda xk: True)   # scipy ignores the return
    assert res.status == 0
    res = mtp.minimize_cg(p.fun, p.x0, maxiter=5)
    assert res.status == 1 and res.nit == 5 and "iterations" in res.message


def test_resumable_stepper_equals_minimize_cg_bitwise():
    p, q = P.wood(), P.helical_valley()
    ref_p = mtp.minimize_cg(p.fun, p.x0, beta="HZ")
    ref_q = mtp.minimize_cg(q.fun, q.x0, beta="HZ")
    a, b = NonlinearCG(p.fun, p.x0, beta="HZ"), NonlinearCG(q.fun, q.x0, beta="HZ")
    while not (a.done and b.done):            # interleaved, as a trainer would run them
        for s in (a, b):
            if not s.done:
                s.step()
    for s, ref in ((a, ref_p), (b, ref_q)):
        r = s.result()
        assert np.array_equal(r.x, ref.x) and r.nfev == ref.nfev and r.history == ref.history
    with pytest.raises(RuntimeError, match="stopped"):
        a.step()


def test_bad_inputs():
    p = P.beale()
    with pytest.raises(ValueError, match="beta must be one of"):
        mtp.minimize_cg(p.fun, p.x0, beta="XX")
    with pytest.raises(ValueError, match="line_search"):
        mtp.minimize_cg(p.fun, p.x0, line_search="armijo")
    with pytest.raises(ValueError, match="gtol"):
        mtp.minimize_cg(p.fun, p.x0, gtol=-1.0)
    with pytest.raises(ValueError, match="x0 must be 1-D"):
        mtp.minimize_cg(p.fun, np.ones((2, 1)))
    with pytest.raises(TypeError, match="fun must be callable"):
        mtp.minimize_cg(3, p.x0)
    with pytest.raises(ValueError, match=r"g of shape \(2,\), got \(3,\)"):
        mtp.minimize_cg(lambda x: (0.0, np.ones(3)), p.x0)
    with pytest.raises(ValueError, match="c2"):
        mtp.minimize_cg(p.fun, p.x0, c1=0.5, c2=0.4)
    with pytest.raises(TypeError, match="callback"):
        mtp.minimize_cg(p.fun, p.x0, callback=3)
    with pytest.raises(TypeError, match="on_search"):
        mtp.minimize_cg(p.fun, p.x0, on_search=3)
    with pytest.raises(TypeError, match="initial_step"):   # a selection-study option only
        mtp.minimize_cg(p.fun, p.x0, initial_step="slope")


@pytest.mark.parametrize("ls", ["wolfe", "scipy", "hager-zhang", "golden"])
def test_on_search_hook_sees_every_search(ls):
    p = P.rosenbrock(4)
    fun, calls = counted(p.fun)
    seen = []
    res = mtp.minimize_cg(fun, p.x0, line_search=ls, beta="HZ" if ls == "hager-zhang" else "PR+",
                          on_search=lambda cg, line, alpha: seen.append((line.nfev, line.trials)))
    assert res.success, res.message
    assert 1 + sum(n for n, _ in seen) == res.nfev == len(calls)
    assert sum(len(t) for _, t in seen) == len(calls) - 1     # every fresh call recorded
    assert len(seen) >= res.nit


@pytest.mark.parametrize("p", P.standard_problems(), ids=lambda p: p.name)
def test_cg_descent_reaches_the_minimizer(p):
    fun, calls = counted(p.fun)
    res = mtp.minimize_cg(fun, p.x0, beta="HZ", line_search="hager-zhang")
    assert res.success, res.message
    assert res.nfev == len(calls) == sum(r.nfev for r in res.history)
    tol = 0.05 if "powell" in p.name else 2e-3
    np.testing.assert_allclose(res.x, p.x_star, atol=tol * max(1, np.abs(p.x_star).max()))
    assert np.abs(res.jac).max() <= 1e-5
