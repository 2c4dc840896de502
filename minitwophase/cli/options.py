"""What every verb of the ``minitwophase`` command shares: the parser's error contract, the
value parsers, and the data/model and training options (``run`` and ``trace`` take both).

Options are *parsed* here (text -> int, float, list) and *checked* once, where they enter the
library: ``training.TrainConfig.validate`` and ``experiments.experiment.Experiment.validate``,
with the bounds of the objects that use them; an error there becomes one line and exit 2.
Choices are read from their one table each (methods, losses, activations, betas, line
searches, swap modes), so ``--help`` lists exactly what the library accepts.
Layer: cli (the top); imports from below only.
"""
from __future__ import annotations

import argparse
import os

from ..datasets.spec import SPECS
from ..models import ACTIVATIONS, DEFAULT_WIDTHS, HEADS, MODELS, SPEC_HELP
from ..nn.losses import LOSSES
from ..optim import LINE_SEARCHES
from ..optim.cg_beta import BETAS
from ..swap import SWAP_MODES
from ..training import TrainConfig

PROG = "minitwophase"
EXIT_USAGE, EXIT_INTERRUPTED, EXIT_TERMINATED = 2, 130, 143   # 143 = 128 + SIGTERM
# The main job (`minitwophase run` with no options): the bundled MNIST-5k, the 784-128-10 tanh
# MLP, MSE on a softmax head's probabilities, initial scale 0.1 x Glorot/He, Adam vs Adam+CG vs
# Adam+PCG for 200 epochs. The head and the scale are the paper's silent choices (models.py;
# the library's build_model keeps head="linear" and TrainConfig init_scale=1.0): chosen because
# this setting shows the paper's picture on the bundled data (one gradient-norm peak, at epoch
# 3, the swap after it; figures/table1.md and figures/granularity.md for the grid). Measured:
# 38 s of CPU time on one thread (README).
MAIN_JOB = dict(head="softmax", init_scale=0.1, epochs=200, methods="adam,adam+cg,adam+pcg")


class UsageError(Exception):
    """A bad option or file: reported in one line, exit code 2."""


# Library argument names whose flag is spelled differently, used where the verb has that flag
# and no flag of the argument's own name (run: seed -> --seeds; curvature has --seed itself).
ALIASES = {"method": "methods", "seed": "seeds", "spec": "dataset", "path": "out"}


def verb_flags(actions):
    """A verb's argparse actions -> {library argument name: what the user typed}: "--lr" for
    an option, the metavar ("PARAMS.npz") for a positional; plus ALIASES where they apply."""
    flags = {}
    for action in actions:
        if action.dest in ("help", argparse.SUPPRESS):
            continue
        longest = max(action.option_strings, key=len, default=None)
        flags[action.dest] = longest or action.metavar or action.dest.upper()
    for name, dest in ALIASES.items():
        if name not in flags and dest in flags:
            flags[name] = flags[dest]
    return flags


def as_flags(message, flags=None):
    """A library message as the command-line user reads it: the argument it starts with
    ("lr must ...", "spec 'x': ...") becomes what they typed ("--lr must ...", "--dataset
    'x': ..."). ``flags``: the verb's (see verb_flags); a name that is none of them is left
    as it is (never a flag the verb does not have). Without ``flags``, only "name must ..."
    is rewritten, to "--name must ..."."""
    head, sep, rest = message.partition(" ")
    name = head.split("[")[0].rstrip(":")
    if not (sep and name.isidentifier() and name.islower()):
        return message
    if flags is None:
        return "--" + name.replace("_", "-") + head[len(name):] + sep + rest if rest.startswith("must") else message
    if name not in flags:
        return message
    return flags[name] + head[len(name):] + sep + rest


def path_error(flag, path, exc):
    """An OSError on an output or input path as one sentence (no errno text)."""
    why = (exc.strerror or str(exc)).rstrip(".").lower() if isinstance(exc, OSError) else str(exc)
    return UsageError(f"{flag} {path}: cannot create or write there ({why})")


