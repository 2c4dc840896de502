"""minitwophase: convexity-dependent two-phase training (Adam, then nonlinear CG) in NumPy.

Public names (fixed by the design contract): ``nn``, ``Adam``, ``linear_cg``, ``minimize_cg``,
``SwapDetector``. Submodules: ``datasets``, ``training``, ``models``, ``problems``; the
application packages ``experiments``, ``verification`` and ``cli`` are imported on demand.
Importing the package loads no plotting backend (the CLI and the tests choose Agg).
The layers, bottom to top, are listed in README.md ("Where things go") and checked by
tests/test_layers.py.
"""
from . import nn
from ._version import __version__
from .optim import Adam, linear_cg, minimize_cg
from .swap import SwapDetector

__all__ = ["nn", "Adam", "linear_cg", "minimize_cg", "SwapDetector"]
