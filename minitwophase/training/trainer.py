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

Resumable: ``Training`` holds one run's live objects; its ``state_dict`` between two epochs
is everything the next epoch reads, so ``train(..., resume=state)`` continues bit for bit
(``checkpoint=`` writes it every K epochs: checkpoint.py). A probe with ``state_dict()`` and
``load_state_dict(state, objective)`` (CurvatureProbe) is part of the state, matched by kind
and order on resume; other probes start afresh.
"""
from __future__ import annotations

import copy
import time
from dataclasses import asdict, replace

import numpy as np

from ..nn.losses import LOSSES
from ..swap import make_detector
from .config import TrainConfig
from .curvature_probe import CheckpointProbe, CurvatureProbe
from .history import Run
from .checkpoint import config_differences
from .methods import METHODS, at_split, at_swap
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


def train(net, data, config=None, progress=None, on_minibatch=None, probes=(), checkpoint=None,
          resume=None, **overrides):
    """Train ``net`` on ``data`` (a datasets.Dataset) by ``config.method``; returns a Run.

    NaN/inf, or a loss above DIVERGENCE_FACTOR x the initial one, ends the run with status
    "diverged", Ctrl-C with "interrupted" (also while the run is being finished, after its
    last epoch); either way the rows so far and the best parameters are kept (statuses:
    history.STATUSES). Hooks: see the module docstring.

    The config is checked here, once, unless it comes checked (``Experiment.run_config``);
    ``overrides`` replace fields of ``config`` (a new config, so checked).

    ``checkpoint``: a callable ``checkpoint(state)`` with an int attribute ``every``
    (checkpoint.Checkpointer): called with the run's state (``Training.state_dict``) after
    every ``every``-th epoch and after the last one (not after a divergence or a Ctrl-C).
    ``resume``: such a state (checkpoint.load_checkpoint): the run continues from its epoch,
    bit for bit as if it had never stopped. Its config must equal ``config`` but for
    ``epochs`` (the run is extended or cut; fixed-split keeps its split epoch) or, starting
    another method from the state (``checkpoint.branch_config``), ``method`` and
    ``split_epoch``: the state must then be a prefix of that method's run (checked here).
    Without ``split_epoch`` a resumed fixed-split run keeps the state's split epoch.
    """
    cfg = _checked_config(config, overrides)
    if resume is not None and cfg.split_epoch is None and uses_split(cfg.method):
        cfg = replace(cfg, split_epoch=resume["split_epoch"])   # fixed at the run's start
    training = Training(net, data, cfg, progress, on_minibatch, probes)
    if resume is not None:
        training.load_state_dict(resume)
    return training.run(checkpoint)


class Training:
    """One run's live objects (the objective and its ledger, theta, the phases, the swap check,
    the record) and where it stands (``epoch``, ``stage`` of the schedule); ``run`` trains to
    ``config.epochs``. ``state_dict`` / ``load_state_dict``: all of it between two epochs."""

    def __init__(self, net, data, cfg, progress=None, on_minibatch=None, probes=()):
        self.net, self.data, self.cfg = net, data, cfg
        self.objective = Objective(net, data.X_train, data.y_train, cfg.loss, cfg.chunk_size,
                                   1.0 if cfg.backward_ratio is None else cfg.backward_ratio)
        self.theta = cfg.initial_theta(net)
        self.run_record = Run(method=cfg.method, seed=cfg.seed, config=asdict(cfg))
        self.probes = tuple(probes) + _config_probes(cfg)
        self.check = SwapCheck(make_detector(cfg.swap_mode, cfg.swap_factor), cfg.check_every,
                               cfg.gradnorm_every)
        self.schedule = METHODS[cfg.method].schedule
        self.phases = {name: PHASES[name](cfg, self.objective, self.check, on_minibatch)
                       for name, _ in self.schedule}
        self.record = Recorder(self.run_record, net, data, self.objective, cfg.loss, self.theta,
                               progress, self.probes)
        self.epoch, self.stage = None, 0          # None: epoch 0 not evaluated yet

    def run(self, checkpoint=None):
        run, cfg, schedule, record = self.run_record, self.cfg, self.schedule, self.record
        if self.epoch is not None and run.status != "running":
            return self._finish_run()             # a saved run that had stopped: nothing to do
        with np.errstate(over="ignore", invalid="ignore"):
            try:
                if self.epoch is None:
                    f, g = self.objective(self.theta)
                    record(0, "init", self.theta, f, float(np.linalg.norm(g)))
                    self.epoch = 0
                    while self.stage + 1 < len(schedule) and schedule[self.stage][1](0, False, cfg):
                        self._leave(None)                # a phase of zero epochs (split 0)
                f0 = run.rows[0]["train_loss"]
                for epoch in range(self.epoch + 1, cfg.epochs + 1):
                    name, ends = schedule[self.stage]
                    start = time.perf_counter()
                    out = self.phases[name].run(self.theta, epoch, stop_at_swap=ends is at_swap)
                    record.clock += time.perf_counter() - start
                    self.theta = out.theta
                    leave = self.stage + 1 < len(schedule) and ends(epoch, out.swapped, cfg)
                    if out.f is not None:
                        record(epoch, name, self.theta, out.f, out.grad_norm, out.cg_record, leave)
                        check_divergence(out.f, f0, epoch)
                    if leave:
                        self._leave(epoch)
                    self.epoch = epoch
                    if out.done:
                        run.status, run.message = out.status, f"{self.phases[name].LABEL} stopped in epoch {epoch}: {out.message}"
                    elif epoch == cfg.epochs:
                        run.status, run.message = "completed", f"all {cfg.epochs} epochs run"
                    if checkpoint is not None and (epoch % checkpoint.every == 0 or run.status != "running"):
                        checkpoint(self.state_dict())
                    if out.done:
                        break
                else:
                    run.status, run.message = "completed", f"all {cfg.epochs} epochs run"
            except FloatingPointError as exc:
                run.status, run.message = "diverged", str(exc) + "; keeping the best parameters seen"
            except KeyboardInterrupt:
                run.status, run.message = "interrupted", f"interrupted (Ctrl-C or SIGTERM) after {len(run.rows) - 1} epoch(s)"
            return self._finish_run()

    def _leave(self, epoch):
        """The schedule's next step takes over after ``epoch`` (None: before epoch 1)."""
        run = self.run_record
        self.stage += 1
        _hand_over(self.phases, self.schedule, self.stage)
        if epoch is not None:
            run.swap_epoch = epoch if run.swap_epoch is None else run.swap_epoch
            self.check.at_swap()                      # the peak the swap was judged on
            record_peaks(run, self.check)             # for the swap line; redone at the end

    def _finish_run(self):
        run, theta = self.run_record, self.theta
        try:        # the finishing step is protected too: a signal here keeps the rows and theta
            _finish(run, self.net, self.data, self.check, theta, self.record.best, self.cfg.loss)
        except KeyboardInterrupt:
            _interrupted_while_finishing(run, theta, self.record.best)
            return run
        try:
            for p in self.probes:                     # e.g. the curvature at the end
                if hasattr(p, "finish"):
                    p.finish(run)
        except KeyboardInterrupt:                     # training is complete: keep it, stop the rest
            run.status, run.message = "interrupted", run.message + "; interrupted in the final diagnostics"
        return run

    # ------------------------------------------------------------ saving and restoring
    def state_dict(self):
        """Everything needed to continue after ``self.epoch`` bit for bit (copies): the
        config, theta, the schedule's stage, each phase's state, the swap check, the ledger
        and its cache, the rows and the best parameters. checkpoint.py writes it to a file."""
        run, best = self.run_record, self.record.best
        return {"config": asdict(self.cfg), "epoch": self.epoch, "stage": self.stage,
                "split_epoch": self.cfg.adam_epochs, "theta": self.theta.copy(),
                # the phases still to run (the schedule is one-way: a phase left is never read again)
                "phases": {name: self.phases[name].state_dict() for name, _ in self.schedule[self.stage:]},
                "check": self.check.state_dict(), "objective": self.objective.state_dict(),
                "clock": self.record.clock, "best": [best[0], best[1].copy(), best[2]],
                # probes that measure along the run (CurvatureProbe), in the order they run
                "probes": [[type(p).__name__, p.state_dict()] for p in self._stateful_probes()],
                "run": {"rows": [dict(r) for r in run.rows], "swap_epoch": run.swap_epoch,
                        "status": run.status, "message": run.message,
                        "curvature": copy.deepcopy(run.curvature),
                        "swap_curvature": copy.deepcopy(run.swap_curvature),
                        "checkpoints": None if run.checkpoints is None else
                        {str(e): t.copy() for e, t in run.checkpoints.items()}}}

    def _stateful_probes(self):
        return [p for p in self.probes if hasattr(p, "state_dict")]

    def _load_probes(self, saved, saved_run):
        """The measuring probes' states, matched by kind and order, and the run's measurements."""
        probes = self._stateful_probes()
        given, kept = [type(p).__name__ for p in probes], [name for name, _ in saved]
        if given != kept:
            raise ValueError(f"the measuring probes differ from the saved run's: {kept or 'none'} saved, "
                             f"{given or 'none'} given (e.g. curvature_every)")
        for probe, (_, probe_state) in zip(probes, saved):
            probe.load_state_dict(probe_state, self.objective)
        run = self.run_record
        run.curvature = copy.deepcopy(saved_run.get("curvature"))
        run.swap_curvature = copy.deepcopy(saved_run.get("swap_curvature"))

    def load_state_dict(self, state):
        """Continue from ``state`` (see ``train``'s ``resume``). A state of another method
        (a phase started from a checkpoint) joins this method's schedule at its epoch."""
        saved = state["config"]
        branch = saved["method"] != self.cfg.method
        allowed = ("epochs", "split_epoch") + (("method",) if branch else ())
        for name, was, now in config_differences(saved, asdict(self.cfg), allowed):
            raise ValueError(f"{name} differs from the saved run's: {was!r} saved, {now!r} given")
        if state["epoch"] > self.cfg.epochs:
            raise ValueError(f"epochs must be at least the saved run's epoch {state['epoch']}, "
                             f"got {self.cfg.epochs}")
        if not branch and uses_split(self.cfg.method) and self.cfg.adam_epochs != state["split_epoch"]:
            raise ValueError(f"split_epoch must stay the saved run's {state['split_epoch']} (its "
                             f"Adam phase), got {self.cfg.adam_epochs}")
        self.epoch, self.theta = state["epoch"], np.array(state["theta"], dtype=float)
        self.stage = 0 if branch else state["stage"]
        if branch:
            check_prefix(state, self.cfg)
        for name, phase_state in state["phases"].items():
            if name in self.phases:
                self.phases[name].load_state_dict(phase_state)
        self.check.load_state_dict(state["check"])
        self.objective.load_state_dict(state["objective"])
        run, saved_run = self.run_record, state["run"]
        run.rows = [dict(r) for r in saved_run["rows"]]
        run.swap_epoch = saved_run["swap_epoch"]
        run.status, run.message = saved_run["status"], saved_run["message"]
        if not branch:              # a phase from a checkpoint measures afresh (that run was another method)
            self._load_probes(state.get("probes", []), saved_run)
        if saved_run["checkpoints"] is not None:
            run.checkpoints = {int(e): np.array(t) for e, t in saved_run["checkpoints"].items()}
        f, theta, epoch = state["best"]
        self.record.best, self.record.clock = (f, np.array(theta, dtype=float), epoch), state["clock"]
        if run.status == "completed" and self.epoch < self.cfg.epochs:
            run.status, run.message = "running", ""      # extended: it goes on
        if run.swap_epoch is not None:
            record_peaks(run, self.check)
        if branch and self.epoch > 0:                     # this method's decision after epoch E
            name, ends = self.schedule[0]
            if self.stage + 1 < len(self.schedule) and ends(self.epoch, self.check.detector.swapped, self.cfg):
                self._leave(self.epoch)
        return self


