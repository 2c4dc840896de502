"""The curvature at the swap: a training probe (``train(..., probes=[SwapCurvature(...)])``).

At the epoch after which a two-phase method leaves Adam, it measures lambda_min, lambda_max and
the negative spectral mass of the Hessian of the training loss (curvature.probe) and the
convexity verdict (curvature.convex_verdict). It pays through an Objective of its own, on the
first ``samples`` training images (a fixed subset: a full-MNIST Hessian-vector product would
cost two passes over 60,000 images each), so the method's cost and wall time are untouched.
Its result goes into the swap row under ``curv_*`` keys and into ``records``.
"""
from __future__ import annotations

from ...curvature.probe import convex_verdict, probe
from ...training.objective import Objective

# Sized for the protocol budgets: at most 2 x (max_hvp + steps) gradient evaluations on
# `samples` images (e.g. ViT-wvwo, 1000 images: ~0.05 s per evaluation, ~15 s per probe).
DEFAULTS = dict(samples=1000, tol=1e-2, n_vectors=2, steps=20, max_hvp=80)


class SwapCurvature:
    def __init__(self, samples=DEFAULTS["samples"], seeds=None, **options):
        self.samples, self.seeds = samples, seeds       # seeds: probe only these runs (None: all)
        self.options = {k: v for k, v in DEFAULTS.items() if k != "samples"} | options
        self.records = {}            # (method, seed) -> dict

    def __call__(self, epoch, theta, objective, run, swapped):
        if not swapped or (self.seeds is not None and run.seed not in self.seeds):
            return
        n = min(self.samples, objective.n)
        own = Objective(objective.net, objective.X[:n], objective.y[:n], objective.loss, objective.chunk_size,
                        objective.backward_ratio)            # its own ledger, priced as the method's
        rec = probe(own, theta, seed=run.seed, **self.options)
        verdict = convex_verdict(rec)
        out = {**rec.row(), "converged": rec.converged, "verdict": verdict.label, "samples": n,
               "epoch": epoch, "cost_epochs_of_subset": own.cost}
        self.records[(run.method, run.seed)] = out
        run.rows[-1].update({f"curv_{k}": v for k, v in out.items()})
