"""Deterministic stratified train/validation split."""
from __future__ import annotations

import numpy as np

from .._validate import as_labels, positive_int, real_number


def stratified_split(y, val_fraction=0.2, seed=0):
    """Split sample indices into (train_idx, val_idx), class by class.

    Rule: shuffle all indices once with ``np.random.default_rng(seed).permutation``; then, in
    each class c with n_c samples, the first round(val_fraction * n_c) of them in shuffled
    order (halves round up) go to validation, the rest to training. The count is clipped to
    [1, n_c - 1] so that a class with at least two samples appears on both sides; a class
    with a single sample goes to training. Both index arrays keep the shuffled order, so
    classes come interleaved even when the source file is sorted by class.
    Same y, val_fraction and seed -> identical split (PCG64 streams are stable).
    """
    y = as_labels(y, "y")
    val_fraction = real_number(val_fraction, "val_fraction", low=0.0, high=1.0,
                               low_open=True, high_open=True)
    seed = positive_int(seed, "seed", minimum=0)
    if y.size == 0:
        raise ValueError("y must not be empty, got shape (0,)")
    perm = np.random.default_rng(seed).permutation(y.size)
    y_perm = y[perm]
    is_val = np.zeros(y.size, dtype=bool)
    for c in np.unique(y_perm):  # a loop over the classes, never over samples
        pos = np.flatnonzero(y_perm == c)
        n_val = int(np.floor(val_fraction * pos.size + 0.5))
        n_val = min(max(n_val, 1), pos.size - 1)  # = 0 when the class has one sample
        is_val[pos[:n_val]] = True
    return perm[~is_val], perm[is_val]
