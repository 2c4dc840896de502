"""minitwophase.curvature against the dense Hessian and its numpy.linalg.eigvalsh spectrum.

Dense Hessians come from exact sources only: the matrix of a quadratic, and for networks the
column-wise central differences of the analytic gradient (checked against PyTorch's double
backward where torch is installed).
"""
import numpy as np
import pytest

from minitwophase import curvature as C
from minitwophase import nn


def quadratic(A):
    return lambda x: (0.5 * x @ A @ x, A @ x)


def random_symmetric(n, seed, spd=False):
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    lam = rng.uniform(0.1, 10.0, n) if spd else rng.uniform(-3.0, 10.0, n)
    return (Q * lam) @ Q.T


def small_net(widths=(4, 6, 3), act=nn.Tanh, n=30, seed=0):
    layers = []
    for a, b in zip(widths[:-1], widths[1:]):
        layers += [nn.Dense(a, b), act()]
    net = nn.Sequential(layers[:-1])
    rng = np.random.default_rng(seed)
    X, y = rng.standard_normal((n, widths[0])), rng.integers(0, widths[-1], n)
    return net, X, y


def dense_hessian_fd(fun, x, h=1e-5):
    """Column j = [g(x + h e_j) - g(x - h e_j)] / 2h, symmetrised: an independent dense H."""
    cols = []
    for j in range(x.size):
        e = np.zeros_like(x)
        e[j] = h
        cols.append((fun(x + e)[1] - fun(x - e)[1]) / (2 * h))
    H = np.column_stack(cols)
    return 0.5 * (H + H.T)


def rel(a, b):
    return abs(a - b) / abs(b)


# ---------------------------------------------------------------- Hessian-vector products
def test_hvp_is_exact_on_a_quadratic():
    A = random_symmetric(40, 0)
    rng = np.random.default_rng(1)
    x, v = rng.standard_normal(40), rng.standard_normal(40)
    assert np.linalg.norm(C.hvp(quadratic(A), x, v) - A @ v) <= 1e-9 * np.linalg.norm(A @ v)
    assert np.array_equal(C.hvp(quadratic(A), x, np.zeros(40)), np.zeros(40))


@pytest.mark.parametrize("loss", ["mse", "cross_entropy"])
@pytest.mark.parametrize("widths,act", [((5, 8, 3), nn.Tanh), ((6, 16, 16, 4), nn.Tanh),
                                        ((5, 8, 3), nn.Sigmoid), ((5, 8, 3), nn.GELU)])
def test_hvp_matches_torch_double_backward(loss, widths, act):
    pytest.importorskip("torch")
    from torch_reference import torch_hvp

    net, X, y = small_net(widths, act, n=40, seed=2)
    theta = net.init(seed=3)
    fun = lambda t: net.loss_and_grad(t, X, y, loss=loss)
    for seed in range(3):
        v = np.random.default_rng(seed).standard_normal(net.size)
        exact = torch_hvp(net, theta, X, y, loss, v)
        assert np.linalg.norm(C.hvp(fun, theta, v) - exact) <= 1e-7 * np.linalg.norm(exact)


def test_dense_fd_hessian_matches_torch():
    """The dense reference the no-torch tests use is itself right."""
    pytest.importorskip("torch")
    from torch_reference import torch_hessian

    net, X, y = small_net()
    theta = net.init(seed=0)
    H = dense_hessian_fd(lambda t: net.loss_and_grad(t, X, y, loss="mse"), theta)
    exact = torch_hessian(net, theta, X, y, "mse")
    assert np.abs(H - exact).max() <= 1e-7 * np.abs(exact).max()


def test_hessian_operator_counts_products():
    op = C.HessianOperator(quadratic(np.eye(5)), np.ones(5))
    op.matvec(np.ones(5))
    op.matvec(np.zeros(5))
    assert (op.n_hvp, op.n_evals) == (2, 2)


# ---------------------------------------------------------------- extreme eigenvalues
@pytest.mark.parametrize("method", C.extreme.METHODS)
@pytest.mark.parametrize("n,seed,spd", [(30, 0, False), (60, 1, True), (100, 2, False)])
def test_extremes_match_eigvalsh_on_quadratics(method, n, seed, spd):
    A = random_symmetric(n, seed, spd)
    lam = np.linalg.eigvalsh(A)
    r = C.extreme_eigenvalues(quadratic(A), np.ones(n), tol=1e-6, seed=seed, method=method)
    assert r.converged
    assert rel(r.lambda_min, lam[0]) <= 1e-6 and rel(r.lambda_max, lam[-1]) <= 1e-6
    assert r.n_evals == 2 * r.n_hvp > 0


