"""Curvature measured along training: a trainer probe (``train(..., probes=[...])``) and the
per-epoch parameter checkpoints, both diagnostics that never touch the method's numbers.

``CurvatureProbe(every)`` measures the Hessian of the full training loss with
``curvature.probe`` (lambda_min, lambda_max, their ratio, the negative spectral mass) at
  - every epoch that is a multiple of ``every`` (epoch 0, the initialisation, included),
  - the swap (the row after which the method leaves its first phase),
  - the largest epoch-end |g|: the largest full-batch norm of the rows up to the swap (of the
    whole run when there is none; = peaks.GradNormSummary.largest_epoch, role "peak"). It
    is only known afterwards, so theta is copied at each new maximum and measured at the swap
    (or at the end);
  - the end of the run (``at_end``; not after divergence or Ctrl-C).
It pays through an Objective of its own on the same training data (``objective.spawn()``:
each Hessian-vector product is two full-batch gradients, a forward and a backward pass each),
so its passes land in ``diag_cost`` (cumulative epoch-equivalents, priced as ``cost``; a late
peak measurement is paid in the row that triggered it) and never in ``cost``; it draws its probe vectors from its own
generator (seed ``seed + epoch``), never from the run's streams, so with and without it the
run's rows (but wall_time), theta and every other number are bit-identical.

``samples=n`` measures on the first n training images only (a fixed subset: on full MNIST a
Hessian-vector product over 60,000 images costs two passes over them); default all.
``CurvatureProbe.swap_only(...)`` measures at the swap alone (no schedule, no peak, no end):
the protocols' swap-time curvature (experiments/protocols/).

Rows gain CURVATURE_COLUMNS (None where not measured); ``run.curvature`` keeps one snapshot
per measurement (the scalars, the verdict, the density's quadrature nodes and weights);
``run.swap_curvature`` the swap-time verdict. ``CheckpointProbe(every)`` keeps theta after
every ``every`` epochs in ``run.checkpoints`` (written to params.npz as ``..._epoch_N``).

Layer: training (uses curvature/, one layer below); map: docs/architecture.md.
"""
from __future__ import annotations

import numpy as np

from .._validate import positive_int
from ..curvature import convex_verdict, probe

#: Row keys the probe adds (None where not measured; diag_cost on every row).
CURVATURE_COLUMNS = ("lambda_min", "lambda_max", "curvature_ratio", "negative_mass", "diag_cost")


def verdict_dict(record):
    """convex_verdict of a record/row as JSON-ready fields."""
    v = convex_verdict(record)
    return {"convex": v.convex, "verdict": v.label, "margin": v.margin, "rel_tol": v.rel_tol,
            "message": v.message}


