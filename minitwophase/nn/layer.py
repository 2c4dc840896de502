"""The layer protocol (CS231n style): stateless layers that only know their parameter shapes.

A layer never owns parameters. ``Sequential`` hands it ``params``, a dict of views into the
flat vector ``theta``, and ``grads``, a dict of views into the flat gradient, so ``backward``
writes its gradients straight into place.
"""
from __future__ import annotations


class Layer:
    """Base class: no parameters, identity shapes. Subclasses override what they need."""

    #: Initialisation scheme this layer asks of the weight layer before it ("he" or "glorot");
    #: None for layers that are not nonlinearities (see ``nn.init``).
    init_scheme = None

    def param_shapes(self) -> dict:
        """Ordered ``name -> shape`` of this layer's slice of theta (``W`` then ``b``)."""
        return {}

    def output_shape(self, in_shape: tuple) -> tuple:
        """Per-sample output shape for per-sample input shape ``in_shape`` (batch axis dropped).

        Raises ValueError naming the expected and actual shapes when the input does not fit.
        """
        return tuple(in_shape)

    def init_params(self, params: dict, rng, scheme: str) -> None:
        """Fill ``params`` (views into theta) in place; ``scheme`` is "he" or "glorot"."""

    def forward(self, params: dict, x):
        """Return ``(out, cache)``; ``cache`` holds what ``backward`` needs."""
        raise NotImplementedError

    def backward(self, params: dict, dout, cache, grads=None, need_dx=True):
        """Return ``(dx, grads)``.

        ``grads``: dict of arrays to write the parameter gradients into (views into the flat
        gradient); allocated when None. ``need_dx=False`` lets the first layer skip dL/dx
        (returned as None), as autograd frameworks do for inputs that need no gradient.
        """
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"
