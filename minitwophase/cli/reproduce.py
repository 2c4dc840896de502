"""The ``reproduce`` verb: the paper's Table 1 protocols (experiments/protocols/; this module
only the command line)."""
from __future__ import annotations

import sys
from pathlib import Path

from ..experiments.protocols import (DEFAULT, PROTOCOLS, RESULTS, cell_names, full_results_in, table_module,
                                     run_protocol)
from ..experiments.protocols.table import select
from .options import (PROG, HelpFormatter, UsageError, headless, integers,
                      names, path_error, positive_int)
from .signals import StopSignals

DEFAULT_OUT = "minitwophase-reproduce"
# Render-only: its runs are `minitwophase run` commands, stage by stage (protocols/paper_budget.py).
STAGED = "paper-budget"


def add_commands(subparsers):
    """Register ``minitwophase reproduce`` on the command's subparsers."""
    p = subparsers.add_parser(
        "reproduce", formatter_class=HelpFormatter,
        help="the paper's Table 1 protocols (laptop: ~100 min on one core; --quick: seconds)",
        description="Default protocol (laptop): Adam vs the fixed 30 percent split vs Adam+CG (0.9 "
        "detector) vs Adam+PCG on digits and mnist5k with an MLP and a small CNN, each under the "
        "output head x initial scale grid, MSE loss, batch 512, 3 seeds. Writes table1.md, "
        "table1.json and table1/<cell>/ figures into --out (default minitwophase-reproduce/; the "
        "repository's committed results are regenerated only with an explicit --out figures). "
        "Other protocols (--protocol) are described in minitwophase/experiments/protocols/. "
        "The runs are independent: --jobs N runs them in N local processes, --scheduler ADDRESS "
        "on a Dask cluster (pip install 'minitwophase[cluster]'); every run uses one BLAS thread, "
        "so the numbers are the same on every route.",
        epilog="Ctrl-C or SIGTERM stops the runs under way (each keeps its rows so far), writes the "
               "cells that have runs and exits 130 (SIGTERM: 143).")
    p.add_argument("--protocol", choices=PROTOCOLS + (STAGED,), default=DEFAULT,
                   help="laptop: as described above (table1.md); granularity: swap checks every 8/32/118 "
                   "Adam steps on mnist5k (granularity.md, ~20 min); vit: the four ViT variants and vgg5 "
                   "(table1_vit.md, ~64 min); vit-detector: the 0.9 detector at the paper's "
                   "118-step checks given 100 epochs on vit-nomlp-wkewq-wvwo (vit_detector.md, 34 min); "
                   "paper-row: full MNIST vit-nomlp-wkewq-wvwo, Adam vs Adam+CG at the paper's 30/70 "
                   "split (paper_row.md, 77 min); paper-budget (with --render only): the stage tables "
                   "(stages.md) of the 1000-epoch comparison from its run folders in --out (docs/results.md)")
    p.add_argument("--quick", action="store_true",
                   help="a few epochs on small data, one seed (seconds; for tests)")
    p.add_argument("--out", default=DEFAULT_OUT, metavar="DIR", help="output directory")
    p.add_argument("--overwrite", action="store_true",
                   help="allow a --quick run to replace a full run's results in --out (a --quick "
                   "run refuses a folder whose " + ", ".join(sorted(set(RESULTS.values()))) +
                   " is not marked quick)")
    p.add_argument("--seeds", type=integers, default=None, metavar="LIST",
                   help="comma-separated seeds (default: the protocol's, 0,1,2 for most; with --quick: 0)")
    p.add_argument("--cells", type=names, default=None, metavar="LIST",
                   help="comma-separated cell names of the protocol (default: all; not for granularity); "
                   "laptop's: " + ", ".join(cell_names("laptop")))
    p.add_argument("--epochs", type=positive_int, default=None, metavar="N",
                   help="every cell's epochs instead of the protocol's budgets (not for granularity; "
                   "the table says so)")
    p.add_argument("--jobs", type=positive_int, default=None, metavar="N",
                   help="run the protocol's runs in N local processes (default: one after the other here)")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="run them on the Dask cluster whose scheduler is at ADDRESS, e.g. "
                   "tcp://10.0.0.5:8786 (needs the optional extra 'cluster')")
    p.add_argument("--render", action="store_true",
                   help="train nothing: re-write the protocol's table (and granularity.png) in --out from "
                   "its JSON")
    p.add_argument("--merge", nargs="+", default=None, metavar="DIR",
                   help="with --render: first merge the JSON of the same protocol run on other cells in "
                   "these folders into --out's (their cell figures are copied)")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    p.set_defaults(func=cmd_reproduce)
    return p


