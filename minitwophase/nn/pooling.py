"""Max and average pooling over k x k windows with stride s (stride None: s = k), no padding.

Windows may overlap (s < k); backward then adds the gradients of all windows that share an
input. Output size (H - k) // s + 1, as torch.nn.MaxPool2d / AvgPool2d with their defaults.
"""
from __future__ import annotations

import numpy as np

from .._validate import positive_int
from .layer import Layer
from .windows import as_images, kernel_offsets, output_hw


class _Pool2D(Layer):
    def __init__(self, kernel_size, stride=None):
        name = type(self).__name__
        self.kernel_size = positive_int(kernel_size, f"{name} kernel_size")
        self.stride = self.kernel_size if stride is None else positive_int(stride, f"{name} stride")

    def output_shape(self, in_shape):
        ho, wo = output_hw(repr(self), in_shape, self.kernel_size, self.stride)  # checks in_shape is (C, H, W)
        return (in_shape[0], ho, wo)

    def __repr__(self):
        return f"{type(self).__name__}(kernel_size={self.kernel_size}, stride={self.stride})"


class MaxPool2D(_Pool2D):
    """Max over each window. Ties: the first maximum in row-major window order gets the whole
    gradient (torch's rule, so the torch cross-check is exact).

    Input (N, C, H, W), output (N, C, Ho, Wo) with Ho = (H - k) // s + 1 (Wo likewise), no
    padding (as torch.nn.MaxPool2d with its defaults); no parameters (``params``: pass ``{}``).
    Overlapping windows (s < k) add their gradients in backward, which returns ``(dx, {})``.

    Parameters
    ----------
    kernel_size : int
        Side k of the square window, >= 1.
    stride : int, optional
        Step s between windows, >= 1; None (default) means s = k.

    Raises
    ------
    TypeError
        kernel_size or stride not an int, naming it; an x that is not numeric (forward).
    ValueError
        kernel_size or stride below 1, naming it; in forward, an x that is not 4-D or whose
        H or W is smaller than k.

    Examples
    --------
    >>> import numpy as np
    >>> from minitwophase import nn
    >>> x = np.arange(16.0).reshape(1, 1, 4, 4)
    >>> out, cache = nn.MaxPool2D(2).forward({}, x)
    >>> out
    array([[[[ 5.,  7.],
             [13., 15.]]]])
    >>> dx, _ = nn.MaxPool2D(2).backward({}, np.ones_like(out), cache)
    >>> dx[0, 0]                                   # each window's gradient goes to its max
    array([[0., 0., 0., 0.],
           [0., 1., 0., 1.],
           [0., 0., 0., 0.],
           [0., 1., 0., 1.]])
    """

    def forward(self, params, x):
        k, s = self.kernel_size, self.stride
        x, (ho, wo) = as_images(repr(self), x, k, s)
        offsets = kernel_offsets(k, s, ho, wo)
        out = x[next(offsets)[2]].copy()
        arg = np.zeros(out.shape, np.min_scalar_type(k * k - 1))  # offset i*k + j of the max
        # Running max over the offsets in increasing i*k + j; strict > keeps the first max.
        # Where v wins, its offset exceeds all earlier ones, so np.maximum sets arg to it.
        for i, j, index in offsets:
            v = x[index]
            np.maximum(arg, (v > out) * arg.dtype.type(i * k + j), out=arg)
            np.maximum(out, v, out=out)
        return out, (x.shape, arg)

    def backward(self, params, dout, cache, grads=None, need_dx=True):
        if not need_dx:
            return None, {}
        x_shape, arg = cache
        k, s = self.kernel_size, self.stride
        dx = np.zeros(x_shape, dtype=dout.dtype)
        # Each window sends dout to its argmax; overlapping windows add up.
        # (mask * dout: faster than np.where, and equal for finite dout.)
        for i, j, index in kernel_offsets(k, s, *arg.shape[2:]):
            dx[index] += (arg == i * k + j) * dout
        return dx, {}


class AvgPool2D(_Pool2D):
    """Mean over each window: every input gets dout / k^2 from each window containing it.

    Input (N, C, H, W), output (N, C, Ho, Wo) with Ho = (H - k) // s + 1 (Wo likewise), no
    padding (as torch.nn.AvgPool2d with its defaults); no parameters (``params``: pass ``{}``).
    Overlapping windows (s < k) add their gradients in backward, which returns ``(dx, {})``.

    Parameters
    ----------
    kernel_size : int
        Side k of the square window, >= 1.
    stride : int, optional
        Step s between windows, >= 1; None (default) means s = k.

    Raises
    ------
    TypeError
        kernel_size or stride not an int, naming it; an x that is not numeric (forward).
    ValueError
        kernel_size or stride below 1, naming it; in forward, an x that is not 4-D or whose
        H or W is smaller than k.

    Examples
    --------
    >>> import numpy as np
    >>> from minitwophase import nn
    >>> x = np.arange(16.0).reshape(1, 1, 4, 4)
    >>> out, cache = nn.AvgPool2D(2).forward({}, x)
    >>> out
    array([[[[ 2.5,  4.5],
             [10.5, 12.5]]]])
    >>> dx, _ = nn.AvgPool2D(2).backward({}, np.ones_like(out), cache)
    >>> dx[0, 0, 0]
    array([0.25, 0.25, 0.25, 0.25])
    """

    def forward(self, params, x):
        k, s = self.kernel_size, self.stride
        x, (ho, wo) = as_images(repr(self), x, k, s)
        total = sum(x[index] for _, _, index in kernel_offsets(k, s, ho, wo))
        return total / (k * k), x.shape

    def backward(self, params, dout, cache, grads=None, need_dx=True):
        if not need_dx:
            return None, {}
        k, s = self.kernel_size, self.stride
        dx = np.zeros(cache, dtype=dout.dtype)
        share = dout / (k * k)
        for _, _, index in kernel_offsets(k, s, *dout.shape[2:]):
            dx[index] += share
        return dx, {}
