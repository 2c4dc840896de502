"""Residual connection (He et al. 2016): out = x + f(x), f the inner layers applied in order.

The inner layers' parameters are this layer's parameters, in order, named ``"<i>.<name>"``
(i = index of the inner layer), so the flat theta of a Sequential holding it stays one vector.
Backward: dL/dx = dout + (the inner chain's backward of dout).
"""
from __future__ import annotations

import numpy as np

from .chain import chain_output_shape, scheme_after
from .layer import Layer


class Residual(Layer):
    """Residual connection out = x + f(x), f the inner layers applied in order (He et al. 2016).

    The inner layers' parameters are this layer's, in order, named ``"<i>.<name>"`` with i the
    index of the inner layer, so a Sequential holding it keeps one flat theta. The inner
    layers must map the per-sample shape to itself. Backward: dx = dout + the inner chain's
    backward of dout; grads carry the prefixed names.

    Parameters
    ----------
    layers : list of Layer
        The inner layers, non-empty, e.g. ``[nn.LayerNorm(64), nn.SelfAttention(64, 4)]``.

    Raises
    ------
    TypeError
        layers not a non-empty list of nn layers (a single layer included: wrap it in a list).
    ValueError
        In ``output_shape`` (so when a Sequential is built): an inner layer that does not fit
        its input, naming its index, or inner layers that change the shape.

    Examples
    --------
    >>> import numpy as np
    >>> from minitwophase import nn
    >>> res = nn.Residual([nn.Dense(2, 2)])
    >>> res.param_shapes()
    {'0.W': (2, 2), '0.b': (2,)}
    >>> params = {"0.W": np.zeros((2, 2)), "0.b": np.array([1.0, -1.0])}
    >>> out, cache = res.forward(params, np.array([[5.0, 5.0]]))   # x + (x @ 0 + b)
    >>> out
    array([[6., 4.]])
    >>> dx, grads = res.backward(params, np.ones((1, 2)), cache)
    >>> dx, grads["0.b"]
    (array([[1., 1.]]), array([1., 1.]))
    """

    def __init__(self, layers):
        layers = list(layers) if not isinstance(layers, Layer) else None
        if not layers or not all(isinstance(layer, Layer) for layer in layers):
            raise TypeError("Residual layers must be a non-empty list of nn layers, "
                            "e.g. [nn.LayerNorm(64), nn.SelfAttention(64, 4)]")
        self.layers = tuple(layers)

    def param_shapes(self):
        return {f"{i}.{name}": shape for i, layer in enumerate(self.layers)
                for name, shape in layer.param_shapes().items()}

    def _inner(self, params, i):
        """Layer i's own dict (name -> the same array views), from the prefixed names."""
        prefix = f"{i}."
        return {name[len(prefix):]: value for name, value in params.items() if name.startswith(prefix)}

    def output_shape(self, in_shape):
        shape = chain_output_shape(self.layers, in_shape, "Residual inner layer")
        if shape != tuple(in_shape):
            raise ValueError(f"Residual: the inner layers map (N, {', '.join(map(str, in_shape))}) to "
                             f"(N, {', '.join(map(str, shape))}); x + f(x) needs the same shape")
        return shape

    def init_params(self, params, rng, scheme):
        for i, layer in enumerate(self.layers):
            inner = self._inner(params, i)
            if inner:
                layer.init_params(inner, rng, scheme_after(self.layers, i))

    def forward(self, params, x):
        caches = []
        h = x
        for i, layer in enumerate(self.layers):
            h, cache = layer.forward(self._inner(params, i), h)
            caches.append(cache)
        return x + h, caches

    def backward(self, params, dout, cache, grads=None, need_dx=True):
        if grads is None:
            grads = {k: np.empty(s, dtype=dout.dtype) for k, s in self.param_shapes().items()}
        dh = dout
        for i in range(len(self.layers) - 1, -1, -1):
            dh, _ = self.layers[i].backward(self._inner(params, i), dh, cache[i],
                                            grads=self._inner(grads, i), need_dx=need_dx or i > 0)
            cache[i] = None  # free activations as soon as they are used
        return (dout + dh if need_dx else None), grads

    def __repr__(self):
        return f"Residual([{', '.join(repr(layer) for layer in self.layers)}])"
