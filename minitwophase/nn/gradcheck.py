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

    Parameters
    ----------
    f : callable
        ``f(x) -> float``, called 2 x.size times with a perturbed copy of x.
    x : array_like
        The point, any shape; converted to float64, never modified.
    h : float, default 1e-5
        The step, about eps^(1/3) (module docstring).

    Returns
    -------
    ndarray
        (f(x + h e_i) - f(x - h e_i)) / (2 h) for every i, float64 of the shape of x.

    Raises
    ------
    TypeError, ValueError
        ``f`` returns something ``float()`` cannot convert (an array of size > 1, say).

    Examples
    --------
    >>> import numpy as np
    >>> from minitwophase import nn
    >>> g = nn.numerical_gradient(lambda x: np.sum(x ** 2), np.array([1.0, -2.0]))
    >>> np.allclose(g, [2.0, -4.0])                  # d/dx sum x^2 = 2 x
    True
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

    Parameters
    ----------
    analytic, numeric : array_like
        The two gradients, the same shape.
    floor : float, default 1e-8
        Lower bound of the denominator, so two zeros compare as 0 rather than 0 / 0.
    norm : bool, default False
        The norm-wise figure instead of the largest elementwise one.

    Returns
    -------
    float
        max_i |a_i - n_i| / max(|a_i| + |n_i|, floor), or the norm-wise figure.

    Raises
    ------
    ValueError
        The two arrays have different shapes.

    Examples
    --------
    >>> from minitwophase import nn
    >>> err = nn.relative_error([1.0, 2.0], [1.0, 2.2])      # 0.2 / (2 + 2.2)
    >>> round(err, 6)
    0.047619
    >>> nn.relative_error([0.0], [0.0])
    0.0
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

    Parameters
    ----------
    layer : Layer
        Any layer of ``minitwophase.nn`` (``forward``, ``backward``, ``param_shapes``).
    x : array_like
        An input batch the layer accepts.
    params : dict, optional
        Name -> array; drawn at random (standard normal) when None.
    seed : int, default 0
        Seeds the random parameters and R.
    h : float, default 1e-5
        The finite-difference step (``numerical_gradient``).
    norm : bool, default False
        Norm-wise rather than elementwise errors (``relative_error``).

    Returns
    -------
    dict
        ``{"x": err, "W": err, ...}``: the relative error of dL/dx and of each parameter's
        gradient. About 1e-6 or less for a correct layer; 1e-2 or more means a bug.

    Raises
    ------
    ValueError
        ``x`` not finite float data, or a shape the layer rejects (the layer's own message).

    Examples
    --------
    >>> import numpy as np
    >>> from minitwophase import nn
    >>> errors = nn.check_layer(nn.Dense(3, 2), np.ones((4, 3)))
    >>> sorted(errors), max(errors.values()) < 1e-6
    (['W', 'b', 'x'], True)
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
    """Relative error of ``net.loss_and_grad``'s gradient against finite differences in theta.

    Parameters
    ----------
    net : Sequential
        The network.
    theta : ndarray
        Its flat float64 parameter vector.
    X, y : ndarray
        A batch: inputs and integer labels.
    loss : {"cross_entropy", "mse"}, default "cross_entropy"
        The loss, as ``net.loss_and_grad`` takes it.
    h : float, default 1e-5
        The finite-difference step (``numerical_gradient``).
    norm : bool, default False
        The norm-wise rather than the elementwise error (``relative_error``).

    Returns
    -------
    float
        The relative error; about 1e-6 or less for a correct network.

    Raises
    ------
    ValueError
        theta, X or y the network rejects (its own message names the argument).

    Examples
    --------
    >>> import numpy as np
    >>> from minitwophase import nn
    >>> net = nn.Sequential([nn.Dense(3, 4), nn.Tanh(), nn.Dense(4, 2)])
    >>> theta = net.init(seed=0)
    >>> X = np.random.default_rng(0).standard_normal((5, 3))
    >>> y = np.array([0, 1, 1, 0, 1])
    >>> nn.check_network(net, theta, X, y) < 1e-6
    True
    """
    _, grad = net.loss_and_grad(theta, X, y, loss=loss)
    numeric = numerical_gradient(lambda t: net.loss_value(t, X, y, loss=loss), theta, h)
    return relative_error(grad, numeric, norm=norm)
