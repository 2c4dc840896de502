"""Zero padding of NCHW images (= torch.nn.ZeroPad2d); backward crops the gradient back."""
from __future__ import annotations

import numpy as np

from .._validate import positive_int
from .layer import Layer


class ZeroPad2D(Layer):
    """``ZeroPad2D(padding)``: an int (all four sides) or (left, right, top, bottom) as torch.

    Pads (N, C, H, W) images with zeros to (N, C, H + top + bottom, W + left + right)
    (= torch.nn.ZeroPad2d); no parameters. ``params`` is ignored (pass ``{}``); backward
    returns ``(dx, {})``, dx the centre of dout.

    Parameters
    ----------
    padding : int or tuple of 4 ints
        Zeros added on every side, or per side in torch's order (left, right, top, bottom);
        each >= 0.

    Raises
    ------
    ValueError
        ``padding`` not an int or a 4-tuple, or a negative side (naming it); in forward and
        ``output_shape``, an input that is not (N, C, H, W) images.
    TypeError
        A side that is not an int.

    Examples
    --------
    >>> import numpy as np
    >>> from minitwophase import nn
    >>> pad = nn.ZeroPad2D(1)
    >>> out, cache = pad.forward({}, np.ones((1, 1, 2, 2)))
    >>> out[0, 0]
    array([[0., 0., 0., 0.],
           [0., 1., 1., 0.],
           [0., 1., 1., 0.],
           [0., 0., 0., 0.]])
    >>> nn.ZeroPad2D((1, 0, 2, 0)).output_shape((3, 5, 5))      # W + 1, H + 2
    (3, 7, 6)
    >>> dx, _ = pad.backward({}, out, cache)
    >>> dx.shape
    (1, 1, 2, 2)
    """

    def __init__(self, padding):
        sides = (padding,) * 4 if not isinstance(padding, (tuple, list)) else tuple(padding)
        if len(sides) != 4:
            raise ValueError(f"ZeroPad2D padding must be an int or (left, right, top, bottom), got {padding!r}")
        self.left, self.right, self.top, self.bottom = (
            positive_int(s, f"ZeroPad2D padding {side}", minimum=0)
            for s, side in zip(sides, ("left", "right", "top", "bottom")))

    def output_shape(self, in_shape):
        in_shape = tuple(in_shape)
        if len(in_shape) != 3:
            raise ValueError(f"{self!r} expects images of shape (N, C, H, W), got "
                             f"(N, {', '.join(map(str, in_shape))})")
        c, h, w = in_shape
        return (c, h + self.top + self.bottom, w + self.left + self.right)

    def forward(self, params, x):
        if x.ndim != 4:
            raise ValueError(f"{self!r} expects images of shape (N, C, H, W), got shape {x.shape}")
        n, c, h, w = x.shape
        out = np.zeros((n, c, h + self.top + self.bottom, w + self.left + self.right), dtype=x.dtype)
        out[:, :, self.top:self.top + h, self.left:self.left + w] = x   # (np.pad is slower)
        return out, x.shape

    def backward(self, params, dout, cache, grads=None, need_dx=True):
        if not need_dx:
            return None, {}
        h, w = cache[2], cache[3]
        return dout[:, :, self.top:self.top + h, self.left:self.left + w], {}

    def __repr__(self):
        return f"ZeroPad2D(({self.left}, {self.right}, {self.top}, {self.bottom}))"
