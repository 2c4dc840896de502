"""The ``minitwophase`` command (also ``python -m minitwophase``).

    minitwophase run [options]      train a comparison, write results to --out

Every error in the user's options or files ends in one line ``minitwophase: error: ...`` on
stderr and exit code 2 (no traceback); Ctrl-C writes the results so far and exits 130.
Flags are named after the fields of experiment.Experiment and training.TrainConfig, so a
saved run's ``config.command`` repeats it exactly. More verbs (trace, compare-trace,
reproduce) are meant to be added as further subparsers.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from . import __version__
from .cli_trace import add_commands as add_trace_commands
from .reproduce import add_command as add_reproduce_command
from .experiment import Experiment, load_data, run_experiment
from .models import ACTIVATIONS, parse_model
from .nn.losses import LOSSES
from .optim.cg_beta import BETAS
from .report import format_tables, save_results, summarize
from .training import METHODS, TrainConfig

PROG = "minitwophase"
# Measured: the default run (adam vs adam+cg, mnist5k, MLP 784-128-10) trains ~0.07 s per
# epoch per method on 2 cores: 400 epochs take about 1 min idle, under 2 min on a busy machine.
DEFAULT_EPOCHS = 400
DEFAULT_OUT = "minitwophase-run"
EXIT_USAGE, EXIT_INTERRUPTED = 2, 130


class UsageError(Exception):
    """A bad option or file: reported in one line, exit code 2."""


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows a default only where there is one (not for None/False options)."""

    def _get_help_string(self, action):
        if action.default is None or action.default is False:
            return action.help
        return super()._get_help_string(action)


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        # One line, like every other user error (argparse would add the usage block).
        self.exit(EXIT_USAGE, f"{PROG}: error: {message} (see '{self.prog} --help')\n")


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _float(text):
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None


def _methods(text):
    items = [m.strip() for m in text.split(",")]
    bad = [m for m in items if m not in METHODS]
    if bad:
        raise argparse.ArgumentTypeError(f"unknown method {bad[0]!r}; choose from {', '.join(METHODS)} "
                                         "(comma-separated)")
    return tuple(items)


def _seeds(text):
    try:
        seeds = tuple(int(s) for s in text.split(","))
    except ValueError:
        seeds = ()
    if not seeds or min(seeds) < 0:
        raise argparse.ArgumentTypeError(f"expected non-negative integers separated by commas, got {text!r}")
    return seeds


