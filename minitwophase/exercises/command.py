"""``python -m minitwophase.exercises`` (``main``): hand out the stubs, grade filled ones.

    list                       the exercises, in the course's order
    start DIR [--force]        copy the stubs into DIR (never overwrites without --force)
    check PATH... [--seed N] [--timeout S]
                               check every exercise function found in the files (or in the
                               .py files of the folders) given; exit 0 only if all pass

Each file is imported, and each check run, in a child process with a time limit (isolate.py):
a stub that exits or loops forever fails its check with a message saying so.
"""
from __future__ import annotations

import argparse
import math
import shutil
import sys
from pathlib import Path

from . import CHECKERS
from .isolate import DEFAULT_TIMEOUT, grade_file

STUBS = Path(__file__).resolve().parent / "stubs"


def _files(paths):
    for p in paths:
        p = Path(p)
        if p.is_dir():
            yield from sorted(f for f in p.glob("*.py") if not f.name.startswith("_"))
        elif p.is_file():
            yield p
        else:
            raise FileNotFoundError(f"PATH must be a .py file or a folder, got {str(p)!r} "
                                    "(no such file or folder)")


def cmd_start(args):
    dest = Path(args.dir)
    stubs = [STUBS / f"{name}.py" for name in CHECKERS]
    clash = [s.name for s in stubs if (dest / s.name).exists()]
    if clash and not args.force:
        print(f"error: DIR {str(dest)!r} already holds {', '.join(clash)}; nothing copied "
              "(add --force to overwrite)", file=sys.stderr)
        return 2
    try:
        dest.mkdir(parents=True, exist_ok=True)
        for s in stubs:
            shutil.copyfile(s, dest / s.name)
    except OSError as exc:
        print(f"error: cannot write the stubs into DIR {str(dest)!r}: "
              f"{exc.strerror or exc}", file=sys.stderr)
        return 2
    print(f"copied {len(stubs)} exercise stubs into {dest}; fill one in and run it, e.g. "
          f"python {dest / 'adam_step.py'}")
    return 0


def cmd_check(args):
    found = passed = broken = 0
    for path in _files(args.paths):
        error, results = grade_file(path, args.seed, args.timeout)
        if error is not None:
            print(f"{path}: {error}\n")
            broken += 1
        for _, ok, report in results:
            found += 1
            passed += ok
            print(f"{path}:\n{report}\n")
    if not found and not broken:
        print(f"error: no exercise function ({', '.join(CHECKERS)}) found in "
              f"{' '.join(map(str, args.paths))}", file=sys.stderr)
        return 2
    print(f"{passed} of {found} exercises passed"
          + (f"; {broken} file(s) could not be graded" if broken else ""))
    return 0 if passed == found and not broken else 1


def seconds(text):
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"expected a number of seconds > 0, got {text!r}")
    return value


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m minitwophase.exercises",
                                     description="Graded exercises: hand out stubs, check them.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="list the exercises")
    p = sub.add_parser("start", help="copy the exercise stubs into a folder")
    p.add_argument("dir")
    p.add_argument("--force", action="store_true", help="overwrite stubs already there")
    p = sub.add_parser("check", help="check filled-in exercise files")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--seed", type=int, default=0, help="seed of the generated cases (default 0)")
    p.add_argument("--timeout", type=seconds, default=DEFAULT_TIMEOUT, metavar="SECONDS",
                   help=f"time limit of each check; a check that runs longer fails as a timeout "
                   f"(default {DEFAULT_TIMEOUT:g})")
    args = parser.parse_args(argv)
    if args.command == "list":
        for name in CHECKERS:
            first = (STUBS / f"{name}.py").read_text().split("\n", 1)[0].strip('"')
            print(f"{name:26s} {first}")
        return 0
    try:
        return cmd_start(args) if args.command == "start" else cmd_check(args)
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
