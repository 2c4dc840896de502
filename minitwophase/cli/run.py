"""The ``run`` verb: train a comparison (methods x seeds) and write its results.

    minitwophase run [options]      train a comparison, write results to --out

Flags are named after the fields of experiments.experiment.Experiment and
training.TrainConfig, so a saved run's ``config.command`` repeats it exactly.
"""
from __future__ import annotations

import os
import shlex
import sys
import time
from pathlib import Path

from ..experiments.blas import repeat_command
from ..experiments.experiment import Experiment, Outcome, build_net, load_data, run_experiment
from ..experiments.outdir import CHECKPOINTS, OutputError, OutputFolder
from ..experiments.report import (HISTORY, PARAMS, RESULTS, SUMMARY, LiveWriter, drawn_figures,
                                  format_tables, summarize, write_figures, write_records,
                                  write_results_json, write_summary)
from ..training import METHODS, TrainConfig
from ..training.checkpoint import Checkpointer
from .options import (MAIN_JOB, PROG, HelpFormatter, Parser, UsageError, add_data_options, add_training_options,
                      headless, integer, integers, names, out_folder, positive_int, train_options)
from .resume import given_options, plan_resume, plan_start_from
from .signals import StopSignals

DEFAULT_OUT = "minitwophase-run"


def add_commands(subparsers):
    run = subparsers.add_parser(
        "run", formatter_class=HelpFormatter,
        help="train a comparison of methods and write results, figures and a summary",
        description="Train every method x seed with one shared configuration on one data set. "
        "Writes results.json (everything needed to repeat the run, incl. package versions and "
        "the equivalent command line), history.csv (one row per method/seed/epoch), params.npz "
        "(final and best parameters), three figures and summary.md (tables at equal epochs and "
        "at equal cost) into --out. Cost = epoch-equivalents of gradient evaluations over "
        "the training set, a forward pass priced 1/(1+r) and a backward pass r/(1+r) with r the "
        "model's measured backward/forward time ratio (--backward-ratio; CG line-search "
        "evaluations included). With no options (the main job): Adam vs Adam+CG vs Adam+PCG on "
        "the bundled MNIST-5k with a 784-128-10 tanh MLP, MSE on a softmax head's probabilities "
        "and initial scale 0.1, 200 epochs; --head linear --init-scale 1 gives the raw-output, "
        "standard-scale setting (the paper states neither).",
        epilog="history.csv and results.json (state \"running\") are written while training, "
        "so even a killed run keeps its history. Ctrl-C stops training (or the figures), writes "
        "what exists so far and exits 130; SIGTERM does the same and exits 143; a second signal "
        "while the files are written is recorded, never cuts them short. Every file is written "
        "by create-and-rename. Bad options or files: one error line, exit 2, before any folder "
        "is created. --out holds one run: an earlier run's results.json, history.csv, params.npz, "
        "summary.md and fig_*.png there are removed before the new run writes (other files are "
        "left alone); a folder another run is writing is refused. The repeat command starts with "
        "the BLAS thread count (e.g. OPENBLAS_NUM_THREADS=1): results differ in the last bits "
        "with another count.")
    add_data_options(run)
    train = run.add_argument_group("training")
    train.add_argument("--methods", type=names, default=MAIN_JOB["methods"], metavar="LIST",
                       help=f"comma-separated, from {', '.join(METHODS)}; adam+cg swaps by the "
                       "paper's gradient-norm rule, fixed-split after --split of the epochs")
    train.add_argument("--seeds", type=integers, default="0", metavar="LIST",
                       help="comma-separated seeds (initial weights and minibatch order)")
    add_training_options(train)
    train.add_argument("--chunk-size", type=integer, default=None, metavar="N",
                       help="process full-batch passes in chunks of N samples (bounds memory)")
    diag = run.add_argument_group("diagnostics (paid in diag_cost, never in the method's cost)")
    diag.add_argument("--curvature-every", type=integer, default=None, metavar="K",
                      help="measure the Hessian's lambda_min, lambda_max and negative spectral mass "
                      "every K epochs (epoch 0 included), at the largest epoch-end |g| up to the swap, at the swap and "
                      "at the end; adds history columns, a swap-time convex verdict and three figures")
    diag.add_argument("--save-checkpoints", type=integer, default=None, metavar="K",
                      help="also save theta every K epochs (epoch 0 included) to params.npz as "
                      "<method>_seed<seed>_epoch_<N>, for `minitwophase curvature`")
    ck = run.add_argument_group("checkpoints: resume a run, start a phase from a saved one")
    ck.add_argument("--checkpoint-every", type=integer, default=None, metavar="K",
                    help="save each run's whole state (theta, Adam's moments and step, the CG "
                    "direction, the swap rule, the minibatch generator, the rows, the cost ledger) "
                    "every K epochs and at its end to DIR/checkpoints/<method>_seed<seed>.npz, "
                    "replaced atomically; --resume continues from it")
    ck.add_argument("--keep-checkpoints", action="store_true",
                    help="also keep each checkpoint as <method>_seed<seed>_epoch<E>.npz (for "
                    "--start-from)")
    ck.add_argument("--resume", default=None, metavar="DIR",
                    help="continue the run saved in DIR (stopped, killed or finished) from each "
                    "run's latest checkpoint, to --epochs (default: the run's own); equal bit for "
                    "bit to an uninterrupted run on the same machine and thread count. Only "
                    "--epochs and output options may be given; fixed-split keeps its split epoch. "
                    "Nothing left to run: says so, exit 0")
    ck.add_argument("--start-from", default=None, metavar="FILE",
                    help="start each of --methods from a saved run's checkpoint at its epoch E "
                    "(e.g. DIR/checkpoints/adam_seed0_epoch300.npz): adam continues, fixed-split "
                    "and fixed-split-pcg take over with CG or PCG after epoch --split-epoch "
                    "(default E); the data, model and training options are the checkpoint's")
    out = run.add_argument_group("output")
    out.add_argument("--out", type=out_folder, default=DEFAULT_OUT, metavar="DIR",
                     help="output folder (created; an earlier run's files in it are removed first; "
                     "one run at a time: a second process is refused while the first holds it)")
    out.add_argument("--progress-every", type=positive_int, default=10, metavar="K",
                     help="print a progress line every K epochs (and at the swap)")
    out.add_argument("--quiet", action="store_true", help="no progress lines, only the final table")
    out.add_argument("--no-plots", action="store_true", help="skip the figures")
    run.set_defaults(func=cmd_run)


