"""minitwophase: convexity-dependent two-phase training (Adam, then nonlinear CG) in NumPy.

Public names (fixed by the design contract): ``nn``, ``Adam``, ``linear_cg``, ``minimize_cg``,
``scipy_cg`` (a method for scipy.optimize.minimize), ``SwapDetector``. Submodules, imported
here so ``mtp.datasets`` works after ``import minitwophase as mtp``: ``nn``, ``optim``,
``datasets``, ``problems``, ``swap``, ``peaks``, ``models``, ``training``; the application packages ``experiments``, ``verification``,
``exercises`` and ``cli`` are imported on demand (``import minitwophase.experiments``).
Importing the package loads no plotting backend (the CLI and the tests choose Agg).
The layers, bottom to top, are listed in docs/architecture.md ("Where things go") and checked
by tests/test_architecture.py.

The paper (Hrycej, Bermeitinger, Pavone, Wiegand, Handschuh, "A Convexity-dependent Two-Phase
Training Algorithm for Deep Neural Networks", KDIR 2025, arXiv 2510.25366), as this project
reads it: Adam until the full-batch gradient norm falls to 0.9 x its peak (its Algorithm 1;
its experiments used a fixed 30 % split), then CG, with the MSE loss "in all cases". It leaves
silent what the MSE is taken on (raw outputs or softmax probabilities: ``--head``, models.py)
and the initial scale ("small random values": ``--init-scale``, training/config.py); both
are stated choices here. It names no framework (only its companion paper, Bermeitinger et al.
2024, says Keras).
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
