"""The beta_{k+1} formulas of nonlinear CG: d_{k+1} = -z_{k+1} + beta_{k+1} d_k.

Arguments: g = g_{k+1} (new gradient), g_old = g_k, d = d_k (last direction),
y = g_{k+1} - g_k; with a preconditioner M (Nocedal & Wright section 5.2, "Preconditioning")
also z = M^{-1} g_{k+1} and z_old = M^{-1} g_k, and every inner product of a formula is taken
in M^{-1} (g^T g -> g^T z, g^T y -> z^T y, y^T y -> y^T M^{-1} y with M^{-1} y = z - z_old).
Without them (z = g) these are the textbook formulas, bit for bit.
Equation numbers: Nocedal & Wright, Numerical Optimization, 2nd ed. With an exact line search
on a quadratic all six coincide with linear CG's beta (5.24d) (preconditioned: Algorithm 5.3).
A zero denominator gives inf/nan, which the caller treats as a restart.
"""
import numpy as np


def fletcher_reeves(g, g_old, d, y, z=None, z_old=None):
    """Fletcher & Reeves (1964); N&W (5.41a); preconditioned g^T z / g_old^T z_old."""
    z, z_old = (g, g_old) if z is None else (z, z_old)
    return (g @ z) / (g_old @ z_old)


def polak_ribiere(g, g_old, d, y, z=None, z_old=None):
    """Polak & Ribiere (1969); N&W (5.44); preconditioned z^T y / g_old^T z_old."""
    z, z_old = (g, g_old) if z is None else (z, z_old)
    return (z @ y) / (g_old @ z_old)


def polak_ribiere_plus(g, g_old, d, y, z=None, z_old=None):
    """PR+ = max(beta_PR, 0): Powell (1986), Gilbert & Nocedal (1992); N&W (5.45)."""
    return max(polak_ribiere(g, g_old, d, y, z, z_old), 0.0)


def hestenes_stiefel(g, g_old, d, y, z=None, z_old=None):
    """Hestenes & Stiefel (1952); N&W (5.46); preconditioned z^T y / d^T y."""
    z = g if z is None else z
    return (z @ y) / (d @ y)


def dai_yuan(g, g_old, d, y, z=None, z_old=None):
    """Dai & Yuan (1999), SIAM J. Optim. 10(1); N&W (5.49); preconditioned g^T z / d^T y."""
    z = g if z is None else z
    return (g @ z) / (d @ y)


def hager_zhang(g, g_old, d, y, z=None, z_old=None, eta=0.01):
    """Hager & Zhang (2005), SIAM J. Optim. 16(1); N&W (5.50).

    beta_N = (y - 2 d ||y||^2 / d^T y)^T g / d^T y, truncated from below as in their paper by
    eta_k = -1 / (||d_k|| min(eta, ||g_k||)), eta = 0.01, which keeps the global convergence.
    Preconditioned (Hager & Zhang 2013, SIAM J. Optim. 23(4), (1.4)-(1.5) with theta = 2):
    y^T g -> y^T M^{-1} g and ||y||^2 -> y^T M^{-1} y, i.e. y -> w = M^{-1} y = z - z_old.
    """
    w = y if z is None else z - z_old
    dy = d @ y
    beta_n = ((w - (2.0 * (y @ w) / dy) * d) @ g) / dy
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
