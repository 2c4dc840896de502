"""``run --resume DIR`` and ``run --start-from FILE``: the experiment to run and the saved
states its runs continue from (training/checkpoint.py), worked out before any folder is
opened, each refusal one line (UsageError, exit 2).

--resume DIR       DIR/results.json gives the experiment, DIR/checkpoints/<method>_seed<seed>.npz
                   each run's latest state (a run without one starts from epoch 0, or from
                   the checkpoint its run was started from with --start-from). Only
                   --epochs (to extend: fixed-split keeps its split epoch) and the output
                   options may be given besides; any other option that differs from the saved
                   run's is refused, naming it. Every run already at --epochs (or stopped by
                   CG itself): "nothing to do", exit 0, no file touched.
--start-from FILE  one saved run (a checkpoint file, e.g. DIR/checkpoints/adam_seed0_epoch300.npz,
                   kept with --keep-checkpoints) at its epoch E; each of --methods continues
                   from it as if it had run from epoch 0: "adam" goes on, fixed-split and
                   fixed-split-pcg take over at --split-epoch (default E: CG or PCG from the
                   saved Adam state, PCG with M = diag(sqrt(v_hat) + eps) of that state). The
                   data, model and training options are the saved run's; --methods, --epochs,
                   --split-epoch, --out and the output options may be given.
Layer: cli.
"""
from __future__ import annotations

import json
import os
from dataclasses import asdict, replace
from pathlib import Path

from ..experiments.experiment import Experiment
from ..experiments.outdir import CHECKPOINTS
from ..experiments.report import RESULTS
from ..training.checkpoint import checkpoint_name, config_differences, load_checkpoint
from ..training.trainer import check_prefix, uses_split
from .options import UsageError

# Options that never change a run's numbers: they may differ from the saved run's.
OUTPUT_OPTIONS = ("progress_every", "quiet", "no_plots", "checkpoint_every", "keep_checkpoints",
                  "resume", "start_from")
# Experiment fields (the rest of the compared options are TrainConfig fields).
EXPERIMENT_FIELDS = ("dataset", "model", "activation", "head", "val_fraction", "data_seed",
                     "methods", "seeds")


def given_options(parser_factory, argv):
    """The options the user typed (dests): ``parser_factory()`` builds a fresh options.Parser
    of the verb, which reads ``argv`` again with every default suppressed."""
    return parser_factory().typed(argv)


def _saved_value(exp, dest):
    return getattr(exp, dest) if dest in EXPERIMENT_FIELDS else getattr(exp.train, dest)


def _words(value):
    return ",".join(map(str, value)) if isinstance(value, (list, tuple)) else str(value)


def refuse_changes(args, given, saved, allowed):
    """UsageError naming the first typed option whose value differs from the saved run's."""
    for dest in sorted(given - set(allowed) - set(OUTPUT_OPTIONS) - {"out", "command", "func"}):
        typed, was = getattr(args, dest), _saved_value(saved, dest)
        if config_differences({dest: was}, {dest: typed}):
            raise UsageError(f"--{dest.replace('_', '-')} differs from the saved run's: "
                             f"{_words(was)} saved, {_words(typed)} given")


def _load(path, flag):
    try:
        return load_checkpoint(path)
    except FileNotFoundError:
        raise UsageError(f"{flag} {path}: no such file") from None
    except (OSError, ValueError) as exc:
        raise UsageError(f"{flag} {exc}") from None


def _not_shortened(state, epochs, where):
    if state["epoch"] > epochs:
        raise UsageError(f"--epochs {epochs} is below epoch {state['epoch']} of {where}: a run "
                         "cannot be shortened")


def _start_from(folder, recorded):
    """The --start-from checkpoint a results.json records: relative to the run's folder, or
    (results written before that) absolute or relative to where the run was started."""
    if recorded is None:
        return None
    in_folder = Path(os.path.normpath(folder / recorded))
    return in_folder if in_folder.exists() else Path(recorded)


