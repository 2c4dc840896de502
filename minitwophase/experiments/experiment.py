"""A comparison: every method x seed trained on one data set with one shared configuration.

``Experiment`` holds everything needed to repeat a comparison (its fields are named exactly
as the command-line flags, so ``command_line()`` is the equivalent ``minitwophase run``).
``validate`` checks every option once, before any data is loaded, and returns a resolved copy
that is not checked again. ``load_data`` loads the data once; ``run_experiment`` builds a fresh
model per run and calls ``training.train``. Runs go seed by seed (all methods of seed 0, then
seed 1, ...) so that a Ctrl-C leaves complete comparisons for the seeds already done.

One ``Outcome`` describes a comparison from its first row on: each run is put in
``outcome.runs`` at its first recorded row (before the caller's progress hook sees it), so the
live writer, the final files and the caller all read the same runs. Ctrl-C stops the loop: the
finished runs and the interrupted one (status "interrupted", its rows so far) are kept.

Layer: experiments (above training/ and models.py); map: docs/architecture.md.
"""
from __future__ import annotations

import math
import shlex
import time
from dataclasses import asdict, dataclass, field, replace

from .. import datasets
from .._validate import choice, positive_int
from ..datasets.dataset import check_val_fraction
from ..models import (ACTIVATIONS, DEFAULT_ACTIVATION, DEFAULT_HEAD, backward_ratio, build_model, check_head,
                      layout_for, parse_model)
from ..training import METHODS, TrainConfig, train

# TrainConfig fields that vary per run rather than being shared by the comparison.
PER_RUN = ("method", "seed")


@dataclass
class Experiment:
    dataset: str = "mnist5k"
    model: str = "mlp"
    activation: str | None = None          # None: the model's default (tanh MLP, ReLU CNN)
    head: str = DEFAULT_HEAD               # output head: "linear" or "softmax" (models.py)
    val_fraction: float | None = None      # None: the loader's default split
    data_seed: int = 0                     # seed of the train/validation split
    methods: tuple = ("adam", "adam+cg")
    seeds: tuple = (0,)
    train: TrainConfig = field(default_factory=TrainConfig)   # method and seed are ignored

    def validate(self):
        """Check every option before any data is loaded; returns a resolved copy (a copy
        returned by validate is returned as it is: each option is checked once)."""
        if getattr(self, "_checked", False):
            return self
        if not isinstance(self.dataset, str):
            raise TypeError(f"dataset must be a str such as 'mnist5k', got {type(self.dataset).__name__}")
        kind, _ = parse_model(self.model)
        activation = DEFAULT_ACTIVATION[kind] if self.activation is None else self.activation
        choice(activation, "activation", ACTIVATIONS)
        check_val_fraction(self.val_fraction, allow_none=True)
        positive_int(self.data_seed, "data_seed", minimum=0)
        methods, seeds = tuple(self.methods), tuple(self.seeds)
        if not methods:
            raise ValueError(f"methods must name at least one of {list(METHODS)}, got none")
        for m in methods:
            choice(m, "method", METHODS)
        if len(set(methods)) != len(methods):
            raise ValueError(f"methods must not repeat, got {list(methods)}")
        if not seeds:
            raise ValueError("seeds must hold at least one seed, got none")
        for s in seeds:
            positive_int(s, "seed", minimum=0)
        if len(set(seeds)) != len(seeds):
            raise ValueError(f"seeds must not repeat, got {list(seeds)}")
        train_cfg = replace(self.train, method=methods[0], seed=seeds[0]).validate()
        check_head(self.head, train_cfg.loss)
        if train_cfg.backward_ratio is None:     # price passes by the model's measured ratio
            train_cfg = replace(train_cfg, backward_ratio=backward_ratio(self.model))
        resolved = replace(self, activation=activation, methods=methods, seeds=seeds, train=train_cfg)
        resolved._checked = True        # not a field: replace() and from_dict() copies are rechecked
        return resolved

    def run_config(self, method, seed):
        """The TrainConfig of one run of a validated experiment: its shared options, checked
        in validate with every method and seed, so marked checked (train() takes it as is)."""
        if not getattr(self, "_checked", False):
            raise ValueError("run_config needs a validated experiment (call validate() first)")
        cfg = replace(self.train, method=method, seed=seed)
        cfg._checked = True
        return cfg

    def to_dict(self):
        d = asdict(self)
        d["methods"], d["seeds"] = list(self.methods), list(self.seeds)
        d["train"] = {k: v for k, v in d["train"].items() if k not in PER_RUN}
        return d

    @classmethod
    def from_dict(cls, d):
        d = dict(d)
        d["train"] = TrainConfig(**d.get("train", {}))
        d["methods"], d["seeds"] = tuple(d["methods"]), tuple(d["seeds"])
        return cls(**d)

    def command_line(self):
        """The ``minitwophase run`` command that repeats this experiment exactly."""
        options = {k: v for k, v in self.to_dict().items() if k != "train"}
        options.update(self.to_dict()["train"])
        words = ["minitwophase", "run"]
        for key, value in options.items():
            if value is None:
                continue
            if isinstance(value, list):
                value = ",".join(str(v) for v in value)
            elif isinstance(value, float):
                value = repr(value)             # repr round-trips a float exactly
            words += ["--" + key.replace("_", "-"), str(value)]
        return shlex.join(words)


