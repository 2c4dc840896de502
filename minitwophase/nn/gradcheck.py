"""Gradient checking by centred finite differences, for students and for the tests.

    df/dx_i ~= (f(x + h e_i) - f(x - h e_i)) / (2 h)        error O(h^2)

Relative error as in the CS231n notes: max_i |a_i - n_i| / max(|a_i| + |n_i|, 1e-8).
h = 1e-5 ~ eps^(1/3) balances the O(h^2) truncation against rounding, about eps |f| / h.
In float64 a correct gradient gives about 1e-6 or less elementwise (entries near 1e-8 are
the hardest) and about 1e-9 norm-wise; 1e-2 or more means a bug.
"""
from __future__ import annotations

import numpy as np

from .._validate import as_float_array


def numerical_gradient(f, x, h=1e-5):
    """Centred differences of the scalar function ``f`` at ``x`` (any shape; not modified).

    This loops over coordinates on purpose: it is a checker, not a hot path.
    """
    x = np.array(x, dtype=np.float64)  # a private copy to perturb
    grad = np.empty_like(x)
    flat, gflat = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + h
        f_plus = float(f(x))
        flat[i] = old - h
        f_minus = float(f(x))
        flat[i] = old
        gflat[i] = (f_plus - f_minus) / (2.0 * h)
    return grad


def relative_error(analytic, numeric, floor=1e-8, norm=False):
    """Largest elementwise relative error (CS231n); 0.0 for two empty arrays.

    ``norm=True`` gives ||a - n|| / max(||a|| + ||n||, floor) instead, the figure that stays
    meaningful when some entries are tiny.
    """
    a = np.asarray(analytic, dtype=np.float64)
    n = np.asarray(numeric, dtype=np.float64)
    if a.shape != n.shape:
        raise ValueError(f"analytic and numeric must have the same shape, got {a.shape} and {n.shape}")
    if a.size == 0:
        return 0.0
    if norm:
        return float(np.linalg.norm(a - n) / max(np.linalg.norm(a) + np.linalg.norm(n), floor))
    return float(np.max(np.abs(a - n) / np.maximum(np.abs(a) + np.abs(n), floor)))


def check_layer(layer, x, params=None, seed=0, h=1e-5, norm=False):
    """Check a layer's ``backward`` against finite differences.

    Uses the scalar L = sum(forward(x) * R) with a fixed random R, so dL/dout = R.
    ``params``: dict name -> array (drawn at random when None). Returns a dict
    ``{"x": err, "W": err, ...}`` of relative errors.
    """
    rng = np.random.default_rng(seed)
    x = as_float_array(x, "x")
    if params is None:
        params = {k: rng.standard_normal(s) for k, s in layer.param_shapes().items()}
    params = {k: np.array(v, dtype=np.float64) for k, v in params.items()}
    out, cache = layer.forward(params, x)
    R = rng.standard_normal(out.shape)
    dx, grads = layer.backward(params, R, cache)

    def loss_at(x_, p_):
        return np.sum(layer.forward(p_, x_)[0] * R)

    errors = {"x": relative_error(dx, numerical_gradient(lambda v: loss_at(v, params), x, h), norm=norm)}
    for name in params:
        def f(v, name=name):
            return loss_at(x, {**params, name: v})
        errors[name] = relative_error(grads[name], numerical_gradient(f, params[name], h), norm=norm)
    return errors


def check_network(net, theta, X, y, loss="cross_entropy", h=1e-5, norm=False):
    """Relative error of ``net.loss_and_grad``'s gradient against finite differences in theta."""
    _, grad = net.loss_and_grad(theta, X, y, loss=loss)
    numeric = numerical_gradient(lambda t: net.loss_value(t, X, y, loss=loss), theta, h)
    return relative_error(grad, numeric, norm=norm)
