"""The default searches' first trial is scale-free: minimising h(y) = f(s y) from y_0 = x_0 / s
(gradient s g, stop test gtol scaled by s) takes the iterations of s = 1, for s from 1e-50 to
1e+50. scipy's first trial, min(1, ...), is not: its replay (line_search="scipy") fails at
the extreme scales exactly as scipy.optimize.minimize(method="CG") does."""
import numpy as np
import pytest
from hypothesis import given, strategies as st
from scipy import optimize

import minitwophase as mtp
from minitwophase import problems as P

F = np.array([[1, 1, 1], [1, 1, 0], [1, 0, 1], [1, 0, 0], [1, 0, 0]])
K = np.array([1.0, 0.3, 0.5])


def maxent(x):
    """scipy's CheckOptimize maximum-entropy problem, as (f, g)."""
    log_pdot = F @ x
    log_z = np.log(np.sum(np.exp(log_pdot)))
    return log_z - K @ x, F.T @ np.exp(log_pdot - log_z) - K


QUAD = P.quadratic(np.logspace(0, 1, 6), seed=0)
PROBLEMS = {"maxent": (maxent, np.zeros(3)),
            "rosenbrock(4)": (P.rosenbrock(4).fun, P.rosenbrock(4).x0),
            "quadratic(cond 10)": (QUAD.fun, QUAD.x0 + 1.0)}


def scaled(fun, s):
    def h(y):
        f, g = fun(s * y)
        return f, s * g                       # chain rule: grad h(y) = s grad f(s y)
    return h


def nit(name, s, line_search):
    fun, x0 = PROBLEMS[name]
    res = mtp.minimize_cg(scaled(fun, s), x0 / s, line_search=line_search, gtol=1e-5 * s)
    assert res.status == 0, (name, s, line_search, res.message)
    return res.nit


@pytest.mark.parametrize("line_search", ["wolfe", "golden"])
@pytest.mark.parametrize("name", list(PROBLEMS))
@given(exponent=st.integers(-50, 50), mantissa=st.floats(1.0, 9.99))
def test_iterations_do_not_depend_on_the_scale(name, line_search, exponent, mantissa):
    s = mantissa * 10.0 ** exponent
    # a margin of 2 for rounding: s y is not exactly x, so iterates differ in the last bits
    assert abs(nit(name, s, line_search) - nit(name, 1.0, line_search)) <= 2


@pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning")
@pytest.mark.parametrize("s", [1e-50, 1e50])
def test_scipys_capped_first_trial_is_not_scale_free(s):
    # The replay of scipy's CG stops where scipy's CG does (independent: scipy itself)
    fun, x0 = PROBLEMS["maxent"]
    ours = mtp.minimize_cg(scaled(fun, s), x0 / s, line_search="scipy", gtol=1e-5 * s)
    ref = optimize.minimize(scaled(fun, s), x0 / s, jac=True, method="CG",
                            options={"gtol": 1e-5 * s})
    assert ours.nit == ref.nit and ours.status != 0 and ref.status != 0
    # (at 1e50 the failed search met exp overflow: ours says so, status 3; scipy's says 2)
    assert ours.status == ref.status or (s > 1 and ours.status == 3 and "NaN/inf" in ours.message)
    assert mtp.minimize_cg(scaled(fun, s), x0 / s, gtol=1e-5 * s).status == 0
