"""One entry point, ``load(spec)``, for every data set (the command line passes spec through)."""
from __future__ import annotations

from .bundled import load_digits, load_mnist5k, load_mnist_bundled
from .cifar import load_cifar
from .dataset import DatasetError, check_layout, check_val_fraction
from .idx import load_mnist

SPECS = ("digits", "mnist5k", "mnist", "mnist:PATH", "cifar10:PATH", "cifar100:PATH")


def load(spec, layout="flat", val_fraction=None, seed=0):
    """Load a data set by name.

    Inputs are float64 in [0, 1] (pixels divided by their maximum: 16 for digits, 255
    otherwise), labels intp in [0, n_classes); the split is deterministic for a given seed.

    Parameters
    ----------
    spec : str
        "digits" or "mnist5k" (bundled; stratified split, val_fraction=None means 0.2),
        "mnist" (the complete MNIST, bundled), "mnist:PATH" (directory of the IDX files),
        "cifar10:PATH", "cifar100:PATH" (extracted python batches). For the last four
        val_fraction=None validates on the official test set; a number splits the official
        training set instead.
    layout : {"flat", "image"}, optional
        "flat" (default): X of shape (N, C*H*W), channel-major; "image": (N, C, H, W).
    val_fraction : float, optional
        Fraction of each class held out for validation, in (0, 1), by
        ``stratified_split``; None (default): see spec.
    seed : int, optional
        Seed of the split, >= 0 (default 0).

    Returns
    -------
    data : Dataset
        ``X_train``, ``y_train``, ``X_val``, ``y_val``, ``n_classes``, ``image_shape``
        (C, H, W), ``name``, ``description``, ``layout``.

    Raises
    ------
    TypeError
        spec not a str; seed not an int.
    ValueError
        An unknown spec, layout or a val_fraction outside (0, 1), naming it; a seed below 0.
    FileNotFoundError
        A missing file or directory; the message starts with the spec
        (``"spec 'mnist:DIR': ..."``), so a command names its option.
    DatasetError
        A corrupt, truncated or inconsistent file (a ValueError), its message also starting
        with the spec and naming the file.

    Examples
    --------
    >>> import numpy as np
    >>> import minitwophase as mtp
    >>> data = mtp.datasets.load("digits")       # the 1797 bundled 8 x 8 digits
    >>> data
    Dataset(name='digits', layout='flat', X_train=(1438, 64), X_val=(359, 64), n_classes=10, image_shape=(1, 8, 8))
    >>> len(data.y_train) + len(data.y_val)
    1797
    >>> float(data.X_train.min()), float(data.X_train.max())
    (0.0, 1.0)
    >>> np.array_equal(np.unique(data.y_val), np.arange(10))    # every class in both parts
    True
    >>> mtp.datasets.load("digits", layout="image", val_fraction=0.5).X_train.shape[1:]
    (1, 8, 8)
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