def _check(args):
    if args.protocol == STAGED and not (args.render and not args.merge):
        raise ValueError(f"--protocol {STAGED} is rendered only (--render, no --merge): its runs are "
                         "`minitwophase run` commands, stage by stage (docs/results.md)")
    if args.merge and not args.render:
        raise ValueError("--merge needs --render (it merges results already written)")
    if args.render:
        extra = [f for f, v in (("--quick", args.quick), ("--seeds", args.seeds), ("--cells", args.cells),
                                ("--epochs", args.epochs), ("--jobs", args.jobs), ("--scheduler", args.scheduler))
                 if v]
        if extra:
            raise ValueError(f"--render trains nothing: {extra[0]} does not apply to it")
        return
    if args.jobs is not None and args.scheduler is not None:
        raise ValueError(f"give --jobs or --scheduler, not both: got --jobs {args.jobs} and --scheduler {args.scheduler}")
    if args.seeds is not None and len(set(args.seeds)) != len(args.seeds):
        raise ValueError(f"--seeds must not repeat, got {list(args.seeds)}")
    if args.seeds is not None and min(args.seeds) < 0:
        raise ValueError(f"--seeds must be >= 0, got {min(args.seeds)}")
    if args.epochs is not None and args.protocol == "granularity":
        raise ValueError("--epochs applies to the table protocols, not to --protocol granularity")
    if args.cells is not None:
        if args.protocol == "granularity":
            raise ValueError("--cells applies to the table protocols, not to --protocol granularity")
        module = table_module(args.protocol)       # table.select names what is wrong ("cells ...")
        select(module.QUICK_CELLS if args.quick else module.PROTOCOL.cells, args.cells)
    held = full_results_in(args.protocol, args.out) if args.quick and not args.overwrite else None
    if held:
        raise ValueError(f"--out {args.out} holds the results of {held}; --quick would replace "
                         "them: choose another --out or add --overwrite")
    if args.scheduler is not None:
        try:
            import distributed  # noqa: F401  (only checked: the engine imports it when it runs)
        except ImportError:
            raise ValueError("--scheduler needs Dask distributed: pip install 'minitwophase[cluster]'") from None


def cmd_reproduce(args):
    say = (lambda line: None) if args.quiet else (lambda line: print(line, flush=True))
    try:
        _check(args)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    out = Path(args.out)
    headless()
    if args.render and args.protocol == STAGED:
        from ..experiments.protocols import paper_budget
        try:
            stages = paper_budget.render(out)
        except (ValueError, OSError) as exc:
            raise UsageError(str(exc)) from None
        say(f"re-wrote {out / paper_budget.MARKDOWN}: stages {', '.join(map(str, stages)) or 'none yet'}")
        return 0
    if args.render:
        from ..experiments.protocols.documents import render
        try:
            render(args.protocol, out, merge_from=args.merge or ())
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        say(f"re-wrote {out / RESULTS[args.protocol].replace('.json', '.md')} from {RESULTS[args.protocol]}")
        return 0
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise path_error("--out", out, exc) from None
    # SIGTERM (a batch scheduler's time limit) stops the runs like Ctrl-C: partial rows kept
    with StopSignals() as stop:
        try:
            with stop.armed():
                doc = run_protocol(args.protocol, out, quick=args.quick, seeds=args.seeds, cells=args.cells,
                                   log=say, overwrite=args.overwrite, jobs=args.jobs, scheduler=args.scheduler,
                                   epochs=args.epochs)
        except KeyboardInterrupt:  # outside training (loading, plotting): finished cells are on disk
            print(f"{PROG}: {stop.name}; the table in {args.out} holds the cells finished so far", file=sys.stderr)
            return stop.code
        except OSError as exc:     # a scheduler that cannot be reached
            if args.scheduler is None:
                raise
            raise UsageError(f"--scheduler {args.scheduler}: cannot connect: {exc}") from None
    if not doc["complete"]:
        print(f"{PROG}: {stop.name if stop.received else 'interrupted'}: partial results in {out}/",
              file=sys.stderr)
    return 0 if doc["complete"] else stop.code
