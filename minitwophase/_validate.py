"""Argument checks shared by the whole package.

Every message names the argument, what was expected and what was given, so a user never
sees a bare NumPy broadcasting error.
"""
from __future__ import annotations

import numbers

import numpy as np


def as_float_array(value, name, dtype=np.float64, ndim=None, allow_empty=False, finite=True):
    """Return ``value`` as an ndarray of ``dtype`` (no copy when it already is one)."""
    if isinstance(value, (str, bytes)) or value is None:
        raise TypeError(f"{name} must be a numeric array, got {type(value).__name__}")
    arr = np.asarray(value)
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise TypeError(f"{name} must be a numeric array, got dtype {arr.dtype}")
    if np.issubdtype(arr.dtype, np.complexfloating):
        raise TypeError(f"{name} must be real, got dtype {arr.dtype}")
    if dtype is not None:
        arr = arr.astype(dtype, copy=False)
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D, got shape {arr.shape}")
    if not allow_empty and arr.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {arr.shape}")
    if finite and not np.all(np.isfinite(arr)):
        bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
        raise ValueError(f"{name} must be finite, got {bad} NaN/inf value(s)")
    return arr


def as_labels(y, name="y", n=None, n_classes=None):
    """Integer class labels of shape (n,), each in [0, n_classes)."""
    arr = np.asarray(y)
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(f"{name} must hold integer class labels, got dtype {arr.dtype}")
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D of shape (N,), got shape {arr.shape}")
    if n is not None and arr.shape[0] != n:
        raise ValueError(f"{name} must have one label per sample: expected length {n}, got {arr.shape[0]}")
    if arr.size and n_classes is not None:
        lo, hi = int(arr.min()), int(arr.max())
        if lo < 0 or hi >= n_classes:
            bad = lo if lo < 0 else hi
            raise ValueError(f"{name} labels must lie in [0, {n_classes - 1}], got {bad}")
    return arr.astype(np.intp, copy=False)


def positive_int(value, name, minimum=1):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def real_number(value, name, low=None, high=None, low_open=False, high_open=False):
    """A finite real number, optionally inside [low, high] (open ends on request)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} {value!r}")
    value = float(value)
    ok = np.isfinite(value)
    if low is not None:
        ok = ok and (value > low if low_open else value >= low)
    if high is not None:
        ok = ok and (value < high if high_open else value <= high)
    if not ok:
        lb = "(" if low_open else "["
        rb = ")" if high_open else "]"
        lo = "-inf" if low is None else low
        hi = "inf" if high is None else high
        lb = "(" if low is None else lb           # the number must be finite: inf is never in
        rb = ")" if high is None else rb
        raise ValueError(f"{name} must lie in {lb}{lo}, {hi}{rb}, got {value}")
    return value


def choice(value, name, options):
    if value not in options:
        raise ValueError(f"{name} must be one of {sorted(options)}, got {value!r}")
    return value


def name_choice(value, name, options):
    """A name from ``options`` matched case-insensitively (as scipy matches method names);
    returns the table's own spelling."""
    if isinstance(value, str):
        for option in options:
            if option.lower() == value.lower():
                return option
    raise ValueError(f"{name} must be one of {sorted(options)} (any case), got {value!r}")


def callable_or_none(value, name, expected="a callable"):
    if value is not None and not callable(value):
        raise TypeError(f"{name} must be {expected} or None, got {type(value).__name__} {value!r:.60}")
    return value


def args_tuple(args):
    """Extra arguments of fun and jac, as scipy.optimize.minimize: a tuple (one value -> (value,))."""
    return args if isinstance(args, tuple) else (args,)


def preconditioner(precond, n, name="precond"):
    """None, or a function r -> M^{-1} r from a 1-D positive array m (M = diag(m), so the
    result is r / m) or a callable r -> M^{-1} r (its output checked on every call: a real,
    finite array of shape (n,) with r^T M^{-1} r > 0, as M positive definite requires)."""
    if precond is None:
        return None
    if callable(precond):
        def apply(r):
            z = as_float_array(precond(r), f"{name}(r)", finite=False)
            if z.shape != (n,):
                raise ValueError(f"{name}(r) must return an array of shape ({n},) like r, "
                                 f"got shape {z.shape}")
            if not np.all(np.isfinite(z)):
                raise ValueError(f"{name}(r) must return finite values, got NaN/inf")
            rz = float(r @ z)
            if not rz > 0 and np.any(r):
                raise ValueError(f"{name} must be positive definite: r^T {name}(r) = {rz:g} <= 0")
            return z
        return apply
    m = as_float_array(precond, name, ndim=None).copy()
    if m.shape != (n,):
        raise ValueError(f"{name} as an array is the diagonal of M and must have shape ({n},) "
                         f"like x0, got shape {m.shape}")
    if not np.all(m > 0):
        raise ValueError(f"{name} (the diagonal of M) must be > 0, got {float(m[~(m > 0)][0])!r} "
                         f"at index {int(np.argmin(m > 0))}")
    return lambda r: r / m


def step_arguments(theta, grad, state_shape=None):
    """The arguments of an in-place optimizer step, checked once at the public boundary:
    ``theta`` a writeable float ndarray, ``grad`` finite and of theta's shape, and theta of the
    shape ``state_shape`` of the optimizer's earlier steps (None before the first). Returns
    grad in theta's dtype. Refusing a NaN here, before any state is touched, matters: one NaN
    would poison Adam's moments for good."""
    if not isinstance(theta, np.ndarray) or not np.issubdtype(theta.dtype, np.floating):
        kind = theta.dtype if isinstance(theta, np.ndarray) else type(theta).__name__
        raise TypeError(f"theta must be a float ndarray (updated in place), got {kind}")
    if not theta.flags.writeable:
        raise ValueError("theta must be writeable: the step updates it in place")
    grad = np.asarray(grad)
    if grad.shape != theta.shape:
        raise ValueError(f"grad must have theta's shape {theta.shape}, got {grad.shape}")
    if state_shape is not None and state_shape != theta.shape:
        raise ValueError(f"theta must keep the shape {state_shape} of earlier steps, "
                         f"got {theta.shape} (call reset() to start afresh)")
    if not np.all(np.isfinite(grad)):
        raise ValueError("grad must be finite, got NaN/inf value(s)")
    return grad.astype(theta.dtype, copy=False)
