"""MNIST-style IDX files (http://yann.lecun.com/exdb/mnist/), plain or gzipped."""
from __future__ import annotations

import gzip
import math
import zlib
from pathlib import Path

import numpy as np

from .dataset import DatasetError, check_layout, check_val_fraction, make_dataset

IDX_IMAGES_MAGIC = 0x00000803  # unsigned bytes, 3 dims (N, H, W)
IDX_LABELS_MAGIC = 0x00000801  # unsigned bytes, 1 dim (N,)
# IDX type code (third magic byte) -> big-endian dtype
IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
MNIST_FILES = {
    "train_images": "train-images-idx3-ubyte", "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte", "test_labels": "t10k-labels-idx1-ubyte",
}


def _read_bytes(path):
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise FileNotFoundError(f"IDX file {path} does not exist") from None
    # Gzip is recognised by its magic bytes, not the name: browsers often save an already
    # decompressed file under the .gz name.
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise DatasetError(f"IDX file {path}: corrupt or truncated gzip data ({exc})") from None
    return raw


def read_idx(path, magic=None):
    """Read one IDX file (gzipped or not) into a native-endian ndarray.

    ``magic``: if given, the 4-byte magic number the file must carry (e.g. IDX_IMAGES_MAGIC).
    Raises FileNotFoundError if the file is missing, DatasetError if it is corrupt, truncated,
    has trailing bytes or the wrong magic number.
    """
    path = Path(path).expanduser()
    raw = _read_bytes(path)
    if len(raw) < 4:
        raise DatasetError(f"IDX file {path}: truncated, {len(raw)} bytes is shorter than the "
                           "4-byte magic number")
    found = int.from_bytes(raw[:4], "big")
    if raw[0] != 0 or raw[1] != 0 or raw[2] not in IDX_TYPES:
        raise DatasetError(f"IDX file {path}: not an IDX file, magic number 0x{found:08X} "
                           "(expected 0x0000TTDD: type TT in 08..0E, DD dimensions)")
    if magic is not None and found != magic:
        raise DatasetError(f"IDX file {path}: wrong magic number, expected 0x{magic:08X}, "
                           f"got 0x{found:08X}")
    ndim, dtype = raw[3], np.dtype(IDX_TYPES[raw[2]])
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DatasetError(f"IDX file {path}: truncated header, {ndim} dimensions need "
                           f"{header} bytes, file has {len(raw)}")
    shape = tuple(int(d) for d in np.frombuffer(raw, ">u4", ndim, 4))
    expected = math.prod(shape) * dtype.itemsize  # Python ints: no overflow
    if len(raw) - header != expected:
        problem = "truncated" if len(raw) - header < expected else "trailing bytes"
        raise DatasetError(f"IDX file {path}: {problem}, shape {shape} needs {expected} data "
                           f"bytes, file has {len(raw) - header}")
    data = np.frombuffer(raw, dtype, offset=header).reshape(shape)
    return data.astype(dtype.newbyteorder("="))  # a writable, native-endian copy


def _find(directory, stem):
    # Official names, with or without .gz; some mirrors write "train-images.idx3-ubyte".
    for name in (stem, stem + ".gz", stem.replace("-idx", ".idx"), stem.replace("-idx", ".idx") + ".gz"):
        if (directory / name).is_file():
            return directory / name
    raise FileNotFoundError(f"MNIST directory {directory}: no file {stem} or {stem}.gz")


def read_mnist(path):
    """The official MNIST split from a directory of the four IDX files.

    Returns (train_images, train_labels, test_images, test_labels): images uint8 (N, H, W),
    labels uint8 (N,) in 0..9. Fashion-MNIST and KMNIST use the same files and also load.
    """
    directory = Path(path).expanduser()
    if not directory.is_dir():
        raise FileNotFoundError(f"MNIST directory {directory} does not exist (expected a "
                                f"directory holding {', '.join(MNIST_FILES.values())}, .gz or not)")
    out = []
    for part in ("train", "test"):
        img_file = _find(directory, MNIST_FILES[part + "_images"])
        lab_file = _find(directory, MNIST_FILES[part + "_labels"])
        images = read_idx(img_file, IDX_IMAGES_MAGIC)
        labels = read_idx(lab_file, IDX_LABELS_MAGIC)
        if len(images) != len(labels):
            raise DatasetError(f"MNIST: {img_file} has {len(images)} images but {lab_file} has "
                               f"{len(labels)} labels")
        if labels.size and labels.max() > 9:
            raise DatasetError(f"MNIST: {lab_file} has label {labels.max()}, expected labels in 0..9")
        out += [images, labels]
    if out[0].shape[1:] != out[2].shape[1:]:
        raise DatasetError(f"MNIST directory {directory}: train images are {out[0].shape[1:]} "
                           f"but test images are {out[2].shape[1:]}")
    return tuple(out)


def load_mnist(path, layout="flat", val_fraction=None, seed=0):
    """Full MNIST from IDX files in directory ``path``, pixels scaled by 1/255.

    val_fraction=None: train on the official 60k training set, validate on the official 10k
    test set. A number in (0, 1): stratified split of the training set; test set left out.
    """
    layout = check_layout(layout)
    val_fraction = check_val_fraction(val_fraction, allow_none=True)
    x_tr, y_tr, x_te, y_te = read_mnist(path)
    return make_dataset("mnist", f"MNIST IDX files from {path}", x_tr[:, None], y_tr,
                        (x_te[:, None], y_te), max_value=255, n_classes=10, layout=layout,
                        val_fraction=val_fraction, seed=seed)
