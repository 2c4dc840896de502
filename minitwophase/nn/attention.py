"""Multi-head scaled dot-product self-attention (Vaswani et al. 2017, eq. 1), with the options of
Bermeitinger et al. 2024 ("Reducing the Transformer Architecture to a Minimum").

For x of shape (N, T, D), H heads of width dh = D / H, head h using columns h*dh:(h+1)*dh:
    Q = x Wq,  K = x Wk,  V = x Wv                   (each followed by its bias if bias=True)
    A_h = softmax(Q_h K_h^T / sqrt(dh))              (rows: queries; softmax over the keys)
    out = concat_h(A_h V_h) Wo
shared_qk=True: K = Q (the paper's "wkewq", symmetric similarity), so dWq collects two terms.
value=False: V = x and no Wo (the paper's "wvwo"): each head returns attention-weighted means
of its slice of the input tokens, heads concatenated.

Backward, per head (S = Q K^T / sqrt(dh), O = A V):
    dA = dO V^T,  dV = A^T dO
    dS = A * (dA - rowsum(dA * A))                   (the softmax Jacobian, applied row by row)
    dQ = dS K / sqrt(dh),  dK = dS^T Q / sqrt(dh)    (shared: dQ + dK both reach Wq)
"""
from __future__ import annotations

import numpy as np

from .._validate import positive_int
from .init import fill_weights
from .layer import Layer


class SelfAttention(Layer):
    """``SelfAttention(dim, heads, shared_qk=False, value=True, bias=False)``.

    Params in order: ``Wq``; ``Wk`` unless shared_qk; ``Wv``, ``Wo`` if value; each (dim, dim)
    used as x @ W, each followed by its bias (``bq``, ...) when bias=True. Weights start
    Glorot-uniform (Keras' default for attention projections), biases at zero.
    """

    def __init__(self, dim, heads, shared_qk=False, value=True, bias=False):
        self.dim = positive_int(dim, "SelfAttention dim")
        self.heads = positive_int(heads, "SelfAttention heads")
        if self.dim % self.heads:
            raise ValueError(f"SelfAttention dim must be divisible by heads, got dim={self.dim} "
                             f"and heads={self.heads}")
        for name, flag in (("shared_qk", shared_qk), ("value", value), ("bias", bias)):
            if not isinstance(flag, (bool, np.bool_)):
                raise TypeError(f"SelfAttention {name} must be a bool, got {type(flag).__name__} {flag!r}")
        self.shared_qk, self.value, self.bias = bool(shared_qk), bool(value), bool(bias)
        self.head_dim = self.dim // self.heads
        self.scale = 1.0 / np.sqrt(self.head_dim)

    def projections(self):
        """Names of the projections this layer owns, in theta order."""
        names = ["q"] if self.shared_qk else ["q", "k"]
        return names + (["v", "o"] if self.value else [])

    def param_shapes(self):
        shapes = {}
        for p in self.projections():
            shapes["W" + p] = (self.dim, self.dim)
            if self.bias:
                shapes["b" + p] = (self.dim,)
        return shapes

    def output_shape(self, in_shape):
        in_shape = tuple(in_shape)
        if len(in_shape) != 2 or in_shape[1] != self.dim:
            raise ValueError(f"{self!r} expects tokens of shape (N, T, {self.dim}), got "
                             f"(N, {', '.join(map(str, in_shape))}) (token width must be {self.dim})")
        return in_shape

    def init_params(self, params, rng, scheme):
        for p in self.projections():
            fill_weights(params["W" + p], self.dim, self.dim, rng, "glorot")
            if self.bias:
                params["b" + p][...] = 0.0

    # -- helpers: (N*T, D) <-> (N, H, T, dh) ----------------------------------------------
    def _split(self, y, n, t):
        return y.reshape(n, t, self.heads, self.head_dim).transpose(0, 2, 1, 3)

    def _merge(self, y):
        n, _, t, _ = y.shape
        return y.transpose(0, 2, 1, 3).reshape(n * t, self.dim)

    def _project(self, params, p, x2):
        y = x2 @ params["W" + p]
        if self.bias:
            y += params["b" + p]
        return y

    def forward(self, params, x):
        if x.ndim != 3 or x.shape[-1] != self.dim:
            raise ValueError(f"{self!r} expects tokens of shape (N, T, {self.dim}), got shape {x.shape}")
        n, t, _ = x.shape
        x2 = x.reshape(n * t, self.dim)
        q = self._split(self._project(params, "q", x2), n, t)
        k = q if self.shared_qk else self._split(self._project(params, "k", x2), n, t)
        v = self._split(self._project(params, "v", x2) if self.value else x2, n, t)
        a = np.matmul(q, k.swapaxes(-1, -2))             # (N, H, T, T) scores
        a *= self.scale
        a -= a.max(axis=-1, keepdims=True)               # stable softmax over the keys
        np.exp(a, out=a)
        a /= a.sum(axis=-1, keepdims=True)
        c = self._merge(np.matmul(a, v))                 # (N*T, D): heads concatenated
        out = self._project(params, "o", c) if self.value else c
        return out.reshape(n, t, self.dim), (x2, q, k, v, a, c)

    def backward(self, params, dout, cache, grads=None, need_dx=True):
        x2, q, k, v, a, c = cache
        n, _, t, _ = q.shape
        if grads is None:
            grads = {k_: np.empty(s, dtype=dout.dtype) for k_, s in self.param_shapes().items()}
        d2 = dout.reshape(n * t, self.dim)
        if self.value:
            np.matmul(c.T, d2, out=grads["Wo"])
            if self.bias:
                np.sum(d2, axis=0, out=grads["bo"])
            d2 = d2 @ params["Wo"].T
        do = self._split(d2, n, t)                       # dL/d(A V), (N, H, T, dh)
        da = np.matmul(do, v.swapaxes(-1, -2))           # dA = dO V^T
        dv = np.matmul(a.swapaxes(-1, -2), do)           # dV = A^T dO
        da -= np.sum(da * a, axis=-1, keepdims=True)     # softmax Jacobian, row by row
        da *= a
        da *= self.scale                                 # dS (scaled)
        dq = np.matmul(da, k)
        dk = np.matmul(da.swapaxes(-1, -2), q)
        if self.shared_qk:
            dq += dk                                     # K = Q: both uses reach Wq
        dx = np.zeros_like(x2) if need_dx else None
        for p, dy in (("q", dq), ("k", dk), ("v", dv)):
            if p not in self.projections():
                continue
            dy = self._merge(dy)
            np.matmul(x2.T, dy, out=grads["W" + p])
            if self.bias:
                np.sum(dy, axis=0, out=grads["b" + p])
            if need_dx:
                dx += dy @ params["W" + p].T
        if not need_dx:
            return None, grads
        if not self.value:
            dx += self._merge(dv)                        # V = x directly
        return dx.reshape(n, t, self.dim), grads

    def __repr__(self):
        return (f"SelfAttention({self.dim}, heads={self.heads}, shared_qk={self.shared_qk}, "
                f"value={self.value}, bias={self.bias})")
