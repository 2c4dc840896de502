"""CIFAR-10/100 "python version" batches (https://www.cs.toronto.edu/~kriz/cifar.html).

The batches are pickles, and unpickling can run arbitrary code. So they are read with an
unpickler that resolves only the few globals a pickled numpy array needs and refuses every
other one: a tampered file fails with DatasetError instead of executing anything.
"""
from __future__ import annotations

import _codecs
import pickle
from pathlib import Path

import numpy as np

from .dataset import DatasetError, check_layout, check_val_fraction, make_dataset

try:  # numpy >= 2
    from numpy._core import multiarray as _multiarray, numeric as _numeric
except ImportError:  # numpy 1.x
    from numpy.core import multiarray as _multiarray, numeric as _numeric

# (module, name) -> object. Real CIFAR files (Python 2, numpy 1) name numpy.core.*; files
# written by numpy 2 name numpy._core.*; protocol 5 uses _frombuffer; Python 3 protocol 2
# writes bytes as _codecs.encode(str, "latin1").
SAFE_GLOBALS = {("numpy", "ndarray"): np.ndarray, ("numpy", "dtype"): np.dtype,
                ("_codecs", "encode"): _codecs.encode}
for _mod in ("numpy.core", "numpy._core"):
    SAFE_GLOBALS[_mod + ".multiarray", "_reconstruct"] = _multiarray._reconstruct
    SAFE_GLOBALS[_mod + ".numeric", "_frombuffer"] = _numeric._frombuffer

IMAGE_SHAPE = (3, 32, 32)  # rows hold 1024 red, then 1024 green, then 1024 blue values
CIFAR = {  # n_classes -> (folder name, training files, test file, label key)
    10: ("cifar-10-batches-py", [f"data_batch_{i}" for i in range(1, 6)], "test_batch", "labels"),
    100: ("cifar-100-python", ["train"], "test", "fine_labels"),
}


class RestrictedUnpickler(pickle.Unpickler):
    """Unpickler that only resolves SAFE_GLOBALS."""

    def find_class(self, module, name):
        try:
            return SAFE_GLOBALS[module, name]
        except KeyError:
            raise pickle.UnpicklingError(
                f"refusing to load global {module}.{name}: a CIFAR batch holds only numpy "
                f"arrays, lists and bytes (allowed: {sorted('.'.join(k) for k in SAFE_GLOBALS)})"
            ) from None

    def persistent_load(self, pid):
        raise pickle.UnpicklingError(f"refusing persistent id {pid!r}: a CIFAR batch holds "
                                     "only numpy arrays, lists and bytes")


def _get(batch, key):
    # Real files have bytes keys (Python 2 str read with encoding="bytes").
    for k in (key.encode(), key):
        if k in batch:
            return batch[k]
    return None


def read_cifar_batch(path, label_key="labels", n_classes=10):
    """One batch file -> (images uint8 (N, 3, 32, 32), labels intp (N,))."""
    path = Path(path).expanduser()
    try:
        with open(path, "rb") as f:
            batch = RestrictedUnpickler(f, encoding="bytes").load()
    except FileNotFoundError:
        raise FileNotFoundError(f"CIFAR batch file {path} does not exist") from None
    except Exception as exc:  # noqa: BLE001 - a damaged pickle can raise almost anything
        why = " ".join(str(exc).split())      # one line: some pickle errors span two
        raise DatasetError(f"CIFAR batch file {path}: corrupt, truncated or unsafe pickle "
                           f"({type(exc).__name__}: {why})") from None
    if not isinstance(batch, dict):
        raise DatasetError(f"CIFAR batch file {path}: expected a dict, got {type(batch).__name__}")
    data, labels = _get(batch, "data"), _get(batch, label_key)
    if data is None or labels is None:
        raise DatasetError(f"CIFAR batch file {path}: expected keys b'data' and "
                           f"b'{label_key}', got {sorted(map(repr, batch))}")
    try:
        data, labels = np.asarray(data), np.asarray(labels)
    except (ValueError, TypeError) as exc:  # ragged lists
        raise DatasetError(f"CIFAR batch file {path}: data/labels are not arrays ({exc})") from None
    row = int(np.prod(IMAGE_SHAPE))
    if data.ndim != 2 or data.shape[1] != row or not np.issubdtype(data.dtype, np.integer):
        raise DatasetError(f"CIFAR batch file {path}: data must be an integer array of shape "
                           f"(N, {row}), got {data.dtype} {data.shape}")
    if labels.ndim != 1 or len(labels) != len(data) or not np.issubdtype(labels.dtype, np.integer):
        raise DatasetError(f"CIFAR batch file {path}: {len(data)} images need {len(data)} "
                           f"integer labels, got {labels.dtype} {labels.shape}")
    if data.size and (data.min() < 0 or data.max() > 255):
        raise DatasetError(f"CIFAR batch file {path}: pixel values must lie in [0, 255], got "
                           f"[{data.min()}, {data.max()}]")
    if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
        raise DatasetError(f"CIFAR batch file {path}: labels must lie in [0, {n_classes - 1}], "
                           f"got [{labels.min()}, {labels.max()}]")
    return data.astype(np.uint8).reshape(-1, *IMAGE_SHAPE), labels.astype(np.intp)


def read_cifar(path, n_classes=10):
    """The official split from an extracted CIFAR directory.

    ``path`` is the extracted folder (cifar-10-batches-py or cifar-100-python) or the folder
    that contains it. Returns (train_images, train_labels, test_images, test_labels), images
    uint8 (N, 3, 32, 32), labels intp. CIFAR-100 uses the 100 fine labels.
    """
    if n_classes not in CIFAR:
        raise ValueError(f"n_classes must be 10 or 100, got {n_classes!r}")
    folder, train_files, test_file, label_key = CIFAR[n_classes]
    directory = Path(path).expanduser()
    if (directory / folder).is_dir():
        directory = directory / folder
    if not directory.is_dir():
        raise FileNotFoundError(f"CIFAR-{n_classes} directory {directory} does not exist (expected "
                                f"the extracted {folder} folder; extract the .tar.gz first)")
    train = [read_cifar_batch(directory / f, label_key, n_classes) for f in train_files]
    x_te, y_te = read_cifar_batch(directory / test_file, label_key, n_classes)
    x_tr = np.concatenate([b[0] for b in train])
    y_tr = np.concatenate([b[1] for b in train])
    return x_tr, y_tr, x_te, y_te


def load_cifar(path, n_classes=10, layout="flat", val_fraction=None, seed=0):
    """CIFAR-10 or CIFAR-100 from ``path``, pixels scaled by 1/255, image_shape (3, 32, 32).

    val_fraction=None: validate on the official test set. A number in (0, 1): stratified
    split of the official training set; test set left out.
    """
    layout = check_layout(layout)
    val_fraction = check_val_fraction(val_fraction, allow_none=True)
    x_tr, y_tr, x_te, y_te = read_cifar(path, n_classes)
    return make_dataset(f"cifar{n_classes}", f"CIFAR-{n_classes} python batches from {path}",
                        x_tr, y_tr, (x_te, y_te), max_value=255, n_classes=n_classes,
                        layout=layout, val_fraction=val_fraction, seed=seed)