def usage_error(exc):
    """A library or file error as one sentence: an OSError names its file, never errno text."""
    if isinstance(exc, OSError) and exc.strerror:
        where = f" {exc.filename}" if exc.filename else ""
        return UsageError(f"cannot read or write{where}: {exc.strerror.rstrip('.').lower()}")
    return UsageError(str(exc))


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows a default only where there is one (not for None/False options)."""

    def _get_help_string(self, action):
        if action.default is None or action.default is False:
            return action.help
        return super()._get_help_string(action)


class Parser(argparse.ArgumentParser):
    def flags(self):
        """What the user types for each of this parser's arguments (see verb_flags)."""
        return verb_flags(self._actions)

    def typed(self, argv):
        """The dests of the options typed in ``argv`` (parsed again with every default
        suppressed, so an option typed with its default value counts as typed). Changes the
        defaults: call it on a parser built for it."""
        for action in self._actions:
            action.default = argparse.SUPPRESS
        return set(vars(self.parse_known_args(argv)[0]))

    def error(self, message):
        # One line, like every other user error (argparse would add the usage block).
        self.exit(EXIT_USAGE, f"{PROG}: error: {message} (see '{self.prog} --help')\n")


def headless():
    """The verbs write figures to files: select matplotlib's Agg backend (no display needed).
    Called by the verbs that draw, never on import (a library user keeps their backend)."""
    import matplotlib
    matplotlib.use("Agg")


# ---------------------------------------------------------------- value parsers (no bounds)
def integer(text):
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None