def _run_parser():
    """A parser of the ``run`` verb alone (for reading which options were typed)."""
    subparsers = Parser(prog=PROG).add_subparsers(dest="command", parser_class=Parser)
    add_commands(subparsers)
    return subparsers.choices["run"]


def experiment_from_args(args):
    train = TrainConfig(**train_options(args), chunk_size=args.chunk_size,
                        curvature_every=args.curvature_every, save_checkpoints=args.save_checkpoints)
    exp = Experiment(dataset=args.dataset, model=args.model, activation=args.activation, head=args.head,
                     val_fraction=args.val_fraction, data_seed=args.data_seed,
                     methods=args.methods, seeds=args.seeds, train=train)
    return exp.validate()


class Plan:
    """What the command will run: the experiment, the saved states its runs continue from,
    the checkpoint options, and (with --resume) whether anything is left to run."""

    def __init__(self, exp, states=None, checkpoints=None, nothing_to_do=False, origin=None):
        self.exp, self.states, self.checkpoints = exp, states or {}, checkpoints
        self.nothing_to_do, self.origin = nothing_to_do, origin


def _plan(args):
    typed = list(getattr(args, "argv", None) or [])
    given = given_options(_run_parser, typed[typed.index("run") + 1:] if "run" in typed else typed)
    if args.resume is not None and args.start_from is not None:
        raise UsageError("--resume and --start-from exclude each other")
    if args.checkpoint_every is not None and args.checkpoint_every < 1:
        raise UsageError(f"--checkpoint-every must be a positive integer, got {args.checkpoint_every}")
    if args.resume is not None:
        exp, states, options, nothing = plan_resume(args, given)
        return Plan(exp, states, options, nothing, f"resumed from {args.resume}")
    if args.keep_checkpoints and args.checkpoint_every is None:
        raise UsageError("--keep-checkpoints needs --checkpoint-every K")
    checkpoints = None
    if args.checkpoint_every is not None:
        checkpoints = {"every": args.checkpoint_every, "keep": args.keep_checkpoints,
                       # relative to the run's folder, so a moved or cloned tree still resumes
                       "start_from": None if args.start_from is None else
                       os.path.relpath(os.path.abspath(args.start_from), os.path.abspath(args.out))}
    if args.start_from is not None:
        exp, states = plan_start_from(args, given)
        return Plan(exp, states, checkpoints, origin=f"started from {args.start_from}")
    return Plan(experiment_from_args(args), checkpoints=checkpoints)


def _prepare(args):
    """Everything that can fail because of the user's options or files, before any folder
    exists: the options (checked once, in Experiment.validate), the saved states (--resume,
    --start-from), the data, the network for the data (built once here, used by every run)."""
    try:
        plan = _plan(args)
        exp = plan.exp
        if plan.nothing_to_do:
            return plan, None, None
        data = load_data(exp)
        net = build_net(exp, data)
    except (ValueError, TypeError, OSError) as exc:   # DatasetError is a ValueError
        message = str(exc)
        if message.startswith("model "):
            message = "--model " + message[len("model "):]
        raise UsageError(message) from None
    return plan, data, net


def cmd_run(args):
    """SIGTERM (``timeout``, a batch scheduler) is handled like Ctrl-C: training stops, what
    exists is written; exit 143 (128 + SIGTERM) instead of Ctrl-C's 130 (signals.py)."""
    with StopSignals() as stop:
        return _run(args, stop)


