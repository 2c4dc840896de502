"""``TrainConfig``: every option of one training run, each checked here, once, where it enters.

Each check uses the rule of the object that will use the option, read from that object or
from its one table: methods from ``methods.METHODS``, losses from ``nn.losses.LOSSES``, the lr
from ``optim.Adam`` itself (lr >= 0), swap factor and mode from ``SwapDetector.check_options``,
betas from ``optim.cg_beta.BETAS``, line searches from ``optim.LINE_SEARCHES``, the gradient
tolerance with ``optim.NonlinearCG``'s bound (>= 0), momentum from ``optim.SGD`` ([0, 1)),
the L-BFGS memory as ``optim.LBFGS``'s m (>= 1), init_scale > 0, backward_ratio > 0 (or None).
"""
from __future__ import annotations

from dataclasses import dataclass

from .._validate import choice, name_choice, positive_int, real_number
from ..nn.losses import LOSSES
from ..optim import LINE_SEARCHES, SGD, Adam
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
    # fixed-split's last Adam epoch; None: round(split x epochs). Set when a run is extended
    # (--resume with more --epochs) or started from a checkpoint (--start-from), so the split
    # stays where the run was started with it.
    split_epoch: int | None = None
    cg_beta: str = "PR+"
    cg_line_search: str = "wolfe"
    cg_gtol: float = 1e-5
    chunk_size: int | None = None
    check_every: int | None = None    # None: check the swap rule once per epoch; K: every K Adam steps
    # None (= 1): the full-batch gradient after every Adam epoch; K: after every K-th only
    # (the other rows: the loss from a forward pass, grad_norm None; phases.AdamPhase)
    gradnorm_every: int | None = None
    momentum: float = 0.9             # method "sgd" (optim.SGD)
    lbfgs_memory: int = 10            # method "adam+lbfgs": pairs (s, y) kept (optim.LBFGS's m)
    # theta_0 = init_scale x net.init(seed). The paper says only "small random values" and
    # names no scheme; 1.0 keeps the standard Glorot/He draws (Keras, the framework only the
    # companion paper names, draws Glorot by default); a smaller scale is one option away.
    init_scale: float = 1.0
    # Price of a backward pass in forward passes (objective.py's cost); None: 1.0 in a bare
    # train(), the model's measured ratio (models.BACKWARD_RATIO) through an Experiment.
    backward_ratio: float | None = None
    curvature_every: int | None = None  # None: off; K: Hessian extremes every K epochs, the swap, peak, end
    save_checkpoints: int | None = None  # None: off; K: keep theta every K epochs (run.checkpoints)

    @property
    def adam_epochs(self):
        """fixed-split's last Adam epoch: split_epoch, else round(split x epochs)."""
        return round(self.split * self.epochs) if self.split_epoch is None else self.split_epoch

    def initial_theta(self, net):
        """theta_0 of a run: the network's seeded initialisation, scaled (exactly so at 1.0)."""
        theta = net.init(seed=self.seed)
        if self.init_scale != 1.0:
            theta *= self.init_scale
        return theta

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
        for name in ("check_every", "gradnorm_every"):
            if getattr(self, name) is not None:
                positive_int(getattr(self, name), name)
        if self.split_epoch is not None:
            positive_int(self.split_epoch, "split_epoch", minimum=0)
        for name in ("curvature_every", "save_checkpoints"):
            if getattr(self, name) is not None:
                positive_int(getattr(self, name), name)
        SwapDetector.check_options(self.swap_factor, self.swap_mode, "swap_factor", "swap_mode")
        self.cg_beta = name_choice(self.cg_beta, "cg_beta", BETAS)          # any case, as
        self.cg_line_search = name_choice(self.cg_line_search, "cg_line_search", LINE_SEARCHES)  # minimize_cg
        real_number(self.cg_gtol, "cg_gtol", low=0.0)
        SGD(lr=self.lr, momentum=self.momentum)       # SGD's own bounds (momentum in [0, 1))
        positive_int(self.lbfgs_memory, "lbfgs_memory")
        real_number(self.init_scale, "init_scale", low=0.0, low_open=True)
        if self.backward_ratio is not None:
            real_number(self.backward_ratio, "backward_ratio", low=0.0, low_open=True)
        return self
