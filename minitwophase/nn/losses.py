"""Losses, each a mean over the batch, taking integer labels y of shape (N,).

Each returns ``(loss, dloss/dout)``; labels are assumed already validated (Sequential does).
"""
from __future__ import annotations

import numpy as np


def cross_entropy(out, y):
    """Softmax + negative log-likelihood, mean over N (= torch F.cross_entropy).

    log softmax via the shifted log-sum-exp, so no exp overflows:
    L = mean_n( logsumexp(z_n) - z_n[y_n] );  dL/dz = (softmax(z) - onehot(y)) / N.

    Parameters
    ----------
    out : ndarray
        The network's raw outputs (logits) z, float64 of shape (N, C).
    y : ndarray
        Integer class labels in [0, C), shape (N,), assumed already validated.

    Returns
    -------
    loss : float
        L, the mean over the N samples.
    dout : ndarray
        dL/dout, shape (N, C).

    Raises
    ------
    IndexError
        A label outside [0, C) (the loss does not validate; ``Sequential`` does).

    Examples
    --------
    Equal logits over two classes give log 2, whatever the label:

    >>> import numpy as np
    >>> from minitwophase import nn
    >>> loss, dout = nn.cross_entropy(np.zeros((1, 2)), np.array([0]))
    >>> bool(np.isclose(loss, np.log(2.0)))
    True
    >>> dout                                     # softmax [0.5, 0.5] minus onehot [1, 0]
    array([[-0.5,  0.5]])
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

    Parameters
    ----------
    out : ndarray
        The network's outputs, float64 of shape (N, C).
    y : ndarray
        Integer class labels in [0, C), shape (N,), assumed already validated.

    Returns
    -------
    loss : float
        L, the mean over all N*C elements.
    dout : ndarray
        dL/dout, shape (N, C).

    Raises
    ------
    IndexError
        A label outside [0, C) (the loss does not validate; ``Sequential`` does).

    Examples
    --------
    >>> import numpy as np
    >>> from minitwophase import nn
    >>> nn.mse(np.array([[1.0, 0.0]]), np.array([0]))[0]      # out equals onehot(0)
    0.0
    >>> loss, dout = nn.mse(np.array([[0.0, 0.0]]), np.array([0]))
    >>> loss, dout                               # (1 + 0) / 2; 2 (0 - 1) / 2 = -1
    (0.5, array([[-1.,  0.]]))
    """
    diff = out.copy()
    diff[np.arange(out.shape[0]), y] -= 1.0
    loss = np.mean(diff * diff)
    diff *= 2.0 / diff.size
    return float(loss), diff


LOSSES = {"cross_entropy": cross_entropy, "mse": mse}