def uses_split(method):
    """Whether the method's schedule leaves a phase at the split epoch (fixed-split)."""
    return any(ends is at_split for _, ends in METHODS[method].schedule)


def check_prefix(state, cfg):
    """A run of ``cfg.method`` would have recorded exactly the saved rows: the saved run is in
    its first phase, of the same kind, and the new schedule stays in that phase through every
    earlier epoch. ValueError naming the method otherwise."""
    saved, schedule = state["config"]["method"], METHODS[cfg.method].schedule
    saved_first = METHODS[saved].schedule[0][0]
    if state["stage"] != 0 or schedule[0][0] != saved_first:
        raise ValueError(f"method {cfg.method!r} cannot start from a checkpoint of {saved!r} at "
                         f"epoch {state['epoch']}: the saved run is not in a {schedule[0][0]} phase "
                         f"that {cfg.method!r} starts with")
    det, epochs = state["check"]["detector"], state["check"]["epochs"]
    swap_at = None if det["swap_index"] is None else epochs[det["swap_index"]]
    ends = schedule[0][1]
    for e in range(0, state["epoch"]):
        swapped = swap_at is not None and swap_at <= e
        if len(schedule) > 1 and ends(e, swapped, cfg):
            raise ValueError(f"method {cfg.method!r} would have left {schedule[0][0]} after epoch "
                             f"{e}, before the checkpoint's epoch {state['epoch']}: the saved run "
                             "is not its prefix")


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
