"""Preconditioned nonlinear CG (N&W Section 5.2): precond = ones is the plain method bit for
bit; on an ill-scaled quadratic the diagonal preconditioner is CG on the well-scaled one.

Why m = s^2: f(x) = 1/2 x^T S A S x - b^T x with S = diag(s). With u = S x,
f = 1/2 u^T A u - (b / s)^T u =: h(u), whose gradient is S^{-1} g(x). CG on h from u_0 = S x_0
steps along -grad h = -S^{-1} g in u, i.e. -S^{-2} g in x: the preconditioned residual
z = M^{-1} g with M = S^2, the array m = s**2. Every inner product of the betas maps the same
way (grad h^T grad h = g^T z, ...), so the x iterates are S^{-1} times h's u iterates.
"""
import numpy as np
import pytest

import minitwophase as mtp
from minitwophase import problems as P
from minitwophase.optim.nonlinear_cg import NonlinearCG

BETAS = ["FR", "PR", "PR+", "HS", "DY", "HZ"]
SEARCHES = ["wolfe", "golden", "scipy", "hager-zhang"]


@pytest.mark.parametrize("line_search", SEARCHES)
@pytest.mark.parametrize("beta", BETAS)
def test_precond_ones_is_bit_identical(beta, line_search):
    for p in (P.rosenbrock(4), P.wood()):
        plain = mtp.minimize_cg(p.fun, p.x0, beta=beta, line_search=line_search)
        ones = mtp.minimize_cg(p.fun, p.x0, beta=beta, line_search=line_search,
                               precond=np.ones(p.n))
        assert np.array_equal(plain.x, ones.x) and plain.history == ones.history
        assert (plain.nfev, plain.njev, plain.status) == (ones.nfev, ones.njev, ones.status)


def ill_scaled(n=8, cond=10.0, spread=4, seed=0):
    """A (well conditioned), s (entries spanning 10^spread), B = S A S and b."""
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    A = (Q * np.logspace(0, np.log10(cond), n)) @ Q.T
    s = 10.0 ** rng.uniform(-spread / 2, spread / 2, n)
    return A, s, s[:, None] * A * s[None, :], rng.standard_normal(n)


GTOL = 1e-6


def quad(H, b):
    return lambda x: (0.5 * x @ H @ x - b @ x, H @ x - b)


@pytest.mark.parametrize("line_search", ["wolfe", "golden"])
@pytest.mark.parametrize("beta", BETAS)
def test_diagonal_preconditioner_needs_the_iterations_of_the_well_scaled_problem(beta,
                                                                                  line_search):
    # (golden section held to the default 2e-4 stalls with PR/PR+ near ||g|| 2e-6 on A:
    # the property is checked with it held to sqrt(eps))
    A, s, B, b = ill_scaled()
    x0 = np.zeros(len(b))
    kw = {"xtol": np.sqrt(np.finfo(float).eps)} if line_search == "golden" else {}
    # h(u) = f(u / s): gtol on grad h = g / s in the max-norm, the same test on both sides
    ref = NonlinearCG(quad(A, b / s), x0, beta=beta, line_search=line_search, gtol=GTOL, **kw)
    pre = NonlinearCG(quad(B, b), x0, beta=beta, line_search=line_search, gtol=0.0,
                      precond=s ** 2, maxiter=ref.maxiter, **kw)
    us, xs = [], []
    while not ref.done:
        ref.step()
        us.append(ref.x.copy())
    while not pre.done and np.max(np.abs(pre.g / s)) > GTOL:
        pre.step()
        xs.append(pre.x.copy())
    assert ref.status == 0
    assert abs(len(xs) - len(us)) <= 2                # the iterations of A ...
    for u, x in zip(us[:4], xs[:4]):                  # ... and its iterates, u = S x
        np.testing.assert_allclose(s * x, u, rtol=1e-6, atol=1e-9 * np.abs(u).max())
    x_star = np.linalg.solve(B, b)                    # independent: LAPACK
    np.testing.assert_allclose(pre.x, x_star, rtol=1e-5, atol=1e-6 * np.abs(x_star).max())
    plain = mtp.minimize_cg(quad(B, b), x0, beta=beta, line_search=line_search,
                            gtol=GTOL * s.min(), maxiter=2000, **kw)
    assert plain.nit > 3 * len(xs)                    # without it: many times more


def test_callable_precond_equals_the_array_one():
    p = P.rosenbrock(4)
    m = np.array([1.0, 2.0, 3.0, 4.0])
    a = mtp.minimize_cg(p.fun, p.x0, precond=m)
    c = mtp.minimize_cg(p.fun, p.x0, precond=lambda r: r / m)
    assert np.array_equal(a.x, c.x) and a.history == c.history and a.success


def test_first_direction_is_minus_the_preconditioned_gradient():
    p = P.rosenbrock(2)
    m = np.array([4.0, 0.5])
    cg = NonlinearCG(p.fun, p.x0, precond=m)
    np.testing.assert_array_equal(cg.d, -p.fun(p.x0)[1] / m)


@pytest.mark.parametrize("bad,err,words", [
    (np.ones(3), ValueError, r"precond .*shape \(2,\).*got shape \(3,\)"),
    (np.ones((2, 1)), ValueError, r"shape \(2,\)"),
    (np.array([1.0, 0.0]), ValueError, "must be > 0, got 0.0 at index 1"),
    (np.array([1.0, -2.0]), ValueError, "must be > 0"),
    (np.array([1.0, np.nan]), ValueError, "precond must be finite"),
    (np.array([1.0, np.inf]), ValueError, "precond must be finite"),
    (np.array([1.0 + 1j, 1.0]), TypeError, "precond must be real"),
    ("diag", TypeError, "precond must be a numeric array"),
    (lambda r: r[:1], ValueError, r"precond\(r\) must return an array of shape \(2,\)"),
    (lambda r: -r, ValueError, "precond must be positive definite"),
    (lambda r: r * np.nan, ValueError, r"precond\(r\) must return finite"),
    (lambda r: "x", TypeError, r"precond\(r\) must be a numeric array"),
])
def test_bad_precond_is_refused_at_the_boundary(bad, err, words):
    p = P.rosenbrock(2)
    with pytest.raises(err, match=words):
        mtp.minimize_cg(p.fun, p.x0, precond=bad)
