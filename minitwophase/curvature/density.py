"""The Hessian's spectral density by stochastic Lanczos quadrature (SLQ).

The density phi(t) = (1/n) sum_i delta(t - lambda_i) is estimated as PyHessian (Yao et al.
2020) and Ghorbani, Krishnan & Xiao (2019) do: for a unit probe v, m Lanczos steps give
T_m = S diag(theta) S^T, and the Gauss quadrature sum_k tau_k f(theta_k) with tau_k = S_{1k}^2
equals v^T f(H) v exactly for polynomials f of degree <= 2m - 1 (Golub & Meurant). With v a
normalised Rademacher vector, E[v^T H^p v] = tr(H^p) / n, so averaging over probes gives the
spectrum's moments; each Ritz value theta_k carries weight tau_k / n_vectors (all weights sum
to 1). For a curve, each node is replaced by a Gaussian of width ``sigma``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.linalg import eigh_tridiagonal

from .._validate import as_float_array, positive_int, real_number
from ._checks import check_seed
from .hvp import HessianOperator
from .lanczos import lanczos

SIGMA_FRACTION = 0.01        # default Gaussian width: 1 % of the Ritz values' span
GRID_POINTS = 1001


@dataclass
class SpectralDensity:
    nodes: np.ndarray        # Ritz values of every probe, concatenated
    weights: np.ndarray      # their quadrature weights / n_vectors (sum 1)
    grid: np.ndarray         # where the smoothed density is tabulated
    density: np.ndarray      # sum_k weights_k N(grid; nodes_k, sigma^2)
    sigma: float
    n_vectors: int
    steps: int               # Lanczos steps per probe (fewer at breakdown)
    n_hvp: int
    n_evals: int

    def moment(self, p):
        """sum_k w_k theta_k^p, an unbiased estimate of tr(H^p) / n for p <= 2 steps - 1."""
        return float(self.weights @ self.nodes ** positive_int(p, "p", minimum=0))

    def mass_below(self, threshold):
        """The quadrature measure's weight on eigenvalues < threshold (no smoothing)."""
        threshold = real_number(threshold, "threshold")
        return float(self.weights[self.nodes < threshold].sum())

    def evaluate(self, t):
        """The smoothed density at points t."""
        t = as_float_array(t, "t")
        z = (t[..., None] - self.nodes) / self.sigma
        return np.exp(-0.5 * z ** 2) @ self.weights / (self.sigma * np.sqrt(2.0 * np.pi))


def slq_nodes(matvec, n, n_vectors, steps, rng):
    """Ritz values and weights of ``n_vectors`` Rademacher probes of ``steps`` Lanczos steps."""
    nodes, weights = [], []
    for _ in range(n_vectors):
        v = rng.choice((-1.0, 1.0), size=n)
        res = lanczos(matvec, v, steps)
        theta, S = eigh_tridiagonal(res.alpha, res.beta)
        nodes.append(theta)
        weights.append(S[0] ** 2 / n_vectors)
    return np.concatenate(nodes), np.concatenate(weights)


def spectral_density(fun, x, n_vectors=4, steps=60, sigma=None, grid=None, seed=0):
    """SLQ estimate of the Hessian's eigenvalue density at ``x`` (seeded, reproducible).

    ``n_vectors * steps`` Hessian-vector products. ``sigma`` defaults to 1 % of the span of the
    Ritz values; ``grid`` to 1001 points covering every node +- 5 sigma.

    Stochastic Lanczos quadrature (Ghorbani et al. 2019): each seeded probe runs ``steps``
    Lanczos steps; the Ritz values and the squared first components of their vectors are the
    nodes and weights of a quadrature of the spectral measure, smoothed by Gaussians of width
    ``sigma``.

    Parameters
    ----------
    fun : callable
        ``fun(x) -> (f, g)``.
    x : ndarray
        The point, 1-D.
    n_vectors : int, default 4
        Number of probes, >= 1.
    steps : int, default 60
        Lanczos steps per probe, >= 1 (at most len(x) are useful).
    sigma : float, optional
        Width of the smoothing Gaussians.
    grid : ndarray, optional
        Where the density is evaluated.
    seed : int, default 0
        Seed of the probes.

    Returns
    -------
    SpectralDensity
        ``grid``, ``density``, the quadrature ``nodes`` and ``weights``, and ``moment(p)``.

    Raises
    ------
    ValueError
        ``n_vectors`` or ``steps`` below 1, or sigma not positive, naming the argument.

    Examples
    --------
    >>> import numpy as np
    >>> from minitwophase import curvature
    >>> A = np.diag([-1.0, 0.5, 2.0, 4.0])              # a saddle: one negative eigenvalue
    >>> fun = lambda x: (0.5 * x @ A @ x, A @ x)
    >>> d = curvature.spectral_density(fun, np.zeros(4), n_vectors=2, steps=4)
    >>> round(d.moment(1), 6)                          # the mean eigenvalue, tr(H) / n
    1.375
    """
    n_vectors, steps = positive_int(n_vectors, "n_vectors"), positive_int(steps, "steps")
    seed = check_seed(seed)
    op = HessianOperator(fun, x)
    rng = np.random.default_rng(seed)
    nodes, weights = slq_nodes(op.matvec, op.shape[0], n_vectors, steps, rng)
    return smooth(nodes, weights, sigma, grid, n_vectors, steps, op.n_hvp, op.n_evals)


def smooth(nodes, weights, sigma=None, grid=None, n_vectors=1, steps=0, n_hvp=0, n_evals=0):
    """A SpectralDensity from quadrature nodes and weights (Gaussian smoothing)."""
    span = float(nodes.max() - nodes.min())
    if sigma is None:
        sigma = SIGMA_FRACTION * span if span > 0 else max(1e-8, 1e-3 * abs(float(nodes[0])))
    sigma = real_number(sigma, "sigma", low=0.0, low_open=True)
    if grid is None:
        points = max(GRID_POINTS, int(4 * (span + 10 * sigma) / sigma) + 1)
        grid = np.linspace(nodes.min() - 5 * sigma, nodes.max() + 5 * sigma, points)
    grid = as_float_array(grid, "grid", ndim=1)
    out = SpectralDensity(nodes, weights, grid, np.empty(0), sigma, n_vectors, steps, n_hvp, n_evals)
    out.density = out.evaluate(grid)
    return out
