"""The ``reproduce`` verb: the paper's Table 1 protocols (experiments/reproduce.py holds the
laptop one, experiments/protocols/ the others; this module only the command line)."""
from __future__ import annotations

import sys
from pathlib import Path

from ..experiments.protocols import DEFAULT, PROTOCOLS, RESULTS, full_results_in, run_protocol
from ..experiments.reproduce import CELL_NAMES, select_cells
from .options import (EXIT_INTERRUPTED, PROG, HelpFormatter, UsageError, headless, integers,
                      names, path_error)

DEFAULT_OUT = "minitwophase-reproduce"


def add_commands(subparsers):
    """Register ``minitwophase reproduce`` on the command's subparsers."""
    p = subparsers.add_parser(
        "reproduce", formatter_class=HelpFormatter,
        help="the paper's Table 1 protocols (laptop: 12-18 min measured on two cores; "
        "--quick: seconds)",
        description="Default protocol (laptop): Adam vs the fixed 30 percent split vs Adam+CG (0.9 "
        "detector) on mnist5k and digits with an MLP and a small VGG-style CNN, MSE loss, batch 512, "
        "3 seeds. Writes table1.md, table1.json and reproduction/<cell>/ figures into --out (default "
        "minitwophase-reproduce/; the repository's committed results are regenerated only with an "
        "explicit --out figures). Other protocols (--protocol) are described in "
        "minitwophase/experiments/protocols/.",
        epilog=f"Cells: {', '.join(CELL_NAMES)}. Ctrl-C keeps the finished cells and exits 130.")
    p.add_argument("--protocol", choices=PROTOCOLS, default=DEFAULT,
                   help="laptop: as described above (table1.md); granularity: swap checks every 8/32/118 "
                   "Adam steps on mnist5k (granularity.md, ~20 min); vit: the four ViT variants and vgg5 "
                   "(table1_vit.md, 50 min measured); vit-detector: the 0.9 detector at the paper's "
                   "118-step checks given 100 epochs on vit-nomlp-wkewq-wvwo (vit_detector.md, 34 min); "
                   "paper-row: full MNIST vit-nomlp-wkewq-wvwo, Adam vs Adam+CG at the paper's 30/70 "
                   "split (paper_row.md, 77 min)")
    p.add_argument("--quick", action="store_true",
                   help="a few epochs on small data, one seed (seconds; for tests)")
    p.add_argument("--out", default=DEFAULT_OUT, metavar="DIR", help="output directory")
    p.add_argument("--overwrite", action="store_true",
                   help="allow a --quick run to replace a full run's results in --out (a --quick "
                   "run refuses a folder whose " + ", ".join(sorted(set(RESULTS.values()))) +
                   " is not marked quick)")
    p.add_argument("--seeds", type=integers, default=None, metavar="LIST",
                   help="comma-separated seeds (default: 0,1,2; with --quick: 0)")
    p.add_argument("--cells", type=names, default=None, metavar="LIST",
                   help=f"comma-separated cell names from {', '.join(CELL_NAMES)} (default: all)")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    p.set_defaults(func=cmd_reproduce)
    return p


def cmd_reproduce(args):
    say = (lambda line: None) if args.quiet else (lambda line: print(line, flush=True))
    try:
        if args.seeds is not None and len(set(args.seeds)) != len(args.seeds):
            raise ValueError(f"--seeds must not repeat, got {list(args.seeds)}")
        if args.seeds is not None and min(args.seeds) < 0:
            raise ValueError(f"--seeds must be >= 0, got {min(args.seeds)}")
        if args.cells is not None and args.protocol != "laptop":
            raise ValueError(f"--cells applies to --protocol laptop only, got --protocol {args.protocol}")
        select_cells(args.cells, args.quick)
        held = full_results_in(args.protocol, args.out) if args.quick and not args.overwrite else None
        if held:
            raise ValueError(f"--out {args.out} holds the results of {held}; --quick would replace "
                             "them: choose another --out or add --overwrite")
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise path_error("--out", out, exc) from None
    headless()
    try:
        doc = run_protocol(args.protocol, out, quick=args.quick, seeds=args.seeds, cells=args.cells, log=say,
                           overwrite=args.overwrite)
    except KeyboardInterrupt:      # outside training (loading, plotting): finished cells are on disk
        print(f"{PROG}: interrupted; the table in {args.out} holds the cells finished so far", file=sys.stderr)
        return EXIT_INTERRUPTED
    if not doc["complete"]:
        print(f"{PROG}: interrupted: partial results in {out}/", file=sys.stderr)
    return 0 if doc["complete"] else EXIT_INTERRUPTED
