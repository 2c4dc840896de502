"""Test problems: gradients by centred differences, known minima, MGH starting values."""
import numpy as np
import pytest
import scipy.optimize as so

from minitwophase import problems as P

ALL = P.standard_problems() + [P.powell_singular(4), P.variably_dimensioned(3)] + P.selection_problems()


@pytest.mark.parametrize("p", ALL, ids=lambda p: p.name)
def test_gradient_matches_centred_differences(p):
    rng = np.random.default_rng(0)
    for x in (p.x0, p.x_star + 0.3 * rng.standard_normal(p.n)):
        f, g = p.fun(x)
        h = 1e-6 * max(1.0, np.abs(x).max())
        fd = np.array([(p.fun(x + h * e)[0] - p.fun(x - h * e)[0]) / (2 * h) for e in np.eye(p.n)])
        np.testing.assert_allclose(g, fd, rtol=1e-6, atol=1e-6 * max(1.0, abs(f)))


@pytest.mark.parametrize("p", ALL, ids=lambda p: p.name)
def test_known_minimum(p):
    f, g = p.fun(p.x_star)
    assert f == pytest.approx(p.f_star, abs=1e-12 * max(1.0, abs(p.f_star)))
    assert np.abs(g).max() <= 1e-9


@pytest.mark.parametrize("p,f0", [(P.rosenbrock(2), 24.2), (P.rosenbrock(6), 3 * 24.2),
                                  (P.beale(), 14.203125), (P.helical_valley(), 2500.0),
                                  (P.wood(), 19192.0), (P.powell_singular(8), 2 * 215.0)])
def test_value_at_standard_start(p, f0):
    # hand values: e.g. Wood 100*10^2 + 4^2 + 90*10^2 + 4^2 + 10*4^2 + 0.1*0 = 19192
    assert p.fun(p.x0)[0] == pytest.approx(f0, rel=1e-14)


def test_variably_dimensioned_start_by_hand():
    n = 3                               # x0 = (2/3, 1/3, 0): e = -(1, 2, 3)/3, s = -14/3
    s = -14 / 3
    assert P.variably_dimensioned(n).fun(P.variably_dimensioned(n).x0)[0] == pytest.approx(
        14 / 9 + s ** 2 + s ** 4, rel=1e-14)


def test_rosenbrock_agrees_with_scipy():
    x = np.random.default_rng(1).standard_normal(8)
    p2 = P.rosenbrock(2)
    f, g = p2.fun(x[:2])
    assert f == pytest.approx(so.rosen(x[:2]), rel=1e-14)
    np.testing.assert_allclose(g, so.rosen_der(x[:2]), rtol=1e-14)
    # extended = sum over independent pairs of the 2-D function
    f8, g8 = P.rosenbrock(8).fun(x)
    assert f8 == pytest.approx(sum(so.rosen(x[i:i + 2]) for i in range(0, 8, 2)), rel=1e-14)
    np.testing.assert_allclose(g8, np.concatenate([so.rosen_der(x[i:i + 2]) for i in range(0, 8, 2)]),
                               rtol=1e-14)


def test_quadratic_spectrum_solution_and_determinism():
    lam = P.log_spectrum(12, 1e3)
    p = P.quadratic(lam, seed=4)
    np.testing.assert_allclose(np.linalg.eigvalsh(p.A), lam, rtol=1e-12)
    assert np.array_equal(p.A, p.A.T)
    np.testing.assert_allclose(p.x_star, np.linalg.solve(p.A, p.b), rtol=1e-12)
    x = np.ones(12)
    f, g = p.fun(x)
    assert f == pytest.approx(0.5 * x @ p.A @ x - p.b @ x, rel=1e-14)
    q = P.quadratic(lam, seed=4)
    assert np.array_equal(q.A, p.A) and np.array_equal(q.b, p.b)
    assert not np.array_equal(P.quadratic(lam, seed=5).A, p.A)


def test_bad_inputs():
    with pytest.raises(ValueError, match="even"):
        P.rosenbrock(3)
    with pytest.raises(ValueError, match="multiple of 4"):
        P.powell_singular(6)
    with pytest.raises(ValueError, match=r"shape \(2,\)"):
        P.beale().fun(np.ones(3))
    with pytest.raises(ValueError, match="eigenvalues"):
        P.spd_matrix([1.0, -1.0])
    with pytest.raises(TypeError, match="n must be an int"):
        P.rosenbrock(2.0)


def test_selection_set_is_disjoint_from_benchmark_set():
    assert not {p.name for p in P.selection_problems()} & {p.name for p in P.standard_problems()}


@pytest.mark.parametrize("n,f_mgh", [(4, 2.24997e-5), (10, 7.08765e-5)])
def test_penalty_1_minimum_is_mgh_value(n, f_mgh):
    assert P.penalty_1(n).f_star == pytest.approx(f_mgh, rel=1e-5)    # MGH's 6 digits


NEW = [P.freudenstein_roth(), P.brown_badly_scaled(), P.box_3d(), P.trigonometric(10),
       P.penalty_1(4), P.penalty_1(10)]


@pytest.mark.parametrize("p", NEW, ids=lambda p: p.name)
def test_new_problems_gradient_zero_at_minimum_by_differences(p):
    h = 1e-7 * np.maximum(1.0, np.abs(p.x_star))
    fd = np.array([(p.fun(p.x_star + hi * e)[0] - p.fun(p.x_star - hi * e)[0]) / (2 * hi)
                   for hi, e in zip(h, np.eye(p.n))])
    assert np.abs(fd).max() <= 1e-6


@pytest.mark.parametrize("p", NEW, ids=lambda p: p.name)
@pytest.mark.parametrize("method", ["CG", "BFGS"])
def test_scipy_reaches_the_stated_minimizer(p, method):
    # From x0 some of these reach another stationary point (Freudenstein-Roth: f = 48.98;
    # trigonometric: f = 2.8e-5; Box 3-D: x1 = x2, x3 = 0), so start a tenth of the way to x0.
    x1 = p.x_star + 0.1 * (p.x0 - p.x_star)
    r = so.minimize(p.fun, x1, jac=True, method=method, options={"gtol": 1e-8})
    assert r.fun == pytest.approx(p.f_star, abs=1e-8 * max(1.0, p.f_star))
    np.testing.assert_allclose(r.x, p.x_star, rtol=1e-3, atol=1e-4)


def test_new_problems_values_at_standard_start_by_hand():
    # Freudenstein-Roth at (0.5, -2): r = (-13 + 0.5 + 32, -29 + 0.5 + 24) = (19.5, -4.5),
    # f = 400.5 as in MGH
    assert P.freudenstein_roth().fun(np.array([0.5, -2.0]))[0] == pytest.approx(400.5, rel=1e-14)
    # Brown at (1, 1): r = (1 - 1e6, 1 - 2e-6, -1)
    assert P.brown_badly_scaled().fun(np.ones(2))[0] == pytest.approx(
        (1 - 1e6) ** 2 + (1 - 2e-6) ** 2 + 1.0, rel=1e-14)
    # trigonometric at 0: every residual vanishes; penalty I at x0 = (1, 2, 3, 4):
    # a (0 + 1 + 4 + 9) + (30 - 1/4)^2
    assert P.trigonometric(5).fun(np.zeros(5))[0] == 0.0
    assert P.penalty_1(4).fun(np.arange(1.0, 5))[0] == pytest.approx(14e-5 + 29.75 ** 2, rel=1e-14)
