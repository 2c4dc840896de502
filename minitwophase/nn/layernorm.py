"""Layer normalisation over the last axis (Ba, Kiros & Hinton 2016; = torch.nn.LayerNorm(dim, eps)).

    xhat = (x - mean(x)) / sqrt(var(x) + eps)      (biased variance, over the last axis)
    out  = gamma * xhat + beta

Backward (per row, D = dim, g = dL/dxhat = dout * gamma):
    dx = (g - mean(g) - xhat * mean(g * xhat)) / sqrt(var + eps)
"""
from __future__ import annotations

import numpy as np

from .._validate import positive_int, real_number
from .layer import Layer


class LayerNorm(Layer):
    """``LayerNorm(dim, eps=1e-5)``; params ``gamma`` (dim,) initialised to 1, ``beta`` (dim,) to 0.

    Normalises the last axis of an (N, ..., dim) input (Ba, Kiros & Hinton 2016; =
    torch.nn.LayerNorm(dim, eps)): xhat = (x - mean) / sqrt(var + eps) with the biased
    variance, out = gamma xhat + beta. Backward returns dx and grads ``gamma``, ``beta``.

    Parameters
    ----------
    dim : int
        Width of the last axis, >= 1.
    eps : float, optional
        Added to the variance, > 0 (default 1e-5).

    Raises
    ------
    TypeError
        dim not an int or eps not a real number, naming it.
    ValueError
        dim below 1 or eps not finite and > 0, naming it; in forward, a last axis other
        than dim.

    Examples
    --------
    >>> import numpy as np
    >>> from minitwophase import nn
    >>> ln = nn.LayerNorm(2)
    >>> params = {"gamma": np.ones(2), "beta": np.zeros(2)}
    >>> out, cache = ln.forward(params, np.array([[1.0, 3.0]]))   # mean 2, variance 1
    >>> np.allclose(out, [[-1.0, 1.0]] / np.sqrt(1.0 + 1e-5))
    True
    >>> dx, grads = ln.backward(params, np.ones((1, 2)), cache)
    >>> grads["beta"]
    array([1., 1.])
    """

    def __init__(self, dim, eps=1e-5):
        self.dim = positive_int(dim, "LayerNorm dim")
        self.eps = real_number(eps, "LayerNorm eps", low=0.0, low_open=True)

    def param_shapes(self):
        return {"gamma": (self.dim,), "beta": (self.dim,)}

    def output_shape(self, in_shape):
        in_shape = tuple(in_shape)
        if not in_shape or in_shape[-1] != self.dim:
            raise ValueError(f"{self!r} normalises the last axis, which must be {self.dim}; "
                             f"got inputs of shape (N, {', '.join(map(str, in_shape))})")
        return in_shape

    def init_params(self, params, rng, scheme):
        params["gamma"][...] = 1.0
        params["beta"][...] = 0.0

    def forward(self, params, x):
        if x.shape[-1] != self.dim:
            raise ValueError(f"{self!r} expects the last axis to be {self.dim}, got shape {x.shape}")
        # Row means and squared norms as matrix-vector products and einsum: numpy's reductions
        # over a short last axis cost several times more.
        x2 = x.reshape(-1, self.dim)
        xhat = x2 - (x2 @ self._average(x2.dtype))[:, None]
        var = np.einsum("ij,ij->i", xhat, xhat) / self.dim
        rstd = (1.0 / np.sqrt(var + self.eps))[:, None]
        xhat *= rstd  # xhat = (x - mean) / sqrt(var + eps), in place
        out = xhat * params["gamma"]
        out += params["beta"]
        return out.reshape(x.shape), (xhat, rstd)

    def backward(self, params, dout, cache, grads=None, need_dx=True):
        xhat, rstd = cache
        if grads is None:
            grads = {k: np.empty(s, dtype=dout.dtype) for k, s in self.param_shapes().items()}
        d2 = dout.reshape(-1, self.dim)
        np.einsum("ij,ij->j", d2, xhat, out=grads["gamma"])
        np.sum(d2, axis=0, out=grads["beta"])
        if not need_dx:
            return None, grads
        g = d2 * params["gamma"]
        mean_gx = np.einsum("ij,ij->i", g, xhat)[:, None] / self.dim
        dx = g
        dx -= (g @ self._average(g.dtype))[:, None]      # g - mean(g)
        dx -= xhat * mean_gx                             # - xhat mean(g xhat)
        dx *= rstd
        return dx.reshape(dout.shape), grads

    def _average(self, dtype):
        """The vector with x @ it = mean over the last axis."""
        return np.full(self.dim, 1.0 / self.dim, dtype=dtype)

    def __repr__(self):
        return f"LayerNorm({self.dim}, eps={self.eps:g})"
