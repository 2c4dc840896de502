"""minitwophase: convexity-dependent two-phase training (Adam, then nonlinear CG) in NumPy.

Public names (fixed by the design contract): ``nn``, ``Adam``, ``linear_cg``, ``minimize_cg``,
``SwapDetector``. Submodules: ``datasets``, ``training``, ``models``, ``problems``.
"""
from . import nn
from .optim import Adam, linear_cg, minimize_cg
from .swap import SwapDetector

__version__ = "0.1.0"
__all__ = ["nn", "Adam", "linear_cg", "minimize_cg", "SwapDetector"]
