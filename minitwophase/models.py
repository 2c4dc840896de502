"""The two model families of the command line and the experiments, built from a short spec.

"mlp" / "mlp:128" / "mlp:256,128": Dense layers with the given hidden widths (default 128)
and tanh between them (the paper's toy networks use tanh; ``activation`` changes it).
"cnn" / "cnn:8,16": a small VGG-style CNN in the spirit of the paper's vgg5: per width c a
3x3 convolution with padding 1, the activation (default ReLU) and 2x2 max pooling, then a
dense output layer. The default is the project benchmark's CNN (conv 8, conv 16).
"""
from __future__ import annotations

from . import nn

ACTIVATIONS = {"tanh": nn.Tanh, "relu": nn.ReLU, "sigmoid": nn.Sigmoid, "gelu": nn.GELU}
DEFAULT_WIDTHS = {"mlp": (128,), "cnn": (8, 16)}
DEFAULT_ACTIVATION = {"mlp": "tanh", "cnn": "relu"}


def parse_model(spec):
    """``"mlp:256,128"`` -> ("mlp", (256, 128)); ValueError naming the spec when malformed."""
    if not isinstance(spec, str):
        raise TypeError(f"model must be a str such as 'mlp' or 'cnn:8,16', got {type(spec).__name__}")
    kind, _, widths = spec.partition(":")
    if kind not in DEFAULT_WIDTHS:
        raise ValueError(f"model must be 'mlp[:W1,W2,...]' or 'cnn[:C1,C2,...]', got {spec!r}")
    if not widths:
        return kind, DEFAULT_WIDTHS[kind]
    try:
        sizes = tuple(int(w) for w in widths.split(","))
    except ValueError:
        sizes = ()
    if not sizes or min(sizes) < 1:
        raise ValueError(f"model widths must be positive integers separated by commas, got {spec!r}")
    return kind, sizes


def layout_for(spec):
    """The data layout a model needs: "flat" for the MLP, "image" for the CNN."""
    return "flat" if parse_model(spec)[0] == "mlp" else "image"


def build_model(spec, image_shape, n_classes, activation=None):
    """A Sequential for inputs of shape ``image_shape`` = (C, H, W)."""
    kind, widths = parse_model(spec)
    activation = DEFAULT_ACTIVATION[kind] if activation is None else activation
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
    act = ACTIVATIONS[activation]
    c, h, w = image_shape
    layers = []
    if kind == "mlp":
        n_in = c * h * w
        for width in widths:
            layers += [nn.Dense(n_in, width), act()]
            n_in = width
        return nn.Sequential(layers + [nn.Dense(n_in, n_classes)])
    for width in widths:
        if min(h, w) < 2:
            raise ValueError(f"model {spec!r} pools the {image_shape} images below 1 pixel; use fewer conv widths")
        layers += [nn.Conv2D(c, width, 3, padding=1), act(), nn.MaxPool2D(2)]
        c, h, w = width, h // 2, w // 2
    return nn.Sequential(layers + [nn.Flatten(), nn.Dense(c * h * w, n_classes)])
