"""The training loop: a method's schedule of phases run epoch by epoch (the paper's Algorithm 1
when the method is "adam+cg"). Methods: methods.py; phases: phases.py; options: config.py.

Where the paper is silent we choose, and say so:
  - Adam runs on shuffled minibatches (default 512, the paper's); a fresh permutation per
    epoch from the run's seed, lr 1e-3. The seed also fixes theta_0, so "adam" and "adam+cg"
    with one seed are bit-identical up to the swap.
  - Once per epoch the swap rule sees the 2-norm of the gradient over the full training set
    (paid for in the cost, like everything else); ``check_every=K`` checks after every K Adam
    steps instead (each check paid for). It keeps recording in the CG phase (the swap is
    one-way, so this changes nothing). ``Run.grad_norm_summary`` (peaks.GradNormSummary) reads
    the gradient-norm history once: the rule's peak as judged at the swap, the largest
    epoch-end norm up to it, and the single-peak check over every epoch.
  - CG runs on the full training set, one iteration per epoch, its state carried across epochs.
  - Loss "mse", the paper's; "cross_entropy" is one option away.

Hooks: ``progress(run, row)`` after every row; ``on_minibatch(epoch, index, loss, grad, theta)``
after every Adam step (trace.py records it); ``probes``: callables
``probe(epoch, theta, objective, run, swapped)`` after every row (epoch 0 included; ``swapped``
is True at the epoch after which the method leaves its first phase). A probe is a diagnostic:
its time is not in ``wall_time``, and it must pay for its own passes over data with its own
counter (``objective.spawn()``: a fresh ledger on the same data and pricing) and
store them in its own row keys, never through ``objective``, whose count is the method's cost.
A probe with a ``finish(run)`` method is called once more after the run. ``curvature_every``
and ``save_checkpoints`` add the probes of curvature_probe.py.
"""
from __future__ import annotations

import time
from dataclasses import asdict, replace

import numpy as np

from ..nn.losses import LOSSES
from ..swap import make_detector
from .config import TrainConfig
from .curvature_probe import CheckpointProbe, CurvatureProbe
from .history import Run
from .methods import METHODS, at_swap
from .objective import Objective
from .phases import PHASES, SwapCheck

# The blow-up rule: a run has diverged once its full-batch training loss is non-finite or
# exceeds DIVERGENCE_FACTOR x its initial loss (a lr of 1e6 reaches ~1e13 x without a NaN).
DIVERGENCE_FACTOR = 1e6


def check_divergence(f, f0, epoch):
    if not np.isfinite(f):
        raise FloatingPointError(f"the training loss turned NaN/inf in epoch {epoch}")
    if f0 > 0 and f > DIVERGENCE_FACTOR * f0:
        raise FloatingPointError(f"the training loss {f:.3g} in epoch {epoch} exceeds "
                                 f"{DIVERGENCE_FACTOR:g} x the initial loss {f0:.3g}")


def evaluate(net, theta, X, y, loss):
    """(loss, accuracy) from one forward pass."""
    out = net.forward(theta, X)
    return LOSSES[loss](out, y)[0], float(np.mean(np.argmax(out, axis=1) == y))


class Recorder:
    """Appends one row per epoch, keeps the best parameters, calls the probes and progress."""

    def __init__(self, run, net, data, objective, loss, theta0, progress=None, probes=()):
        self.run, self.net, self.data, self.objective, self.loss = run, net, data, objective, loss
        self.progress, self.probes = progress, tuple(probes)
        self.clock = 0.0                                # seconds of training work
        self.best = (np.inf, theta0.copy(), 0)          # (train loss, theta, epoch)

    def __call__(self, epoch, phase, theta, f, gnorm, cg_rec=None, swapped=False):
        val_loss, val_acc = evaluate(self.net, theta, self.data.X_val, self.data.y_val, self.loss)
        row = dict(epoch=epoch, phase=phase, train_loss=f, grad_norm=gnorm, val_loss=val_loss,
                   val_acc=val_acc, cost=self.objective.cost, forward_passes=self.objective.forward_passes,
                   backward_passes=self.objective.backward_passes, macs=self.objective.macs,
                   wall_time=self.clock,
                   cg_alpha=None, cg_beta=None, cg_restart=None, cg_nfev=None)
        if cg_rec is not None:
            row.update(cg_alpha=cg_rec.alpha, cg_beta=cg_rec.beta, cg_restart=cg_rec.restart,
                       cg_nfev=cg_rec.nfev)
        self.run.rows.append(row)
        if f < self.best[0]:
            self.best = (f, theta.copy(), epoch)
        for probe in self.probes:
            probe(epoch, theta, self.objective, self.run, swapped)
        if self.progress is not None:
            self.progress(self.run, row)


