"""Forward-only evaluations: with jac given, a search that needs f alone calls fun alone;
nfev and njev count as scipy counts them; what fun and jac return is checked with errors that
name them (no bare NumPy message, no imaginary part silently dropped)."""
import numpy as np
import pytest
from scipy import optimize
from scipy.optimize import rosen, rosen_der

import minitwophase as mtp
from minitwophase.optim.line_function import LineFunction


class Counted:
    def __init__(self):
        self.f = self.g = 0

    def fun(self, x, *args):
        self.f += 1
        return rosen(x)

    def jac(self, x, *args):
        self.g += 1
        return rosen_der(x)

    def fg(self, x):
        self.f += 1
        return rosen(x), rosen_der(x)


X0 = np.array([-1.2, 1.0, -1.2, 1.0])


@pytest.mark.parametrize("jac", ["callable", True])
def test_counts_are_scipys_on_the_replay(jac):
    ours, ref = Counted(), Counted()
    if jac is True:
        res = mtp.minimize_cg(ours.fg, X0, line_search="scipy", jac=True)
        sp = optimize.minimize(ref.fg, X0, jac=True, method="CG")
    else:
        res = mtp.minimize_cg(ours.fun, X0, line_search="scipy", jac=ours.jac)
        sp = optimize.minimize(ref.fun, X0, jac=ref.jac, method="CG")
        assert (ours.f, ours.g) == (ref.f, ref.g)        # the calls themselves
    assert (res.nit, res.nfev, res.njev) == (sp.nit, sp.nfev, sp.njev)
    assert res.nfev == ours.f
    np.testing.assert_array_equal(res.x, sp.x)


def test_golden_probes_call_fun_alone():
    c = Counted()
    res = mtp.minimize_cg(c.fun, X0, line_search="golden", jac=c.jac)
    assert res.success
    assert (res.nfev, res.njev) == (c.f, c.g)
    assert c.g == res.nit + 1 < c.f / 5          # one gradient per iterate, f for the probes
    both = mtp.minimize_cg(lambda x: (rosen(x), rosen_der(x)), X0, line_search="golden")
    np.testing.assert_array_equal(both.x, res.x)  # the same iterates either way
    assert both.nfev == res.nfev


def test_line_value_calls_fun_alone_and_caches():
    c = Counted()
    x, d = X0, -rosen_der(X0)
    line = LineFunction(c.fun, x, rosen(x), rosen_der(x), d, jac=c.jac)
    assert line.value(1e-3) == rosen(x + 1e-3 * d) and (c.f, c.g) == (1, 0)
    line.value(1e-3)
    assert (c.f, c.g, line.nfev, line.njev) == (1, 0, 1, 0)
    assert line.slope(1e-3) == pytest.approx(rosen_der(x + 1e-3 * d) @ d, rel=1e-15)
    assert (c.f, c.g, line.nfev, line.njev) == (1, 1, 1, 1)
    line.grad(1e-3)
    assert (c.f, c.g) == (1, 1)
    # fun -> (f, g): value evaluates both and caches them; the gradient is counted when asked
    both = LineFunction(c.fg, x, rosen(x), rosen_der(x), d)
    both.value(2e-3)
    assert (c.f, both.nfev, both.njev) == (2, 1, 0)
    both.slope(2e-3)
    assert (c.f, both.nfev, both.njev) == (2, 1, 1)


def test_args_reach_fun_and_jac():
    seen = []

    def fun(x, a, b):
        seen.append((a, b))
        return a * rosen(x)

    def jac(x, a, b):
        seen.append((a, b))
        return a * rosen_der(x)
    res = mtp.minimize_cg(fun, X0, args=(2.0, "b"), jac=jac)
    assert res.success and set(seen) == {(2.0, "b")}
    one = mtp.minimize_cg(lambda x, a: (a * rosen(x), a * rosen_der(x)), X0, args=3.0)
    assert one.success                            # one value -> (value,), as scipy


def test_f_of_shape_1_is_accepted():
    res = mtp.minimize_cg(lambda x: (np.array([rosen(x)]), rosen_der(x)), X0)
    ref = mtp.minimize_cg(lambda x: (rosen(x), rosen_der(x)), X0)
    np.testing.assert_array_equal(res.x, ref.x)


@pytest.mark.parametrize("fun,jac,err,words", [
    (lambda x: ("1.0", x), None, TypeError, "fun must return a real number f, got str"),
    (lambda x: (x, x), None, ValueError, r"fun must return a scalar f .*shape \(2,\)"),
    (lambda x: (1j, x), None, TypeError, "fun must return a real f, got the complex"),
    (lambda x: (float(x @ x), 2 * x + 1j), None, TypeError, "g must be real, got dtype complex"),
    (lambda x: float(x @ x), lambda x: 2 * x + 0j, TypeError, "jac.* must be real"),
    (lambda x: float(x @ x), lambda x: np.ones(3), ValueError, r"jac\(x\) must return g of shape"),
    (lambda x: "f", lambda x: 2 * x, TypeError, "fun must return a real number f"),
    (lambda x: float(x @ x), lambda x: "g", TypeError, "jac.* must be a real array"),
])
def test_what_fun_and_jac_return_is_checked(fun, jac, err, words):
    with pytest.raises(err, match=words):
        mtp.minimize_cg(fun, np.array([1.0, 2.0]), jac=jac)
