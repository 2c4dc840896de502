"""Hager–Zhang's approximate-Wolfe search: accepted steps meet (T1) or (T2), checked on a fresh
evaluation; counters honest; NaN handled; CG_DESCENT's first trial steps by hand."""
import numpy as np
import pytest
from hypothesis import assume, given, strategies as st

from minitwophase.optim.hager_zhang import approximate_wolfe, initial_step
from minitwophase.optim.line_function import LineFunction

from line_functions import counted, wave, waves

DELTA, SIGMA = 0.1, 0.5


@given(waves, st.floats(1e-4, 1e2), st.booleans(), st.floats(0.0, 1e-3))
def test_step_meets_wolfe_or_approximate_wolfe(fun, c, approx, eps):
    f0, g0 = fun(np.zeros(1))
    assume(g0[0] < 0)
    f, calls = counted(fun)
    line = LineFunction(f, np.zeros(1), f0, g0, np.ones(1))
    alpha, why = approximate_wolfe(line, c, eps * abs(f0), approx, DELTA, SIGMA)
    assert line.nfev == len(calls) == len(line.trials)
    assert alpha is not None, why                # smooth and bounded below: always succeeds
    f1, (s1,) = fun(np.array([alpha]))           # independent re-evaluation
    s0 = g0[0]
    t1 = f1 - f0 <= DELTA * alpha * s0 and s1 >= SIGMA * s0           # HZ05 (T1)
    t2 = (2 * DELTA - 1) * s0 >= s1 >= SIGMA * s0 and f1 <= f0 + eps * abs(f0)   # (T2)
    assert t1 or (approx and t2)


def test_quadratic_first_trial_is_exact():
    # phi(a) = (a - 2)^2: I1's quadratic through phi(0), phi'(0), phi(0.1 alpha_prev) is phi
    # itself, so c = 2 and (T1) holds there: one probe plus one evaluation.
    fun = lambda x: (float((x[0] - 2.0) ** 2), 2 * (x - 2.0))
    f, calls = counted(fun)
    line = LineFunction(f, np.zeros(1), 4.0, np.array([-4.0]), np.ones(1))
    c = initial_step(False, np.zeros(1), 4.0, np.array([-4.0]), np.ones(1), line, 1.0)
    assert c == pytest.approx(2.0) and line.nfev == 1
    alpha, why = approximate_wolfe(line, c, 0.0)
    assert alpha == pytest.approx(2.0) and line.nfev == 2 == len(calls)


def test_first_iteration_rule_I0():
    line = None                                  # I0 evaluates nothing
    x, g = np.array([3.0, -1.0]), np.array([0.5, 2.0])
    assert initial_step(True, x, 7.0, g, -g, line, None) == pytest.approx(0.01 * 3 / 2)
    assert initial_step(True, np.zeros(2), 8.0, g, -g, line, None) == pytest.approx(
        0.01 * 8 / 4.25)
    assert initial_step(True, np.zeros(2), 0.0, g, -g, line, None) == 1.0
    # I2: the probe at 0.1 alpha_prev is uphill, so c = 2 alpha_prev
    fun = lambda x: (float(-x[0] + 100 * x[0] ** 2), np.array([-1 + 200 * x[0]]))
    line = LineFunction(fun, np.zeros(1), 0.0, np.array([-1.0]), np.ones(1))
    assert initial_step(False, np.zeros(1), 0.0, np.array([-1.0]), np.ones(1), line, 1.0) == 2.0


def test_nan_region_is_backed_off():
    def fun(x):                                  # finite only for x < 2; minimum at 1.5
        if x[0] >= 2:
            return np.nan, np.full(1, np.nan)
        return float((x[0] - 1.5) ** 2), 2 * (x - 1.5)
    f, calls = counted(fun)
    line = LineFunction(f, np.zeros(1), 2.25, np.array([-3.0]), np.ones(1))
    alpha, why = approximate_wolfe(line, 10.0, 0.0)
    assert why is None and 0 < alpha < 2 and line.nonfinite >= 1 and line.nfev == len(calls)
    assert fun(np.array([alpha]))[0] < 2.25


def test_reports_failures():
    fun = wave(1.0, -1.0, 0.0, 1.0, 0.0)         # phi'(0) = +1
    f0, g0 = fun(np.zeros(1))
    line = LineFunction(fun, np.zeros(1), f0, g0, np.ones(1))
    alpha, why = approximate_wolfe(line, 1.0, 0.0)
    assert alpha is None and "descent" in why
    down = lambda x: (float(-x[0]), np.array([-1.0]))   # unbounded below: budget runs out
    line = LineFunction(down, np.zeros(1), 0.0, np.array([-1.0]), np.ones(1))
    alpha, why = approximate_wolfe(line, 1.0, 0.0, max_evals=10)
    assert alpha is None and line.nfev == 10 and "10 evaluations" in why
