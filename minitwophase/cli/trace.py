"""The ``trace`` and ``compare-trace`` verbs of the ``minitwophase`` command.

    minitwophase trace [--dataset digits --model mlp:32 --method adam+cg --seed 0 --epochs 20
                        --batch-size 512 --lr 1e-3 ... --with-data] --out trace.json
    minitwophase compare-trace REF OTHER [--rtol 1e-9] [--atol X] [--field-rtol beta=1e-6]
                        [--phases init,adam] [--json]

compare-trace exits 0 when the traces agree, 1 when they part, 2 on bad input (one line
``minitwophase: error: ...``, as every other verb). ``add_commands(subparsers)`` registers both
on the command's parser (cli/__init__.py). The trace schema: verification/trace.py.
"""
from __future__ import annotations

import argparse
import json
import sys

from ..models import DEFAULT_HEAD
from ..training import METHODS
from ..verification import compare as TC
from ..verification import trace as T
from .options import (PROG, HelpFormatter, UsageError, add_data_options, add_training_options, integer,
                      train_options, usage_error)
from .signals import StopSignals

DEFAULTS = dict(dataset="digits", model="mlp:32", method="adam+cg", epochs=20)


def _field_tol(text):
    field, sep, value = text.partition("=")
    if not sep or field not in T.FIELDS:
        raise argparse.ArgumentTypeError(f"expected FIELD=VALUE with FIELD one of {', '.join(T.FIELDS)}, "
                                         f"got {text!r}")
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if not number >= 0:
        raise argparse.ArgumentTypeError(f"expected a number >= 0 after {field}=, got {value!r}")
    return field, number


def _nonneg(text):
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a finite number >= 0, got {text!r}")
    return value


def _phases(text):
    items = [p.strip() for p in text.split(",")]
    bad = [p for p in items if p not in ("init", "adam", "cg", "pcg")]
    if bad or not items:
        raise argparse.ArgumentTypeError(f"expected phases from init, adam, cg, pcg (comma-separated), got {text!r}")
    return tuple(items)


def add_commands(subparsers):
    """Add ``trace`` and ``compare-trace`` to the command's subparsers."""
    tr = subparsers.add_parser(
        "trace", formatter_class=HelpFormatter,
        help="record a fixed-seed run step by step (a verification trace)",
        description="Run one method with one seed and record every Adam minibatch step, every "
        "epoch's full-batch loss and gradient norm, and every CG iteration (alpha, beta), with "
        "the exact initial parameters and minibatch order, so that another implementation can "
        "be checked against it (compare-trace). Writes OUT (.json), OUT's .csv (the records) "
        "and .npz (theta0, permutations, theta_final; X_train, y_train with --with-data). "
        "The schema is documented in minitwophase/verification/trace.py.")
    add_data_options(tr, dataset=DEFAULTS["dataset"], model=DEFAULTS["model"], head=DEFAULT_HEAD)
    t = tr.add_argument_group("training")
    t.add_argument("--method", choices=METHODS, default=DEFAULTS["method"], help="training method")
    t.add_argument("--seed", type=integer, default=0, metavar="N", help="initial weights and minibatch order")
    add_training_options(t, epochs=DEFAULTS["epochs"], init_scale=1.0, epochs_help="epochs; keep the CG phase "
                             "short (<= ~20 iterations), see verification/compare.py DEFAULT_RTOL")
    o = tr.add_argument_group("output")
    o.add_argument("--out", default="trace.json", metavar="FILE.json", help="the trace; .csv and .npz go beside it")
    o.add_argument("--with-data", action="store_true", help="also store X_train and y_train in the .npz")
    tr.set_defaults(func=cmd_trace)

    cmp = subparsers.add_parser(
        "compare-trace", formatter_class=HelpFormatter,
        help="compare two traces and report the first step where they part",
        description="Match the records of OTHER to those of REF by position and compare epoch, "
        "phase and kind exactly and loss, grad_norm, step_size, beta within "
        "|other - ref| <= atol + rtol |ref|. Prints the verdict, the first differing step "
        "(field, both values, relative difference) and the largest differences per field. "
        "Exit 0: they agree; 1: they part; 2: bad input.",
        epilog=f"Default tolerances: rtol {TC.DEFAULT_RTOL}, atol {TC.DEFAULT_ATOL} (why: "
        "minitwophase/verification/compare.py). A .csv trace (records only) is accepted too.")
    cmp.add_argument("reference", metavar="REF", help="reference trace (.json or .csv)")
    cmp.add_argument("other", metavar="OTHER", help="trace to check (.json or .csv)")
    cmp.add_argument("--rtol", type=_nonneg, default=None, help="relative tolerance for every field")
    cmp.add_argument("--atol", type=_nonneg, default=None, help="absolute tolerance for every field")
    cmp.add_argument("--field-rtol", type=_field_tol, action="append", default=[], metavar="FIELD=X",
                     help="relative tolerance for one field (repeatable; overrides --rtol)")
    cmp.add_argument("--field-atol", type=_field_tol, action="append", default=[], metavar="FIELD=X",
                     help="absolute tolerance for one field (repeatable; overrides --atol)")
    cmp.add_argument("--phases", type=_phases, default=None, metavar="LIST",
                     help="compare only these phases, e.g. init,adam for an implementation without CG")
    cmp.add_argument("--json", action="store_true", help="print the report as JSON instead of text")
    cmp.set_defaults(func=cmd_compare)


