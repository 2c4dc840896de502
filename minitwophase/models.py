"""The model families of the command line and the experiments, built from a short spec.

"mlp" / "mlp:128" / "mlp:256,128": Dense layers with the given hidden widths (default 128)
and tanh between them (the paper's toy networks use tanh; ``activation`` changes it).
"cnn" / "cnn:8,16": a small VGG-style CNN in the spirit of the paper's vgg5: per width c a
3x3 convolution with padding 1, the activation (default ReLU) and 2x2 max pooling, then a
dense output layer. The default is the project benchmark's CNN (conv 8, conv 16).

The paper's own models (Hrycej et al. 2025, Table 1), options as ``name:key=value,...``:

"vit-mlp", "vit-nomlp", "vit-nomlp-wkewq", "vit-nomlp-wkewq-wvwo": vision transformers with
depth=3 encoder layers, heads=4, width=64 and (vit-mlp only) mlp=256 hidden units. The variants
follow Bermeitinger et al. 2024: "nomlp" drops the MLP block, "wkewq" uses W_q as W_k
(symmetric similarity), "wvwo" drops W_v and W_o. Where the papers are silent we chose, as
the parameter counts implied by the paper's Q column (Q = K x M / P, K training samples, M
outputs, P parameters) require (the counts are 154,058 / 54,794 / 42,506 / 17,930 on MNIST,
all twelve ViT cells of Table 1 reproduced to Q's rounding):
  - images zero-padded (centred, extra row/column at the bottom/right) to multiples of the
    patch, so 28x28 MNIST becomes 32x32; patch=8 gives 16 patches;
  - a biased linear patch projection, a class token, no position embedding (pos=1 adds one);
  - pre-LN encoder layers: x <- x + Attn(LN1(x)); x <- x + MLP(LN2(x)) with
    MLP = Dense(64, 256), GELU (exact), Dense(256, 64). Without the MLP the second sublayer
    keeps its normalisation only, x <- LN2(x), so every variant has two LayerNorms per layer
    (the counts need them; where LN2 sits is our choice);
  - attention without biases (bias=1 adds them); no final LayerNorm; the head is
    Dense(64, classes) on the class token (pool=mean averages the tokens instead);
  - initialisation ("small random values" in the paper): Glorot-uniform attention and patch
    weights, He-normal before GELU, Glorot-uniform head, zero biases, LayerNorm 1 and 0,
    class token and positions N(0, 0.02^2).
Attention heads of vit-nomlp-wkewq-wvwo: Table 1 marks this row with a footnote whose text
we do not have. Without W_v and W_o the parameter count is the same with one head or four
(17,930 on MNIST), so Q cannot tell which the paper used; we keep the paper's four, and
"vit-nomlp-wkewq-wvwo:heads=1" is the single-head reading.
"vgg5": five weight layers, ReLU, 2x2 max pooling: images zero-padded to multiples of 8
(MNIST to 32x32), conv3x3(width) - pool - conv3x3(2 width) - pool - conv3x3(2 width) - pool -
Dense(hidden) - Dense(classes), all convolutions with padding 1; width=32, hidden=64 give
121,994 parameters on MNIST, 122,570 on CIFAR-10 and 128,420 on CIFAR-100, each within the
rounding of the paper's Q (4.9, 4.1, 38.9). The paper gives no layer list: this one is ours.

The output head (``head``, the same for every family), a choice the paper leaves silent: it
says only that the loss is "the mean squared error (MSE) in all cases", not whether the MSE is
taken on the raw outputs of the last linear layer or on the probabilities of a softmax after it
(the usual Keras classifier: ``Dense(classes, activation="softmax")`` with ``loss="mse"``).
  "linear"   the network ends in its last Dense layer: MSE on raw outputs (cross-entropy on
             logits);
  "softmax"  nn.Softmax() follows it: MSE on probabilities. Cross-entropy already contains a
             softmax, so ``loss="cross_entropy"`` with this head is refused (check_head).
Both output heads draw the same theta from a seed (the softmax has no parameters and the last Dense
keeps its Glorot initialisation), so the two are compared from one starting point.
"""
from __future__ import annotations

import numbers
import os

from . import nn

