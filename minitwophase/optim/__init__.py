"""Optimizers: textbook Adam, SGD with momentum, linear CG, nonlinear CG with its line searches
(LINE_SEARCHES) and as a custom method of scipy.optimize.minimize (scipy_cg), L-BFGS on the same searches."""
from .adam import Adam
from .line_search import LINE_SEARCHES
from .lbfgs import LBFGS, minimize_lbfgs
from .linear_cg import linear_cg
from .nonlinear_cg import CGRecord, NonlinearCG, minimize_cg
from .scipy_method import scipy_cg
from .sgd import SGD

__all__ = ["Adam", "SGD", "LBFGS", "minimize_lbfgs", "linear_cg", "minimize_cg", "scipy_cg", "NonlinearCG", "CGRecord", "LINE_SEARCHES"]