def plan_resume(args, given):
    """(experiment, {(method, seed): (state, DIR)}, checkpoint options, nothing_to_do)."""
    folder = Path(args.resume)
    if "out" in given:
        raise UsageError(f"--out cannot be given with --resume: the run continues in {folder}")
    try:
        doc = json.loads((folder / RESULTS).read_text())
        config = {k: v for k, v in doc["config"].items() if k != "command"}
        saved = Experiment.from_dict(config).validate()
    except FileNotFoundError:
        raise UsageError(f"--resume {folder}: no {RESULTS} there (not the output folder of a run)") from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise UsageError(f"--resume {folder}: cannot read its {RESULTS} ({exc})") from None
    saved_checkpoints = doc.get("checkpoints")
    if not saved_checkpoints:
        raise UsageError(f"--resume {folder}: the run was started without --checkpoint-every, so "
                         "there is nothing to resume from")
    refuse_changes(args, given, saved, allowed=("epochs",))
    epochs = args.epochs if "epochs" in given else saved.train.epochs
    train = replace(saved.train, epochs=epochs)
    if epochs != saved.train.epochs and train.split_epoch is None and any(map(uses_split, saved.methods)):
        train = replace(train, split_epoch=saved.train.adam_epochs)      # the split stays put
    exp = replace(saved, train=train).validate()
    states, done = {}, []
    for seed in exp.seeds:
        for method in exp.methods:
            path = folder / CHECKPOINTS / checkpoint_name(method, seed)
            if not path.exists():                       # never checkpointed: from its start
                start = _start_from(folder, saved_checkpoints.get("start_from"))
                if start is not None:                   # the checkpoint it was started from
                    states[(method, seed)] = (_load(start, "--resume: its --start-from"), start)
                done.append(False)
                continue
            state = _load(path, "--resume")
            differ = config_differences(state["config"], asdict(exp.run_config(method, seed)),
                                        allowed=("epochs", "split_epoch"))
            if differ:
                name, was, now = differ[0]
                raise UsageError(f"--resume {path} does not belong to the run in {folder / RESULTS} "
                                 f"({name}: {was!r} there, {now!r} in {RESULTS})")
            _not_shortened(state, epochs, f"{method} seed {seed} in {folder}")
            states[(method, seed)] = (state, folder)
            status = state["run"]["status"]
            done.append(status not in ("running", "completed") or state["epoch"] >= epochs)
    options = {"every": args.checkpoint_every if "checkpoint_every" in given else saved_checkpoints["every"],
               "keep": args.keep_checkpoints or bool(saved_checkpoints.get("keep")),
               "start_from": saved_checkpoints.get("start_from")}
    return exp, states, options, all(done)


def plan_start_from(args, given):
    """(experiment, {(method, seed): (state, FILE)}): each method from the saved state."""
    path = Path(args.start_from)
    state = _load(path, "--start-from")
    if "experiment" not in state:
        raise UsageError(f"--start-from {path}: the checkpoint does not record its data and model options")
    cfg = {k: v for k, v in state["config"].items() if k not in ("method", "seed")}
    saved = replace(Experiment.from_dict({**state["experiment"], "train": cfg}),
                    methods=(state["config"]["method"],), seeds=(state["config"]["seed"],)).validate()
    refuse_changes(args, given, saved, allowed=("epochs", "methods", "split_epoch"))
    epoch = state["epoch"]
    train = replace(saved.train, epochs=args.epochs if "epochs" in given else saved.train.epochs,
                    split_epoch=args.split_epoch if "split_epoch" in given else epoch)
    methods = args.methods if "methods" in given else saved.methods
    try:
        exp = replace(saved, methods=methods, train=train).validate()
    except (ValueError, TypeError) as exc:
        raise UsageError(str(exc)) from None
    _not_shortened(state, exp.train.epochs, str(path))
    seed = exp.seeds[0]
    for method in exp.methods:
        if method != state["config"]["method"]:
            try:
                check_prefix(state, exp.run_config(method, seed))
            except ValueError as exc:
                raise UsageError(f"--methods: {exc}") from None
    return exp, {(m, seed): (state, path) for m in exp.methods}


__all__ = ["given_options", "plan_resume", "plan_start_from", "refuse_changes"]
