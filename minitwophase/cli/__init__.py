"""The ``minitwophase`` command (also ``python -m minitwophase``): one module per verb.

    options.py    what the verbs share: error contract, value parsers, data and training options
    run.py        minitwophase run            train a comparison, write results to --out
    trace.py      minitwophase trace          record a verification trace
                  minitwophase compare-trace  compare two traces
    reproduce.py  minitwophase reproduce      the paper's Table 1 protocols (experiments/protocols/)
    curvature.py  minitwophase curvature      Hessian extremes and convex verdict at saved parameters

Every error in the user's options or files ends in one line ``minitwophase: error: ...`` on
stderr and exit code 2 (no traceback); Ctrl-C writes the results so far and exits 130,
SIGTERM exits 143 (signals.py); a Ctrl-C anywhere else (while starting, parsing, in a verb
that has no handler of its own) is one line and exit 130.
A new verb: a module with ``add_commands(subparsers)`` setting ``func``, listed in VERBS.
Layer: cli, the top; nothing in the package imports it.
"""
from __future__ import annotations

import argparse
import os
import sys

try:
    from .._version import __version__
    from . import curvature, reproduce, run, trace
    from .options import EXIT_INTERRUPTED, EXIT_USAGE, PROG, Parser, UsageError, as_flags
except KeyboardInterrupt:          # Ctrl-C while the command starts (_startup.py)
    from .._startup import interrupted_while_starting
    interrupted_while_starting()
    raise

VERBS = (run, trace, reproduce, curvature)

EPILOG = """\
'minitwophase COMMAND --help' documents each command's options.
Graded exercises for a course (stubs to fill in, checkers that diagnose mistakes):
  python -m minitwophase.exercises start hw     copy the stubs into hw/
  python -m minitwophase.exercises check hw     check a folder (exit 0 if all pass)
Lessons: the tutorials/ folder of the source tree; the documentation site: docs/."""

__all__ = ["main", "build_parser", "VERBS", "PROG", "EXIT_USAGE", "EXIT_INTERRUPTED", "UsageError"]


def build_parser():
    """The ``minitwophase`` argument parser, with one subcommand per module in VERBS.

    Each subcommand sets ``func``, the function ``main`` calls with the parsed arguments.

    Parameters
    ----------
    None
        The parser takes no arguments.

    Returns
    -------
    argparse.ArgumentParser
        The parser (the cli's ``Parser`` subclass: its errors are one line, exit code 2);
        ``parser.verbs`` maps each command name to its subparser.

    Raises
    ------
    SystemExit
        From ``parse_args``: with code 0 after ``--help`` or ``--version``, with code 2 after
        a malformed command line (one line on stderr).

    Examples
    --------
    >>> from minitwophase.cli import build_parser
    >>> parser = build_parser()
    >>> sorted(parser.verbs)
    ['compare-trace', 'curvature', 'reproduce', 'run', 'trace']
    >>> args = parser.parse_args(["run", "--epochs", "5"])
    >>> args.command, args.epochs
    ('run', 5)
    """
    parser = Parser(prog=PROG, formatter_class=argparse.RawDescriptionHelpFormatter,
                    description="Convexity-dependent two-phase training (Hrycej et al. 2025): Adam "
                    "until the gradient-norm peak,\nthen nonlinear conjugate gradient.",
                    epilog=EPILOG)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for verb in VERBS:
        verb.add_commands(sub)
    parser.verbs = sub.choices           # verb name -> its Parser (errors name its flags)
    return parser


def main(argv=None):
    """Run the ``minitwophase`` command line; returns the exit code.

    A user error in the options or files prints one line ``minitwophase: error: ...`` on
    stderr and returns 2; Ctrl-C returns 130 (a verb that writes results saves them first).

    Parameters
    ----------
    argv : list of str, optional
        The arguments after the program name; None: ``sys.argv[1:]``.

    Returns
    -------
    int
        The exit code: 0 on success, 2 for a usage error or no command (after printing the
        help), 130 when interrupted, 141 when the reader of stdout closed the pipe.

    Raises
    ------
    SystemExit
        From argparse: code 0 after ``--help`` or ``--version``, code 2 for unknown or
        malformed arguments (one line on stderr).

    Examples
    --------
    A value out of range is one line on stderr and exit code 2, before any data is loaded:

    >>> from minitwophase.cli import main
    >>> main(["run", "--lr", "-1"])
    2
    >>> main(["--version"])
    Traceback (most recent call last):
    ...
    SystemExit: 0
    """
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        args.argv = list(sys.argv[1:] if argv is None else argv)   # what was typed (run --resume)
        if args.command is None:
            parser.print_help()
            return EXIT_USAGE
        return args.func(args)
    except KeyboardInterrupt:       # a verb that writes results handles Ctrl-C itself
        print(f"{PROG}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except UsageError as exc:
        print(f"{PROG}: error: {as_flags(str(exc), parser.verbs[args.command].flags())}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        # the reader (e.g. `| head`) closed the pipe: stop quietly, as Unix tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
