"""Line searches: strong Wolfe conditions checked independently; golden vs exact minimizer."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

from minitwophase import problems as P
from minitwophase.optim import LINE_SEARCHES
from minitwophase.optim.line_search import RULES, LineFunction, golden, wolfe


def counted(fun):
    calls = []

    def f(x):
        calls.append(x.copy())
        return fun(x)
    return f, calls


@given(st.integers(0, 2 ** 16), st.floats(1e-2, 1.0))
def test_wolfe_step_satisfies_strong_wolfe(seed, length):
    # First trial steps of length 0.01 <= ||alpha0 d|| <= 1. (Far outside that range scipy's
    # search, with its capped doubling and zoom, can fail: NonlinearCG then retries/reports.)
    p = P.rosenbrock(4)
    x = p.x0 + np.random.default_rng(seed).standard_normal(4)
    f0, g0 = p.fun(x)
    d = -g0
    line = LineFunction(p.fun, x, f0, g0, d)
    alpha, why = wolfe(line, length / np.linalg.norm(d), c1=1e-4, c2=0.4)
    assert why is None and alpha > 0
    f1, g1 = p.fun(x + alpha * d)              # independent re-evaluation
    assert f1 <= f0 + 1e-4 * alpha * (g0 @ d)  # N&W (3.7a)
    assert abs(g1 @ d) <= 0.4 * abs(g0 @ d)    # N&W (3.7b)


@given(st.integers(0, 2 ** 16), st.floats(1e-4, 1e3))
def test_golden_finds_exact_minimizer_on_quadratic(seed, alpha0):
    p = P.quadratic(np.linspace(1.0, 100.0, 6), seed=seed)
    x = np.random.default_rng(seed).standard_normal(6)
    f0, g0 = p.fun(x)
    d = -g0
    alpha_star = (g0 @ g0) / (d @ p.A @ d)     # closed form, N&W (5.6)
    line = LineFunction(p.fun, x, f0, g0, d)
    alpha, why = golden(line, alpha0)            # Numerical Recipes' linmin TOL = 2e-4
    assert why is None
    assert alpha == pytest.approx(alpha_star, rel=2e-4)
    line = LineFunction(p.fun, x, f0, g0, d)
    alpha, why = golden(line, alpha0, xtol=np.sqrt(np.finfo(float).eps))
    assert why is None
    assert alpha == pytest.approx(alpha_star, rel=1e-5)


def test_cache_and_counting_are_honest():
    p = P.beale()
    fun, calls = counted(p.fun)
    f0, g0 = p.fun(p.x0)
    line = LineFunction(fun, p.x0, f0, g0, -g0)
    line.phi(0.0)
    line.slope(0.0)
    assert line.nfev == 0 and calls == []      # the start point is known already
    line.phi(0.1)
    line.slope(0.1)
    line.phi(0.1)
    assert line.nfev == 1 == len(calls)
    line.phi(0.2)
    line.slope(0.1)                            # g(0.1) is neither last nor best: re-evaluated
    assert line.nfev == len(calls)
    assert {c.tobytes() for c in calls} == {(p.x0 - a * g0).tobytes() for a in (0.1, 0.2)}


def test_nan_is_backed_off_and_best_point_kept():
    def fun(x):                                # finite only for x < 2
        return (float((x[0] - 1.5) ** 2), 2 * (x - 1.5)) if x[0] < 2 else (np.nan, x * np.nan)
    x = np.array([0.0])
    f0, g0 = fun(x)
    line = LineFunction(fun, x, f0, g0, -g0)   # d = +3: alpha = 1 lands at x = 3 (NaN)
    alpha, why = wolfe(line, 1.0)
    assert why is None and line.nonfinite >= 1
    assert fun(x + alpha * -g0)[0] < f0
    assert line.best[1] == min(v for v in line._f.values())


def test_golden_reports_when_no_decrease():
    fun = lambda x: (float(x @ x), 2 * x)
    x = np.zeros(2)
    line = LineFunction(fun, x, 0.0, np.zeros(2), np.array([1.0, 0.0]))   # not a descent dir
    alpha, why = golden(line, 1.0, max_halvings=5)
    assert alpha is None and "no decrease" in why


def test_one_table_of_line_searches():
    assert list(LINE_SEARCHES) == list(RULES) == ["wolfe", "golden", "scipy", "hager-zhang"]
    assert all(isinstance(v, str) and v for v in LINE_SEARCHES.values())


@given(st.integers(0, 2 ** 16), st.floats(0.5, 2.0))
def test_gradients_at_zero_are_never_recomputed(seed, a):
    p = P.rosenbrock(2)
    fun, calls = counted(p.fun)
    x = p.x0 + np.random.default_rng(seed).standard_normal(2)
    f0, g0 = p.fun(x)
    line = LineFunction(fun, x, f0, g0, -g0)
    line.phi(a)
    line.phi(2 * a)
    line.slope(0.0), line.slope(a), line.grad(0.0)   # slopes of every trial are kept
    assert line.nfev == len(calls) == 2 and line.trials == [a, 2 * a]
