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
    """max(x, 0) elementwise; derivative 1 where x > 0, else 0 (0 at x == 0, as torch).

    Parameters
    ----------
    None
        The layer takes no arguments and has no parameters: ``forward(params, x)`` ignores
        ``params`` (pass ``{}``) and maps an x of any shape to an output of the same shape;
        ``backward(params, dout, cache)`` returns ``(dx, {})``.

    Raises
    ------
    TypeError
        ``ReLU(...)`` with any argument (it takes none). x is not checked: NumPy's own
        errors for a non-numeric x.

    Examples
    --------
    >>> import numpy as np
    >>> from minitwophase import nn
    >>> relu = nn.ReLU()
    >>> out, cache = relu.forward({}, np.array([-1.0, 0.0, 2.0]))
    >>> out
    array([0., 0., 2.])
    >>> dx, grads = relu.backward({}, np.ones(3), cache)
    >>> dx, grads
    (array([0., 0., 1.]), {})
    """

    init_scheme = "he"

    def forward(self, params, x):
        return np.maximum(x, 0.0), x > 0

    def _derivative_times(self, dout, positive):
        return dout * positive  # subgradient 0 at x == 0, as torch


class Tanh(_Elementwise):
    """tanh(x) elementwise (the paper's activation); derivative 1 - tanh(x)^2, from the
    cached output.

    Parameters
    ----------
    None
        The layer takes no arguments and has no parameters: ``forward(params, x)`` ignores
        ``params`` (pass ``{}``) and maps an x of any shape to an output of the same shape;
        ``backward(params, dout, cache)`` returns ``(dx, {})``.

    Raises
    ------
    TypeError
        ``Tanh(...)`` with any argument (it takes none). x is not checked: NumPy's own
        errors for a non-numeric x.

    Examples
    --------
    >>> import numpy as np
    >>> from minitwophase import nn
    >>> x = np.array([0.0, 1.0])
    >>> out, cache = nn.Tanh().forward({}, x)
    >>> np.allclose(out, np.tanh(x))
    True
    >>> dx, _ = nn.Tanh().backward({}, np.ones(2), cache)
    >>> np.allclose(dx, 1.0 / np.cosh(x) ** 2)
    True
    """

    init_scheme = "glorot"

    def forward(self, params, x):
        out = np.tanh(x)
        return out, out

    def _derivative_times(self, dout, out):
        return dout * (1.0 - out * out)  # tanh' = 1 - tanh^2


class Sigmoid(_Elementwise):
    """The logistic sigmoid 1 / (1 + exp(-x)) elementwise (scipy's expit: no overflow for
    large abs(x)); derivative s (1 - s), from the cached output s.

    Parameters
    ----------
    None
        The layer takes no arguments and has no parameters: ``forward(params, x)`` ignores
        ``params`` (pass ``{}``) and maps an x of any shape to an output of the same shape;
        ``backward(params, dout, cache)`` returns ``(dx, {})``.

    Raises
    ------
    TypeError
        ``Sigmoid(...)`` with any argument (it takes none). x is not checked: NumPy's own
        errors for a non-numeric x.

    Examples
    --------
    >>> import numpy as np
    >>> from minitwophase import nn
    >>> out, cache = nn.Sigmoid().forward({}, np.array([0.0, np.log(3.0)]))
    >>> np.round(out, 12)
    array([0.5 , 0.75])
    >>> dx, _ = nn.Sigmoid().backward({}, np.ones(2), cache)
    >>> np.round(dx, 12)
    array([0.25  , 0.1875])
    """

    init_scheme = "glorot"

    def forward(self, params, x):
        out = expit(x)  # stable for large |x|: never evaluates exp of a large positive number
        return out, out

    def _derivative_times(self, dout, out):
        return dout * out * (1.0 - out)  # sigma' = sigma (1 - sigma)


class GELU(_Elementwise):
    """Exact GELU, x * Phi(x) with Phi the standard normal CDF (= torch.nn.GELU()).

    Phi via scipy's ndtr rather than 0.5 (1 + erf(x / sqrt 2)), which cancels to 0 for x < -8.
    Derivative Phi(x) + x phi(x), phi the standard normal density.

    Parameters
    ----------
    None
        The layer takes no arguments and has no parameters: ``forward(params, x)`` ignores
        ``params`` (pass ``{}``) and maps an x of any shape to an output of the same shape;
        ``backward(params, dout, cache)`` returns ``(dx, {})``.

    Raises
    ------
    TypeError
        ``GELU(...)`` with any argument (it takes none). x is not checked: NumPy's own
        errors for a non-numeric x.

    Examples
    --------
    >>> import numpy as np
    >>> from math import erf, sqrt
    >>> from minitwophase import nn
    >>> out, cache = nn.GELU().forward({}, np.array([0.0, 1.0]))
    >>> np.allclose(out, [0.0, 0.5 * (1.0 + erf(1.0 / sqrt(2.0)))])
    True
    >>> dx, _ = nn.GELU().backward({}, np.ones(2), cache)
    >>> float(dx[0])
    0.5
    """

    init_scheme = "he"

    def forward(self, params, x):
        cdf = ndtr(x)
        return x * cdf, (x, cdf)

    def _derivative_times(self, dout, cache):
        x, cdf = cache
        pdf = _INV_SQRT2PI * np.exp(-0.5 * x * x)
        return dout * (cdf + x * pdf)  # d/dx x Phi(x) = Phi(x) + x phi(x)
