"""Fully connected layer: out = x @ W + b, W of shape (n_in, n_out) as in the contract.

Acts on the last axis of any (N, ..., n_in) input, as torch.nn.Linear: a token array
(N, T, n_in) is one (N*T, n_in) matrix product, and dW sums over every leading axis.
"""
from __future__ import annotations

import numpy as np

from .._validate import positive_int
from .init import fill_weights
from .layer import Layer


class Dense(Layer):
    """Fully connected: out = x @ W + b with W (n_in, n_out), b (n_out,) (as torch.nn.Linear
    with weight W.T); acts on the last axis of (N, ..., n_in). Backward: dW = x^T dout,
    db = sum of dout over the batch, dx = dout W^T.

    Parameters
    ----------
    n_in, n_out : int
        Input and output widths, >= 1.

    Raises
    ------
    ValueError
        A width below 1, naming it.

    Examples
    --------
    >>> import numpy as np
    >>> from minitwophase import nn
    >>> layer = nn.Dense(3, 2)
    >>> params = {"W": np.ones((3, 2)), "b": np.array([0.0, 1.0])}
    >>> out, cache = layer.forward(params, np.array([[1.0, 2.0, 3.0]]))
    >>> out
    array([[6., 7.]])
    >>> dx, grads = layer.backward(params, np.ones((1, 2)), cache)
    >>> dx, grads["b"]
    (array([[2., 2., 2.]]), array([1., 1.]))
    """

    def __init__(self, n_in, n_out):
        self.n_in = positive_int(n_in, "n_in")
        self.n_out = positive_int(n_out, "n_out")

    def param_shapes(self):
        return {"W": (self.n_in, self.n_out), "b": (self.n_out,)}

    def output_shape(self, in_shape):
        in_shape = tuple(in_shape)
        if not in_shape or in_shape[-1] != self.n_in:
            raise ValueError(
                f"{self!r} expects inputs of shape (N, {self.n_in}), got (N, {', '.join(map(str, in_shape))})"
                f" (it acts on the last axis, which must be {self.n_in})"
                + (" (add nn.Flatten() before it)" if len(in_shape) > 1 else "")
            )
        return in_shape[:-1] + (self.n_out,)

    def init_params(self, params, rng, scheme):
        fill_weights(params["W"], self.n_in, self.n_out, rng, scheme)
        params["b"][...] = 0.0

    def forward(self, params, x):
        # One (N*T, n_in) @ (n_in, n_out) product: matmul on a 3-D x would loop over N small ones.
        out = x.reshape(-1, self.n_in) @ params["W"]
        out += params["b"]
        return out.reshape(*x.shape[:-1], self.n_out), x

    def backward(self, params, dout, cache, grads=None, need_dx=True):
        x = cache.reshape(-1, self.n_in)          # leading axes as one batch axis
        d = dout.reshape(-1, self.n_out)
        if grads is None:
            grads = {k: np.empty(s, dtype=dout.dtype) for k, s in self.param_shapes().items()}
        np.matmul(x.T, d, out=grads["W"])  # dL/dW = x^T dL/dout
        np.sum(d, axis=0, out=grads["b"])
        dx = (d @ params["W"].T).reshape(cache.shape) if need_dx else None
        return dx, grads

    def __repr__(self):
        return f"Dense({self.n_in}, {self.n_out})"
