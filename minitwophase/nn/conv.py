"""2-D convolution (cross-correlation, as torch.nn.functional.conv2d) by im2col.

    out[n, o, p, q] = b[o] + sum_{c,i,j} W[o, c, i, j] * xpad[n, c, p*s + i, q*s + j]

With cols = im2col(xpad), shape (N, C*k*k, Ho*Wo), and W2 = W.reshape(c_out, C*k*k) this is one
matrix product per sample, out[n] = W2 @ cols[n] (CS231n, "convolution as matrix multiplication"),
so backward is the matrix-product rule: dW2 = sum_n dout[n] @ cols[n].T, dcols = W2.T @ dout.
"""
from __future__ import annotations

import numpy as np

from .._validate import positive_int
from .init import fill_weights
from .layer import Layer
from .windows import as_images, col2im, im2col, output_hw


class Conv2D(Layer):
    """``Conv2D(c_in, c_out, kernel_size, stride=1, padding=0)``; W (c_out, c_in, k, k), b (c_out,).

    2-D cross-correlation of NCHW images (= torch.nn.functional.conv2d with weight W):
    out[n, o, p, q] = b[o] + sum over c, i, j of W[o, c, i, j] xpad[n, c, p s + i, q s + j],
    xpad the input zero-padded by ``padding`` on each side. Input (N, c_in, H, W), output
    (N, c_out, Ho, Wo) with Ho = (H + 2 padding - k) // s + 1 (Wo likewise). Computed by
    im2col, one matrix product per sample; backward returns dx and grads ``W``, ``b``.

    Parameters
    ----------
    c_in, c_out : int
        Input and output channels, >= 1.
    kernel_size : int
        Side k of the square k x k kernel, >= 1.
    stride : int, optional
        Step s between windows, >= 1 (default 1).
    padding : int, optional
        Zeros added on each side of H and W, >= 0 (default 0).

    Raises
    ------
    TypeError
        An argument that is not an int, naming it; an x that is not numeric (forward).
    ValueError
        An argument below its minimum, naming it; in forward, an x that is not 4-D, has
        other than c_in channels, or is smaller than the kernel (padding included).

    Examples
    --------
    >>> import numpy as np
    >>> from minitwophase import nn
    >>> conv = nn.Conv2D(1, 1, kernel_size=2)
    >>> conv.param_shapes()
    {'W': (1, 1, 2, 2), 'b': (1,)}
    >>> params = {"W": np.ones((1, 1, 2, 2)), "b": np.zeros(1)}
    >>> x = np.arange(9.0).reshape(1, 1, 3, 3)     # one 3 x 3 image
    >>> out, cache = conv.forward(params, x)       # each output: the sum of a 2 x 2 window
    >>> out
    array([[[[ 8., 12.],
             [20., 24.]]]])
    >>> dx, grads = conv.backward(params, np.ones_like(out), cache)
    >>> dx[0, 0]                                    # how many windows cover each pixel
    array([[1., 2., 1.],
           [2., 4., 2.],
           [1., 2., 1.]])
    """

    def __init__(self, c_in, c_out, kernel_size, stride=1, padding=0):
        self.c_in = positive_int(c_in, "Conv2D c_in")
        self.c_out = positive_int(c_out, "Conv2D c_out")
        self.kernel_size = positive_int(kernel_size, "Conv2D kernel_size")
        self.stride = positive_int(stride, "Conv2D stride")
        self.padding = positive_int(padding, "Conv2D padding", minimum=0)

    def param_shapes(self):
        k = self.kernel_size
        return {"W": (self.c_out, self.c_in, k, k), "b": (self.c_out,)}

    def output_shape(self, in_shape):
        ho, wo = output_hw(repr(self), in_shape, self.kernel_size, self.stride, self.padding, self.c_in)
        return (self.c_out, ho, wo)

    def init_params(self, params, rng, scheme):
        kk = self.kernel_size ** 2
        fill_weights(params["W"], self.c_in * kk, self.c_out * kk, rng, scheme)
        params["b"][...] = 0.0

    def forward(self, params, x):
        k, s, p = self.kernel_size, self.stride, self.padding
        x, (ho, wo) = as_images(repr(self), x, k, s, p, self.c_in)
        xpad = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p))) if p else x
        cols = im2col(xpad, k, s)                            # (N, C*k*k, Ho*Wo)
        out = params["W"].reshape(self.c_out, -1) @ cols     # (N, c_out, Ho*Wo): one matmul
        out += params["b"][:, None]
        return out.reshape(len(x), self.c_out, ho, wo), (xpad.shape, cols)

    def backward(self, params, dout, cache, grads=None, need_dx=True):
        xpad_shape, cols = cache
        d = dout.reshape(len(dout), self.c_out, -1)          # (N, c_out, Ho*Wo)
        if grads is None:
            grads = {name: np.empty(shape, d.dtype) for name, shape in self.param_shapes().items()}
        # sum_n d[n] @ cols[n].T: matmul broadcasts over n without copying cols.
        grads["W"][...] = np.matmul(d, cols.transpose(0, 2, 1)).sum(axis=0).reshape(grads["W"].shape)
        grads["b"][...] = d.sum(axis=(0, 2))
        if not need_dx:
            return None, grads
        dxpad = col2im(params["W"].reshape(self.c_out, -1).T @ d, xpad_shape, self.kernel_size, self.stride)
        p = self.padding
        return dxpad[:, :, p:xpad_shape[2] - p, p:xpad_shape[3] - p], grads

    def __repr__(self):
        return (f"Conv2D({self.c_in}, {self.c_out}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding})")
