"""``python -m minitwophase.exercises`` (``main``): hand out the stubs, grade filled ones.

    list                       the exercises, in the course's order
    start DIR [--force]        copy the stubs into DIR (never overwrites without --force)
    check PATH... [--seed N]   check every exercise function found in the files (or in the
                               .py files of the folders) given; exit 0 only if all pass
"""
from __future__ import annotations

import argparse
import importlib.util
import shutil
import sys
from pathlib import Path

from . import CHECKERS

STUBS = Path(__file__).resolve().parent / "stubs"


def _load(path, index):
    """Import a student's file under a private name (its ``__main__`` block does not run)."""
    spec = importlib.util.spec_from_file_location(f"_student_{index}_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


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
    found = 0
    failed = 0
    for i, path in enumerate(_files(args.paths)):
        try:
            module = _load(path, i)
        except Exception as exc:  # noqa: BLE001 - a student's file that does not import
            print(f"{path}: could not be imported: {type(exc).__name__}: {exc}\n")
            failed += 1
            continue
        for name, checker in CHECKERS.items():
            fn = getattr(module, name, None)
            if callable(fn):
                found += 1
                result = checker(fn, seed=args.seed)
                failed += not result.passed
                print(f"{path}:\n{result}\n")
    if not found:
        print(f"error: no exercise function ({', '.join(CHECKERS)}) found in "
              f"{' '.join(map(str, args.paths))}", file=sys.stderr)
        return 2
    print(f"{found - failed} of {found} exercises passed")
    return 0 if failed == 0 else 1


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
