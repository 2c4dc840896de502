"""Sequential: a network as a pure function of one flat parameter vector theta.

Flat order (the contract): layers in order; within a layer W then b; each in C order.
``unflatten`` returns views, so the optimizers update theta and every layer sees it at once.
"""
from __future__ import annotations

import numpy as np

from .._validate import as_float_array, as_labels, choice, positive_int
from .chain import chain_output_shape, scheme_after
from .chunking import auto_chunk_size, bytes_per_sample
from .heap import keep_freed_memory
from .layer import Layer
from .losses import LOSSES

_DTYPES = (np.dtype(np.float64), np.dtype(np.float32))


class Sequential:
    """A network: layers applied in order, all parameters in one flat vector theta.

    ``Sequential(layers, dtype=np.float64)``; ``size`` parameters; ``init(seed)`` a fresh
    theta; ``unflatten(theta)`` one dict of views per layer; ``forward(theta, X)``;
    ``loss_and_grad(theta, X, y, loss="mse" | "cross_entropy")`` -> (loss, grad), the mean
    over the batch and its gradient by backprop (checked against finite differences and
    PyTorch). No layer owns its parameters, so theta + alpha * d is a new network for free.

    Parameters
    ----------
    layers : list of layers
        The layers of ``minitwophase.nn``, applied in order; the flat order of theta is
        layers in order, within a layer W then b, each C-order.
    dtype : numpy dtype, default float64
        float32 is the explicit single-precision option.

    Raises
    ------
    TypeError
        ``layers`` holding something that is not a layer.
    ValueError
        (from the methods) theta, X or y of the wrong shape or length, or an unknown loss,
        naming the argument, the expected and the actual value.

    Examples
    --------
    >>> import numpy as np
    >>> from minitwophase import nn
    >>> net = nn.Sequential([nn.Dense(4, 3), nn.Tanh(), nn.Dense(3, 2)])
    >>> net.size                                   # 4*3 + 3 + 3*2 + 2
    23
    >>> theta = net.init(seed=0)
    >>> [sorted(p) for p in net.unflatten(theta)]  # views into theta, per layer
    [['W', 'b'], [], ['W', 'b']]
    >>> X, y = np.ones((5, 4)), np.array([0, 1, 0, 1, 1])
    >>> loss, grad = net.loss_and_grad(theta, X, y, loss="mse")
    >>> grad.shape
    (23,)
    """

    def __init__(self, layers, dtype=np.float64):
        layers = list(layers) if not isinstance(layers, Layer) else None
        if not layers or not all(isinstance(layer, Layer) for layer in layers):
            raise TypeError("layers must be a non-empty list of nn layers (e.g. nn.Dense(784, 10))")
        self.dtype = np.dtype(dtype)
        if self.dtype not in _DTYPES:
            raise ValueError(f"dtype must be float64 or float32, got {self.dtype}")
        self.layers = tuple(layers)
        self._slices = []  # per layer: name -> (start, stop, shape)
        offset = 0
        for layer in self.layers:
            entry = {}
            for name, shape in layer.param_shapes().items():
                n = int(np.prod(shape))
                entry[name] = (offset, offset + n, shape)
                offset += n
            self._slices.append(entry)
        self.size = offset
        # Backward stops at the first layer with parameters: nothing before it needs a gradient.
        self._first_trainable = next((i for i, e in enumerate(self._slices) if e), len(self.layers))
        self._chunk_sizes = {}  # per-sample input shape -> automatic chunk size

    # -- parameters -----------------------------------------------------------------------
    def init(self, seed=0):
        """A fresh theta: He or Glorot per the next nonlinearity (see ``nn.init``), zero biases."""
        rng = np.random.default_rng(seed)
        theta = np.zeros(self.size, dtype=self.dtype)
        for i, (layer, params) in enumerate(zip(self.layers, self.unflatten(theta))):
            if params:
                layer.init_params(params, rng, scheme_after(self.layers, i))
        return theta

    def unflatten(self, theta):
        """One dict per layer, name -> ndarray VIEW into theta (writes go through)."""
        theta = self._check_theta(theta, copy_ok=False)
        return [{name: theta[a:b].reshape(shape) for name, (a, b, shape) in entry.items()}
                for entry in self._slices]

    def _check_theta(self, theta, copy_ok=True):
        theta = as_float_array(theta, "theta", dtype=self.dtype if copy_ok else None,
                               finite=False, allow_empty=self.size == 0)
        if theta.ndim != 1 or theta.shape[0] != self.size:
            raise ValueError(f"theta must be 1-D of length net.size = {self.size}, got shape {theta.shape}")
        if not copy_ok and (theta.dtype not in _DTYPES or not theta.flags.c_contiguous):
            raise ValueError("theta must be a contiguous float64/float32 array so that views share its memory, "
                             f"got dtype {theta.dtype}, contiguous={theta.flags.c_contiguous}")
        return theta

    # -- shapes and inputs ----------------------------------------------------------------
    def output_shape(self, in_shape):
        """Per-sample output shape for per-sample input shape (errors name the layer)."""
        return chain_output_shape(self.layers, in_shape)

    def _check_input(self, X):
        X = as_float_array(X, "X", dtype=self.dtype, finite=False)
        if X.ndim < 2:
            raise ValueError(f"X must have a batch axis first, shape (N, ...), got shape {X.shape}")
        if X.shape[0] == 0:
            raise ValueError(f"X must hold at least one sample, got shape {X.shape}")
        # One cheap pass: a NaN/inf anywhere makes the sum non-finite (overflow is checked exactly).
        if not np.isfinite(X.sum()) and not np.all(np.isfinite(X)):
            bad = int(X.size - np.count_nonzero(np.isfinite(X)))
            raise ValueError(f"X must be finite, got {bad} NaN/inf value(s)")
        return X, self.output_shape(X.shape[1:])

    # -- evaluation -----------------------------------------------------------------------
    def forward(self, theta, X):
        """Network outputs for the batch X."""
        X, _ = self._check_input(X)
        h = X
        for layer, params in zip(self.layers, self.unflatten(self._check_theta(theta))):
            h, _ = layer.forward(params, h)
        return h

    def _prepare(self, theta, X, y, loss):
        loss_fn = LOSSES[choice(loss, "loss", LOSSES)]
        X, out_shape = self._check_input(X)
        if len(out_shape) != 1:
            raise ValueError(f"loss {loss!r} needs outputs of shape (N, C), network gives (N, {out_shape})")
        y = as_labels(y, "y", n=X.shape[0], n_classes=out_shape[0])
        return self._check_theta(theta), X, y, loss_fn

    def loss_value(self, theta, X, y, loss="cross_entropy", chunk_size=None):
        """The loss alone (forward passes only), for line searches and validation; chunked as
        ``loss_and_grad`` is, so it equals that loss bit for bit."""
        theta, X, y, loss_fn = self._prepare(theta, X, y, loss)
        params = self.unflatten(theta)

        def forward(Xc, yc):
            h = Xc
            for layer, p in zip(self.layers, params):
                h, _ = layer.forward(p, h)
            return loss_fn(h, yc)[0]
        chunks = self._chunks(X, chunk_size)
        if len(chunks) == 1:
            return forward(X, y)
        return sum((stop - start) / X.shape[0] * forward(X[start:stop], y[start:stop])
                   for start, stop in chunks)

    def loss_and_grad(self, theta, X, y, loss="cross_entropy", chunk_size=None):
        """``(loss, grad)``: loss as a float, grad a new flat array like theta.

        The batch goes through forward and backward in chunks of ``chunk_size`` samples, the
        chunk means combined with weights n_chunk / N (the same loss and gradient, up to
        rounding). None (the default) sizes the chunks automatically (``chunk_size_for``): a few
        MiB of activations each, which is fastest and keeps memory flat in the batch size.
        """
        theta, X, y, loss_fn = self._prepare(theta, X, y, loss)
        keep_freed_memory()  # so each chunk reuses the last one's memory (nn.heap)
        params = self.unflatten(theta)
        grad = np.zeros_like(theta)
        chunks = self._chunks(X, chunk_size)
        if len(chunks) == 1:
            return self._backprop(params, self.unflatten(grad), X, y, loss_fn), grad
        part = np.empty_like(theta)
        part_views = self.unflatten(part)
        total = 0.0
        for start, stop in chunks:
            weight = (stop - start) / X.shape[0]
            total += weight * self._backprop(params, part_views, X[start:stop], y[start:stop], loss_fn)
            grad += weight * part
        return total, grad

    def _chunks(self, X, chunk_size):
        """(start, stop) of each chunk of the batch X: ``chunk_size`` samples, None meaning
        ``chunk_size_for`` (the chunk means are combined with weights n_chunk / N)."""
        n = X.shape[0]
        size = (self.chunk_size_for(X.shape[1:]) if chunk_size is None
                else positive_int(chunk_size, "chunk_size"))
        return [(start, min(start + size, n)) for start in range(0, n, size)]

    def chunk_size_for(self, sample_shape):
        """The automatic chunk size for samples of shape ``sample_shape`` (e.g. (1, 28, 28)):
        see ``nn.chunking``; measured once per shape on zero inputs and parameters."""
        key = tuple(sample_shape)
        if key not in self._chunk_sizes:
            params = self.unflatten(np.zeros(self.size, dtype=self.dtype))
            self._chunk_sizes[key] = auto_chunk_size(bytes_per_sample(self.layers, params, key, self.dtype))
        return self._chunk_sizes[key]

    def _backprop(self, params, grad_views, X, y, loss_fn):
        """Forward with caches, then backward writing every layer's gradient into grad_views."""
        caches = []
        h = X
        for layer, p in zip(self.layers, params):
            h, cache = layer.forward(p, h)
            caches.append(cache)
        value, dout = loss_fn(h, y)
        for i in range(len(self.layers) - 1, self._first_trainable - 1, -1):
            dout, _ = self.layers[i].backward(params[i], dout, caches[i], grads=grad_views[i],
                                              need_dx=i > self._first_trainable)
            caches[i] = None  # free activations as soon as they are used
        return value

    def predict(self, theta, X):
        """Predicted class per sample (argmax of the outputs)."""
        return np.argmax(self.forward(theta, X), axis=1)

    def accuracy(self, theta, X, y):
        """Share of samples whose predicted class is y; a label the network cannot predict
        (outside [0, C) for C outputs) is a ValueError, never silently wrong."""
        _, out_shape = self._check_input(X)
        n_classes = out_shape[0] if len(out_shape) == 1 else None
        y = as_labels(y, "y", n=np.shape(X)[0], n_classes=n_classes)
        return float(np.mean(self.predict(theta, X) == y))

    def __repr__(self):
        inner = ",\n    ".join(repr(layer) for layer in self.layers)
        return f"Sequential([\n    {inner},\n])  # {self.size} parameters"
