"""Optimizers: textbook Adam, linear CG, nonlinear CG with its line searches (LINE_SEARCHES)."""
from .adam import Adam
from .line_search import LINE_SEARCHES
from .linear_cg import linear_cg
from .nonlinear_cg import CGRecord, NonlinearCG, minimize_cg

__all__ = ["Adam", "linear_cg", "minimize_cg", "NonlinearCG", "CGRecord", "LINE_SEARCHES"]
