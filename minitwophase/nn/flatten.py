"""Flatten every axis but the batch axis, in C order: (N, C, H, W) -> (N, C*H*W) (as torch)."""
from __future__ import annotations

import math

import numpy as np

from .layer import Layer


class Flatten(Layer):
    """(N, C, H, W) -> (N, C*H*W) in C order (= torch.nn.Flatten()); no parameters.
    Backward reshapes dout to the input's shape."""

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
