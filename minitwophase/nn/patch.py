"""Patch embedding of a vision transformer (Dosovitskiy et al. 2021, eq. 1).

NCHW images are cut into non-overlapping p x p patches in row-major order, each flattened in
(c, i, j) order and projected, patch @ W + b; an optional class token goes first and an
optional learned position embedding is added. This equals torch Conv2d(kernel = stride = p)
with weight W.T.reshape(dim, c, p, p). The patch cut is a reshape and a transpose (no loops).
"""
from __future__ import annotations

import numpy as np

from .._validate import positive_int
from .init import fill_weights
from .layer import Layer

TOKEN_INIT_STD = 0.02  # class token and positions ~ N(0, 0.02^2), as timm's ViT


class PatchEmbedding(Layer):
    """``PatchEmbedding(channels, patch, dim, class_token=True, positions=None)``.

    Params: ``W`` (channels*patch*patch, dim), ``b`` (dim,), then ``cls`` (dim,) if
    class_token, then ``pos`` (positions, dim) if positions is an int (tokens, class included).

    Images (N, channels, H, W), H and W multiples of patch, -> tokens (N, T, dim) with
    T = (H / patch) (W / patch) + class_token. Patches are cut in row-major order, each
    flattened in (c, i, j) order and projected, patch @ W + b (Dosovitskiy et al. 2021,
    eq. 1); the class token ``cls`` goes first; ``pos`` is added to every token. Equal to
    torch Conv2d(kernel = stride = patch) with weight W.T.reshape(dim, c, p, p).

    Parameters
    ----------
    channels : int
        Input channels, >= 1.
    patch : int
        Side of the square patches, >= 1.
    dim : int
        Token width, >= 1.
    class_token : bool, optional
        Prepend a learned class token (default True).
    positions : int, optional
        Learn a position embedding for this many tokens (class token included), which must
        equal T; None (default): no position embedding.

    Raises
    ------
    TypeError
        channels, patch, dim or positions not an int, or class_token not a bool, naming it.
    ValueError
        An int argument below 1, naming it; in forward, an x that is not (N, channels, H, W),
        an H or W that is not a multiple of patch, or positions other than T.

    Examples
    --------
    >>> import numpy as np
    >>> from minitwophase import nn
    >>> emb = nn.PatchEmbedding(channels=1, patch=2, dim=3)
    >>> emb.param_shapes()
    {'W': (4, 3), 'b': (3,), 'cls': (3,)}
    >>> params = {"W": np.ones((4, 3)), "b": np.zeros(3), "cls": np.full(3, -1.0)}
    >>> out, cache = emb.forward(params, np.ones((1, 1, 4, 4)))   # 4 patches + class token
    >>> out.shape
    (1, 5, 3)
    >>> out[0, :2]                      # the class token, then patch 0: the sum of 4 ones
    array([[-1., -1., -1.],
           [ 4.,  4.,  4.]])
    """

    def __init__(self, channels, patch, dim, class_token=True, positions=None):
        self.channels = positive_int(channels, "PatchEmbedding channels")
        self.patch = positive_int(patch, "PatchEmbedding patch")
        self.dim = positive_int(dim, "PatchEmbedding dim")
        if not isinstance(class_token, (bool, np.bool_)):
            raise TypeError(f"PatchEmbedding class_token must be a bool, got {class_token!r}")
        self.class_token = bool(class_token)
        self.positions = None if positions is None else positive_int(positions, "PatchEmbedding positions")

    def param_shapes(self):
        shapes = {"W": (self.channels * self.patch ** 2, self.dim), "b": (self.dim,)}
        if self.class_token:
            shapes["cls"] = (self.dim,)
        if self.positions is not None:
            shapes["pos"] = (self.positions, self.dim)
        return shapes

    def _tokens(self, in_shape):
        """Token count for per-sample shape (C, H, W); ValueError naming what does not fit."""
        in_shape = tuple(in_shape)
        p = self.patch
        if len(in_shape) != 3 or in_shape[0] != self.channels:
            raise ValueError(f"{self!r} expects images of shape (N, {self.channels}, H, W), got "
                             f"(N, {', '.join(map(str, in_shape))})")
        _, h, w = in_shape
        if h % p or w % p:
            raise ValueError(f"{self!r}: image height and width must be multiples of the patch "
                             f"{p}, got {h}x{w} (pad the images, e.g. with nn.ZeroPad2D)")
        t = (h // p) * (w // p) + self.class_token
        if self.positions is not None and self.positions != t:
            raise ValueError(f"{self!r}: positions must equal the token count, {(h // p) * (w // p)} "
                             f"patches{' + 1 class token' if self.class_token else ''} = {t}, "
                             f"got positions={self.positions}")
        return t

    def output_shape(self, in_shape):
        return (self._tokens(in_shape), self.dim)

    def init_params(self, params, rng, scheme):
        fill_weights(params["W"], self.channels * self.patch ** 2, self.dim, rng, scheme)
        params["b"][...] = 0.0
        for name in ("cls", "pos"):
            if name in params:
                params[name][...] = TOKEN_INIT_STD * rng.standard_normal(params[name].shape)

    def forward(self, params, x):
        if x.ndim != 4:
            raise ValueError(f"{self!r} expects images of shape (N, C, H, W), got shape {x.shape}")
        t = self._tokens(x.shape[1:])
        n, c, h, w = x.shape
        p = self.patch
        patches = (x.reshape(n, c, h // p, p, w // p, p).transpose(0, 2, 4, 1, 3, 5)
                   .reshape(n * (h // p) * (w // p), c * p * p))        # row-major patches, (c, i, j)
        out = np.empty((n, t, self.dim), dtype=np.result_type(x, params["W"]))
        first = int(self.class_token)
        emb = patches @ params["W"]                      # one (N*P, c*p*p) @ (c*p*p, dim) product
        emb += params["b"]
        out[:, first:] = emb.reshape(n, t - first, self.dim)
        if self.class_token:
            out[:, 0] = params["cls"]
        if self.positions is not None:
            out += params["pos"]
        return out, (x.shape, patches)

    def backward(self, params, dout, cache, grads=None, need_dx=True):
        x_shape, patches = cache
        if grads is None:
            grads = {k: np.empty(s, dtype=dout.dtype) for k, s in self.param_shapes().items()}
        first = int(self.class_token)
        de = dout[:, first:].reshape(-1, self.dim)
        np.matmul(patches.T, de, out=grads["W"])
        np.sum(de, axis=0, out=grads["b"])
        if self.class_token:
            np.sum(dout[:, 0], axis=0, out=grads["cls"])
        if self.positions is not None:
            np.sum(dout, axis=0, out=grads["pos"])
        if not need_dx:
            return None, grads
        n, c, h, w = x_shape
        p = self.patch
        dpatches = de @ params["W"].T                    # undo the cut: the inverse transpose
        dx = (dpatches.reshape(n, h // p, w // p, c, p, p).transpose(0, 3, 1, 4, 2, 5)
              .reshape(n, c, h, w))
        return dx, grads

    def __repr__(self):
        return (f"PatchEmbedding({self.channels}, {self.patch}, {self.dim}, "
                f"class_token={self.class_token}, positions={self.positions})")