class CurvatureProbe:
    def __init__(self, every, at_end=True, seed=0, tol=1e-3, n_vectors=2, steps=40, max_hvp=300,
                 samples=None, at_peak=True):
        # every=None: no scheduled measurement (swap_only sets it so)
        self.every = None if every is None else positive_int(every, "curvature_every")
        self.at_end, self.seed = bool(at_end), positive_int(seed, "seed", minimum=0)
        self.samples = None if samples is None else positive_int(samples, "samples")
        self.at_peak = bool(at_peak)
        self.options = dict(tol=tol, n_vectors=n_vectors, steps=steps, max_hvp=max_hvp)
        self.objective = None          # built on first call from the method's objective's data
        self.peak = None               # (grad norm, row index, theta copy) of the running peak
        self.swapped = False

    @classmethod
    def swap_only(cls, samples=None, seed=0, **options):
        """The curvature at the swap alone (on the first ``samples`` training images)."""
        return cls(None, at_end=False, seed=seed, samples=samples, at_peak=False, **options)

    @property
    def diag_cost(self):
        return 0.0 if self.objective is None else self.objective.cost

    def __call__(self, epoch, theta, objective, run, swapped):
        if self.objective is None:
            self.objective = objective.spawn(self.samples)   # its own ledger, priced as the method's
            run.curvature = []
        index = len(run.rows) - 1
        row = run.rows[index]
        row.update(dict.fromkeys(CURVATURE_COLUMNS))
        if (self.at_peak and not self.swapped and epoch >= 1
                and (self.peak is None or row["grad_norm"] > self.peak[0])):
            self.peak = (row["grad_norm"], index, theta.copy())
        roles = []
        if self.every is not None and epoch % self.every == 0:
            roles.append("init" if epoch == 0 else "scheduled")
        if swapped and not self.swapped:
            roles.append("swap")
        if roles:
            self._measure(run, index, theta, roles)
        if swapped and not self.swapped:
            self.swapped = True
            snap = self._snapshot(run, index)
            run.swap_curvature = {"epoch": epoch, **{k: snap[k] for k in (
                "lambda_min", "lambda_max", "ratio", "negative_mass", "converged", "convex",
                "verdict", "margin", "rel_tol", "message")}, "samples": self.objective.n}
            self._measure_peak(run)
        row["diag_cost"] = self.diag_cost

    def finish(self, run):
        """After the run: the peak if no swap measured it, and the end point (``at_end``)."""
        if self.objective is None or run.status in ("diverged", "interrupted"):
            return
        if not self.swapped:
            self._measure_peak(run)
        if self.at_end and run.theta is not None:
            self._measure(run, len(run.rows) - 1, run.theta, ["end"])
        run.rows[-1]["diag_cost"] = self.diag_cost

    def state_dict(self):
        """What a resumed run needs to measure where the uninterrupted one would: the probe's
        ledger, the running peak (its theta) and whether the swap was measured. The
        measurements themselves are the run's (run.curvature, rows, swap_curvature)."""
        return {"objective": None if self.objective is None else self.objective.state_dict(),
                "peak": None if self.peak is None else [self.peak[0], self.peak[1], self.peak[2].copy()],
                "swapped": self.swapped}

    def load_state_dict(self, state, objective):
        """Continue from ``state``; ``objective`` is the run's (the probe's ledger is spawned from it)."""
        saved = state["objective"]
        self.objective = None if saved is None else objective.spawn(self.samples).load_state_dict(saved)
        peak = state["peak"]
        self.peak = None if peak is None else (peak[0], int(peak[1]), np.array(peak[2], dtype=float))
        self.swapped = bool(state["swapped"])
        return self

    def _measure_peak(self, run):
        if self.peak is not None:
            self._measure(run, self.peak[1], self.peak[2], ["peak"])
            self.peak = None

    def _snapshot(self, run, index):
        return next(s for s in run.curvature if s["epoch"] == run.rows[index]["epoch"])

    def _measure(self, run, index, theta, roles):
        row = run.rows[index]
        if row.get("lambda_max") is not None:          # measured already: only add the role
            snap = self._snapshot(run, index)
            snap["roles"] += [r for r in roles if r not in snap["roles"]]
            return
        rec = probe(self.objective, theta, seed=self.seed + row["epoch"], **self.options)
        row.update(lambda_min=rec.lambda_min, lambda_max=rec.lambda_max,
                   curvature_ratio=rec.ratio, negative_mass=rec.negative_mass)
        snap = {"epoch": row["epoch"], "roles": list(roles), "phase": row["phase"],
                "train_loss": row["train_loss"], "grad_norm": row["grad_norm"], **rec.row(),
                "threshold": rec.threshold, "converged": rec.converged,
                "nodes": rec.density.nodes.tolist(), "weights": rec.density.weights.tolist(),
                "sigma": rec.density.sigma}
        snap.update(verdict_dict(rec) if np.isfinite(rec.lambda_max) else
                    {"convex": None, "verdict": "not measured", "margin": None, "rel_tol": None,
                     "message": "lambda_max is not finite"})
        run.curvature.append(snap)
        run.curvature.sort(key=lambda s: s["epoch"])


class CheckpointProbe:
    """Keeps a copy of theta after every ``every`` epochs (epoch 0 included) in run.checkpoints."""

    def __init__(self, every):
        self.every = positive_int(every, "save_checkpoints")

    def __call__(self, epoch, theta, objective, run, swapped):
        if run.checkpoints is None:
            run.checkpoints = {}
        if epoch % self.every == 0:
            run.checkpoints[epoch] = theta.copy()
