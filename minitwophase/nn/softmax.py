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
    """Softmax over the last axis, s = exp(x - max x) / sum exp(x - max x)
    (= torch.softmax(x, dim=-1)); backward s * (dout - sum(dout * s)), the Jacobian
    diag(s) - s s^T times dout. The probability head before ``loss="mse"``; never before
    ``loss="cross_entropy"``, which takes logits (models.build_model refuses the pair).

    Parameters
    ----------
    None
        The layer takes no arguments and has no parameters: ``forward(params, x)`` ignores
        ``params`` (pass ``{}``) and maps an x of any shape (N, ..., C) to an output of the same shape;
        ``backward(params, dout, cache)`` returns ``(dx, {})``.

    Raises
    ------
    TypeError
        ``Softmax(...)`` with any argument (it takes none). x is not checked: NumPy's own
        errors for a non-numeric x.

    Examples
    --------
    >>> import numpy as np
    >>> from minitwophase import nn
    >>> out, cache = nn.Softmax().forward({}, np.array([[0.0, np.log(3.0)]]))
    >>> np.round(out, 12)
    array([[0.25, 0.75]])
    >>> dx, _ = nn.Softmax().backward({}, np.array([[1.0, 1.0]]), cache)
    >>> bool(np.abs(dx).max() < 1e-15)    # the s sum to 1: a constant dout gives dx = 0
    True
    """

    def forward(self, params, x):
        e = np.exp(x - x.max(axis=-1, keepdims=True))
        s = e / e.sum(axis=-1, keepdims=True)
        return s, s

    def backward(self, params, dout, s, grads=None, need_dx=True):
        if not need_dx:
            return None, {}
        # J^T dout with J = diag(s) - s s^T (symmetric): s * (dout - <dout, s>)
        return s * (dout - np.sum(dout * s, axis=-1, keepdims=True)), {}
