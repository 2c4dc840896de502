"""Token pooling, (N, T, D) -> (N, D): the class token (token 0) or the mean over tokens."""
from __future__ import annotations

import numpy as np

from .layer import Layer

MODES = ("class", "mean")


class TokenPool(Layer):
    """Token pooling, (N, T, D) -> (N, D): the class token (token 0) or the mean over tokens.

    No parameters (``params``: pass ``{}``). Backward returns ``(dx, {})``: dout at token 0
    ("class") or dout / T at every token ("mean").

    Parameters
    ----------
    mode : {"class", "mean"}, optional
        "class" (default): keep token 0, as after ``PatchEmbedding(class_token=True)``;
        "mean": average over the T tokens.

    Raises
    ------
    ValueError
        mode not "class" or "mean"; in forward, an x that is not 3-D (N, T, D).

    Examples
    --------
    >>> import numpy as np
    >>> from minitwophase import nn
    >>> x = np.arange(6.0).reshape(1, 3, 2)        # tokens [0, 1], [2, 3], [4, 5]
    >>> nn.TokenPool("class").forward({}, x)[0]
    array([[0., 1.]])
    >>> out, cache = nn.TokenPool("mean").forward({}, x)
    >>> out
    array([[2., 3.]])
    >>> dx, _ = nn.TokenPool("mean").backward({}, np.array([[3.0, 6.0]]), cache)
    >>> dx
    array([[[1., 2.],
            [1., 2.],
            [1., 2.]]])
    """

    def __init__(self, mode="class"):
        if mode not in MODES:
            raise ValueError(f"TokenPool mode must be one of {MODES}, got {mode!r}")
        self.mode = mode

    def output_shape(self, in_shape):
        in_shape = tuple(in_shape)
        if len(in_shape) != 2:
            raise ValueError(f"{self!r} expects tokens of shape (N, T, D), got "
                             f"(N, {', '.join(map(str, in_shape))})")
        return in_shape[1:]

    def forward(self, params, x):
        if x.ndim != 3:
            raise ValueError(f"{self!r} expects tokens of shape (N, T, D), got shape {x.shape}")
        out = x[:, 0].copy() if self.mode == "class" else x.mean(axis=1)
        return out, x.shape

    def backward(self, params, dout, cache, grads=None, need_dx=True):
        if not need_dx:
            return None, {}
        n, t, d = cache
        if self.mode == "mean":
            return np.broadcast_to(dout[:, None] / t, cache).copy(), {}
        dx = np.zeros(cache, dtype=dout.dtype)
        dx[:, 0] = dout
        return dx, {}

    def __repr__(self):
        return f"TokenPool({self.mode!r})"
