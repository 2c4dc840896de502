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

For speed (the results are the same up to rounding): 1/sqrt(dh) is folded into Wq, a D x D
product instead of a pass over every score; the per-head products write straight into the
(N*T, D) layout of the concatenated heads; the softmax skips its max shift when no score can
overflow; tests/test_token_layers.py checks all of it against the definition written as loops.
"""
from __future__ import annotations

import numpy as np

from .._validate import positive_int
from .init import fill_weights
from .layer import Layer

_SOFTMAX_LIMIT = 300.0  # |score| below this: e^score and a sum of e^score are finite and normal


class SelfAttention(Layer):
    """``SelfAttention(dim, heads, shared_qk=False, value=True, bias=False)``.

    Params in order: ``Wq``; ``Wk`` unless shared_qk; ``Wv``, ``Wo`` if value; each (dim, dim)
    used as x @ W, each followed by its bias (``bq``, ...) when bias=True. Weights start
    Glorot-uniform (Keras' default for attention projections), biases at zero.

    Tokens (N, T, dim) -> (N, T, dim). With dh = dim / heads and head h using columns
    h dh to (h + 1) dh: Q = x Wq, K = x Wk, V = x Wv, A_h = softmax(Q_h K_h^T / sqrt(dh)) over
    the keys, out = concat_h(A_h V_h) Wo (Vaswani et al. 2017, eq. 1). Backward returns dx and
    the grads of every parameter above.

    Parameters
    ----------
    dim : int
        Token width D, >= 1, divisible by heads.
    heads : int
        Number of heads H, >= 1.
    shared_qk : bool, optional
        K = Q, one shared ``Wq`` (Bermeitinger et al. 2024's symmetric similarity); default
        False.
    value : bool, optional
        True (default): V = x Wv and the output projection Wo. False: V = x and no Wo, so
        each head returns attention-weighted means of its slice of the input tokens.
    bias : bool, optional
        A bias after each projection (default False).

    Raises
    ------
    TypeError
        dim or heads not an int, or shared_qk, value or bias not a bool, naming it.
    ValueError
        dim or heads below 1, or dim not divisible by heads; in forward, an x that is not
        (N, T, dim).

    Examples
    --------
    >>> import numpy as np
    >>> from minitwophase import nn
    >>> nn.SelfAttention(4, heads=2).param_shapes()
    {'Wq': (4, 4), 'Wk': (4, 4), 'Wv': (4, 4), 'Wo': (4, 4)}
    >>> att = nn.SelfAttention(2, heads=1, value=False)
    >>> params = {"Wq": np.zeros((2, 2)), "Wk": np.zeros((2, 2))}   # equal scores
    >>> x = np.array([[[1.0, 2.0], [3.0, 4.0]]])                     # N=1, T=2, D=2
    >>> out, cache = att.forward(params, x)     # uniform attention: the mean token
    >>> out
    array([[[2., 3.],
            [2., 3.]]])
    >>> dx, grads = att.backward(params, np.ones_like(out), cache)
    >>> dx.shape, sorted(grads)
    ((1, 2, 2), ['Wk', 'Wq'])
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
        self.scale = 1.0 / float(np.sqrt(self.head_dim))  # a Python float keeps float32 inputs float32

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

    # -- helpers: (N*T, D) <-> (N, H, T, dh) views ---------------------------------------
    def _split(self, y, n, t):
        """Head view (N, H, T, dh) of a (N*T, D) array: strided, no copy (matmul takes it as is)."""
        return y.reshape(n, t, self.heads, self.head_dim).transpose(0, 2, 1, 3)

    def _factors(self):
        """Projection -> the constant folded into its weights: 1/sqrt(dh) goes into Wq (sqrt of
        it into the shared Wq = Wk), so the scores need no scaling pass of their own."""
        return {p: 1.0 for p in self.projections()} | {"q": self.scale ** 0.5 if self.shared_qk else self.scale}

    def forward(self, params, x):
        if x.ndim != 3 or x.shape[-1] != self.dim:
            raise ValueError(f"{self!r} expects tokens of shape (N, T, {self.dim}), got shape {x.shape}")
        n, t, _ = x.shape
        x2 = x.reshape(n * t, self.dim)
        factors = self._factors()
        weights = {p: params["W" + p] * f if f != 1.0 else params["W" + p] for p, f in factors.items()}
        y = {}
        for p in factors:
            y[p] = x2 @ weights[p]
            if self.bias:
                y[p] += params["b" + p] * factors[p]
        q = self._split(y["q"], n, t)                    # already times 1/sqrt(dh) (factors)
        k = q if self.shared_qk else self._split(y["k"], n, t)
        v = self._split(y["v"] if self.value else x2, n, t)
        a = np.matmul(q, _transposed(k))                 # (N, H, T, T) scores S
        _softmax_rows(a)
        c = np.empty((n * t, self.dim), dtype=a.dtype)   # heads concatenated: A V written in place
        np.matmul(a, v, out=self._split(c, n, t))
        out = c
        if self.value:
            out = c @ weights["o"]
            if self.bias:
                out += params["bo"]
        return out.reshape(n, t, self.dim), (x2, q, k, v, a, c, weights)

    def backward(self, params, dout, cache, grads=None, need_dx=True):
        x2, q, k, v, a, c, weights = cache
        n, _, t, _ = q.shape
        if grads is None:
            grads = {k_: np.empty(s, dtype=dout.dtype) for k_, s in self.param_shapes().items()}
        d2 = dout.reshape(n * t, self.dim)
        dy = {}                                          # dL/d(x2 @ weights[p]), each (N*T, D)
        if self.value:
            np.matmul(c.T, d2, out=grads["Wo"])
            if self.bias:
                np.sum(d2, axis=0, out=grads["bo"])
            d2 = d2 @ params["Wo"].T
        do = self._split(d2, n, t)                       # dL/d(A V), (N, H, T, dh)
        ds = np.matmul(do, _transposed(v))               # dA = dO V^T
        dv = dy["v"] = np.empty_like(x2)
        np.matmul(a.swapaxes(-1, -2), do, out=self._split(dv, n, t))     # dV = A^T dO
        ds -= np.einsum("...ij,...ij->...i", ds, a)[..., None]           # softmax Jacobian,
        ds *= a                                                          # row by row: dS
        dy["q"] = np.empty_like(x2)
        if self.shared_qk:                               # S = Q Q^T: dQ = (dS + dS^T) Q
            np.matmul(ds + ds.swapaxes(-1, -2), q, out=self._split(dy["q"], n, t))
        else:
            np.matmul(ds, k, out=self._split(dy["q"], n, t))
            dy["k"] = np.empty_like(x2)
            np.matmul(ds.swapaxes(-1, -2), q, out=self._split(dy["k"], n, t))
        dx = None if self.value or not need_dx else dv  # V = x directly: dV is part of dx
        for p, f in self._factors().items():
            if p == "o":
                continue
            np.matmul(x2.T, dy[p], out=grads["W" + p])
            if f != 1.0:
                grads["W" + p] *= f
            if self.bias:
                np.sum(dy[p], axis=0, out=grads["b" + p])
                if f != 1.0:
                    grads["b" + p] *= f
            if need_dx:
                if dx is None:
                    dx = dy[p] @ weights[p].T
                else:
                    dx += dy[p] @ weights[p].T
        return (dx.reshape(n, t, self.dim) if need_dx else None), grads

    def __repr__(self):
        return (f"SelfAttention({self.dim}, heads={self.heads}, shared_qk={self.shared_qk}, "
                f"value={self.value}, bias={self.bias})")


def _transposed(y):
    """y^T of each (T, dh) head as a contiguous copy: numpy's stacked matmul runs about twice as
    fast on it as on the transposed view (and takes no symmetric-product path for Q Q^T)."""
    return np.ascontiguousarray(y.swapaxes(-1, -2))


def _softmax_rows(s):
    """softmax over the last axis, in place. It is shift-invariant: exp(s - rowmax) is the
    overflow-safe form, but a row max over 17 keys costs more than the exp; when every score
    lies in [-LIMIT, LIMIT] no exp can overflow or vanish, so the shift is skipped."""
    if s.size and (s.max() > _SOFTMAX_LIMIT or s.min() < -_SOFTMAX_LIMIT):
        s -= s.max(axis=-1, keepdims=True)
    np.exp(s, out=s)
    s /= np.matmul(s, np.ones(s.shape[-1], dtype=s.dtype))[..., None]     # row sums by BLAS
