"""Curvature of the loss, measured: Hessian-vector products, extreme eigenvalues, trace and
spectral density, from gradients alone (any ``fun(x) -> (f, g)``).

  hvp                  H(x) v by central differences of gradients (N&W §8.1)
  HessianOperator      H(x) as a counting scipy LinearOperator
  lanczos              Lanczos with full reorthogonalisation (Golub & Van Loan §10.1)
  extreme_eigenvalues  lambda_min, lambda_max via eigsh or the hand-written Lanczos
  trace                Hutchinson's estimator with its standard error
  spectral_density     stochastic Lanczos quadrature (Ghorbani et al. 2019, PyHessian)
  probe                one measurement for a training loop; convex_verdict its reading
  plots                figures from arrays (imported on demand: needs matplotlib)
"""
from .density import SpectralDensity, spectral_density
from .extreme import ExtremeEigenvalues, extreme_eigenvalues
from .hvp import HessianOperator, hvp
from .lanczos import LanczosResult, lanczos
from .probe import CurvatureRecord, Verdict, convex_verdict, probe
from .trace import TraceEstimate, trace

__all__ = ["hvp", "HessianOperator", "lanczos", "LanczosResult", "extreme_eigenvalues",
           "ExtremeEigenvalues", "trace", "TraceEstimate", "spectral_density",
           "SpectralDensity", "probe", "CurvatureRecord", "convex_verdict", "Verdict"]
