"""What Sequential and Residual share: a chain of layers applied in order."""
from __future__ import annotations


def chain_output_shape(layers, in_shape, what="layer"):
    """Per-sample output shape of ``layers`` applied in order; an error names ``what`` i."""
    shape = tuple(in_shape)
    for i, layer in enumerate(layers):
        try:
            shape = tuple(layer.output_shape(shape))
        except ValueError as err:
            raise ValueError(f"{what} {i} {err}") from None
    return shape


def scheme_after(layers, i):
    """The init scheme of the first nonlinearity after layer i, before the next weights
    (see ``nn.init``); "glorot" when none comes first (a linear output layer)."""
    for layer in layers[i + 1:]:
        if layer.param_shapes():
            break
        if layer.init_scheme is not None:
            return layer.init_scheme
    return "glorot"
