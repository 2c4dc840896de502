"""The selection-study variants (benchmarks/cg_variants.py): honest counters for every rule,
the first trial steps by hand, and the fallback comparison the study relies on."""
import sys
from pathlib import Path

import numpy as np
import pytest

from minitwophase import problems as P
from minitwophase.optim.line_function import LineFunction

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from cg_variants import INITIAL_STEPS, VariantCG, run  # noqa: E402

from line_functions import counted  # noqa: E402


def test_defaults_are_the_library_defaults_bitwise():
    import minitwophase as mtp
    for p in (P.rosenbrock(4), P.variably_dimensioned(10)):
        a, b = run(VariantCG(p.fun, p.x0)), mtp.minimize_cg(p.fun, p.x0)
        assert np.array_equal(a.x, b.x) and a.nfev == b.nfev and a.history == b.history


@pytest.mark.parametrize("rule", INITIAL_STEPS)
@pytest.mark.parametrize("descent_test", ["search", "restart"])
def test_every_initial_step_rule_has_honest_counters(rule, descent_test):
    p = P.rosenbrock(4)
    fun, calls = counted(p.fun)
    cg = run(VariantCG(fun, p.x0, initial_step=rule, descent_test=descent_test))
    assert cg.nfev == len(calls) == sum(r.nfev for r in cg.history)   # HZ's probe counted
    # the study's losers may end with scipy's search failing near x* (status 2, f < 1e-6)
    assert cg.status in (0, 2) and cg.f < 1e-6


def test_initial_step_rules_by_hand():
    # f = 0.5 |x|^2 from x0 = (2, 0): d_0 = -g_0; scipy's f_{-1} = f_0 + ||g_0|| / 2
    cg = VariantCG(lambda x: (0.5 * float(x @ x), x.copy()), np.array([2.0, 0.0]),
                   initial_step="slope")
    line = LineFunction(cg.fun, cg.x, cg.f, cg.g, cg.d)
    rule = cg.search
    assert rule.first_step(line, cg.f_prev) == pytest.approx(1.01 / 2)   # scipy's 1.01/||g||
    rule.alpha_prev, rule.slope_prev = 0.5, -8.0     # N&W (3.59): 0.5 * -8 / (g.d = -4) = 1
    assert rule.first_step(line, cg.f_prev) == pytest.approx(1.0)
    f_prev = cg.f + 3.0
    rule.rule = "quadratic"                          # (3.60): 2.02 * -3 / -4
    assert rule.first_step(line, f_prev) == pytest.approx(1.515)
    rule.rule = "scipy"                              # capped at 1
    assert rule.first_step(line, f_prev) == 1.0
    rule.rule = "scale-free"                         # (3.60) uncapped: 2 * -3 / -4 = 1.5,
    assert rule.first_step(line, f_prev, 1.0, -4.0) == pytest.approx(1.5)   # <= 2 alpha_prev
    assert rule.first_step(line, f_prev, 0.5, -4.0) == pytest.approx(1.0)   # capped: 2 * 0.5
    assert rule.first_step(line, cg.f + 1.0, 0.5, -8.0) == pytest.approx(0.5)   # 2 * -1 / -4
    assert rule.first_step(line, cg.f, 0.5, -8.0) == pytest.approx(1.0)   # no decrease: (3.59)
    assert rule.first_step(line, cg.f_prev) == pytest.approx(0.01 * 2 / 2)   # I0: psi0 |x|/|d|
    rule.rule = "hager-zhang"    # the quadratic interpolant is exact here: alpha* = 1
    assert rule.first_step(line, f_prev) == pytest.approx(1.0) and line.nfev == 1


def test_fallback_same_is_cheaper_than_steepest():
    # variably_dimensioned from scipy's first trial (the study's setting when the fallback
    # was chosen): the descent test refuses every Wolfe step of some searches.
    p = P.variably_dimensioned(10)
    runs = {}
    for fb in ("same", "steepest"):
        fun, calls = counted(p.fun)
        runs[fb] = run(VariantCG(fun, p.x0, fallback=fb, initial_step="scipy"))
        assert runs[fb].nfev == len(calls)
    assert runs["same"].status == 0
    assert any(r.restart == "descent" for r in runs["same"].history)
    assert runs["steepest"].status != 0 or runs["same"].nfev < runs["steepest"].nfev


def test_bad_variant_options():
    p = P.beale()
    for name, bad in (("initial_step", "newton"), ("fallback", "none"), ("descent_test", "x")):
        with pytest.raises(ValueError, match=name):
            VariantCG(p.fun, p.x0, **{name: bad})
