"""Losses, each a mean over the batch, taking integer labels y of shape (N,).

Each returns ``(loss, dloss/dout)``; labels are assumed already validated (Sequential does).
"""
from __future__ import annotations

import numpy as np


def cross_entropy(out, y):
    """Softmax + negative log-likelihood, mean over N (= torch F.cross_entropy).

    log softmax via the shifted log-sum-exp, so no exp overflows:
    L = mean_n( logsumexp(z_n) - z_n[y_n] );  dL/dz = (softmax(z) - onehot(y)) / N.
    """
    n = out.shape[0]
    rows = np.arange(n)
    shifted = out - out.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    sum_exp = exp.sum(axis=1, keepdims=True)
    loss = np.mean(np.log(sum_exp[:, 0]) - shifted[rows, y])
    dout = exp / sum_exp
    dout[rows, y] -= 1.0
    dout /= n
    return float(loss), dout


def mse(out, y):
    """Mean over all N*C elements of (out - onehot(y))^2 (= torch F.mse_loss; the paper's loss).

    dL/dout = 2 (out - onehot(y)) / (N C).
    """
    diff = out.copy()
    diff[np.arange(out.shape[0]), y] -= 1.0
    loss = np.mean(diff * diff)
    diff *= 2.0 / diff.size
    return float(loss), diff


LOSSES = {"cross_entropy": cross_entropy, "mse": mse}