def _run(args, stop):
    say = (lambda line: None) if args.quiet else (lambda line: print(line, flush=True))
    try:
        with stop.armed():                      # nothing written yet: a signal just stops
            plan, data, net = _prepare(args)
    except KeyboardInterrupt:
        print(f"{PROG}: {stop.name} before training; nothing written", file=sys.stderr)
        return stop.code
    if plan.nothing_to_do:
        print(f"nothing to do: every run in {args.resume} has reached epoch {plan.exp.train.epochs} "
              "or stopped by itself (give --epochs N to extend it)")
        return 0
    exp = plan.exp
    out = args.resume if args.resume is not None else args.out
    command = repeat_command(exp)
    folder = OutputFolder(out, command=f"{command} --out {shlex.quote(out)}")
    try:                                        # deferred: created, locked and cleared, or refused
        # --resume: the run's checkpoints stay, and results.json and history.csv (rewritten at
        # once); its params, summary and figures are replaced at the end, removed until then
        removed = folder.open(keep=() if args.resume is None else (RESULTS, HISTORY, CHECKPOINTS))
    except OutputError as exc:
        raise UsageError(f"{'--resume' if args.resume is not None else '--out'} {exc}") from None
    outcome = Outcome(exp, data.description)
    if plan.checkpoints is not None:
        outcome.checkpoints = {**plan.checkpoints, "folder": CHECKPOINTS}
    outcome.origin = plan.origin
    try:
        return _train_and_write(args, stop, say, folder, outcome, removed, command, data, net, plan)
    except OutputError as exc:                  # e.g. a full disk: say so where it can be said
        _record_failure(outcome, folder, f"--out {exc}")
        raise UsageError(f"--out {exc}; {_kept(folder)}") from None
    except OSError as exc:                      # a figure that could not be written
        why = (exc.strerror or str(exc)).rstrip(".").lower()
        _record_failure(outcome, folder, f"--out {folder.path}: cannot write the figures ({why})")
        raise UsageError(f"--out {folder.path}: cannot write the figures ({why}); {_kept(folder)}") from None
    finally:
        folder.close()


def _checkpointer(plan, folder, stop, exp):
    """run_experiment's checkpoint factory (None without --checkpoint-every)."""
    if plan.checkpoints is None:
        return None
    extra = {"experiment": {k: v for k, v in exp.to_dict().items() if k != "train"}}
    return lambda method, seed: Checkpointer(folder.path / CHECKPOINTS, plan.checkpoints["every"],
                                             plan.checkpoints["keep"], extra, guard=stop.deferred)


def _train_and_write(args, stop, say, folder, outcome, removed, command, data, net, plan):
    exp = outcome.experiment
    start = time.perf_counter()
    if removed:                     # said even with --quiet: files were deleted
        print(f"removed the earlier run's files from {folder.path}/: {', '.join(removed)}", flush=True)
    live = LiveWriter(outcome, folder)          # history.csv (header), results.json "running"
    say(f"data: {outcome.dataset}")
    say(f"repeat with: {command}")
    try:
        with stop.armed():
            run_experiment(exp, data=data, log=say, progress=live, progress_every=args.progress_every,
                           outcome=outcome, net=net, checkpoint=_checkpointer(plan, folder, stop, exp),
                           resume=plan.states)
    except KeyboardInterrupt:                   # before the first run or between two
        outcome.interrupted = True
    if stop.stopped:
        outcome.interrupted = True
        outcome.ended = f"{stop.name} during training"
    write_records(outcome, folder)              # deferred: the records, results.json last
    figures = []
    if not args.no_plots and any(r.rows for r in outcome.runs):
        headless()
        try:
            with stop.armed():
                figures = write_figures(outcome.runs, folder)
        except KeyboardInterrupt:               # keep the figures finished; say what stopped
            figures = drawn_figures(folder)
            if not outcome.interrupted:
                outcome.interrupted = True
                outcome.ended = f"{stop.name} while drawing the figures (the runs were complete)"
            write_results_json(outcome, folder)
    write_summary(outcome, folder, figures)
    why = stop.name
    if not outcome.runs:
        print(f"{PROG}: {why} before the first epoch; no epoch recorded in {folder.path}/", file=sys.stderr)
        return stop.code
    print()
    print(format_tables(summarize(outcome.runs)))
    names = [HISTORY, PARAMS, RESULTS] + [Path(f).name for f in figures] + [SUMMARY] + (
        [CHECKPOINTS + "/"] if outcome.checkpoints else [])
    print(f"\n{len(outcome.runs)} run(s) in {time.perf_counter() - start:.1f} s; "
          f"results in {folder.path}/ ({', '.join(names)})")
    if outcome.interrupted:
        print(f"{PROG}: {why}: partial results written to {folder.path}/", file=sys.stderr)
        return stop.code
    return 0


def _record_failure(outcome, folder, message):
    """results.json says the files are incomplete, if even that can be written."""
    outcome.error = message
    try:
        write_results_json(outcome, folder)
    except (OSError, OutputError):              # the disk may still be full: the line says it
        pass


def _kept(folder):
    return f"what was written is in {folder.path}/ (results.json says how far it got)"