@dataclass
class Outcome:
    """What a comparison produced: the runs in order, and how it ended. The one record of a
    comparison: run_experiment fills it, the live writer and the final files read it."""
    experiment: Experiment
    dataset: str                    # the loaded data set's description
    runs: list = field(default_factory=list)
    interrupted: bool = False       # Ctrl-C or SIGTERM cut the comparison (or its writing) short
    wall_time: float = 0.0          # seconds for the whole comparison, evaluation included
    ended: str = ""                 # how it ended, in words ("SIGTERM while drawing the figures")
    error: str | None = None        # why the files could not all be written (a full disk)
    checkpoints: dict | None = None  # {"every", "keep", "folder"} when runs were checkpointed
    origin: str | None = None       # "resumed from DIR" / "started from FILE at epoch E"


def load_data(experiment):
    """The experiment's data set in the layout its model needs (errors as datasets.load)."""
    return datasets.load(experiment.dataset, layout=layout_for(experiment.model),
                         val_fraction=experiment.val_fraction, seed=experiment.data_seed)


def build_net(experiment, data):
    """The experiment's network for the data (errors as models.build_model). One network
    serves every run: it holds no parameters (theta is the run's, from its seed)."""
    return build_model(experiment.model, data.image_shape, data.n_classes, experiment.activation,
                       head=experiment.head)


def run_experiment(experiment, data=None, progress=None, log=None, progress_every=10, outcome=None,
                   net=None, checkpoint=None, resume=None, probes=None):
    """Train every method x seed; returns the Outcome (also after Ctrl-C).

    progress(run, row): called after every epoch, once ``run`` is in ``outcome.runs`` (a
    KeyboardInterrupt it raises stops the comparison like Ctrl-C). log(line): receives the
    progress lines, every ``progress_every`` epochs, at the swap and at the end of each run;
    None for silence. outcome: an Outcome to fill (the caller's live writer reads it);
    default a new one. net: the network (``build_net``), if the caller built it already.
    checkpoint(method, seed): the run's checkpoint hook (training.checkpoint.Checkpointer) or
    None. resume: {(method, seed): (state, where)}: those runs continue from their saved state
    (training.train's ``resume``; ``where`` names it in the log line).
    probes(method, seed) -> the training probes of that run (trainer.py: a probe keeps state,
    so each run gets its own); None: none.
    """
    experiment = experiment.validate()
    progress_every = positive_int(progress_every, "progress_every")
    data = load_data(experiment) if data is None else data
    if outcome is None:
        outcome = Outcome(experiment, data.description)
    start = time.perf_counter()
    try:
        net = build_net(experiment, data) if net is None else net
        for seed in experiment.seeds:
            for method in experiment.methods:
                callback = progress_callback(progress, log, progress_every, outcome.runs)
                state, where = (resume or {}).get((method, seed), (None, None))
                if state is not None and log is not None:
                    how = "resumed" if state["config"]["method"] == method else "started"
                    log(f"[{method} seed {seed}] {how} from epoch {state['epoch']} of {where}")
                run = train(net, data, config=experiment.run_config(method, seed), progress=callback,
                            checkpoint=None if checkpoint is None else checkpoint(method, seed),
                            resume=state, probes=() if probes is None else tuple(probes(method, seed)))
                if not any(r is run for r in outcome.runs):     # a run stopped before its first row
                    outcome.runs.append(run)
                if log is not None:
                    log(final_line(run))
                if run.status == "interrupted":     # train() caught the Ctrl-C itself
                    raise KeyboardInterrupt
    except KeyboardInterrupt:
        outcome.interrupted = True
    finally:
        outcome.wall_time = time.perf_counter() - start
        for run in outcome.runs:        # cut off between its rows and its return (a second signal)
            if run.status == "running":
                run.status, run.message = "interrupted", (
                    f"interrupted after {max(len(run.rows) - 1, 0)} epoch(s), before the run was finished")
    return outcome


