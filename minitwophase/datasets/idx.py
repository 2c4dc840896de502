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


# Sane limits, checked on the header before any data is read or decompressed: a 1 MB gzip
# can declare gigabytes. MAX_VALUES bounds the values of one file (full MNIST's training
# images hold 47 million, 376 MB once float64; 200 million become 1.6 GB); images are at
# least 1x1 and a file holds at least one sample.
MAX_VALUES = 200_000_000


def _open(path):
    """A binary stream of the file's bytes, decompressed on the fly if it is gzip (recognised
    by its magic bytes, not the name: browsers often save an already decompressed file under
    the .gz name)."""
    try:
        f = open(path, "rb")
    except FileNotFoundError:
        raise FileNotFoundError(f"IDX file {path} does not exist") from None
    if f.read(2) == b"\x1f\x8b":
        f.seek(0)
        return gzip.GzipFile(fileobj=f, mode="rb"), f
    f.seek(0)
    return f, f


def _read(stream, n, path):
    try:
        return stream.read(n)
    except (OSError, EOFError, zlib.error) as exc:   # gzip.BadGzipFile is an OSError
        raise DatasetError(f"IDX file {path}: corrupt or truncated gzip data ({exc})") from None


def read_idx(path, magic=None):
    """Read one IDX file (gzipped or not) into a native-endian ndarray.

    ``magic``: if given, the 4-byte magic number the file must carry (e.g. IDX_IMAGES_MAGIC).
    The header is read first and the declared shape checked (no zero dimension, at most
    MAX_VALUES values) before the data is read or decompressed. Raises FileNotFoundError if
    the file is missing, DatasetError if it is corrupt, truncated, has trailing bytes, the
    wrong magic number or a shape out of those bounds.
    """
    path = Path(path).expanduser()
    stream, raw_file = _open(path)
    with raw_file, stream:
        return _read_idx(stream, path, magic)


def _read_idx(stream, path, magic):
    head = _read(stream, 4, path)
    if len(head) < 4:
        raise DatasetError(f"IDX file {path}: truncated, {len(head)} bytes is shorter than the "
                           "4-byte magic number")
    found = int.from_bytes(head, "big")
    if head[0] != 0 or head[1] != 0 or head[2] not in IDX_TYPES:
        raise DatasetError(f"IDX file {path}: not an IDX file, magic number 0x{found:08X} "
                           "(expected 0x0000TTDD: type TT in 08..0E, DD dimensions)")
    if magic is not None and found != magic:
        raise DatasetError(f"IDX file {path}: wrong magic number, expected 0x{magic:08X}, "
                           f"got 0x{found:08X}")
    ndim, dtype = head[3], np.dtype(IDX_TYPES[head[2]])
    dims = _read(stream, 4 * ndim, path)
    if len(dims) < 4 * ndim:
        raise DatasetError(f"IDX file {path}: truncated header, {ndim} dimensions need "
                           f"{4 + 4 * ndim} bytes, file has {4 + len(dims)}")
    shape = tuple(int(d) for d in np.frombuffer(dims, ">u4", ndim))
    if 0 in shape:
        what = "samples" if shape[0] == 0 else "values per sample"
        raise DatasetError(f"IDX file {path}: declares shape {shape}, no {what}; expected at "
                           "least one sample of at least one value")
    n_values = math.prod(shape)  # Python ints: no overflow
    if n_values > MAX_VALUES:
        raise DatasetError(f"IDX file {path}: declares shape {shape}, {n_values:,} values; at "
                           f"most {MAX_VALUES:,} are read (datasets.idx.MAX_VALUES)")
    expected = n_values * dtype.itemsize
    data = _read(stream, expected, path)
    if len(data) < expected:
        raise DatasetError(f"IDX file {path}: truncated, shape {shape} needs {expected} data "
                           f"bytes, file has {len(data)}")
    if _read(stream, 1, path):
        raise DatasetError(f"IDX file {path}: trailing bytes, shape {shape} needs {expected} data "
                           "bytes, the file holds more")
    data = np.frombuffer(data, dtype).reshape(shape)
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
