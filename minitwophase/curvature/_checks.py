"""Argument checks shared by the curvature functions."""
from __future__ import annotations

from .._validate import positive_int, real_number


def check_tol(tol, name="tol"):
    return real_number(tol, name, low=0.0, high=1.0, low_open=True, high_open=True)


def check_seed(seed):
    return positive_int(seed, "seed", minimum=0)