def progress_callback(progress, log, every, runs=None):
    """train()'s progress hook: ``run`` into ``runs`` at its first row, a line to ``log`` every
    ``every`` epochs and at the swap, then ``progress``."""
    def callback(run, row):
        if runs is not None and not (runs and runs[-1] is run):
            runs.append(run)
        if log is not None:
            epoch = row["epoch"]
            if row["phase"] in SECOND and (len(run.rows) < 2 or run.rows[-2]["phase"] != row["phase"]):
                log(swap_line(run))
            if epoch % every == 0 or epoch == run.config["epochs"]:
                log(progress_line(run, row))
        if progress is not None:
            progress(run, row)
    return callback


def _num(value, fmt):
    """A progress-line number: "-" where nothing was measured (e.g. |g| between --gradnorm-every
    epochs), "nan" where a measurement was not a number."""
    if value is None:
        return "-"
    return "nan" if isinstance(value, float) and math.isnan(value) else format(value, fmt)


def progress_line(run, row):
    """``[adam+cg seed 0] epoch  40/200  adam  loss 0.02345  |g| 1.23e-02  val acc 0.912 ...``"""
    total = run.config["epochs"]
    width = len(str(total))
    return (f"[{run.method} seed {run.seed}] epoch {row['epoch']:>{width}}/{total}  "
            f"{row['phase']:<4}  loss {_num(row['train_loss'], '.5f')}  "
            f"|g| {_num(row['grad_norm'], '.2e')}  val acc {_num(row['val_acc'], '.3f')}  "
            f"cost {row['cost']:.1f}  {row['wall_time']:.1f} s")


SECOND = {"cg": "CG", "pcg": "PCG", "lbfgs": "L-BFGS"}      # second phases: the swap line names them


def swap_line(run):
    """Announces the swap, with the peaks as the run's GradNormSummary words them (run.peaks,
    set by the trainer at the swap: the detector's peak and the largest epoch-end |g| up to it)."""
    adam = [r for r in run.rows if r["phase"] in ("adam", "sgd")]
    if not adam:
        return f"[{run.method} seed {run.seed}] CG from the start (no Adam phase)"
    last, peaks = adam[-1], run.peaks
    factor, smoothed = run.config["swap_factor"], run.config.get("swap_mode") == "smoothed"
    rule = (f"{'smoothed ' if smoothed else ''}{factor:g} rule: the check fell to <= {factor:g} x "
            "the detector peak")
    split = (f"fixed split {run.config['split']:g}" if run.config.get("split_epoch") is None
             else f"fixed split after epoch {run.config['split_epoch']}")
    why = {"adam+cg": rule, "adam+pcg": rule, "adam+lbfgs": rule,
           "fixed-split": split, "fixed-split-pcg": split}.get(run.method, "schedule")
    to = SECOND.get(run.rows[-1]["phase"], "CG")
    return (f"[{run.method} seed {run.seed}] swap to {to} after epoch {last['epoch']} ({why}; "
            f"{peaks.detector_words()}; {peaks.largest_words()})")


def final_line(run):
    """The run's outcome, then (indented, second line) its gradient-norm summary (run.peaks)."""
    last = run.rows[-1] if run.rows else {}
    line = (f"[{run.method} seed {run.seed}] {run.status}: {run.message}; "
            f"train loss {_num(last.get('train_loss'), '.5f')}, "
            f"val acc {_num(last.get('val_acc'), '.3f')}, {_num(last.get('wall_time'), '.1f')} s")
    peaks = run.peaks
    return line if peaks is None else f"{line}\n    {peaks.sentence()}"
