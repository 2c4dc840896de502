"""Hager–Zhang's approximate-Wolfe search: accepted steps meet (T1) or (T2), checked on a fresh
evaluation; counters honest; NaN handled; CG_DESCENT's first trial steps by hand."""
import numpy as np
import pytest
from hypothesis import assume, given, strategies as st

from minitwophase.optim.hager_zhang import approximate_wolfe, initial_step
from minitwophase import problems as P
from minitwophase.optim.line_function import LineFunction
from minitwophase.optim.nonlinear_cg import NonlinearCG

from line_functions import counted, nan_beyond_two, wave, waves

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
    c, quad = initial_step(False, np.zeros(1), 4.0, np.array([-4.0]), np.ones(1), line, 1.0)
    assert c == pytest.approx(2.0) and quad and line.nfev == 1
    alpha, why = approximate_wolfe(line, c, 0.0, quad=quad)
    assert alpha == pytest.approx(2.0) and line.nfev == 2 == len(calls)


def test_first_iteration_rule_I0():
    line = None                                  # I0 evaluates nothing
    x, g = np.array([3.0, -1.0]), np.array([0.5, 2.0])
    assert initial_step(True, x, 7.0, g, -g, line, None) == (pytest.approx(0.01 * 3 / 2), False)
    assert initial_step(True, np.zeros(2), 8.0, g, -g, line, None) == (
        pytest.approx(0.01 * 8 / 4.25), False)
    assert initial_step(True, np.zeros(2), 0.0, g, -g, line, None) == (1.0, False)
    # I2: the probe at 0.1 alpha_prev is uphill, so c = 2 alpha_prev
    fun = lambda x: (float(-x[0] + 100 * x[0] ** 2), np.array([-1 + 200 * x[0]]))
    line = LineFunction(fun, np.zeros(1), 0.0, np.array([-1.0]), np.ones(1))
    assert initial_step(False, np.zeros(1), 0.0, np.array([-1.0]), np.ones(1), line,
                        1.0) == (2.0, False)


def test_nan_region_is_backed_off():
    fun = nan_beyond_two
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


def _parabola():
    """phi(a) = (a - 2)^2 along d = 1 from x = 0: phi(0) = 4, phi'(0) = -4."""
    fun = lambda x: (float((x[0] - 2.0) ** 2), 2 * (x - 2.0))
    f, calls = counted(fun)
    return LineFunction(f, np.zeros(1), 4.0, np.array([-4.0]), np.ones(1)), calls


def test_first_trial_from_I2_is_not_accepted_untested_by_secant():
    # c = 1.5 meets (T1) (phi = 0.25 <= 4 - 0.1 * 1.5 * 4, phi' = -1 >= 0.9 * -4), but CG_DESCENT
    # tests a trial only when `update` makes it (or after QuadStep): bracket expands to
    # 5 * 1.5 = 7.5 (phi' = 11 >= 0), then the secant on the linear phi' gives its zero, 2.
    line, calls = _parabola()
    alpha, why = approximate_wolfe(line, 1.5, 0.0, approx=True)
    assert alpha == pytest.approx(2.0, rel=1e-15) and line.trials == [1.5, 7.5, alpha]
    assert len(calls) == 3
    # the same trial from QuadStep (quad=True) is accepted at once: one evaluation
    line, calls = _parabola()
    assert approximate_wolfe(line, 1.5, 0.0, approx=True, quad=True) == (1.5, None)
    assert len(calls) == 1


def test_wolfe_mode_searches_psi():
    # Without (T2), CG_DESCENT's cg_lineW works on psi(a) = phi(a) - delta a phi'(0): the secant
    # step finds the zero of psi'(a) = 2 (a - 2) + 0.1 * 4, a = 1.8 (closed form), not phi's 2.
    line, _ = _parabola()
    alpha, why = approximate_wolfe(line, 1.5, 0.0, approx=False, delta=0.1, sigma=0.9)
    assert why is None and alpha == pytest.approx(1.8, rel=1e-14)
    assert line.trials == [1.5, 7.5, alpha]


def test_quad_step_only_while_f_changes():
    # HZ06's QuadCutOff = 1e-12: no probe (no evaluation) once |f_k - f_{k-1}| <= 1e-12 |f_k|
    line, calls = _parabola()
    c, quad = initial_step(False, np.zeros(1), 4.0, np.array([-4.0]), np.ones(1), line, 1.0,
                           f_prev=4.0 * (1 + 1e-13))
    assert (c, quad) == (2.0, False) and calls == []
    c, quad = initial_step(False, np.zeros(1), 4.0, np.array([-4.0]), np.ones(1), line, 1.0,
                           f_prev=4.0 * (1 + 1e-11))
    assert quad and c == pytest.approx(2.0) and len(calls) == 1


