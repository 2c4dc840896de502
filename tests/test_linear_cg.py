"""Linear CG (N&W Algorithm 5.2) against numpy.linalg.solve and scipy.sparse.linalg.cg."""
import numpy as np
import pytest
import scipy.sparse.linalg as sla
from hypothesis import example, given, strategies as st

import minitwophase as mtp
from minitwophase.problems import log_spectrum, spd_matrix
from lesson_code import from_lesson


def system(n, cond, seed, spectrum="uniform"):
    rng = np.random.default_rng(seed)
    if spectrum == "uniform":                  # eigenvalues uniform in [1, cond], ends included
        lam = np.concatenate([[1.0, cond], rng.uniform(1.0, cond, n)])[:n]
    else:
        lam = log_spectrum(n, cond)
    return spd_matrix(lam, seed), rng.standard_normal(n)


@given(st.integers(1, 40), st.floats(1.0, 1e3), st.integers(0, 2 ** 16))
def test_converges_within_n_iterations(n, cond, seed):
    # n in exact arithmetic. In float64 the n-th residual is sometimes just above tol: over
    # 1500 random cases (tol 1e-8) nit - n was 0 or -1 in 98%, at most +3.
    A, b = system(n, cond, seed)
    tol = 1e-8
    res = mtp.linear_cg(A, b, tol=tol)
    assert res.success and res.status == 0
    assert res.nit <= n + 3
    assert res.residual_norms[-1] <= tol * np.linalg.norm(b)
    # the recursively updated residual is the true one, and x is A^{-1} b
    assert np.linalg.norm(A @ res.x - b) <= 10 * tol * np.linalg.norm(b)
    x_ref = np.linalg.solve(A, b)
    np.testing.assert_allclose(res.x, x_ref, atol=1e-7 * np.linalg.norm(x_ref))