def positive_int(text):
    """For the command's own display options (not library options): an integer >= 1."""
    value = integer(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def out_folder(text):
    """--out: a folder name that can exist (checked as typed, before anything is created):
    not empty (that would be the current folder), no NUL, each part within the file
    system's name limit (os.pathconf PC_NAME_MAX of the nearest existing parent, 255 if
    unknown) and the whole within PC_PATH_MAX."""
    if not text.strip():
        raise argparse.ArgumentTypeError(f"expected a folder name, got {text!r} (use --out . for "
                                         "the current folder)")
    if "\0" in text:
        raise argparse.ArgumentTypeError(f"expected a folder name without NUL characters, got {text!r}")
    path = os.path.abspath(text)
    base = path
    while not os.path.exists(base) and os.path.dirname(base) != base:
        base = os.path.dirname(base)
    name_max, path_max = _limit(base, "PC_NAME_MAX", 255), _limit(base, "PC_PATH_MAX", 4096)
    for part in text.split(os.sep):
        if len(os.fsencode(part)) > name_max:
            raise argparse.ArgumentTypeError(f"expected folder names of at most {name_max} bytes each, "
                                             f"got one of {len(os.fsencode(part))}: {part[:40]}...")
    if len(os.fsencode(path)) >= path_max:
        raise argparse.ArgumentTypeError(f"expected a path shorter than {path_max} bytes, got "
                                         f"{len(os.fsencode(path))}")
    return text


def _limit(path, name, default):
    try:
        return os.pathconf(path, name)
    except (OSError, ValueError, AttributeError):
        return default


def number(text):
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None


def names(text):
    """``"a, b"`` -> ("a", "b"); the names are checked where they are used."""
    return tuple(n.strip() for n in text.split(",") if n.strip())


def integers(text):
    try:
        values = tuple(int(s) for s in text.split(","))
    except ValueError:
        values = ()
    if not values:
        raise argparse.ArgumentTypeError(f"expected integers separated by commas, got {text!r}")
    return values


# ---------------------------------------------------------------- shared option groups
def _table_help(table):
    """A choice's help from its one table: "name = description; ..." (argparse-escaped)."""
    return "; ".join(f"{k} = {v}" for k, v in table.items()).replace("%", "%%")


def add_data_options(parser, dataset="mnist5k", model="mlp", head=MAIN_JOB["head"]):
    """The data and model options shared by ``run``, ``curvature`` and ``trace``."""
    data = parser.add_argument_group("data and model")
    data.add_argument("--dataset", default=dataset, metavar="SPEC",
                      help=" | ".join(SPECS) + " (digits, mnist5k and mnist are bundled: mnist "
                      "is the complete MNIST; PATH a folder of MNIST's IDX files or of CIFAR's "
                      "extracted python batches)")
    data.add_argument("--val-fraction", type=number, default=None, metavar="F",
                      help="validation share of the training data; default: 0.2 for the bundled "
                      "sets, the official test set for MNIST/CIFAR")
    data.add_argument("--data-seed", type=integer, default=0, metavar="N",
                      help="seed of the train/validation split")
    data.add_argument("--model", default=model, metavar="SPEC",
                      help=" | ".join(MODELS) + "; options after a colon: "
                      + SPEC_HELP.replace("%", "%%"))
    data.add_argument("--activation", choices=sorted(ACTIVATIONS), default=None,
                      help="hidden activation; default tanh for mlp, relu for cnn")
    data.add_argument("--head", choices=HEADS, default=head,
                      help="output head: linear (MSE on raw outputs) or softmax (MSE on "
                      "probabilities, a Keras classifier's; not with --loss cross_entropy); the "
                      "paper does not say which")
    data.add_argument("--loss", choices=tuple(LOSSES), default="mse",
                      help="mse on one-hot targets is the paper's loss")
    return data


def add_training_options(group, epochs=MAIN_JOB["epochs"], init_scale=MAIN_JOB["init_scale"],
                         epochs_help="epochs per run; a CG epoch is one CG iteration on the full batch"):
    """The TrainConfig options shared by ``run`` and ``trace`` (read back by ``train_options``)."""
    d = TrainConfig()
    group.add_argument("--epochs", type=integer, default=epochs, metavar="N", help=epochs_help)
    group.add_argument("--batch-size", type=integer, default=d.batch_size, metavar="N",
                       help="Adam minibatch size")
    group.add_argument("--lr", type=number, default=d.lr, help="Adam learning rate")
    group.add_argument("--swap-factor", type=number, default=d.swap_factor, metavar="F",
                       help="swap to CG once |g| <= F x its peak (paper: 0.9)")
    group.add_argument("--swap-mode", choices=tuple(SWAP_MODES), default=d.swap_mode,
                       help=_table_help(SWAP_MODES))
    group.add_argument("--check-every", type=integer, default=None, metavar="K",
                       help="check the swap rule after every K Adam steps (each check a full-batch "
                       "gradient, paid for in the cost); default: once per epoch")
    group.add_argument("--split", type=number, default=d.split, metavar="F",
                       help="share of Adam epochs for method fixed-split (paper: 0.3)")
    group.add_argument("--split-epoch", type=integer, default=None, metavar="E",
                       help="fixed-split's last Adam epoch, instead of --split x --epochs (set by "
                       "--start-from and when --resume extends a run, so the split stays put)")
    group.add_argument("--gradnorm-every", type=integer, default=None, metavar="K",
                       help="measure the full-batch gradient (|g|, the swap rule's input) after every "
                       "K-th Adam epoch only; the other epochs' rows get the full-batch loss from a "
                       "forward pass (priced as one) and no |g|; default: every epoch")
    group.add_argument("--cg-beta", type=str.upper, choices=tuple(BETAS), default=d.cg_beta,
                       help="CG beta formula (any case, as the library)")
    group.add_argument("--cg-line-search", type=str.lower, choices=tuple(LINE_SEARCHES), default=d.cg_line_search,
                       help=_table_help(LINE_SEARCHES))
    group.add_argument("--cg-gtol", type=number, default=d.cg_gtol, metavar="TOL",
                       help="CG stops when the gradient's max-norm falls below TOL")
    group.add_argument("--momentum", type=number, default=d.momentum, metavar="MU",
                       help="momentum of method sgd (v = MU v - lr g, theta += v)")
    group.add_argument("--lbfgs-memory", type=integer, default=d.lbfgs_memory, metavar="M",
                       help="pairs (s, y) L-BFGS keeps (method adam+lbfgs)")
    group.add_argument("--init-scale", type=number, default=init_scale, metavar="S",
                       help="multiply the initial Glorot/He parameters by S (the paper says only "
                       "'small random values'; small initialisation: lesson 05)")
    group.add_argument("--backward-ratio", type=number, default=None, metavar="R",
                       help="price of a backward pass in forward passes, for the cost column "
                       "(cost = (F + R B) / ((1 + R) N)); default: the model's ratio measured by "
                       "benchmarks/bench_passes.py")


TRAIN_OPTIONS = ("epochs", "batch_size", "lr", "loss", "swap_factor", "swap_mode", "check_every",
                 "split", "split_epoch", "gradnorm_every", "cg_beta", "cg_line_search", "cg_gtol", "momentum", "lbfgs_memory",
                 "init_scale", "backward_ratio")


def train_options(args):
    """The TrainConfig fields given on the command line (see add_training_options)."""
    return {k: getattr(args, k) for k in TRAIN_OPTIONS}