@pytest.mark.parametrize("p", P.standard_problems(), ids=lambda p: p.name)
def test_cg_descent_directions_descend_and_restart_only_every_n(p):
    # HZ05 Theorem 1.1: with beta^N (and its truncation, a beta between beta^N and 0) every
    # d_k has g_k^T d_k <= -7/8 ||g_k||^2, so the stepper never needs a descent or Powell
    # restart; CG_DESCENT 1.4 (restart_fac = 1) restarts d = -g every n iterations only.
    seen = []
    cg = NonlinearCG(p.fun, p.x0, beta="HZ", line_search="hager-zhang", gtol=1e-5)
    assert cg.restart_every == p.n
    while not cg.done:
        seen.append(float(cg.g @ cg.d) / float(cg.g @ cg.g))
        cg.step()
    assert cg.status == 0 and max(seen) <= -7 / 8
    restarts = [(r.k, r.restart) for r in cg.history[2:] if r.restart]
    assert all(why == "periodic" and (k - 1) % p.n == 0 for k, why in restarts), restarts
    assert len(restarts) == (cg.nit - 1) // p.n


def test_restart_every_auto_only_for_hager_zhang():
    p = P.rosenbrock(10)
    for ls in ("wolfe", "scipy", "golden"):
        assert NonlinearCG(p.fun, p.x0, line_search=ls).restart_every is None
    assert NonlinearCG(p.fun, p.x0, line_search="hager-zhang", restart_every=None
                       ).restart_every is None


def test_counts_book_every_evaluation_to_its_phase():
    # The parabola from c = 1.5: c (initial), 7.5 (bracket), the secant's zero 2 (secant).
    line, calls = _parabola()
    counts = {}
    alpha, _ = approximate_wolfe(line, 1.5, 0.0, approx=True, counts=counts)
    assert alpha == pytest.approx(2.0) and counts == {"initial": 1, "bracket": 1, "secant": 1}
    assert sum(counts.values()) == len(calls)


def test_accept_initial_stops_at_a_first_trial_meeting_wolfe():
    # c = 1.5 meets (T1) (checked by hand in the test above): with accept_initial the search
    # stops there after one evaluation, and books it as an accepted first trial.
    line, calls = _parabola()
    counts = {}
    assert approximate_wolfe(line, 1.5, 0.0, accept_initial=True, counts=counts) == (1.5, None)
    assert len(calls) == 1 and counts == {"initial": 1, "accepted initial": 1}
    # c = 3.9 fails (T1) (phi' = 3.8 > 0 is fine, but phi = 3.61 > 4 - 0.1 * 3.9 * 4 = 2.44):
    # the search goes on and still ends at a step meeting (T1), checked by hand
    line, calls = _parabola()
    alpha, _ = approximate_wolfe(line, 3.9, 0.0, approx=False, accept_initial=True)
    assert alpha != 3.9 and (alpha - 2) ** 2 - 4 <= 0.1 * alpha * -4 and 2 * (alpha - 2) >= 0.9 * -4


@given(waves, st.floats(1e-4, 1e2), st.floats(0.0, 1e-3))
def test_accept_initial_steps_still_meet_wolfe_or_approximate_wolfe(fun, c, eps):
    f0, g0 = fun(np.zeros(1))
    assume(g0[0] < 0)
    line = LineFunction(fun, np.zeros(1), f0, g0, np.ones(1))
    alpha, why = approximate_wolfe(line, c, eps * abs(f0), True, DELTA, SIGMA,
                                   accept_initial=True)
    assert alpha is not None, why
    f1, (s1,) = fun(np.array([alpha]))           # independent re-evaluation
    s0 = g0[0]
    t1 = f1 - f0 <= DELTA * alpha * s0 and s1 >= SIGMA * s0
    t2 = (2 * DELTA - 1) * s0 >= s1 >= SIGMA * s0 and f1 <= f0 + eps * abs(f0)
    assert t1 or t2


def test_rule_counts_add_up_to_nfev():
    p = P.rosenbrock(10)
    cg = NonlinearCG(p.fun, p.x0, beta="HZ", line_search="hager-zhang", gtol=1e-5)
    while not cg.done:
        cg.step()
    c = cg.search.counts
    booked = sum(v for k, v in c.items() if k != "accepted initial")
    # the rest: gradients the stepper re-evaluates at the accepted step (dropped by the cache)
    assert cg.status == 0 and booked <= cg.nfev - 1 and set(c) <= {
        "quad", "initial", "bracket", "secant", "bisect", "accepted initial"}
    assert cg.nfev - 1 - booked <= cg.nit
