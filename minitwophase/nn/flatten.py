"""Flatten every axis but the batch axis, in C order: (N, C, H, W) -> (N, C*H*W) (as torch)."""
from __future__ import annotations

import math

import numpy as np

from .layer import Layer


class Flatten(Layer):
    """(N, C, H, W) -> (N, C*H*W) in C order (= torch.nn.Flatten()); no parameters.
    Backward reshapes dout to the input's shape.

    Any (N, ...) input with >= 2 axes is flattened to (N, product of the rest); a view when x
    is C-contiguous. ``params`` is ignored (pass ``{}``); backward returns ``(dx, {})``.

    Parameters
    ----------
    None
        The layer takes no arguments.

    Raises
    ------
    ValueError
        In forward, an x with fewer than 2 axes (N and at least one more); in
        ``output_shape``, an empty per-sample shape.

    Examples
    --------
    >>> import numpy as np
    >>> from minitwophase import nn
    >>> x = np.arange(24.0).reshape(2, 3, 2, 2)
    >>> out, cache = nn.Flatten().forward({}, x)
    >>> out.shape, out[0, :5]
    ((2, 12), array([0., 1., 2., 3., 4.]))
    >>> dx, _ = nn.Flatten().backward({}, out, cache)
    >>> dx.shape
    (2, 3, 2, 2)
    """

    def output_shape(self, in_shape):
        in_shape = tuple(in_shape)
        if len(in_shape) == 0:
            raise ValueError(f"Flatten expects a per-sample shape with >= 1 axis, got {in_shape}")
        return (math.prod(in_shape),)

    def forward(self, params, x):
        x = np.asarray(x)
        if x.ndim < 2:
            raise ValueError(f"Flatten expects x of shape (N, ...) with >= 2 axes, got shape {x.shape}")
        return x.reshape(len(x), -1), x.shape  # a view when x is C-contiguous

    def backward(self, params, dout, cache, grads=None, need_dx=True):
        return (dout.reshape(cache) if need_dx else None), {}
