"""The Dataset record every loader returns, and the one place raw pixels become float64."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validate import choice, positive_int, real_number
from .split import stratified_split

LAYOUTS = ("flat", "image")


class DatasetError(ValueError):
    """A data file is corrupt, truncated or inconsistent (the message names the file)."""


@dataclass(frozen=True, repr=False)
class Dataset:
    """A train/validation pair ready for a network.

    A frozen record: ``datasets.load`` builds it, checking every field; constructing one by
    hand checks nothing. ``n_features`` is C*H*W.

    Parameters
    ----------
    X_train, X_val : ndarray
        float64 in [0, 1], shape (N, C*H*W) for layout "flat" (channel-major, the order of
        ``X.reshape(N, C, H, W)``) or (N, C, H, W) for layout "image".
    y_train, y_val : ndarray
        Integer class labels in [0, n_classes), dtype intp, shape (N,).
    n_classes : int
        The number of classes.
    image_shape : tuple of 3 ints
        (C, H, W) of one image.
    name, description : str
        The data set's name and a one-line description of where it came from and how it
        was split.
    layout : {"flat", "image"}
        The layout of X_train and X_val.

    Raises
    ------
    dataclasses.FrozenInstanceError
        Assigning to a field of an existing Dataset. (The constructor itself validates
        nothing; ``datasets.load`` raises ``DatasetError``, a ValueError, for a corrupt or
        inconsistent data file.)

    Examples
    --------
    >>> import numpy as np
    >>> from minitwophase.datasets import Dataset
    >>> X = np.zeros((4, 1, 2, 2))
    >>> ds = Dataset(X, np.array([0, 1, 0, 1]), X[:2], np.array([0, 1]), n_classes=2,
    ...              image_shape=(1, 2, 2), name="tiny", description="zeros", layout="image")
    >>> ds.n_features                                  # 1 * 2 * 2
    4
    >>> ds
    Dataset(name='tiny', layout='image', X_train=(4, 1, 2, 2), X_val=(2, 1, 2, 2), n_classes=2, image_shape=(1, 2, 2))
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    n_classes: int
    image_shape: tuple  # (C, H, W)
    name: str
    description: str
    layout: str

    @property
    def n_features(self) -> int:
        c, h, w = self.image_shape
        return c * h * w

    def __repr__(self):
        return (f"Dataset(name={self.name!r}, layout={self.layout!r}, "
                f"X_train={self.X_train.shape}, X_val={self.X_val.shape}, "
                f"n_classes={self.n_classes}, image_shape={self.image_shape})")


def check_layout(layout):
    return choice(layout, "layout", LAYOUTS)


def check_val_fraction(val_fraction, allow_none=False):
    if val_fraction is None and allow_none:
        return None
    return real_number(val_fraction, "val_fraction", low=0.0, high=1.0, low_open=True, high_open=True)


def to_float(images, max_value, layout):
    """uint8 images (N, C, H, W) -> float64 in [0, 1] in the requested layout."""
    x = images.astype(np.float64)
    x /= max_value  # in place: full CIFAR-10 in float64 is already 1.5 GB
    return x.reshape(len(x), -1) if layout == "flat" else x


def make_dataset(name, description, images, labels, test=None, *, max_value, n_classes,
                 layout, val_fraction, seed):
    """Build a Dataset from raw images (N, C, H, W) and labels (N,).

    ``test`` is an optional official (images, labels) test set. With val_fraction=None it is
    the validation set; with a number the training set is split (stratified_split) and the
    test set is left out, untouched.
    """
    labels = np.asarray(labels, dtype=np.intp)
    seed = positive_int(seed, "seed", minimum=0)
    if val_fraction is None:
        x_tr, y_tr = images, labels
        x_va, y_va = test[0], np.asarray(test[1], dtype=np.intp)
        how = "validation = official test set"
    else:
        tr, va = stratified_split(labels, val_fraction, seed=seed)
        x_tr, y_tr, x_va, y_va = images[tr], labels[tr], images[va], labels[va]
        how = f"stratified split val_fraction={val_fraction:g} seed={seed}"
    return Dataset(
        X_train=to_float(x_tr, max_value, layout), y_train=y_tr,
        X_val=to_float(x_va, max_value, layout), y_val=y_va,
        n_classes=int(n_classes), image_shape=tuple(int(s) for s in images.shape[1:]),
        name=name, description=f"{description}; {how}; {len(y_tr)} train / {len(y_va)} val",
        layout=layout,
    )