def _model(text):
    try:
        parse_model(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def add_data_options(parser, dataset="mnist5k", model="mlp"):
    """The data and model options shared by ``run`` and ``trace``."""
    data = parser.add_argument_group("data and model")
    data.add_argument("--dataset", default=dataset, metavar="SPEC",
                      help="digits | mnist5k (both bundled) | mnist:DIR (IDX files) | "
                      "cifar10:DIR | cifar100:DIR (extracted python batches)")
    data.add_argument("--val-fraction", type=_float, default=None, metavar="F",
                      help="validation share of the training data; default: 0.2 for the bundled "
                      "sets, the official test set for MNIST/CIFAR")
    data.add_argument("--data-seed", type=int, default=0, metavar="N",
                      help="seed of the train/validation split")
    data.add_argument("--model", type=_model, default=model, metavar="SPEC",
                      help="mlp | mlp:W1,W2,... (hidden widths, default 128) | cnn | cnn:C1,C2,... "
                      "(3x3 conv + pool per width, default 8,16)")
    data.add_argument("--activation", choices=sorted(ACTIVATIONS), default=None,
                      help="hidden activation; default tanh for mlp, relu for cnn")
    data.add_argument("--loss", choices=tuple(LOSSES), default="mse",
                      help="mse on one-hot targets is the paper's loss")
    return data


def add_training_options(group, epochs=DEFAULT_EPOCHS,
                         epochs_help="epochs per run; a CG epoch is one CG iteration on the full batch"):
    """The TrainConfig options shared by ``run`` and ``trace`` (read back by ``train_options``)."""
    group.add_argument("--epochs", type=_positive_int, default=epochs, metavar="N", help=epochs_help)
    group.add_argument("--batch-size", type=_positive_int, default=512, metavar="N",
                       help="Adam minibatch size")
    group.add_argument("--lr", type=_float, default=1e-3, help="Adam learning rate")
    group.add_argument("--swap-factor", type=_float, default=0.9, metavar="F",
                       help="swap to CG once |g| <= F x its peak (paper: 0.9)")
    group.add_argument("--swap-mode", choices=("paper", "smoothed"), default="paper",
                       help="paper = Algorithm 1 on the raw norm; smoothed = robust fit of "
                       "log|g| against log loss")
    group.add_argument("--split", type=_float, default=0.3, metavar="F",
                       help="share of Adam epochs for method fixed-split (paper: 0.3)")
    group.add_argument("--cg-beta", choices=tuple(BETAS), default="PR+", help="CG beta formula")
    group.add_argument("--cg-line-search", choices=("wolfe", "golden"), default="wolfe",
                       help="wolfe = strong Wolfe (scipy); golden = the paper's golden section")
    group.add_argument("--cg-gtol", type=_float, default=1e-5, metavar="TOL",
                       help="CG stops when the gradient's max-norm falls below TOL")


TRAIN_OPTIONS = ("epochs", "batch_size", "lr", "loss", "swap_factor", "swap_mode", "split",
                 "cg_beta", "cg_line_search", "cg_gtol")


def train_options(args):
    """The TrainConfig fields given on the command line (see add_training_options)."""
    return {k: getattr(args, k) for k in TRAIN_OPTIONS}


def build_parser():
    parser = _Parser(prog=PROG, description="Convexity-dependent two-phase training (Hrycej et al. "
                     "2025): Adam until the gradient-norm peak, then nonlinear conjugate gradient.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    run = sub.add_parser(
        "run", formatter_class=_HelpFormatter,
        help="train a comparison of methods and write results, figures and a summary",
        description="Train every method x seed with one shared configuration on one data set. "
        "Writes results.json (everything needed to repeat the run, incl. package versions and "
        "the equivalent command line), history.csv (one row per method/seed/epoch), params.npz "
        "(final and best parameters), three figures and summary.md (tables at equal epochs and "
        "at equal cost) into --out. Cost = epoch-equivalents of forward+backward passes over "
        "the training set (CG line-search evaluations included). With no options: Adam vs "
        "Adam+CG on the bundled MNIST-5k with a 784-128-10 tanh MLP and MSE loss.",
        epilog="Ctrl-C stops training, writes what exists so far and exits 130. Bad options or "
        "files: one error line, exit 2.")
    add_data_options(run)
    train = run.add_argument_group("training")
    train.add_argument("--methods", type=_methods, default="adam,adam+cg", metavar="LIST",
                       help=f"comma-separated, from {', '.join(METHODS)}; adam+cg swaps by the "
                       "paper's gradient-norm rule, fixed-split after --split of the epochs")
    train.add_argument("--seeds", type=_seeds, default="0", metavar="LIST",
                       help="comma-separated seeds (initial weights and minibatch order)")
    add_training_options(train)
    train.add_argument("--chunk-size", type=_positive_int, default=None, metavar="N",
                       help="process full-batch passes in chunks of N samples (bounds memory)")
    out = run.add_argument_group("output")
    out.add_argument("--out", default=DEFAULT_OUT, metavar="DIR",
                     help="output directory (created; files in it are overwritten)")
    out.add_argument("--progress-every", type=_positive_int, default=10, metavar="K",
                     help="print a progress line every K epochs (and at the swap)")
    out.add_argument("--quiet", action="store_true", help="no progress lines, only the final table")
    out.add_argument("--no-plots", action="store_true", help="skip the figures")
    run.set_defaults(func=cmd_run)
    add_trace_commands(sub)
    add_reproduce_command(sub)
    return parser


def experiment_from_args(args):
    train = TrainConfig(**train_options(args), chunk_size=args.chunk_size)
    exp = Experiment(dataset=args.dataset, model=args.model, activation=args.activation,
                     val_fraction=args.val_fraction, data_seed=args.data_seed,
                     methods=args.methods, seeds=args.seeds, train=train)
    return exp.validate()


def _prepare(args):
    """Everything that can fail because of the user's options or files, before training."""
    try:
        exp = experiment_from_args(args)
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        if not out.is_dir():
            raise NotADirectoryError(f"--out {out} is not a directory")
        data = load_data(exp)
    except (ValueError, TypeError, OSError) as exc:   # DatasetError is a ValueError
        raise UsageError(str(exc)) from None
    return exp, out, data


def cmd_run(args):
    say = (lambda line: None) if args.quiet else (lambda line: print(line, flush=True))
    try:
        exp, out, data = _prepare(args)
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted before training; nothing written", file=sys.stderr)
        return EXIT_INTERRUPTED
    say(f"data: {data.description}")
    say(f"repeat with: {exp.command_line()}")
    start = time.perf_counter()
    outcome = run_experiment(exp, data=data, log=say, progress_every=args.progress_every)
    if not outcome.runs:
        print(f"{PROG}: interrupted before the first epoch; nothing written", file=sys.stderr)
        return EXIT_INTERRUPTED
    paths = save_results(outcome, out, plots=not args.no_plots)
    print()
    print(format_tables(summarize(outcome.runs)))
    print(f"\n{len(outcome.runs)} run(s) in {time.perf_counter() - start:.1f} s; "
          f"results in {out}/ ({', '.join(p.name for p in paths.values())})")
    if outcome.interrupted:
        print(f"{PROG}: interrupted: partial results written to {out}/", file=sys.stderr)
        return EXIT_INTERRUPTED
    return 0


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        return args.func(args)
    except UsageError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        # the reader (e.g. `| head`) closed the pipe: stop quietly, as Unix tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


