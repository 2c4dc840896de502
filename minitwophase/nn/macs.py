"""Multiply-adds per sample of a Sequential's forward pass (the paper's Fig. 6 counts MFLOPs).

Counted: the matrix products, one multiply-add each (a FLOP count is about twice this):
  Dense             (tokens) x n_in x n_out
  Conv2D            c_out x H_out x W_out x c_in x k x k
  PatchEmbedding    patches x (channels x patch^2) x dim
  SelfAttention     m x T x D^2 for its m projection matrices (Wq; Wk unless shared_qk; Wv and
                    Wo if value) + T^2 x D for the scores Q K^T + T^2 x D for A V (all heads)
Not counted (elementwise or reductions, O(size of the activation)): activations, LayerNorm,
pooling, padding, softmax, token pooling, Flatten. A backward pass costs about twice the
forward's multiply-adds, so one training step on one sample is about 3 x ``macs_per_sample``.

The shapes come from one forward pass of a single zero sample layer by layer (layer.forward).
"""
from __future__ import annotations

import numpy as np

from .attention import SelfAttention
from .conv import Conv2D
from .dense import Dense
from .patch import PatchEmbedding
from .residual import Residual


def _layer_macs(layer, x, out):
    if isinstance(layer, Dense):
        return int(np.prod(x.shape[1:-1], dtype=np.int64)) * layer.n_in * layer.n_out
    if isinstance(layer, Conv2D):
        _, _, h, w = out.shape
        return layer.c_out * h * w * layer.c_in * layer.kernel_size ** 2
    if isinstance(layer, PatchEmbedding):
        patches = (x.shape[2] // layer.patch) * (x.shape[3] // layer.patch)
        return patches * layer.channels * layer.patch ** 2 * layer.dim
    if isinstance(layer, SelfAttention):
        t, d = x.shape[1], layer.dim
        m = 1 + (not layer.shared_qk) + 2 * layer.value
        return m * t * d * d + 2 * t * t * d
    return 0


def _walk(layers, params, x):
    """(multiply-adds, output) of the layers applied in order to x; params: one dict per layer."""
    total = 0
    for layer, p in zip(layers, params):
        if isinstance(layer, Residual):       # its params are "<i>.<name>" for inner layer i
            inner = [{k.split(".", 1)[1]: v for k, v in p.items() if k.split(".", 1)[0] == str(i)}
                     for i in range(len(layer.layers))]
            macs, _ = _walk(layer.layers, inner, x)
            total += macs
        out, _ = layer.forward(p, x)
        if not isinstance(layer, Residual):
            total += _layer_macs(layer, x, out)
        x = out
    return total, x


def macs_per_sample(net, input_shape):
    """Multiply-adds of one forward pass of one sample of shape ``input_shape`` (e.g. (1, 28, 28))."""
    x = np.zeros((1, *tuple(input_shape)), dtype=net.dtype)
    theta = np.zeros(net.size, dtype=net.dtype)
    return _walk(net.layers, net.unflatten(theta), x)[0]
