"""Unconstrained test problems with known minima, each ``fun(x) -> (f, g)``.

MGH = Moré, Garbow & Hillstrom (1981), "Testing unconstrained optimization software",
ACM TOMS 7(1), problem numbers as there; starting points are theirs. All MGH problems here
are sums of squares with f* = 0 at the stated x*.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._validate import as_float_array, positive_int, real_number


@dataclass(frozen=True, eq=False)
class Problem:
    name: str
    fun: object                     # x -> (f, g)
    x0: np.ndarray                  # standard starting point
    x_star: np.ndarray              # a minimizer
    f_star: float                   # f(x_star)
    A: np.ndarray | None = None     # quadratics only: f = 0.5 x^T A x - b^T x
    b: np.ndarray | None = None

    @property
    def n(self):
        return self.x0.size


def _check_x(x, n, name):
    x = np.asarray(x, dtype=np.float64)
    if x.shape != (n,):
        raise ValueError(f"{name}: x must have shape ({n},), got {x.shape}")
    return x


def spd_matrix(eigenvalues, seed=0):
    """Q diag(eigenvalues) Q^T with Q a random orthogonal matrix (QR of a Gaussian)."""
    lam = as_float_array(eigenvalues, "eigenvalues", ndim=1)
    if np.any(lam <= 0):
        raise ValueError(f"eigenvalues must all be > 0, got min {lam.min()}")
    n = lam.size
    q, r = np.linalg.qr(np.random.default_rng(seed).standard_normal((n, n)))
    q *= np.where(np.diag(r) < 0, -1.0, 1.0)        # sign fix: Q unique given the Gaussian
    A = (q * lam) @ q.T
    return (A + A.T) / 2                             # exactly symmetric


def quadratic(eigenvalues, seed=0):
    """f(x) = 0.5 x^T A x - b^T x, A = spd_matrix(eigenvalues, seed), b ~ N(0, I), x0 = 0."""
    lam = as_float_array(eigenvalues, "eigenvalues", ndim=1)
    A = spd_matrix(lam, seed)
    n = A.shape[0]
    b = np.random.default_rng([seed, 1]).standard_normal(n)
    x_star = np.linalg.solve(A, b)

    def fun(x):
        x = _check_x(x, n, "quadratic")
        Ax = A @ x
        return 0.5 * (x @ Ax) - b @ x, Ax - b
    return Problem(f"quadratic(n={n}, cond={lam.max() / lam.min():.0e})",
                   fun, np.zeros(n), x_star, float(-0.5 * (b @ x_star)), A, b)


def log_spectrum(n, cond):
    """n eigenvalues log-spaced in [1, cond]."""
    n = positive_int(n, "n")
    cond = real_number(cond, "cond", low=1.0)
    return np.logspace(0.0, np.log10(cond), n)


def rosenbrock(n=2):
    """Extended Rosenbrock, MGH 21 (MGH 1 for n = 2): pairs (a, b) = (x_{2i-1}, x_{2i}),
    f = sum 100 (b - a^2)^2 + (1 - a)^2; x0 = (-1.2, 1, ...), x* = (1, ..., 1)."""
    n = positive_int(n, "n", minimum=2)
    if n % 2:
        raise ValueError(f"n must be even for the extended Rosenbrock function, got {n}")

    def fun(x):
        x = _check_x(x, n, "rosenbrock")
        a, b = x[0::2], x[1::2]
        u = b - a * a
        g = np.empty(n)
        g[0::2] = -400.0 * a * u - 2.0 * (1.0 - a)
        g[1::2] = 200.0 * u
        return float(np.sum(100.0 * u * u + (1.0 - a) ** 2)), g
    return Problem(f"rosenbrock(n={n})", fun, np.tile([-1.2, 1.0], n // 2), np.ones(n), 0.0)


def beale():
    """MGH 5: r_i = y_i - x1 (1 - x2^i), y = (1.5, 2.25, 2.625); x0 = (1, 1), x* = (3, 0.5)."""
    y, i = np.array([1.5, 2.25, 2.625]), np.arange(1, 4)

    def fun(x):
        x1, x2 = _check_x(x, 2, "beale")
        r = y - x1 * (1.0 - x2 ** i)
        J = np.column_stack([-(1.0 - x2 ** i), x1 * i * x2 ** (i - 1)])
        return float(r @ r), 2.0 * (J.T @ r)
    return Problem("beale", fun, np.array([1.0, 1.0]), np.array([3.0, 0.5]), 0.0)


def helical_valley():
    """MGH 7: r = (10 (x3 - 10 theta), 10 (sqrt(x1^2 + x2^2) - 1), x3), with
    2 pi theta = arctan(x2 / x1) (+ pi if x1 < 0); x0 = (-1, 0, 0), x* = (1, 0, 0)."""
    def fun(x):
        x1, x2, x3 = _check_x(x, 3, "helical_valley")
        rho2 = x1 * x1 + x2 * x2
        if x1 != 0.0:
            theta = np.arctan(x2 / x1) / (2 * np.pi) + (0.5 if x1 < 0 else 0.0)
        else:
            theta = 0.25 * np.sign(x2)
        rho = np.sqrt(rho2)
        r = np.array([10.0 * (x3 - 10.0 * theta), 10.0 * (rho - 1.0), x3])
        dtheta = np.array([-x2, x1]) / (2 * np.pi * rho2)
        J = np.array([[-100.0 * dtheta[0], -100.0 * dtheta[1], 10.0],
                      [10.0 * x1 / rho, 10.0 * x2 / rho, 0.0],
                      [0.0, 0.0, 1.0]])
        return float(r @ r), 2.0 * (J.T @ r)
    return Problem("helical_valley", fun, np.array([-1.0, 0.0, 0.0]),
                   np.array([1.0, 0.0, 0.0]), 0.0)


def wood():
    """MGH 14 (Colville): x0 = (-3, -1, -3, -1), x* = (1, 1, 1, 1)."""
    def fun(x):
        x1, x2, x3, x4 = _check_x(x, 4, "wood")
        u, w, s, t = x2 - x1 ** 2, x4 - x3 ** 2, x2 + x4 - 2.0, x2 - x4
        f = 100 * u ** 2 + (1 - x1) ** 2 + 90 * w ** 2 + (1 - x3) ** 2 + 10 * s ** 2 + 0.1 * t ** 2
        g = np.array([-400 * x1 * u - 2 * (1 - x1),
                      200 * u + 20 * s + 0.2 * t,
                      -360 * x3 * w - 2 * (1 - x3),
                      180 * w + 20 * s - 0.2 * t])
        return float(f), g
    return Problem("wood", fun, np.array([-3.0, -1.0, -3.0, -1.0]), np.ones(4), 0.0)


def powell_singular(n=4):
    """Extended Powell singular, MGH 22 (MGH 13 for n = 4), blocks of 4:
    (x1 + 10 x2)^2 + 5 (x3 - x4)^2 + (x2 - 2 x3)^4 + 10 (x1 - x4)^4; x0 = (3, -1, 0, 1, ...),
    x* = 0 where the Hessian is singular (so convergence there is slow for every method)."""
    n = positive_int(n, "n", minimum=4)
    if n % 4:
        raise ValueError(f"n must be a multiple of 4 for powell_singular, got {n}")

    def fun(x):
        x = _check_x(x, n, "powell_singular")
        a, b, c, d = x[0::4], x[1::4], x[2::4], x[3::4]
        p, q, s, t = a + 10 * b, c - d, b - 2 * c, a - d
        g = np.empty(n)
        g[0::4] = 2 * p + 40 * t ** 3
        g[1::4] = 20 * p + 4 * s ** 3
        g[2::4] = 10 * q - 8 * s ** 3
        g[3::4] = -10 * q - 40 * t ** 3
        return float(np.sum(p ** 2 + 5 * q ** 2 + s ** 4 + 10 * t ** 4)), g
    return Problem(f"powell_singular(n={n})", fun, np.tile([3.0, -1.0, 0.0, 1.0], n // 4),
                   np.zeros(n), 0.0)


def variably_dimensioned(n=10):
    """MGH 25: r_i = x_i - 1, r_{n+1} = s, r_{n+2} = s^2 with s = sum_j j (x_j - 1);
    x0_j = 1 - j / n, x* = (1, ..., 1)."""
    n = positive_int(n, "n")
    j = np.arange(1, n + 1, dtype=np.float64)

    def fun(x):
        x = _check_x(x, n, "variably_dimensioned")
        e = x - 1.0
        s = j @ e
        return float(e @ e + s ** 2 + s ** 4), 2.0 * e + (2.0 * s + 4.0 * s ** 3) * j
    return Problem(f"variably_dimensioned(n={n})", fun, 1.0 - j / n, np.ones(n), 0.0)


def freudenstein_roth():
    """MGH 2: r1 = -13 + x1 + ((5 - x2) x2 - 2) x2, r2 = -29 + x1 + ((x2 + 1) x2 - 14) x2;
    x0 = (0.5, -2), x* = (5, 4). (A local minimum f = 48.98... lies at (11.41, -0.8968).)"""
    def fun(x):
        x1, x2 = _check_x(x, 2, "freudenstein_roth")
        r = np.array([-13 + x1 + ((5 - x2) * x2 - 2) * x2, -29 + x1 + ((x2 + 1) * x2 - 14) * x2])
        J = np.array([[1.0, 10 * x2 - 3 * x2 ** 2 - 2], [1.0, 3 * x2 ** 2 + 2 * x2 - 14]])
        return float(r @ r), 2.0 * (J.T @ r)
    return Problem("freudenstein_roth", fun, np.array([0.5, -2.0]), np.array([5.0, 4.0]), 0.0)


def brown_badly_scaled():
    """MGH 4: r = (x1 - 1e6, x2 - 2e-6, x1 x2 - 2); x0 = (1, 1), x* = (1e6, 2e-6)."""
    def fun(x):
        x1, x2 = _check_x(x, 2, "brown_badly_scaled")
        r = np.array([x1 - 1e6, x2 - 2e-6, x1 * x2 - 2.0])
        return float(r @ r), 2.0 * np.array([r[0] + x2 * r[2], r[1] + x1 * r[2]])
    return Problem("brown_badly_scaled", fun, np.array([1.0, 1.0]), np.array([1e6, 2e-6]), 0.0)


def box_3d(m=10):
    """MGH 12: r_i = exp(-t_i x1) - exp(-t_i x2) - x3 (exp(-t_i) - exp(-10 t_i)), t_i = i/10,
    i = 1..m; x0 = (0, 10, 20), x* = (1, 10, 1)."""
    m = positive_int(m, "m", minimum=3)
    t = np.arange(1, m + 1) / 10.0
    c = np.exp(-t) - np.exp(-10 * t)

    def fun(x):
        x1, x2, x3 = _check_x(x, 3, "box_3d")
        with np.errstate(over="ignore", invalid="ignore"):   # far out: f = inf, by design
            e1, e2 = np.exp(-t * x1), np.exp(-t * x2)
            r = e1 - e2 - x3 * c
            return float(r @ r), 2.0 * np.array([r @ (-t * e1), r @ (t * e2), -(r @ c)])
    return Problem(f"box_3d(m={m})", fun, np.array([0.0, 10.0, 20.0]),
                   np.array([1.0, 10.0, 1.0]), 0.0)


def trigonometric(n=10):
    """MGH 26: r_i = n - sum_j cos x_j + i (1 - cos x_i) - sin x_i; x0 = (1/n, ...);
    f = 0 at x* = 0 (from x0 a method may stop at another local minimum)."""
    n = positive_int(n, "n")
    i = np.arange(1, n + 1, dtype=np.float64)

    def fun(x):
        x = _check_x(x, n, "trigonometric")
        c, s = np.cos(x), np.sin(x)
        r = n - c.sum() + i * (1 - c) - s
        return float(r @ r), 2.0 * (r.sum() * s + r * (i * s - c))   # J = 1 s^T + diag(i s - c)
    return Problem(f"trigonometric(n={n})", fun, np.full(n, 1.0 / n), np.zeros(n), 0.0)


def penalty_1(n=4, a=1e-5):
    """MGH 23: r_i = sqrt(a) (x_i - 1), r_{n+1} = sum x_j^2 - 1/4, a = 1e-5; x0_j = j.
    x* = c (1, ..., 1) by symmetry, c the real root of 2 n c^3 + (a - 1/2) c - a = 0
    (grad f = 0); MGH's f* = 2.24997e-5 (n = 4), 7.08765e-5 (n = 10)."""
    n = positive_int(n, "n")
    a = real_number(a, "a", low=0.0, low_open=True)
    roots = np.roots([2.0 * n, 0.0, a - 0.5, -a])
    c = max(r.real for r in roots if abs(r.imag) < 1e-12)   # the minimizer: largest real root

    def f_g(x):
        x = _check_x(x, n, "penalty_1")
        s = x @ x - 0.25
        return float(a * np.sum((x - 1) ** 2) + s * s), 2 * a * (x - 1) + 4 * s * x
    x_star = np.full(n, c)
    return Problem(f"penalty_1(n={n})", f_g, np.arange(1.0, n + 1), x_star, f_g(x_star)[0])


def standard_problems():
    """The set used by the tests and benchmarks/bench_cg.py."""
    return [quadratic(log_spectrum(50, 1e3), seed=0), rosenbrock(2), rosenbrock(10), beale(),
            helical_valley(), wood(), powell_singular(8), variably_dimensioned(10)]


def selection_problems():
    """Held-out set for choosing CG defaults (benchmarks/select_cg_defaults.py): disjoint
    from ``standard_problems()`` (other n, spectra and seeds; other MGH functions)."""
    rng = np.random.default_rng(2024)
    return [quadratic(log_spectrum(20, 1e2), seed=11), quadratic(log_spectrum(100, 1e4), seed=12),
            quadratic(rng.uniform(1.0, 1e3, 30), seed=13), rosenbrock(4), rosenbrock(20),
            powell_singular(4), powell_singular(12), variably_dimensioned(6),
            freudenstein_roth(), brown_badly_scaled(), box_3d(), trigonometric(10),
            penalty_1(4), penalty_1(10)]
