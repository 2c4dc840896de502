"""The two-phase training loop (the paper's Algorithm 1) and the methods it is compared with.

  "adam"         Adam for every epoch (the detector still watches, for the plots).
  "adam+cg"      Adam until the SwapDetector fires, then nonlinear CG, one-way (Algorithm 1).
  "fixed-split"  Adam for round(split * epochs) epochs, then CG (the paper's experiments: 0.3).
  "cg"           CG from the first epoch.

Where the paper is silent we choose, and say so:
  - Adam runs on shuffled minibatches (default 512, the paper's); a fresh permutation per
    epoch from the run's seed, lr 1e-3. The seed also fixes theta_0, so "adam" and "adam+cg"
    with one seed are bit-identical up to the swap.
  - Once per epoch the detector sees the 2-norm of the gradient over the full training set
    (paid for in the cost, like everything else). It keeps recording in the CG phase (the
    swap is one-way, so this changes nothing) so that the single-peak safeguard
    (``Run.peak_report``) sees the whole run, as the paper's Fig. 5 does.
  - CG runs on the full training set, one iteration per epoch; its state (direction, previous
    gradient, restart bookkeeping) carries over between epochs (optim.NonlinearCG). Its first
    evaluation reuses the swap epoch's measurement, so it costs nothing extra.
  - Loss "mse", the paper's; "cross_entropy" is one option away.
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass

import numpy as np

from .._validate import choice, positive_int, real_number
from ..nn.losses import LOSSES
from ..optim import Adam
from ..optim.cg_beta import BETAS
from ..optim.nonlinear_cg import NonlinearCG
from ..swap import SwapDetector
from .history import Run
from .objective import Objective

METHODS = ("adam", "adam+cg", "fixed-split", "cg")


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

    def validate(self):
        choice(self.method, "method", METHODS)
        positive_int(self.epochs, "epochs")
        positive_int(self.batch_size, "batch_size")
        real_number(self.lr, "lr", low=0.0, low_open=True)
        choice(self.loss, "loss", LOSSES)
        positive_int(self.seed, "seed", minimum=0)
        real_number(self.split, "split", low=0.0, high=1.0)
        if self.chunk_size is not None:
            positive_int(self.chunk_size, "chunk_size")
        SwapDetector(self.swap_factor, mode=self.swap_mode)   # checks factor and mode
        choice(self.cg_beta, "cg_beta", BETAS)
        choice(self.cg_line_search, "cg_line_search", ("wolfe", "golden"))
        real_number(self.cg_gtol, "cg_gtol", low=0.0)
        return self


def evaluate(net, theta, X, y, loss):
    """(loss, accuracy) from one forward pass."""
    out = net.forward(theta, X)
    return LOSSES[loss](out, y)[0], float(np.mean(np.argmax(out, axis=1) == y))


def train(net, data, config=None, progress=None, on_minibatch=None, **overrides):
    """Train ``net`` on ``data`` (a datasets.Dataset) by ``config.method``; returns a Run.

    ``progress(run, row)``, if given, is called after every epoch;
    ``on_minibatch(epoch, index, loss, grad, theta)`` after every Adam step (the minibatch's
    sample indices, loss and gradient, and theta after the step; trace.py records it). Ctrl-C ends the run with
    status "interrupted"; NaN/inf ends it with "diverged"; either way the rows so far and the
    best parameters are kept.
    """
    cfg = (config or TrainConfig())
    cfg = TrainConfig(**{**asdict(cfg), **overrides}).validate()
    objective = Objective(net, data.X_train, data.y_train, cfg.loss, cfg.chunk_size)
    theta = net.init(seed=cfg.seed)
    shuffle = np.random.default_rng([cfg.seed, 1])          # independent of the init stream
    adam = Adam(lr=cfg.lr)
    detector = SwapDetector(cfg.swap_factor, mode=cfg.swap_mode)
    run = Run(method=cfg.method, seed=cfg.seed, config=asdict(cfg))
    adam_epochs = {"adam": cfg.epochs, "adam+cg": cfg.epochs, "cg": 0,
                   "fixed-split": round(cfg.split * cfg.epochs)}[cfg.method]
    cg, clock = None, 0.0
    best = (np.inf, theta.copy(), 0)

    def record(epoch, phase, f, gnorm, cg_rec=None):
        nonlocal best
        val_loss, val_acc = evaluate(net, theta, data.X_val, data.y_val, cfg.loss)
        row = dict(epoch=epoch, phase=phase, train_loss=f, grad_norm=gnorm, val_loss=val_loss,
                   val_acc=val_acc, cost=objective.cost, wall_time=clock, cg_alpha=None,
                   cg_beta=None, cg_restart=None, cg_nfev=None)
        if cg_rec is not None:
            row.update(cg_alpha=cg_rec.alpha, cg_beta=cg_rec.beta, cg_restart=cg_rec.restart,
                       cg_nfev=cg_rec.nfev)
        run.rows.append(row)
        if f < best[0]:
            best = (f, theta.copy(), epoch)
        if progress is not None:
            progress(run, row)

    phase = "adam" if adam_epochs > 0 else "cg"
    with np.errstate(over="ignore", invalid="ignore"):
        try:
            f, g = objective(theta)
            record(0, "init", f, float(np.linalg.norm(g)))
            for epoch in range(1, cfg.epochs + 1):
                start = time.perf_counter()
                if phase == "adam":
                    order = shuffle.permutation(objective.n)
                    for i in range(0, objective.n, cfg.batch_size):
                        index = order[i:i + cfg.batch_size]
                        f_batch, g_batch = objective.minibatch(theta, index)
                        if not np.all(np.isfinite(g_batch)):
                            raise FloatingPointError(f"a minibatch gradient turned NaN/inf in epoch {epoch}")
                        adam.step(theta, g_batch)
                        if on_minibatch is not None:
                            on_minibatch(epoch, index, f_batch, g_batch, theta)
                    f, g = objective(theta)
                    gnorm = float(np.linalg.norm(g))
                    if not (np.isfinite(f) and np.isfinite(gnorm)):
                        raise FloatingPointError(f"the training loss turned NaN/inf in epoch {epoch}")
                    swapped = detector.update(gnorm, loss=f)
                    clock += time.perf_counter() - start
                    record(epoch, "adam", f, gnorm)
                    if (cfg.method == "adam+cg" and swapped) or epoch == adam_epochs < cfg.epochs:
                        phase, run.swap_epoch = "cg", epoch
                        if detector.peak_index is not None:    # None: smoothed window not yet full
                            run.peak_epoch = detector.peak_index + 1   # the peak the swap was judged on
                    continue
                if cg is None:
                    cg = NonlinearCG(objective, theta, beta=cfg.cg_beta, line_search=cfg.cg_line_search,
                                     gtol=cfg.cg_gtol)
                rec = cg.step() if not cg.done else None
                theta = cg.x.copy()
                clock += time.perf_counter() - start
                if rec is not None:
                    detector.update(rec.gnorm, loss=cg.f)   # one-way: only extends the record
                    record(epoch, "cg", cg.f, rec.gnorm, rec)
                if cg.done:
                    run.status = {0: "converged", 1: "completed"}.get(cg.status, "cg failed")
                    run.message = f"CG stopped in epoch {epoch}: {cg.message}"
                    break
            else:
                run.status, run.message = "completed", f"all {cfg.epochs} epochs run"
        except FloatingPointError as exc:
            run.status, run.message = "diverged", str(exc) + "; keeping the best parameters seen"
        except KeyboardInterrupt:
            run.status, run.message = "interrupted", f"interrupted by the user after {len(run.rows) - 1} epoch(s)"
        _finish(run, net, data, detector, theta, best, cfg.loss)
    return run


def _finish(run, net, data, detector, theta, best, loss):
    run.best_epoch, run.best_theta = best[2], best[1]
    run.theta = theta if np.all(np.isfinite(theta)) else best[1]
    if run.peak_epoch is None and detector.peak_index is not None:
        run.peak_epoch = detector.peak_index + 1   # no swap: the largest norm of the run
    if detector.n_updates:
        run.peak_report = detector.peak_report(count_from=1, unit="epoch").to_dict()   # over every epoch after the first
    run.final_train_acc = evaluate(net, run.theta, data.X_train, data.y_train, loss)[1]