def _tol(default, uniform, per_field):
    out = dict(default) if uniform is None else {k: uniform for k in T.FIELDS}
    out.update(dict(per_field))
    return out


def cmd_trace(args):
    """Ctrl-C or SIGTERM while training: the steps recorded so far are written as a trace whose
    header says status "interrupted", and the command exits 130 / 143 (never 0: a partial
    trace must not pass for a complete one). While the files are written, signals wait."""
    if not args.out.endswith(".json"):
        raise UsageError(f"--out must name a .json file (the .csv and .npz go beside it), got {args.out!r}")
    with StopSignals() as stop:
        try:
            with stop.armed():
                trace = T.trace_run(dataset=args.dataset, model=args.model, activation=args.activation, head=args.head,
                                    val_fraction=args.val_fraction, data_seed=args.data_seed,
                                    include_data=args.with_data, method=args.method, seed=args.seed,
                                    **train_options(args))
        except KeyboardInterrupt:           # before training or after it, outside train()'s own catch
            print(f"{PROG}: {stop.name} before the trace was recorded; nothing written", file=sys.stderr)
            return stop.code
        except (ValueError, TypeError, OSError) as exc:
            raise usage_error(exc) from None
        try:
            paths = T.save_trace(trace, args.out)
        except (ValueError, TypeError, OSError) as exc:
            raise usage_error(exc) from None
    h = trace.header
    kinds = [r["kind"] for r in trace.records]
    print(f"{len(trace.records)} records ({kinds.count('minibatch')} Adam steps, {kinds.count('epoch')} "
          f"Adam epochs, {kinds.count('cg') + kinds.count('pcg')} CG iterations; swap after epoch {h['swap_epoch']}); "
          f"{h['status']}: {h['message']}")
    print("wrote " + ", ".join(str(p) for p in paths))
    if stop.stopped or h["status"] == "interrupted":
        print(f"{PROG}: {stop.name}: partial trace written (status \"interrupted\"); it is not a "
              "complete run", file=sys.stderr)
        return stop.code
    return 0


def cmd_compare(args):
    try:
        report = TC.compare_traces(args.reference, args.other,
                                  rtol=_tol(TC.DEFAULT_RTOL, args.rtol, args.field_rtol),
                                  atol=_tol(TC.DEFAULT_ATOL, args.atol, args.field_atol),
                                  phases=args.phases)
    except (ValueError, TypeError, OSError) as exc:     # TraceError is a ValueError
        raise usage_error(exc) from None
    print(json.dumps(report.to_dict(), indent=1) if args.json else report.text())
    return 0 if report.agree else 1