ACTIVATIONS = {"tanh": nn.Tanh, "relu": nn.ReLU, "sigmoid": nn.Sigmoid, "gelu": nn.GELU}
DEFAULT_WIDTHS = {"mlp": (128,), "cnn": (8, 16)}

# ViT variant -> (MLP block, W_k shared with W_q, W_v and W_o present)
VIT_VARIANTS = {
    "vit-mlp": (True, False, True),
    "vit-nomlp": (False, False, True),
    "vit-nomlp-wkewq": (False, True, True),
    "vit-nomlp-wkewq-wvwo": (False, True, False),
}
VIT_OPTIONS = {"depth": 3, "heads": 4, "width": 64, "mlp": 256, "patch": 8, "pos": 0, "bias": 0,
               "pool": "class"}
VGG_OPTIONS = {"width": 32, "hidden": 64}
KEYED = {**{name: VIT_OPTIONS for name in VIT_VARIANTS}, "vgg5": VGG_OPTIONS}
MODELS = (*DEFAULT_WIDTHS, *KEYED)
DEFAULT_ACTIVATION = {"mlp": "tanh", "cnn": "relu", "vgg5": "relu", **{name: "gelu" for name in VIT_VARIANTS}}
FLAGS = ("pos", "bias")
HEADS = ("linear", "softmax")     # the output head (module docstring)
# The head every run uses unless told otherwise (--head): today's networks, MSE on raw outputs.
DEFAULT_HEAD = "linear"
POOLS = ("class", "mean")
SPEC_HELP = ("'mlp[:W1,W2,...]', 'cnn[:C1,C2,...]', 'vgg5[:width=32,hidden=64]' or "
             "'vit-mlp', 'vit-nomlp', 'vit-nomlp-wkewq', 'vit-nomlp-wkewq-wvwo' "
             "[:depth=3,heads=4,width=64,mlp=256,patch=8,pos=0,bias=0,pool=class]")


# The price of a backward pass in forward passes, per family (training/objective.py's cost):
# r = t_fb / t_f - 1 measured by benchmarks/bench_passes.py (MNIST, 1000 samples, one thread,
# this project's 2-core machine, quiet, 2026-12-03): mlp 1.00, cnn 1.51, vgg5 1.82,
# vit-nomlp-wkewq-wvwo 1.47, vit-mlp 1.12; rounded to one decimal. (Under load the same script
# gave mlp 0.57-1.01, cnn 1.97-2.68, vgg5 2.93-3.02, vit 1.57-2.32: load inflates the backward
# pass more.) Measured, not assumed: multiply-adds alone would say 2 everywhere.
BACKWARD_RATIO = {"mlp": 1.0, "cnn": 1.5, "vgg5": 1.8, "vit": 1.5}


def ratio_key(spec):
    """The BACKWARD_RATIO row of a model spec ("vit" for every ViT variant)."""
    kind = parse_model(spec)[0]
    return "vit" if kind in VIT_VARIANTS else kind


def backward_ratio(spec):
    """The measured backward/forward time ratio of a model spec (BACKWARD_RATIO)."""
    return BACKWARD_RATIO[ratio_key(spec)]


def parse_model(spec):
    """``"mlp:256,128"`` -> ("mlp", (256, 128)); ``"vit-nomlp:depth=2"`` -> ("vit-nomlp", {options}).

    Parameters
    ----------
    spec : str
        A model spec, as ``--model`` takes it: 'mlp[:W1,W2,...]', 'cnn[:C1,C2,...]',
        'vgg5[:key=value,...]' or a ViT variant ('vit-mlp', 'vit-nomlp', ...) with optional
        key=value options.

    Returns
    -------
    kind : str
        The model kind, the part before the colon.
    config : tuple of int or dict
        The widths of 'mlp' and 'cnn' (their defaults when none are given), or the full
        option dict (defaults filled in) of the keyed kinds.

    Raises
    ------
    TypeError
        ``spec`` not a str.
    ValueError
        An unknown kind, widths that are not positive integers, or an unknown key or bad
        value of an option, naming the spec and the problem.

    Examples
    --------
    >>> from minitwophase.models import parse_model
    >>> parse_model("mlp:256,128")
    ('mlp', (256, 128))
    >>> parse_model("mlp")                                   # the default width
    ('mlp', (128,))
    >>> parse_model("mlp:0")
    Traceback (most recent call last):
    ...
    ValueError: model widths must be positive integers separated by commas, got 'mlp:0'
    """
    if not isinstance(spec, str):
        raise TypeError(f"model must be a str such as 'mlp' or 'vit-nomlp', got {type(spec).__name__}")
    kind, _, rest = spec.partition(":")
    if kind not in MODELS:
        raise ValueError(f"model must be {SPEC_HELP}, got {spec!r}")
    if kind in KEYED:
        return kind, _parse_options(spec, kind, rest)
    if not rest:
        return kind, DEFAULT_WIDTHS[kind]
    try:
        sizes = tuple(int(w) for w in rest.split(","))
    except ValueError:
        sizes = ()
    if not sizes or min(sizes) < 1:
        raise ValueError(f"model widths must be positive integers separated by commas, got {spec!r}")
    return kind, sizes