@pytest.mark.parametrize("method", C.extreme.METHODS)
@pytest.mark.parametrize("loss,point", [("mse", "init"), ("cross_entropy", "init"), ("mse", "scaled")])
def test_extremes_match_dense_hessian_of_a_network(method, loss, point):
    net, X, y = small_net((4, 10, 3), n=50, seed=4)
    theta = net.init(seed=1) * (3.0 if point == "scaled" else 1.0)
    fun = lambda t: net.loss_and_grad(t, X, y, loss=loss)
    lam = np.linalg.eigvalsh(dense_hessian_fd(fun, theta))
    r = C.extreme_eigenvalues(fun, theta, tol=1e-6, method=method)
    assert rel(r.lambda_min, lam[0]) <= 1e-6 and rel(r.lambda_max, lam[-1]) <= 1e-6


def test_lanczos_agrees_with_eigsh_and_keeps_an_orthonormal_basis():
    A = random_symmetric(80, 5)
    a = C.extreme_eigenvalues(quadratic(A), np.zeros(80), method="eigsh")
    b = C.extreme_eigenvalues(quadratic(A), np.zeros(80), method="lanczos")
    assert rel(b.lambda_min, a.lambda_min) <= 2e-6 and rel(b.lambda_max, a.lambda_max) <= 2e-6
    res = C.lanczos(lambda q: A @ q, np.ones(80), 40, keep_basis=True)
    Q = res.Q
    assert np.abs(Q @ Q.T - np.eye(40)).max() <= 1e-12
    T = np.diag(res.alpha) + np.diag(res.beta, 1) + np.diag(res.beta, -1)
    assert np.abs(Q @ A @ Q.T - T).max() <= 1e-10 * np.abs(A).max()


def test_unconverged_eigsh_says_so_and_stays_within_the_budget():
    lam = np.r_[-1e-6, np.linspace(0.0, 1e-4, 150), np.linspace(1.0, 10.0, 50)]
    r = C.extreme_eigenvalues(quadratic(np.diag(lam)), np.zeros(lam.size), tol=1e-10, max_hvp=40)
    assert not r.converged and r.n_hvp <= 60
    assert np.isnan(r.lambda_min) or r.lambda_min == pytest.approx(-1e-6, rel=1e-6)


