"""One entry point, ``load(spec)``, for every data set (the command line passes spec through)."""
from __future__ import annotations

from .bundled import load_digits, load_mnist5k, load_mnist_bundled
from .cifar import load_cifar
from .dataset import DatasetError, check_layout, check_val_fraction
from .idx import load_mnist

SPECS = ("digits", "mnist5k", "mnist", "mnist:PATH", "cifar10:PATH", "cifar100:PATH")


def load(spec, layout="flat", val_fraction=None, seed=0):
    """Load a data set by name.

    spec: "digits" or "mnist5k" (bundled; stratified split, val_fraction=None means 0.2),
    "mnist" (the complete MNIST, bundled), "mnist:PATH" (directory of the IDX files),
    "cifar10:PATH", "cifar100:PATH" (extracted python batches). For the last four
    val_fraction=None validates on the official test set; a number splits the official
    training set instead.
    layout: "flat" -> X of shape (N, C*H*W); "image" -> (N, C, H, W).
    A missing or bad file raises FileNotFoundError or DatasetError whose message starts
    with the spec (``"spec 'mnist:DIR': IDX file ...``), so a command names its option.
    """
    if not isinstance(spec, str):
        raise TypeError(f"spec must be a str, one of {SPECS}, got {type(spec).__name__}")
    check_layout(layout)
    check_val_fraction(val_fraction, allow_none=True)
    try:
        return _load(spec, layout, val_fraction, seed)
    except (FileNotFoundError, DatasetError) as exc:
        raise type(exc)(f"spec {spec!r}: {exc}") from None


def _load(spec, layout, val_fraction, seed):
    kind, sep, path = spec.partition(":")  # split at the first colon: PATH may contain more
    if not sep and kind in ("digits", "mnist5k"):
        loader = load_digits if kind == "digits" else load_mnist5k
        return loader(layout=layout, val_fraction=val_fraction, seed=seed)
    if not sep and kind == "mnist":
        return load_mnist_bundled(layout=layout, val_fraction=val_fraction, seed=seed)
    if sep and path and kind == "mnist":
        return load_mnist(path, layout=layout, val_fraction=val_fraction, seed=seed)
    if sep and path and kind in ("cifar10", "cifar100"):
        return load_cifar(path, n_classes=int(kind[5:]), layout=layout,
                          val_fraction=val_fraction, seed=seed)
    raise ValueError(f"spec must be one of {', '.join(SPECS)}, got {spec!r}")
