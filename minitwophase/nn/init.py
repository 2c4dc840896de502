"""Weight initialisation, chosen by the activation that follows the weight layer.

- "he":     W ~ N(0, 2 / fan_in)                    (He et al. 2015, for ReLU and GELU)
- "glorot": W ~ U(-a, a), a = sqrt(6 / (fan_in + fan_out))   (Glorot & Bengio 2010, for
            tanh, sigmoid and the output layer)
Biases start at zero. ``Sequential.init(seed)`` draws every layer from one
``numpy.random.default_rng(seed)`` in layer order, so a seed fixes theta bit for bit.
"""
from __future__ import annotations

import numpy as np

SCHEMES = ("he", "glorot")


def fill_weights(W, fan_in, fan_out, rng, scheme):
    """Fill the view ``W`` in place by ``scheme``."""
    if scheme == "he":
        W[...] = rng.standard_normal(W.shape) * np.sqrt(2.0 / fan_in)
    elif scheme == "glorot":
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        W[...] = rng.uniform(-limit, limit, size=W.shape)
    else:
        raise ValueError(f"scheme must be one of {SCHEMES}, got {scheme!r}")
