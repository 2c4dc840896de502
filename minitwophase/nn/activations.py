"""Elementwise nonlinearities. Each caches what its derivative needs, nothing more."""
from __future__ import annotations

import numpy as np
from scipy.special import expit, ndtr

from .layer import Layer

_INV_SQRT2PI = 1.0 / np.sqrt(2.0 * np.pi)


class _Elementwise(Layer):
    def backward(self, params, dout, cache, grads=None, need_dx=True):
        return (self._derivative_times(dout, cache) if need_dx else None), {}


class ReLU(_Elementwise):
    """max(x, 0) elementwise; derivative 1 where x > 0, else 0 (0 at x == 0, as torch)."""

    init_scheme = "he"

    def forward(self, params, x):
        return np.maximum(x, 0.0), x > 0

    def _derivative_times(self, dout, positive):
        return dout * positive  # subgradient 0 at x == 0, as torch


class Tanh(_Elementwise):
    """tanh(x) elementwise (the paper's activation); derivative 1 - tanh(x)^2, from the
    cached output."""

    init_scheme = "glorot"

    def forward(self, params, x):
        out = np.tanh(x)
        return out, out

    def _derivative_times(self, dout, out):
        return dout * (1.0 - out * out)  # tanh' = 1 - tanh^2


class Sigmoid(_Elementwise):
    init_scheme = "glorot"

    def forward(self, params, x):
        out = expit(x)  # stable for large |x|: never evaluates exp of a large positive number
        return out, out

    def _derivative_times(self, dout, out):
        return dout * out * (1.0 - out)  # sigma' = sigma (1 - sigma)


class GELU(_Elementwise):
    """Exact GELU, x * Phi(x) with Phi the standard normal CDF (= torch.nn.GELU()).

    Phi via scipy's ndtr rather than 0.5 (1 + erf(x / sqrt 2)), which cancels to 0 for x < -8.
    """

    init_scheme = "he"

    def forward(self, params, x):
        cdf = ndtr(x)
        return x * cdf, (x, cdf)

    def _derivative_times(self, dout, cache):
        x, cdf = cache
        pdf = _INV_SQRT2PI * np.exp(-0.5 * x * x)
        return dout * (cdf + x * pdf)  # d/dx x Phi(x) = Phi(x) + x phi(x)