def test_lanczos_stops_on_an_invariant_subspace():
    D = np.diag([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    res = C.lanczos(lambda q: D @ q, np.r_[1.0, 1.0, 1.0, 0.0, 0.0, 0.0], 6)
    assert res.n_matvec == 3 and res.beta_last == 0.0
    assert np.allclose(res.ritz()[0], [1.0, 2.0, 3.0], atol=1e-12)


def test_tiny_problems_use_the_dense_route():
    r = C.extreme_eigenvalues(quadratic(np.diag([-2.0, 5.0])), np.zeros(2))
    assert (r.lambda_min, r.lambda_max, r.n_hvp) == pytest.approx((-2.0, 5.0, 2))


# ---------------------------------------------------------------- trace
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_hutchinson_trace_within_three_standard_errors(seed):
    A = random_symmetric(50, seed)
    t = C.trace(quadratic(A), np.zeros(50), n_samples=100, seed=seed)
    assert abs(t.value - np.trace(A)) <= 3 * t.stderr
    assert t.n_hvp == 100 and t.samples.shape == (100,)


def test_hutchinson_trace_of_a_network():
    net, X, y = small_net((4, 10, 3), n=50, seed=4)
    theta = net.init(seed=1)
    fun = lambda t: net.loss_and_grad(t, X, y, loss="mse")
    t = C.trace(fun, theta, n_samples=200, seed=0)
    assert abs(t.value - np.trace(dense_hessian_fd(fun, theta))) <= 3 * t.stderr


def test_trace_is_exact_for_a_diagonal_hessian():
    """Rademacher z: z^T D z = tr(D) for every probe, so the standard error is 0."""
    D = np.diag(np.arange(1.0, 21.0))
    t = C.trace(quadratic(D), np.zeros(20), n_samples=5)
    assert t.value == pytest.approx(210.0, rel=1e-12) and t.stderr <= 1e-9


# ---------------------------------------------------------------- spectral density
def test_density_integrates_to_one_and_its_moments_match_the_spectrum():
    n, m = 200, 30
    A = random_symmetric(n, 7)
    lam = np.linalg.eigvalsh(A)
    d = C.spectral_density(quadratic(A), np.zeros(n), n_vectors=20, steps=m, seed=0)
    assert d.n_hvp == 20 * m and d.weights.sum() == pytest.approx(1.0, abs=1e-12)
    assert np.trapezoid(d.density, d.grid) == pytest.approx(1.0, abs=1e-6)
    Ap = np.eye(n)
    for p in range(1, 5):
        Ap = Ap @ A
        # Rademacher probes: v^T A^p v / n has variance 2 sum_{i != j} (A^p)_ij^2 / n^2
        off = Ap - np.diag(np.diag(Ap))
        se = np.sqrt(2 * np.sum(off ** 2)) / n / np.sqrt(20)
        assert abs(d.moment(p) - np.mean(lam ** p)) <= 4 * se
    # the smoothed curve: same mean, variance widened by sigma^2
    mean = np.trapezoid(d.grid * d.density, d.grid)
    second = np.trapezoid(d.grid ** 2 * d.density, d.grid)
    assert mean == pytest.approx(d.moment(1), abs=1e-6 * np.abs(lam).max())
    assert second == pytest.approx(d.moment(2) + d.sigma ** 2, rel=1e-6)


def test_quadrature_is_exact_for_a_diagonal_hessian():
    """v^T D^p v / n = tr(D^p) / n for Rademacher v, and Gauss quadrature with m nodes is exact
    up to degree 2m - 1: every moment up to 2m - 1 equals the spectrum's."""
    lam = np.linspace(-1.0, 4.0, 60)
    d = C.spectral_density(quadratic(np.diag(lam)), np.zeros(60), n_vectors=1, steps=6, seed=3)
    for p in range(12):
        assert d.moment(p) == pytest.approx(np.mean(lam ** p), rel=1e-9, abs=1e-12)


def test_full_lanczos_recovers_the_spectrum_and_the_negative_fraction():
    lam = np.r_[-np.arange(1.0, 8.0), np.arange(1.0, 24.0)]            # 7 of 30 negative
    d = C.spectral_density(quadratic(np.diag(lam)), np.zeros(30), n_vectors=1, steps=30)
    assert np.allclose(np.sort(d.nodes), np.sort(lam), atol=1e-9)
    assert np.allclose(d.weights, 1 / 30, atol=1e-9)
    assert d.mass_below(0.0) == pytest.approx(7 / 30, abs=1e-12)


# ---------------------------------------------------------------- probe and verdict
def test_probe_on_a_network_matches_the_dense_spectrum():
    net, X, y = small_net((4, 10, 3), n=50, seed=4)
    theta = net.init(seed=1)
    fun = lambda t: net.loss_and_grad(t, X, y, loss="mse")
    lam = np.linalg.eigvalsh(dense_hessian_fd(fun, theta))
    rec = C.probe(fun, theta, tol=1e-6, n_vectors=2, steps=20, seed=0)
    assert rec.converged
    assert rel(rec.lambda_min, lam[0]) <= 1e-6 and rel(rec.lambda_max, lam[-1]) <= 1e-6
    assert rec.ratio == pytest.approx(lam[0] / lam[-1], rel=2e-6)
    assert rec.n_evals == 2 * rec.n_hvp
    assert set(rec.row()) == set(C.probe.__globals__["ROW_KEYS"])


def test_probe_negative_mass_on_known_spectra():
    lam = np.r_[-np.arange(1.0, 8.0), np.arange(1.0, 24.0), [1e-3]]   # 7 of 31 below -0.023
    rec = C.probe(quadratic(np.diag(lam)), np.zeros(31), n_vectors=1, steps=31, tol=1e-8)
    assert rec.negative_mass == pytest.approx(7 / 31, abs=1e-9)
    assert rec.threshold == pytest.approx(1e-3 * 23.0)
    spd = C.probe(quadratic(random_symmetric(40, 3, spd=True)), np.zeros(40), n_vectors=3, steps=10)
    assert spd.negative_mass == 0.0 and spd.lambda_min > 0 and C.convex_verdict(spd).convex


@pytest.mark.parametrize("lo,hi,convex,label", [
    (0.5, 10.0, True, "convex"),
    (-0.005, 10.0, True, "convex up to flat directions"),
    (0.0, 10.0, True, "convex up to flat directions"),
    (-0.02, 10.0, False, "non-convex"),
    (-1.0, -0.5, False, "non-convex"),
])
def test_convex_verdict_rule(lo, hi, convex, label):
    v = C.convex_verdict({"lambda_min": lo, "lambda_max": hi})
    assert (v.convex, v.label) == (convex, label)
    if hi > 0:
        assert v.margin == pytest.approx(lo / hi + 1e-3)


# ---------------------------------------------------------------- reproducibility
def test_same_seed_bit_identical_different_seed_different():
    net, X, y = small_net((4, 10, 3), n=50, seed=4)
    theta = net.init(seed=1)
    fun = lambda t: net.loss_and_grad(t, X, y, loss="mse")
    for method in C.extreme.METHODS:
        a, b = (C.extreme_eigenvalues(fun, theta, tol=1e-3, seed=5, method=method) for _ in range(2))
        assert (a.lambda_min, a.lambda_max, a.n_hvp) == (b.lambda_min, b.lambda_max, b.n_hvp)
    t1, t2, t3 = (C.trace(fun, theta, n_samples=8, seed=s) for s in (1, 1, 2))
    assert np.array_equal(t1.samples, t2.samples) and not np.array_equal(t1.samples, t3.samples)
    d1, d2, d3 = (C.spectral_density(fun, theta, n_vectors=2, steps=10, seed=s) for s in (1, 1, 2))
    assert np.array_equal(d1.density, d2.density) and not np.array_equal(d1.nodes, d3.nodes)
    p1, p2 = (C.probe(fun, theta, seed=3) for _ in range(2))
    assert p1.row() | {"seconds": 0} == p2.row() | {"seconds": 0}
    assert np.array_equal(p1.density.density, p2.density.density)


def test_theta_is_not_changed():
    net, X, y = small_net()
    theta = net.init(seed=0)
    keep = theta.copy()
    fun = lambda t: net.loss_and_grad(t, X, y, loss="mse")
    C.probe(fun, theta)
    C.extreme_eigenvalues(fun, theta)
    assert np.array_equal(theta, keep)


# ---------------------------------------------------------------- bad input
Q = quadratic(np.eye(3))


@pytest.mark.parametrize("call,exc,name", [
    (lambda: C.hvp("f", np.ones(3), np.ones(3)), TypeError, "fun"),
    (lambda: C.hvp(Q, np.ones((3, 1)), np.ones(3)), ValueError, "x"),
    (lambda: C.hvp(Q, np.ones(3), np.ones(4)), ValueError, "v"),
    (lambda: C.hvp(Q, np.r_[1.0, np.nan, 0.0], np.ones(3)), ValueError, "x"),
    (lambda: C.hvp(lambda x: (0.0, np.ones(2)), np.ones(3), np.ones(3)), ValueError, "gradient"),
    (lambda: C.hvp(lambda x: 1.0, np.ones(3), np.ones(3)), TypeError, "fun"),
    (lambda: C.extreme_eigenvalues(Q, np.ones(3), tol=0.0), ValueError, "tol"),
    (lambda: C.extreme_eigenvalues(Q, np.ones(3), tol=1.5), ValueError, "tol"),
    (lambda: C.extreme_eigenvalues(Q, np.ones(3), seed=-1), ValueError, "seed"),
    (lambda: C.extreme_eigenvalues(Q, np.ones(3), method="power"), ValueError, "method"),
    (lambda: C.extreme_eigenvalues(Q, np.ones(3), max_hvp=0), ValueError, "max_hvp"),
    (lambda: C.trace(Q, np.ones(3), n_samples=0), ValueError, "n_samples"),
    (lambda: C.spectral_density(Q, np.ones(3), steps=0), ValueError, "steps"),
    (lambda: C.spectral_density(Q, np.ones(3), sigma=-1.0), ValueError, "sigma"),
    (lambda: C.probe(Q, np.ones(3), n_vectors=0), ValueError, "n_vectors"),
    (lambda: C.probe(Q, "theta"), TypeError, "theta"),
    (lambda: C.lanczos(np.eye(3), np.ones(3), 2), TypeError, "matvec"),
    (lambda: C.lanczos(lambda q: q, np.zeros(3), 2), ValueError, "v0"),
    (lambda: C.convex_verdict({"lambda_max": 1.0}), TypeError, "lambda_min"),
    (lambda: C.convex_verdict({"lambda_min": 0.0, "lambda_max": 1.0}, rel_tol=-1), ValueError, "rel_tol"),
])
def test_bad_input_names_the_argument(call, exc, name):
    with pytest.raises(exc, match=name):
        call()


# ---------------------------------------------------------------- figures (pure functions of arrays)
def test_plots_draw_what_they_are_given(tmp_path):
    from minitwophase.curvature import plots

    lam = np.r_[-np.arange(1.0, 4.0), np.arange(1.0, 20.0)]
    d = C.spectral_density(quadratic(np.diag(lam)), np.zeros(lam.size), n_vectors=2, steps=10)
    fig = plots.density_figure([d, (d.grid, 2 * d.density)], labels=["a", "b"])
    assert np.array_equal(fig.axes[0].lines[0].get_xdata(), d.grid)
    epochs, lo, hi = np.arange(5), np.array([-1.0, -0.5, -1e-4, 0.01, 0.02]), np.full(5, 10.0)
    fig = plots.extremes_figure(epochs, lo, hi, peak_epoch=1, swap_epoch=2)
    assert np.allclose(fig.axes[1].lines[0].get_ydata(), lo / hi)
    fig = plots.gradnorm_loss_figure(np.r_[1.0, 0.5, 0.2], np.r_[1.0, 2.0, 0.5], np.r_[-0.1, np.nan, 0.01])
    assert fig.axes[0].collections[0].get_offsets().shape == (2, 2)
    fig.savefig(tmp_path / "x.png")
    assert (tmp_path / "x.png").stat().st_size > 5000
