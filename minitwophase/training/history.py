"""A run's record: one row per epoch, the swap and peak, the outcome, the parameters.

Rows are plain dicts so a run round-trips through JSON (``to_dict``/``from_dict``) and CSV.
Row keys (None where a key does not apply):
  epoch       0 for the initial point, then 1, 2, ...
  phase       "init" or a phase of phases.PHASES ("adam", "sgd", "cg", "pcg", "lbfgs")
  train_loss  full training-set loss at the end of the epoch
  grad_norm   2-norm of the full training-set gradient there (what the detector sees)
  val_loss, val_acc   on the validation set (measurement only: not in cost or wall_time)
  cost        cumulative epoch-equivalents of work, (F + r B) / ((1 + r) N) (objective.py)
  forward_passes, backward_passes   the raw counts behind it: cumulative samples pushed
              forward (F) and backward (B), in full-batch passes (F / N, B / N)
  macs        cumulative multiply-adds, m (F + 2 B) (objective.py)
  wall_time   cumulative seconds of training work (Adam steps, gradient-norm measurement, CG)
  cg_alpha, cg_beta, cg_restart, cg_nfev   the CG (or L-BFGS: beta nan) iteration of this epoch
  lambda_min, lambda_max, curvature_ratio, negative_mass, diag_cost   only with curvature_every
              (curvature_probe.py: CURVATURE_COLUMNS; diag_cost is the probe's own work)

Layer: training (above nn/, optim/, swap.py); map: docs/architecture.md.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .._json import jsonable
from ..peaks import VERDICTS, GradNormSummary, checks_words

COLUMNS = ("epoch", "phase", "train_loss", "grad_norm", "val_loss", "val_acc", "cost",
           "forward_passes", "backward_passes", "macs", "wall_time", "cg_alpha", "cg_beta", "cg_restart", "cg_nfev")

#: How a run ended (README, "How a run ends"): "completed" (all epochs), "converged" (CG met
#: its gradient tolerance), "diverged" (loss NaN/inf or above trainer.DIVERGENCE_FACTOR x the
#: initial loss), "cg stalled" (CG's line search found no lower point along d nor along -g,
#: scipy's status 2; CG's message says why), "lbfgs stalled" (the same for L-BFGS), "interrupted" (Ctrl-C or SIGTERM). "running":
#: a partial results file written during a run. The parameters kept are always finite.
STATUSES = ("running", "completed", "converged", "diverged", "cg stalled", "lbfgs stalled", "interrupted")


@dataclass
class Run:
    method: str
    seed: int
    config: dict
    rows: list = field(default_factory=list)
    status: str = "running"
    message: str = ""
    swap_epoch: int | None = None        # first CG epoch is swap_epoch + 1
    peak_epoch: int | None = None        # copies of grad_norm_summary's detector_epoch,
    peak_report: dict | None = None      # report and peak_passed (results written before the
    peak_passed: bool | None = None      # summary existed have only these)
    grad_norm_summary: dict | None = None    # peaks.GradNormSummary.to_dict(): the detector
                                         # peak, the largest epoch-end |g|, the single-peak
                                         # check; read it as ``run.peaks``
    smoothed_grad_norm: list | None = None   # swap mode "smoothed": [epoch, loss, fitted |g|]
                                             # per check (NaN before the window fills)
    best_epoch: int | None = None        # lowest train loss
    final_train_acc: float | None = None
    theta: np.ndarray | None = None      # parameters at the end
    best_theta: np.ndarray | None = None
    curvature: list | None = None        # curvature snapshots (curvature_probe.py), if measured
    swap_curvature: dict | None = None   # the swap-time measurement and its convex verdict
    checkpoints: dict | None = None      # {epoch: theta} with save_checkpoints (not in JSON)

    def column(self, key):
        """One row key over the epochs as a float array (None -> nan)."""
        return np.array([np.nan if r.get(key) is None else r[key] for r in self.rows], dtype=float)

    @property
    def peaks(self):
        """The run's GradNormSummary (None without rows): every reader of a peak reads this."""
        if self.grad_norm_summary is not None:
            return GradNormSummary.from_dict(self.grad_norm_summary)
        return _from_older_fields(self) if self.rows else None

    @property
    def final(self):
        return self.rows[-1] if self.rows else {}

    @property
    def label(self):
        return f"{self.method} (seed {self.seed})"

    def to_dict(self):
        """JSON-ready: NaN/inf become None; parameters are left out (saved as .npz)."""
        skip = ("theta", "best_theta", "checkpoints")
        out = {k: v for k, v in self.__dict__.items() if k not in skip}
        return jsonable(out)

    @classmethod
    def from_dict(cls, d):
        return cls(**{k: v for k, v in d.items() if k in cls.__dataclass_fields__})


def _from_older_fields(run):
    """A GradNormSummary for a run recorded before it existed (peak_epoch, peak_report and
    peak_passed only): the detector peak's value read from the rows (or the smoothed fit)."""
    epochs, g = run.column("epoch"), run.column("grad_norm")
    window = (epochs >= 1) & np.isfinite(g) & (epochs <= (np.inf if run.swap_epoch is None else run.swap_epoch))
    largest = int(np.flatnonzero(window)[np.argmax(g[window])]) if window.any() else None
    at = np.flatnonzero(epochs == run.peak_epoch) if run.peak_epoch is not None else []
    report = dict(run.peak_report or {})
    report.setdefault("message", "no peak report")
    status = report.get("status", "single" if report.get("single_peak") else None)
    value = float(g[at[0]]) if len(at) else None
    for epoch, _, fitted in run.smoothed_grad_norm or []:      # smoothed mode: the fitted value
        if epoch == run.peak_epoch and fitted is not None:
            value = float(fitted)
    cfg = run.config or {}
    smoothed = cfg.get("swap_mode") == "smoothed"
    return GradNormSummary(
        checks=checks_words(cfg.get("check_every"), 10 if smoothed else None),
        n_checks=None if cfg.get("check_every") else int(window.sum()),
        detector_value=value,
        detector_epoch=run.peak_epoch, largest_value=None if largest is None else float(g[largest]),
        largest_epoch=None if largest is None else int(epochs[largest]),
        verdict=VERDICTS.get(status, "none"), report=report, peak_passed=bool(run.peak_passed),
        swap_epoch=run.swap_epoch, first_check_epoch=None, at_first_check=False)
