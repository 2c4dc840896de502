"""The ``run`` verb: train a comparison (methods x seeds) and write its results.

    minitwophase run [options]      train a comparison, write results to --out

Flags are named after the fields of experiments.experiment.Experiment and
training.TrainConfig, so a saved run's ``config.command`` repeats it exactly.
"""
from __future__ import annotations

import signal
import sys
import time
from pathlib import Path

from ..experiments.experiment import Experiment, Outcome, load_data, run_experiment
from ..models import build_model
from ..experiments.report import LiveWriter, format_tables, save_results, summarize
from ..training import METHODS, TrainConfig
from .options import (EXIT_INTERRUPTED, EXIT_TERMINATED, PROG, HelpFormatter, UsageError, add_data_options,
                      add_training_options, headless, integer, integers, names, path_error, positive_int,
                      train_options)

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
        "evaluations included). With no options: Adam vs "
        "Adam+CG on the bundled MNIST-5k with a 784-128-10 tanh MLP and MSE loss.",
        epilog="history.csv and results.json (state \"running\") are written while training, "
        "so even a killed run keeps its history. Ctrl-C stops training, writes what exists so "
        "far and exits 130; SIGTERM does the same and exits 143. Bad options or files: one "
        "error line, exit 2. --no-plots removes figures an earlier run left in --out.")
    add_data_options(run)
    train = run.add_argument_group("training")
    train.add_argument("--methods", type=names, default="adam,adam+cg", metavar="LIST",
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
                      "every K epochs (epoch 0 included), at the gradient-norm peak, at the swap and "
                      "at the end; adds history columns, a swap-time convex verdict and three figures")
    diag.add_argument("--save-checkpoints", type=integer, default=None, metavar="K",
                      help="also save theta every K epochs (epoch 0 included) to params.npz as "
                      "<method>_seed<seed>_epoch_<N>, for `minitwophase curvature`")
    out = run.add_argument_group("output")
    out.add_argument("--out", default=DEFAULT_OUT, metavar="DIR",
                     help="output directory (created; files in it are overwritten)")
    out.add_argument("--progress-every", type=positive_int, default=10, metavar="K",
                     help="print a progress line every K epochs (and at the swap)")
    out.add_argument("--quiet", action="store_true", help="no progress lines, only the final table")
    out.add_argument("--no-plots", action="store_true", help="skip the figures")
    run.set_defaults(func=cmd_run)


def experiment_from_args(args):
    train = TrainConfig(**train_options(args), chunk_size=args.chunk_size,
                        curvature_every=args.curvature_every, save_checkpoints=args.save_checkpoints)
    exp = Experiment(dataset=args.dataset, model=args.model, activation=args.activation, head=args.head,
                     val_fraction=args.val_fraction, data_seed=args.data_seed,
                     methods=args.methods, seeds=args.seeds, train=train)
    return exp.validate()


def _prepare(args):
    """Everything that can fail because of the user's options or files, before training:
    the options, the data, the model against the data, then the output folder (created
    only once everything else is known to work)."""
    try:
        exp = experiment_from_args(args)
        data = load_data(exp)
        build_model(exp.model, data.image_shape, data.n_classes, exp.activation, head=exp.head)
    except (ValueError, TypeError, OSError) as exc:   # DatasetError is a ValueError
        message = str(exc)
        if message.startswith("model "):
            message = "--model " + message[len("model "):]
        raise UsageError(message) from None
    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise path_error("--out", out, exc) from None
    return exp, out, data


def cmd_run(args):
    """SIGTERM (``timeout``, a batch scheduler) is handled like Ctrl-C: training stops, what
    exists is written; exit 143 (128 + SIGTERM) instead of Ctrl-C's 130."""
    received = []

    def on_sigterm(signum, frame):
        received.append(signum)
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, on_sigterm)
    try:
        return _run(args, received)
    finally:
        signal.signal(signal.SIGTERM, previous)


def _stopped(received):
    """(what stopped the run, exit code)."""
    return ("terminated (SIGTERM)", EXIT_TERMINATED) if received else ("interrupted", EXIT_INTERRUPTED)


def _run(args, received):
    say = (lambda line: None) if args.quiet else (lambda line: print(line, flush=True))
    try:
        exp, out, data = _prepare(args)
    except KeyboardInterrupt:
        why, code = _stopped(received)
        print(f"{PROG}: {why} before training; nothing written", file=sys.stderr)
        return code
    say(f"data: {data.description}")
    say(f"repeat with: {exp.command_line()}")
    start = time.perf_counter()
    try:
        live = LiveWriter(Outcome(exp, data.description, []), out)   # written as the run goes
        outcome = run_experiment(exp, data=data, log=say, progress=live,
                                 progress_every=args.progress_every)
    except KeyboardInterrupt:                 # between runs or while writing: keep what exists
        outcome = live.outcome
        outcome.interrupted = True
    why, code = _stopped(received)
    if not outcome.runs:
        save_results(outcome, out, plots=False)
        print(f"{PROG}: {why} before the first epoch; no epoch recorded in {out}/", file=sys.stderr)
        return code
    if not args.no_plots:
        headless()
    paths = save_results(outcome, out, plots=not args.no_plots)
    removed = paths.pop("removed", [])
    print()
    print(format_tables(summarize(outcome.runs)))
    print(f"\n{len(outcome.runs)} run(s) in {time.perf_counter() - start:.1f} s; "
          f"results in {out}/ ({', '.join(p.name for p in paths.values())})")
    if removed:
        print(f"removed the previous run's figures (--no-plots): {', '.join(p.name for p in removed)}")
    if outcome.interrupted:
        print(f"{PROG}: {why}: partial results written to {out}/", file=sys.stderr)
        return code
    return 0