def _parse_options(spec, kind, text):
    """``"depth=2,pos=1"`` -> the full option dict of ``kind``, every value checked."""
    defaults = KEYED[kind]
    allowed = [k for k in defaults if not (k == "mlp" and kind != "vit-mlp")]
    options = {k: defaults[k] for k in allowed}
    for item in text.split(",") if text else ():
        key, eq, value = item.partition("=")
        if not eq or key not in allowed:
            raise ValueError(f"model {spec!r}: options of {kind!r} are key=value pairs with keys "
                             f"{allowed}, got {item!r}")
        if key == "pool":
            if value not in POOLS:
                raise ValueError(f"model {spec!r}: pool must be one of {POOLS}, got {value!r}")
            options[key] = value
            continue
        try:
            number = int(value)
        except ValueError:
            number = -1
        low = 0 if key in FLAGS else 1
        if number < low or (key in FLAGS and number > 1):
            expected = "0 or 1" if key in FLAGS else "a positive integer"
            raise ValueError(f"model {spec!r}: {key} must be {expected}, got {value!r}")
        options[key] = number
    if kind in VIT_VARIANTS and options["width"] % options["heads"]:
        raise ValueError(f"model {spec!r}: width must be divisible by heads, got width="
                         f"{options['width']} and heads={options['heads']}")
    return options


# The largest model built: theta, its gradient, Adam's two moments, the best theta and CG's
# vectors are ~8 float64 copies, so 10**9 parameters need ~64 GB. A model must also fit
# that way in the machine's memory (available_memory): both are checked before allocating.
MAX_PARAMETERS = 10**9
COPIES = 8


