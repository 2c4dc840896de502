"""minitwophase: convexity-dependent two-phase training (Adam, then nonlinear CG) in NumPy.

Public names (fixed by the design contract): ``nn``, ``Adam``, ``linear_cg``, ``minimize_cg``,
``scipy_cg`` (a method for scipy.optimize.minimize), ``SwapDetector``. Submodules, imported here so ``mtp.datasets`` works after ``import
minitwophase as mtp``: ``nn``, ``optim``, ``datasets``, ``problems``, ``swap``, ``peaks``,
``models``, ``training``; the application packages ``experiments``, ``verification``,
``exercises`` and ``cli`` are imported on demand (``import minitwophase.experiments``).
Importing the package loads no plotting backend (the CLI and the tests choose Agg).
The layers, bottom to top, are listed in README.md ("Where things go") and checked by
tests/test_architecture.py.
"""
try:
    from . import datasets, models, nn, optim, peaks, problems, swap, training
    from ._version import __version__
    from .optim import Adam, linear_cg, minimize_cg, scipy_cg
    from .swap import SwapDetector
except KeyboardInterrupt:          # Ctrl-C while the command starts: one line, exit 130
    from ._startup import interrupted_while_starting
    interrupted_while_starting()
    raise

__all__ = ["nn", "Adam", "linear_cg", "minimize_cg", "scipy_cg", "SwapDetector"]
