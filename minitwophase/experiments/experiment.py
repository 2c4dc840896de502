"""A comparison: every method x seed trained on one data set with one shared configuration.

``Experiment`` holds everything needed to repeat a comparison (its fields are named exactly
as the command-line flags, so ``command_line()`` is the equivalent ``minitwophase run``).
``load_data`` loads the data once; ``run_experiment`` builds a fresh model per run and calls
``training.train``. Runs go seed by seed (all methods of seed 0, then seed 1, ...) so that a
Ctrl-C leaves complete comparisons for the seeds already done. Ctrl-C stops the loop: the
finished runs and the interrupted one (status "interrupted", its rows so far) are kept.

Layer: experiments (above training/ and models.py); map: README "Where things go".
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
        """Check every option before any data is loaded; returns a resolved copy."""
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
        return replace(self, activation=activation, methods=methods, seeds=seeds, train=train_cfg)

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
    """What a comparison produced: the runs in order, and whether Ctrl-C cut it short."""
    experiment: Experiment
    dataset: str                    # the loaded data set's description
    runs: list
    interrupted: bool = False
    wall_time: float = 0.0          # seconds for the whole comparison, evaluation included


def load_data(experiment):
    """The experiment's data set in the layout its model needs (errors as datasets.load)."""
    return datasets.load(experiment.dataset, layout=layout_for(experiment.model),
                         val_fraction=experiment.val_fraction, seed=experiment.data_seed)


def run_experiment(experiment, data=None, progress=None, log=None, progress_every=10):
    """Train every method x seed; returns an Outcome (also after Ctrl-C).

    progress(run, row): called after every epoch (a KeyboardInterrupt it raises stops the
    comparison like Ctrl-C). log(line): receives the progress lines, every
    ``progress_every`` epochs, at the swap and at the end of each run; None for silence.
    """
    experiment = experiment.validate()
    progress_every = positive_int(progress_every, "progress_every")
    data = load_data(experiment) if data is None else data
    outcome = Outcome(experiment, data.description, [])
    start = time.perf_counter()
    try:
        for seed in experiment.seeds:
            for method in experiment.methods:
                net = build_model(experiment.model, data.image_shape, data.n_classes,
                                  experiment.activation, head=experiment.head)
                callback = progress_callback(progress, log, progress_every)
                run = train(net, data, config=experiment.train, progress=callback,
                            method=method, seed=seed)
                outcome.runs.append(run)
                if log is not None:
                    log(final_line(run))
                if run.status == "interrupted":     # train() caught the Ctrl-C itself
                    raise KeyboardInterrupt
    except KeyboardInterrupt:
        outcome.interrupted = True
    outcome.wall_time = time.perf_counter() - start
    return outcome


def progress_callback(progress, log, every):
    """train()'s progress hook: a line to ``log`` every ``every`` epochs and at the swap, then ``progress``."""
    def callback(run, row):
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
    return "nan" if value is None or (isinstance(value, float) and math.isnan(value)) else format(value, fmt)


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
    """Announces the swap, with the gradient-norm peak of the Adam phase (raw, full batch)."""
    adam = [r for r in run.rows if r["phase"] == "adam"]
    if not adam:
        return f"[{run.method} seed {run.seed}] CG from the start (no Adam phase)"
    last = adam[-1]
    peak = max(adam, key=lambda r: r["grad_norm"])
    rule = f"|g| {last['grad_norm']:.3g} <= {run.config['swap_factor']:g} x peak"
    every = run.config.get("check_every")
    if every:            # the rule's peak is over its checks, not over the epoch-end norms below
        rule += f" of the checks every {every} Adam steps"
    why = {"adam+cg": rule, "adam+pcg": rule, "adam+lbfgs": rule,
           "fixed-split": f"fixed split {run.config['split']:g}",
           "fixed-split-pcg": f"fixed split {run.config['split']:g}"}.get(run.method, "schedule")
    to = SECOND.get(run.rows[-1]["phase"], "CG")
    return (f"[{run.method} seed {run.seed}] swap to {to} after epoch {last['epoch']} ({why}; "
            f"largest epoch-end |g| {peak['grad_norm']:.3g} at epoch {peak['epoch']}, "
            f"loss {peak['train_loss']:.4g})")


def final_line(run):
    last = run.rows[-1] if run.rows else {}
    return (f"[{run.method} seed {run.seed}] {run.status}: {run.message}; "
            f"train loss {_num(last.get('train_loss'), '.5f')}, "
            f"val acc {_num(last.get('val_acc'), '.3f')}, {_num(last.get('wall_time'), '.1f')} s")