@example(6, 15, 710.0, 525)                      # found by hypothesis: rounding adds 2
@given(st.integers(1, 6), st.integers(8, 40), st.floats(1.0, 1e3), st.integers(0, 2 ** 16))
def test_k_distinct_eigenvalues_k_iterations(k, n, cond, seed):
    rng = np.random.default_rng(seed)
    values = np.exp(rng.uniform(0.0, np.log(cond), k))
    lam = values[np.arange(n) % k]              # every value used, so exactly <= k distinct
    k_distinct = np.unique(lam).size
    A, b = spd_matrix(lam, seed), rng.standard_normal(n)
    # N&W Theorem 5.4: k distinct eigenvalues -> at most k iterations (+1 for rounding), to a
    # tolerance above float64's rounding floor.
    assert mtp.linear_cg(A, b, tol=1e-8).nit <= k_distinct + 1
    # Much tighter, rounding adds iterations when eigenvalues cluster (e.g. k=6, n=15,
    # cond=710, seed=525 needs 8): scipy's independent CG then needs the same count.
    res = mtp.linear_cg(A, b, tol=1e-10)
    assert res.success
    steps = [0]
    sla.cg(A, b, rtol=1e-10, atol=0.0, callback=lambda xk: steps.__setitem__(0, steps[0] + 1))
    assert abs(res.nit - steps[0]) <= 1
    np.testing.assert_allclose(res.x, np.linalg.solve(A, b), rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("n,cond", [(40, 1e3), (40, 1e2), (20, 1e3)])
def test_log_spectrum_same_count_as_scipy(n, cond):
    # Finite precision: with isolated large eigenvalues CG needs MORE than n iterations (loss
    # of orthogonality); scipy's CG does exactly the same count.
    A, b = system(n, cond, 0, spectrum="log")
    res = mtp.linear_cg(A, b, tol=1e-8)
    count = [0]
    x, info = sla.cg(A, b, rtol=1e-8, maxiter=10 * n,
                     callback=lambda xk: count.__setitem__(0, count[0] + 1))
    assert info == 0 and res.success
    assert res.nit == count[0]
    np.testing.assert_allclose(res.x, x, rtol=1e-6, atol=1e-10)


def test_callable_operator_and_x0_and_history():
    A, b = system(15, 50.0, 1)
    x0 = np.linspace(-1, 1, 15)
    r1 = mtp.linear_cg(A, b, x0=x0)
    r2 = mtp.linear_cg(lambda v: A @ v, b, x0=x0)
    assert np.array_equal(r1.x, r2.x) and r1.nit == r2.nit
    assert r1.residual_norms.shape == (r1.nit + 1,)
    assert r1.residual_norms[0] == pytest.approx(np.linalg.norm(A @ x0 - b), rel=1e-14)
    assert np.array_equal(x0, np.linspace(-1, 1, 15))           # x0 not modified


def test_first_iterate_is_exact_steepest_descent_step():
    A, b = system(6, 10.0, 2)
    x1 = mtp.linear_cg(A, b, maxiter=1).x
    r = -b                                       # r0 = A 0 - b
    alpha = (r @ r) / (r @ A @ r)                # exact minimizer along -r0 (N&W (5.6))
    np.testing.assert_allclose(x1, -alpha * r, rtol=1e-14)


def test_zero_rhs_and_maxiter():
    A, b = system(5, 10.0, 3)
    res = mtp.linear_cg(A, np.zeros(5))
    assert res.success and res.nit == 0 and np.array_equal(res.x, np.zeros(5))
    res = mtp.linear_cg(A, b, tol=0.0, maxiter=2)
    assert res.status == 1 and not res.success and res.nit == 2
    assert "iterations" in res.message


def test_not_positive_definite_is_reported():
    A = np.diag([1.0, -2.0, 3.0])
    res = mtp.linear_cg(A, np.ones(3))
    assert res.status == 2 and not res.success
    assert "positive definite" in res.message
    assert np.all(np.isfinite(res.x))


def test_bad_inputs():
    A = np.eye(3)
    with pytest.raises(ValueError, match=r"A must have shape \(3, 3\)"):
        mtp.linear_cg(np.eye(4), np.ones(3))
    with pytest.raises(ValueError, match="symmetric"):
        mtp.linear_cg(np.triu(np.ones((3, 3))), np.ones(3))
    with pytest.raises(ValueError, match=r"x0 must have shape \(3,\)"):
        mtp.linear_cg(A, np.ones(3), x0=np.ones(2))
    with pytest.raises(ValueError, match="b must be 1-D"):
        mtp.linear_cg(A, np.ones((3, 1)))
    with pytest.raises(ValueError, match=r"A\(v\) must return shape \(3,\)"):
        mtp.linear_cg(lambda v: np.ones(2), np.ones(3))
    with pytest.raises(ValueError, match="tol"):
        mtp.linear_cg(A, np.ones(3), tol=-1.0)


# Lesson 03's own re-orthogonalized CG (Algorithm 5.2 with every new residual projected off
# the earlier ones: the orthogonality exact arithmetic keeps, N&W Theorem 5.3), so the test
# checks the code students read.
(reorthogonalized_cg,) = from_lesson("03_linear_cg_on_quadratics", "reorthogonalized_cg")


@pytest.mark.parametrize("cond,low,high", [(1e2, 20, 26), (1e6, 50, 80)])
def test_float64_termination_claim(cond, low, high):
    # linear_cg's docstring and lesson 03 (benchmarks/cg_float64_termination.py): n = 20,
    # log-spaced spectrum, tol 1e-10; measured medians 24 at kappa 1e2 and 64 at 1e6.
    # Loosely: about n at 1e2, well over 2n at 1e6; the re-orthogonalized CG (exact
    # arithmetic's orthogonality restored) stops at n, so the surplus is rounding; x is
    # checked against numpy.linalg.solve.
    n, counts = 20, []
    for seed in range(5):
        A = spd_matrix(log_spectrum(n, cond), seed)
        b = np.random.default_rng(1000 + seed).standard_normal(n)
        res = mtp.linear_cg(A, b)
        assert res.success
        x_ref = np.linalg.solve(A, b)
        assert np.linalg.norm(res.x - x_ref) <= 1e-8 * np.linalg.norm(x_ref)
        x_orth, k_orth = reorthogonalized_cg(A, b, 1e-10)
        assert k_orth <= n + 1
        assert np.linalg.norm(x_orth - x_ref) <= 1e-8 * np.linalg.norm(x_ref)
        counts.append(res.nit)
    assert low <= np.median(counts) <= high, counts
