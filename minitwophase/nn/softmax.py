"""Softmax over the last axis, as a layer: the probability head of a Keras-style classifier.

    s = exp(x - max x) / sum exp(x - max x)          (max-shifted: no exp overflows)
    dx = s * (dout - sum(dout * s))                  (the Jacobian diag(s) - s s^T times dout)

No parameters. With ``loss="mse"`` after it the loss compares probabilities with one-hot
targets (``Dense(classes, activation="softmax")`` with ``loss="mse"`` in Keras);
``loss="cross_entropy"`` already contains a softmax and takes logits, so it never follows
this layer (models.build_model refuses the pair). = torch.softmax(x, dim=-1).
"""
from __future__ import annotations

import numpy as np

from .layer import Layer


class Softmax(Layer):
    def forward(self, params, x):
        e = np.exp(x - x.max(axis=-1, keepdims=True))
        s = e / e.sum(axis=-1, keepdims=True)
        return s, s

    def backward(self, params, dout, s, grads=None, need_dx=True):
        if not need_dx:
            return None, {}
        # J^T dout with J = diag(s) - s s^T (symmetric): s * (dout - <dout, s>)
        return s * (dout - np.sum(dout * s, axis=-1, keepdims=True)), {}
