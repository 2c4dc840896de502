"""``TrainConfig``: every option of one training run, each checked here, once, where it enters.

Each check uses the rule of the object that will use the option, read from that object or
from its one table: methods from ``methods.METHODS``, losses from ``nn.losses.LOSSES``, the lr
from ``optim.Adam`` itself (lr >= 0), swap factor and mode from ``SwapDetector.check_options``,
betas from ``optim.cg_beta.BETAS``, line searches from ``optim.LINE_SEARCHES``, the gradient
tolerance with ``optim.NonlinearCG``'s bound (>= 0).
"""
from __future__ import annotations

from dataclasses import dataclass

from .._validate import choice, positive_int, real_number
from ..nn.losses import LOSSES
from ..optim import LINE_SEARCHES, Adam
from ..optim.cg_beta import BETAS
from ..swap import SwapDetector
from .methods import METHODS


@dataclass
class TrainConfig:
    method: str = "adam+cg"
    epochs: int = 100
    batch_size: int = 512
    lr: float = 1e-3
    loss: str = "mse"
    seed: int = 0
    swap_factor: float = 0.9
    swap_mode: str = "paper"
    split: float = 0.3
    cg_beta: str = "PR+"
    cg_line_search: str = "wolfe"
    cg_gtol: float = 1e-5
    chunk_size: int | None = None
    check_every: int | None = None    # None: check the swap rule once per epoch; K: every K Adam steps
    curvature_every: int | None = None  # None: off; K: Hessian extremes every K epochs, the swap, peak, end
    save_checkpoints: int | None = None  # None: off; K: keep theta every K epochs (run.checkpoints)

    def validate(self):
        choice(self.method, "method", METHODS)
        positive_int(self.epochs, "epochs")
        positive_int(self.batch_size, "batch_size")
        Adam(lr=self.lr)                  # Adam's own bound on lr (a plain object, no arrays)
        choice(self.loss, "loss", LOSSES)
        positive_int(self.seed, "seed", minimum=0)
        real_number(self.split, "split", low=0.0, high=1.0)
        if self.chunk_size is not None:
            positive_int(self.chunk_size, "chunk_size")
        if self.check_every is not None:
            positive_int(self.check_every, "check_every")
        for name in ("curvature_every", "save_checkpoints"):
            if getattr(self, name) is not None:
                positive_int(getattr(self, name), name)
        SwapDetector.check_options(self.swap_factor, self.swap_mode, "swap_factor", "swap_mode")
        choice(self.cg_beta, "cg_beta", BETAS)
        choice(self.cg_line_search, "cg_line_search", LINE_SEARCHES)
        real_number(self.cg_gtol, "cg_gtol", low=0.0)
        return self
