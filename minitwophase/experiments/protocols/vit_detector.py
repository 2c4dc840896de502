"""The 0.9 detector at the paper's check interval, given room to fire: ``--protocol vit-detector``.

The ``vit`` protocol's 60-minute budget leaves every cell at most one swap check at the paper's
interval (118 Adam steps), so its adam+cg column is Adam. This protocol spends its time on one
cell instead: vit-nomlp-wkewq-wvwo (the cheapest ViT variant, the paper's largest Q) on mnist5k,
100 epochs (800 Adam steps, 6 checks), Adam vs the fixed 30 % split vs the 0.9 detector vs
Adam+PCG, seeds 0, 1, 2, MSE on a softmax head's probabilities at initial scale 0.1 (the
settled choice: docs/results.md), batch 512, lr 1e-3, and the curvature at every swap (all
seeds, 500 images).

Budget (fixed before any of its results): 100 epochs is the length of the granularity study's
ViT run (figures/granularity.md); that run says nothing about how CG then compares with Adam,
which is what this one measures. Measured epoch times (2026-12-03, quiet, one thread, softmax
head at scale 0.1, automatic chunks): A = 1.59 s Adam, C = 1.89 s CG per mnist5k epoch. Three
seeds cost 3 x 100 x (A + 0.3 A + 0.7 C + 2 max(A, C)) = 3 x 100 x 7.2 s = 36 min on one
core, plus up to 9 swap probes of ~15 s. (The earlier run, linear head at scale 1, three
methods, was estimated at 38 min from the slower ViT step of protocols/vit.py.)
"""
from __future__ import annotations

from .cell import PAPER_STEPS, Cell
from .table import Protocol
from .vit import METHODS, PAPER_ROWS, SEEDS, seconds_per_epoch

MODEL = "vit-nomlp-wkewq-wvwo"
EPOCHS = 100
ADAM_EPOCH, CG_EPOCH = 1.59, 1.89         # s per mnist5k epoch, measured (module docstring)
ESTIMATED_MINUTES = len(SEEDS) * EPOCHS * seconds_per_epoch(ADAM_EPOCH, CG_EPOCH) / 60
CELLS = (Cell("mnist5k", MODEL, EPOCHS, chunk_size=None, check_every=PAPER_STEPS, head="softmax",
              init_scale=0.1),)
QUICK_CELLS = (Cell("digits", MODEL + ":width=8,heads=2,depth=1,patch=4", 4, chunk_size=None,
                    check_every=2),)

BUDGET_NOTE = (
    f"mnist5k, {EPOCHS} epochs ({EPOCHS * 8} Adam steps: {EPOCHS * 8 // PAPER_STEPS} checks at the paper's "
    f"{PAPER_STEPS}-step interval), the length of the granularity study's run; estimated "
    f"{ESTIMATED_MINUTES:.0f} min on one core from measured epoch times "
    "(arithmetic in protocols/vit_detector.py). Still short against the paper's 1000 epochs on 60,000 images.")

PROTOCOL = Protocol(name="vit_detector", title=f"The 0.9 detector at the paper's check interval: mnist5k {MODEL}",
                    cells=CELLS, methods=METHODS, seeds=SEEDS,
                    budget_note=BUDGET_NOTE, paper_rows={MODEL: PAPER_ROWS[MODEL]},
                    curvature=dict(samples=500, tol=1e-2, n_vectors=1, steps=20, max_hvp=40, seeds=SEEDS),
                    flag="vit-detector")
