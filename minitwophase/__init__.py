"""minitwophase: convexity-dependent two-phase training (Adam, then nonlinear CG) in NumPy.

Public names (fixed by the design contract): ``nn``, ``Adam``, ``linear_cg``, ``minimize_cg``,
``SwapDetector``. Submodules, imported here so ``mtp.datasets`` works after ``import
minitwophase as mtp``: ``nn``, ``optim``, ``datasets``, ``problems``, ``swap``, ``peaks``,
``models``, ``training``; the application packages ``experiments``, ``verification``,
``exercises`` and ``cli`` are imported on demand (``import minitwophase.experiments``).
Importing the package loads no plotting backend (the CLI and the tests choose Agg).
The layers, bottom to top, are listed in docs/architecture.md ("Where things go") and checked by
tests/test_layers.py.
"""
from . import datasets, models, nn, optim, peaks, problems, swap, training
from ._version import __version__
from .optim import Adam, linear_cg, minimize_cg
from .swap import SwapDetector

__all__ = ["nn", "Adam", "linear_cg", "minimize_cg", "SwapDetector"]