def available_memory():
    """Bytes of physical memory (None where the system does not say)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def check_image_shape(image_shape, n_classes):
    """(C, H, W) of positive ints and n_classes >= 1, or a ValueError/TypeError naming them."""
    try:
        shape = tuple(image_shape)
    except TypeError:
        shape = None
    whole = lambda v: isinstance(v, numbers.Integral) and not isinstance(v, bool) and v >= 1  # noqa: E731
    if shape is None or len(shape) != 3 or not all(map(whole, shape)):
        raise ValueError(f"image_shape must be (C, H, W), three positive ints, got {image_shape!r}")
    if not whole(n_classes):
        raise ValueError(f"n_classes must be a positive int, got {n_classes!r}")
    return tuple(int(d) for d in shape)


def estimate_size(spec, image_shape, n_classes):
    """The parameter count of ``build_model(spec, image_shape, n_classes)``, from the spec
    alone (exact Python ints, nothing allocated; tested against the built models)."""
    kind, o = parse_model(spec)
    c, h, w = check_image_shape(image_shape, n_classes)
    dense = lambda a, b: a * b + b                         # noqa: E731 - W (a, b) and b
    conv = lambda a, b: b * a * 9 + b                      # noqa: E731 - 3x3 kernels and b
    if kind == "mlp":
        widths = (c * h * w, *o, n_classes)
        return sum(dense(a, b) for a, b in zip(widths, widths[1:]))
    if kind == "cnn":
        total = 0
        for width in o:
            total, c, h, w = total + conv(c, width), width, h // 2, w // 2
        return total + dense(c * h * w, n_classes)
    if kind == "vgg5":
        h, w, v = -(-h // 8), -(-w // 8), o["width"]       # padded to multiples of 8, pooled thrice
        return (conv(c, v) + conv(v, 2 * v) + conv(2 * v, 2 * v) + dense(2 * v * h * w, o["hidden"])
                + dense(o["hidden"], n_classes))
    has_mlp, shared_qk, value = VIT_VARIANTS[kind]
    d, p = o["width"], o["patch"]
    tokens = -(-h // p) * -(-w // p) + 1
    matrices = 1 + (not shared_qk) + 2 * value             # Wq, Wk unless shared, Wv and Wo
    layer = 2 * (2 * d) + matrices * (d * d + d * o["bias"])   # two LayerNorms and the attention
    if has_mlp:
        layer += dense(d, o["mlp"]) + dense(o["mlp"], d)
    return dense(c * p * p, d) + d + tokens * d * o["pos"] + o["depth"] * layer + dense(d, n_classes)


def check_size(spec, n_params, memory=None):
    """ValueError naming the model when ``n_params`` exceed MAX_PARAMETERS or the memory."""
    memory = available_memory() if memory is None else memory
    limit = MAX_PARAMETERS if memory is None else min(MAX_PARAMETERS, memory // (8 * COPIES))
    if n_params > limit:
        why = (f"MAX_PARAMETERS = {MAX_PARAMETERS:,}" if limit == MAX_PARAMETERS else
               f"{COPIES} float64 copies of theta in this machine's {memory / 2**30:.0f} GB")
        raise ValueError(f"model must have at most {limit:,} parameters ({why}), got {spec!r} "
                         f"with {n_params:,}")
    return n_params


def layout_for(spec):
    """The data layout a model needs: "flat" for the MLP, "image" for all others."""
    return "flat" if parse_model(spec)[0] == "mlp" else "image"


def _pad_to_multiple(c, h, w, m):
    """([ZeroPad2D] or [], padded (h, w)): centred zero padding up to multiples of m."""
    H, W = -(-h // m) * m, -(-w // m) * m
    if (H, W) == (h, w):
        return [], (H, W)
    top, left = (H - h) // 2, (W - w) // 2
    return [nn.ZeroPad2D((left, W - w - left, top, H - h - top))], (H, W)


def check_head(head, loss=None):
    """``head`` if it is one of HEADS and fits ``loss``: cross-entropy takes logits, so it never
    follows a softmax head (ValueError naming both)."""
    if not isinstance(head, str) or head not in HEADS:
        raise ValueError(f"head must be one of {', '.join(HEADS)}, got {head!r}")
    if head == "softmax" and loss == "cross_entropy":
        raise ValueError("head 'softmax' with loss 'cross_entropy': cross-entropy applies its own "
                         "softmax to logits; use head 'linear' with loss 'cross_entropy', or loss "
                         "'mse' with head 'softmax' (MSE on probabilities)")
    return head


def build_model(spec, input_shape, classes, activation=None, head=DEFAULT_HEAD):
    """A Sequential for inputs of shape ``input_shape`` = (C, H, W) and ``classes`` outputs;
    ``head="softmax"`` appends nn.Softmax() after the output layer (module docstring); refuses
    a model larger than ``check_size`` allows, before any parameter is allocated.

    The families and their options are in the module docstring. An "mlp" takes X flattened
    to (N, C*H*W); every other family takes images (N, C, H, W).

    Parameters
    ----------
    spec : str
        The model: "mlp[:W1,W2,...]", "cnn[:C1,C2,...]", "vgg5[:width=32,hidden=64]" or a
        ViT, "vit-mlp", "vit-nomlp", "vit-nomlp-wkewq", "vit-nomlp-wkewq-wvwo"
        [:depth=3,heads=4,width=64,mlp=256,patch=8,pos=0,bias=0,pool=class].
    input_shape : tuple of int
        Per-sample image shape (C, H, W), three positive ints.
    classes : int
        Number of outputs, >= 1.
    activation : {"tanh", "relu", "sigmoid", "gelu"}, optional
        The nonlinearity; None (default): the family's (mlp tanh, cnn and vgg5 relu, ViTs gelu).
    head : {"linear", "softmax"}, optional
        "linear" (default): the network ends in its last Dense layer; "softmax": nn.Softmax()
        follows it (MSE on probabilities).

    Returns
    -------
    net : nn.Sequential
        The network, float64, parameters not yet drawn (``net.init(seed)``).

    Raises
    ------
    TypeError
        spec not a str.
    ValueError
        An unknown or malformed spec or option, input_shape not three positive ints, classes
        below 1, an unknown activation or head, a cnn whose pooling would shrink the images
        below 1 pixel, or more parameters than MAX_PARAMETERS or the memory allow.

    Examples
    --------
    >>> import numpy as np
    >>> from minitwophase.models import build_model
    >>> net = build_model("mlp:3", (1, 2, 2), classes=2)
    >>> net.layers, net.size                        # 4*3 + 3 + 3*2 + 2 parameters
    ((Dense(4, 3), Tanh(), Dense(3, 2)), 23)
    >>> net = build_model("cnn:2", (1, 4, 4), classes=3, head="softmax")
    >>> [type(layer).__name__ for layer in net.layers]
    ['Conv2D', 'ReLU', 'MaxPool2D', 'Flatten', 'Dense', 'Softmax']
    >>> probs = net.forward(net.init(seed=0), np.ones((2, 1, 4, 4)))
    >>> probs.shape, np.allclose(probs.sum(axis=1), 1.0)
    ((2, 3), True)
    """
    check_head(head)
    check_size(spec, estimate_size(spec, input_shape, classes))   # before any allocation
    net = _body(spec, input_shape, classes, activation)
    return nn.Sequential([*net.layers, nn.Softmax()]) if head == "softmax" else net


def _body(spec, image_shape, n_classes, activation):
    kind, options = parse_model(spec)
    activation = DEFAULT_ACTIVATION[kind] if activation is None else activation
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
    act = ACTIVATIONS[activation]
    c, h, w = image_shape
    if kind in VIT_VARIANTS:
        return _vit(kind, options, c, h, w, n_classes, act)
    if kind == "vgg5":
        return _vgg5(options, c, h, w, n_classes, act)
    layers = []
    if kind == "mlp":
        n_in = c * h * w
        for width in options:
            layers += [nn.Dense(n_in, width), act()]
            n_in = width
        return nn.Sequential(layers + [nn.Dense(n_in, n_classes)])
    for width in options:
        if min(h, w) < 2:
            raise ValueError(f"model {spec!r} pools the {image_shape} images below 1 pixel; use fewer conv widths")
        layers += [nn.Conv2D(c, width, 3, padding=1), act(), nn.MaxPool2D(2)]
        c, h, w = width, h // 2, w // 2
    return nn.Sequential(layers + [nn.Flatten(), nn.Dense(c * h * w, n_classes)])


def _vit(kind, o, c, h, w, n_classes, act):
    """Pad, patch embedding, ``depth`` pre-LN encoder layers, token pooling, Dense head."""
    has_mlp, shared_qk, value = VIT_VARIANTS[kind]
    d, p = o["width"], o["patch"]
    layers, (h, w) = _pad_to_multiple(c, h, w, p)
    tokens = (h // p) * (w // p) + 1
    layers.append(nn.PatchEmbedding(c, p, d, class_token=True, positions=tokens if o["pos"] else None))
    for _ in range(o["depth"]):
        layers.append(nn.Residual([nn.LayerNorm(d), nn.SelfAttention(d, o["heads"], shared_qk=shared_qk,
                                                                        value=value, bias=bool(o["bias"]))]))
        if has_mlp:
            layers.append(nn.Residual([nn.LayerNorm(d), nn.Dense(d, o["mlp"]), act(), nn.Dense(o["mlp"], d)]))
        else:
            layers.append(nn.LayerNorm(d))
    return nn.Sequential(layers + [nn.TokenPool(o["pool"]), nn.Dense(d, n_classes)])


def _vgg5(o, c, h, w, n_classes, act):
    """Three conv-act-maxpool blocks (width, 2 width, 2 width) and two Dense layers."""
    layers, (h, w) = _pad_to_multiple(c, h, w, 8)
    for width in (o["width"], 2 * o["width"], 2 * o["width"]):
        layers += [nn.Conv2D(c, width, 3, padding=1), act(), nn.MaxPool2D(2)]
        c, h, w = width, h // 2, w // 2
    return nn.Sequential(layers + [nn.Flatten(), nn.Dense(c * h * w, o["hidden"]), act(),
                                   nn.Dense(o["hidden"], n_classes)])
