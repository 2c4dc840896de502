"""The beta_{k+1} formulas of nonlinear CG: d_{k+1} = -g_{k+1} + beta_{k+1} d_k.

Arguments: g = g_{k+1} (new gradient), g_old = g_k, d = d_k (last direction),
y = g_{k+1} - g_k. Equation numbers: Nocedal & Wright, Numerical Optimization, 2nd ed.
With an exact line search on a quadratic all six coincide with linear CG's beta (5.24d).
A zero denominator gives inf/nan, which the caller treats as a restart.
"""
import numpy as np


def fletcher_reeves(g, g_old, d, y):
    """Fletcher & Reeves (1964); N&W (5.41a)."""
    return (g @ g) / (g_old @ g_old)


def polak_ribiere(g, g_old, d, y):
    """Polak & Ribiere (1969); N&W (5.44)."""
    return (g @ y) / (g_old @ g_old)


def polak_ribiere_plus(g, g_old, d, y):
    """PR+ = max(beta_PR, 0): Powell (1986), Gilbert & Nocedal (1992); N&W (5.45)."""
    return max(polak_ribiere(g, g_old, d, y), 0.0)


def hestenes_stiefel(g, g_old, d, y):
    """Hestenes & Stiefel (1952); N&W (5.46)."""
    return (g @ y) / (d @ y)


def dai_yuan(g, g_old, d, y):
    """Dai & Yuan (1999), SIAM J. Optim. 10(1); N&W (5.49)."""
    return (g @ g) / (d @ y)


def hager_zhang(g, g_old, d, y, eta=0.01):
    """Hager & Zhang (2005), SIAM J. Optim. 16(1); N&W (5.50).

    beta_N = (y - 2 d ||y||^2 / d^T y)^T g / d^T y, truncated from below as in their paper by
    eta_k = -1 / (||d_k|| min(eta, ||g_k||)), eta = 0.01, which keeps the global convergence.
    """
    dy = d @ y
    beta_n = ((y - (2.0 * (y @ y) / dy) * d) @ g) / dy
    eta_k = -1.0 / (np.linalg.norm(d) * min(eta, np.linalg.norm(g_old)))
    return max(beta_n, eta_k)


BETAS = {
    "FR": fletcher_reeves,
    "PR": polak_ribiere,
    "PR+": polak_ribiere_plus,
    "HS": hestenes_stiefel,
    "DY": dai_yuan,
    "HZ": hager_zhang,
}