def train(net, data, config=None, progress=None, on_minibatch=None, probes=(), **overrides):
    """Train ``net`` on ``data`` (a datasets.Dataset) by ``config.method``; returns a Run.

    NaN/inf, or a loss above DIVERGENCE_FACTOR x the initial one, ends the run with status
    "diverged", Ctrl-C with "interrupted" (also while the run is being finished, after its
    last epoch); either way the rows so far and the best parameters are kept (statuses:
    history.STATUSES). Hooks: see the module docstring.

    The config is checked here, once, unless it comes checked (``Experiment.run_config``);
    ``overrides`` replace fields of ``config`` (a new config, so checked).
    """
    cfg = _checked_config(config, overrides)
    objective = Objective(net, data.X_train, data.y_train, cfg.loss, cfg.chunk_size,
                          1.0 if cfg.backward_ratio is None else cfg.backward_ratio)
    theta = cfg.initial_theta(net)
    run = Run(method=cfg.method, seed=cfg.seed, config=asdict(cfg))
    probes = tuple(probes) + _config_probes(cfg)
    check = SwapCheck(make_detector(cfg.swap_mode, cfg.swap_factor), cfg.check_every)
    schedule = METHODS[cfg.method].schedule
    phases = {name: PHASES[name](cfg, objective, check, on_minibatch) for name, _ in schedule}
    record = Recorder(run, net, data, objective, cfg.loss, theta, progress, probes)
    with np.errstate(over="ignore", invalid="ignore"):
        try:
            f, g = objective(theta)
            record(0, "init", theta, f, float(np.linalg.norm(g)))
            stage = 0
            while stage + 1 < len(schedule) and schedule[stage][1](0, False, cfg):
                stage += 1                               # a phase of zero epochs (split 0)
                _hand_over(phases, schedule, stage)
            for epoch in range(1, cfg.epochs + 1):
                name, ends = schedule[stage]
                start = time.perf_counter()
                out = phases[name].run(theta, epoch, stop_at_swap=ends is at_swap)
                record.clock += time.perf_counter() - start
                theta = out.theta
                leave = stage + 1 < len(schedule) and ends(epoch, out.swapped, cfg)
                if out.f is not None:
                    record(epoch, name, theta, out.f, out.grad_norm, out.cg_record, leave)
                    check_divergence(out.f, f, epoch)
                if leave:
                    stage += 1
                    _hand_over(phases, schedule, stage)
                    run.swap_epoch = epoch if run.swap_epoch is None else run.swap_epoch
                    check.at_swap()                      # the peak the swap was judged on
                    record_peaks(run, check)             # for the swap line; redone at the end
                if out.done:
                    run.status, run.message = out.status, f"{phases[name].LABEL} stopped in epoch {epoch}: {out.message}"
                    break
            else:
                run.status, run.message = "completed", f"all {cfg.epochs} epochs run"
        except FloatingPointError as exc:
            run.status, run.message = "diverged", str(exc) + "; keeping the best parameters seen"
        except KeyboardInterrupt:
            run.status, run.message = "interrupted", f"interrupted (Ctrl-C or SIGTERM) after {len(run.rows) - 1} epoch(s)"
        try:        # the finishing step is protected too: a signal here keeps the rows and theta
            _finish(run, net, data, check, theta, record.best, cfg.loss)
        except KeyboardInterrupt:
            _interrupted_while_finishing(run, theta, record.best)
            return run
        try:
            for p in probes:                            # e.g. the curvature at the end
                if hasattr(p, "finish"):
                    p.finish(run)
        except KeyboardInterrupt:                       # training is complete: keep it, stop the rest
            run.status, run.message = "interrupted", run.message + "; interrupted in the final diagnostics"
    return run


def _checked_config(config, overrides):
    """The run's TrainConfig, checked once: as given if it comes checked and nothing overrides it."""
    cfg = config if config is not None else TrainConfig()
    if not overrides and getattr(cfg, "_checked", False):
        return cfg
    return replace(cfg, **overrides).validate()     # a copy: the caller's config is left as it is


def _interrupted_while_finishing(run, theta, best):
    """A signal during _finish: the parameters (finite ones) are kept; what was not computed
    (final train accuracy, peak report) stays None, and the status says so."""
    if run.best_theta is None:
        run.best_epoch, run.best_theta = best[2], best[1]
    if run.theta is None:
        run.theta = theta if np.all(np.isfinite(theta)) else best[1]
    done = f"{run.message}; " if run.message else ""
    run.status, run.message = "interrupted", f"{done}interrupted while the run was being finished"


def _hand_over(phases, schedule, stage):
    """The phase taking over at ``stage`` may read the state of the one before it (PCG reads
    Adam's second moments: phases.PCGPhase.take_over)."""
    taking = phases[schedule[stage][0]]
    if hasattr(taking, "take_over"):
        taking.take_over(phases[schedule[stage - 1][0]])


def _config_probes(cfg):
    """The diagnostics asked for in the config (curvature_probe.py)."""
    out = ()
    if cfg.curvature_every is not None:
        out += (CurvatureProbe(cfg.curvature_every, seed=cfg.seed),)
    if cfg.save_checkpoints is not None:
        out += (CheckpointProbe(cfg.save_checkpoints),)
    return out


def record_peaks(run, check):
    """The one reading of the run's gradient-norm history (peaks.GradNormSummary) from its rows
    and the swap check's record, stored as ``run.grad_norm_summary``; ``peak_epoch``,
    ``peak_passed`` and ``peak_report`` are copies of it for readers of earlier results."""
    summary = check.summary(run.rows, run.swap_epoch)
    run.grad_norm_summary = summary.to_dict()
    run.peak_epoch, run.peak_passed, run.peak_report = summary.detector_epoch, summary.peak_passed, summary.report
    return summary


def _finish(run, net, data, check, theta, best, loss):
    run.best_epoch, run.best_theta = best[2], best[1]
    run.theta = theta if np.all(np.isfinite(theta)) else best[1]
    record_peaks(run, check)
    run.final_train_acc = evaluate(net, run.theta, data.X_train, data.y_train, loss)[1]
    det = check.detector
    if getattr(det, "smoothed", None) is not None:
        run.smoothed_grad_norm = [[e, l, s] for e, l, s in zip(check.epochs, det.losses, det.smoothed)]
