"""Data sets for minitwophase: three bundled digit sets and readers for MNIST and CIFAR files.

Every loader returns a :class:`Dataset` with float64 inputs in [0, 1] and a deterministic
train/validation split. ``load(spec)`` is the single entry point; see its docstring.
Missing files raise FileNotFoundError; corrupt, truncated or inconsistent files raise
DatasetError (a ValueError) naming the file; bad arguments raise ValueError/TypeError.
"""
from .bundled import load_digits, load_mnist5k, load_mnist_bundled, read_bundled, read_bundled_split, verify_bundled
from .cifar import load_cifar, read_cifar, read_cifar_batch
from .dataset import Dataset, DatasetError
from .idx import load_mnist, read_idx, read_mnist
from .spec import load
from .split import stratified_split

__all__ = [
    "Dataset", "DatasetError", "load", "load_digits", "load_mnist5k", "load_mnist_bundled", "load_mnist", "load_cifar",
    "stratified_split", "read_idx", "read_mnist", "read_cifar", "read_cifar_batch",
    "read_bundled", "read_bundled_split", "verify_bundled",
]
