"""Sliding windows over NCHW images, shared by Conv2D and the pooling layers.

A k x k window with stride s over an H x W image has Ho = (H - k) // s + 1 positions down
(same for Wo), as in torch. Forward passes read windows as a strided view (no copy until the
layer needs one); backward passes scatter window gradients back with one slice per kernel
offset (i, j), which sums the gradients of overlapping windows.
"""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .._validate import as_float_array


def output_hw(layer, in_shape, k, s, padding=0, channels=None):
    """Validate the per-sample shape (C, H, W) and return (Ho, Wo)."""
    in_shape = tuple(in_shape)
    if len(in_shape) != 3:
        raise ValueError(f"{layer} expects per-sample shape (C, H, W), got {in_shape}")
    c, h, w = in_shape
    if channels is not None and c != channels:
        raise ValueError(f"{layer} expects {channels} input channels, got shape {in_shape} "
                         f"with {c} channels")
    if min(h, w) + 2 * padding < k:
        raise ValueError(f"{layer}: input H x W = {h} x {w} (padding {padding}) is smaller "
                         f"than the {k} x {k} kernel")
    return (h + 2 * padding - k) // s + 1, (w + 2 * padding - k) // s + 1


def as_images(layer, x, k, s, padding=0, channels=None):
    """``x`` as a float (N, C, H, W) array (float dtypes kept, others -> float64); (Ho, Wo)."""
    x = np.asarray(x)
    if x.dtype.kind != "f":
        x = as_float_array(x, "x")
    if x.ndim != 4:
        raise ValueError(f"{layer} expects x of shape (N, C, H, W), got shape {x.shape}")
    return x, output_hw(layer, x.shape[1:], k, s, padding, channels)


def window_view(x, k, s):
    """Read-only view (N, C, Ho, Wo, k, k): ``[n, c, p, q]`` is the window at (p*s, q*s)."""
    return sliding_window_view(x, (k, k), axis=(2, 3))[:, :, ::s, ::s]


def im2col(x, k, s):
    """(N, C*k*k, Ho*Wo): column p of ``cols[n]`` is window p of sample n, in (c, i, j) order.

    Sample-major so that conv's output W2 @ cols is already (N, c_out, Ho*Wo), i.e. NCHW.
    """
    n, c = x.shape[:2]
    win = window_view(x, k, s)
    ho, wo = win.shape[2:4]
    return np.ascontiguousarray(win.transpose(0, 1, 4, 5, 2, 3)).reshape(n, c * k * k, ho * wo)


def kernel_offsets(k, s, ho, wo):
    """Yield ``(i, j, index)``: ``x[index]`` (N, C, Ho, Wo) is element (i, j) of every window."""
    for i in range(k):
        for j in range(k):
            yield i, j, (slice(None), slice(None),
                         slice(i, i + s * (ho - 1) + 1, s), slice(j, j + s * (wo - 1) + 1, s))


def col2im(cols, x_shape, k, s):
    """Adjoint of ``im2col``: sum every window's column back onto the image of ``x_shape``.

    A loop over the k*k kernel offsets, each one strided slice-add over the whole batch: the
    fastest correct scatter here (np.add.at is far slower), and overlaps add up by construction.
    """
    n, c, h, w = x_shape
    ho, wo = (h - k) // s + 1, (w - k) // s + 1
    cols = cols.reshape(n, c, k, k, ho, wo)
    dx = np.zeros(x_shape, dtype=cols.dtype)
    for i, j, index in kernel_offsets(k, s, ho, wo):
        dx[index] += cols[:, :, i, j]
    return dx
