"""The ``curvature`` verb: the Hessian's extremes and convex verdict at saved parameters.

    minitwophase curvature PARAMS.npz [--dataset mnist5k --model mlp] [--run adam+cg_seed0]
                           [--key final|best|epoch_N] [--density FIG.png] [--json]

Reads theta from a ``params.npz`` written by ``minitwophase run`` (keys
"<method>_seed<seed>_theta", "..._best_theta", "..._epoch_<N>" with --save-checkpoints),
rebuilds the model on the same data (same --dataset, --model, --activation, --loss,
--val-fraction, --data-seed as the run) and measures the full training loss's Hessian with
``curvature.probe``, the measurement ``run --curvature-every`` makes: lambda_min, lambda_max,
their ratio, the negative spectral mass, ``convex_verdict`` and the products used.
"""
from __future__ import annotations

import json
import os
import zipfile
import zlib
from pathlib import Path

import numpy as np

from .. import curvature
from .._validate import positive_int
from ..curvature.probe import check_options
from ..experiments.experiment import Experiment, load_data
from ..models import MAX_PARAMETERS, build_model
from ..training import Objective, TrainConfig
from .options import MAIN_JOB, HelpFormatter, UsageError, add_data_options, headless, integer, number

SUFFIX = {"final": "theta", "best": "best_theta"}
PARAMS = "PARAMS.npz"        # the positional argument, as --help and the error messages name it
FIGURE_TYPES = (".png", ".pdf", ".svg")


def add_commands(subparsers):
    cu = subparsers.add_parser(
        "curvature", formatter_class=HelpFormatter,
        help="measure the Hessian's extreme eigenvalues and convexity at saved parameters",
        description="Load theta from a params.npz of `minitwophase run` and measure the Hessian "
        "of the full training loss there (Lanczos on finite-difference Hessian-vector products, "
        "as `run --curvature-every`): lambda_min, lambda_max, their ratio, the negative "
        "spectral mass, the convex verdict (lambda_min >= -1e-3 lambda_max) and the number of "
        "products. Give the data and model options the run used; the output head is read from "
        "the run's results.json beside the params file unless --head is given (without one: "
        "softmax, the main job's).",
        epilog="Bad options or files: one error line, exit 2.")
    cu.add_argument("params", metavar=PARAMS, help="params.npz written by `minitwophase run`")
    add_data_options(cu, head=None)
    cu.add_argument("--chunk-size", type=integer, default=None, metavar="N",
                    help="process full-batch passes in chunks of N samples (bounds memory)")
    pick = cu.add_argument_group("which parameters")
    pick.add_argument("--run", default=None, metavar="METHOD_seedN",
                      help="the run in the file, e.g. adam+cg_seed0; default: the only one")
    pick.add_argument("--key", default="final", metavar="KEY",
                      help="final | best | epoch_N (a checkpoint) | a full array name of the file")
    m = cu.add_argument_group("measurement")
    m.add_argument("--seed", type=integer, default=0, metavar="N", help="seed of the probe vectors")
    m.add_argument("--tol", type=number, default=1e-3, help="relative residual of the extreme Ritz pairs")
    m.add_argument("--max-hvp", type=integer, default=300, metavar="N", help="budget of Hessian-vector products")
    m.add_argument("--n-vectors", type=integer, default=2, metavar="N", help="probe vectors of the density")
    m.add_argument("--steps", type=integer, default=40, metavar="N", help="Lanczos steps per density probe")
    o = cu.add_argument_group("output")
    o.add_argument("--density", default=None, metavar="FIG.png", help="also write the spectral-density figure")
    o.add_argument("--json", action="store_true", help="print the numbers as one JSON object")
    cu.set_defaults(func=cmd_curvature)


def select_key(keys, run=None, key="final"):
    """The array name in a params file for ``run`` and ``key`` (UsageError naming the choices)."""
    keys = list(keys)
    if key in keys:
        return key
    suffix = SUFFIX.get(key, key if key.startswith("epoch_") else None)
    if suffix is None:
        raise UsageError(f"--key must be final, best, epoch_N or an array of the file, got {key!r}")
    runs = sorted({k[:-len("_best_theta")] if k.endswith("_best_theta") else k[:-len("_theta")]
                   for k in keys if k.endswith("_theta")})
    if run is None:
        if len(runs) != 1:
            raise UsageError(f"the file holds {len(runs)} runs ({', '.join(runs) or 'none'}); choose one with --run")
        run = runs[0]
    name = f"{run}_{suffix}"
    if name not in keys:
        raise UsageError(f"no array {name!r} in the file; it holds {', '.join(keys)}")
    return name


def _read_member(npz, name):
    """One array of an open .npz: its header (shape, dtype) checked before its data is read."""
    with npz.open(name + ".npy") as f:
        fmt = np.lib.format
        version = fmt.read_magic(f)
        shape, _, dtype = (fmt.read_array_header_1_0 if version == (1, 0) else fmt.read_array_header_2_0)(f)
        if dtype.kind not in "fiu":
            kind = "complex" if dtype.kind == "c" else str(dtype)
            raise ValueError(f"array {name!r} must hold real numbers, got {kind} values")
        if len(shape) != 1:
            raise ValueError(f"array {name!r} must be 1-D (a flat theta), got shape {shape}")
        if shape[0] > MAX_PARAMETERS:
            raise ValueError(f"array {name!r} declares {shape[0]:,} parameters, more than any model "
                             f"(at most {MAX_PARAMETERS:,})")
    with npz.open(name + ".npy") as f:
        return np.lib.format.read_array(f, allow_pickle=False)


def _load_theta(args):
    """(array name, theta) from the .npz: every failure is a UsageError naming PARAMS.npz."""
    path = Path(args.params)
    where = f"{PARAMS} {path}"
    if not path.is_file():
        raise UsageError(f"{where}: cannot read it ({'no such file' if not path.exists() else 'not a file'})")
    try:
        with zipfile.ZipFile(path) as npz:
            names = [n[:-len(".npy")] for n in npz.namelist() if n.endswith(".npy")]
            name = select_key(names, args.run, args.key)
            theta = _read_member(npz, name)
    except UsageError:
        raise
    except zipfile.BadZipFile:
        raise UsageError(f"{where}: not a .npz archive (expected the params.npz written by "
                         "`minitwophase run`; a .npy holds no run names)") from None
    except (OSError, ValueError, EOFError, zlib.error, KeyError) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc) or type(exc).__name__
        raise UsageError(f"{where}: cannot read it ({' '.join(why.split())})") from None
    theta = theta.astype(np.float64)
    if not np.all(np.isfinite(theta)):
        bad = int(theta.size - np.count_nonzero(np.isfinite(theta)))
        raise UsageError(f"{where}: array {name!r} must hold finite values, got {bad} NaN/inf")
    return name, theta


def _check_options(args):
    """The measurement and output options, before anything long is done."""
    try:
        check_options(args.seed, args.tol, args.n_vectors, args.steps, args.max_hvp)
        if args.chunk_size is not None:
            positive_int(args.chunk_size, "chunk_size")
    except (ValueError, TypeError) as exc:
        raise UsageError(str(exc)) from None
    if args.density is None:
        return
    fig = Path(args.density)
    if fig.is_dir():
        raise UsageError(f"--density must name a file, got the folder {args.density!r}")
    if fig.suffix.lower() not in FIGURE_TYPES:
        raise UsageError(f"--density must name a figure file ending in {', '.join(FIGURE_TYPES)}, "
                         f"got {args.density!r}")
    folder = fig.parent if str(fig.parent) else Path(".")
    if not folder.is_dir() or not os.access(folder, os.W_OK):
        raise UsageError(f"--density {args.density}: cannot write there (folder {str(folder)!r} "
                         f"{'does not exist' if not folder.is_dir() else 'is not writable'})")


def saved_head(params):
    """The head the run used (its results.json beside the params file), else the main job's:
    the head adds no parameters, so a wrong one would measure another loss without an error."""
    try:
        return json.loads((Path(params).parent / "results.json").read_text())["config"]["head"]
    except (OSError, ValueError, KeyError, TypeError):
        return MAIN_JOB["head"]


def cmd_curvature(args):
    _check_options(args)
    name, theta = _load_theta(args)
    try:
        exp = Experiment(dataset=args.dataset, model=args.model, activation=args.activation,
                         head=args.head or saved_head(args.params), val_fraction=args.val_fraction,
                         data_seed=args.data_seed, train=TrainConfig(loss=args.loss)).validate()
        data = load_data(exp)
        net = build_model(exp.model, data.image_shape, data.n_classes, exp.activation, head=exp.head)
        if theta.shape != (net.size,):
            raise UsageError(f"{PARAMS} {args.params}: array {name!r} holds {theta.size} parameters, "
                             f"the model {exp.model!r} on {args.dataset} needs {net.size}: give the "
                             "run's --model/--dataset")
        objective = Objective(net, data.X_train, data.y_train, args.loss, args.chunk_size)
        with np.errstate(over="ignore", invalid="ignore"):   # reported below, in one line
            f, g = objective(theta)
        if not (np.isfinite(f) and np.all(np.isfinite(g))):
            raise UsageError(f"{PARAMS} {args.params}: the training loss or its gradient at array "
                             f"{name!r} is not finite (loss {f:g}); the Hessian is not defined there")
    except (ValueError, TypeError, OSError) as exc:
        raise UsageError(str(exc)) from None
    try:                                     # the options are checked: what fails here is theta
        rec = curvature.probe(objective, theta, seed=args.seed, tol=args.tol, n_vectors=args.n_vectors,
                              steps=args.steps, max_hvp=args.max_hvp)
    except (ValueError, FloatingPointError) as exc:
        raise UsageError(f"{PARAMS} {args.params}: the Hessian at array {name!r} cannot be measured "
                         f"({exc})") from None
    verdict = curvature.convex_verdict(rec)
    out = {"params": str(args.params), "key": name, "n_params": int(theta.size), "train_loss": float(f),
           "grad_norm": float(np.linalg.norm(g)), **rec.row(), "threshold": rec.threshold,
           "converged": rec.converged, "convex": verdict.convex, "verdict": verdict.label,
           "margin": verdict.margin}
    if args.density:
        headless()
        from ..curvature.plots import density_figure
        try:
            density_figure([rec.density], [f"{name} ({verdict.label})"]).savefig(args.density, dpi=110)
        except OSError as exc:
            raise UsageError(f"--density {args.density}: cannot write it ({exc.strerror or exc})") from None
        out["density"] = args.density
    if args.json:
        print(json.dumps(out))
        return 0
    print(f"{name} ({theta.size} parameters) on {data.description}")
    print(f"train loss {f:.6g}, gradient norm {out['grad_norm']:.4g}")
    print(f"lambda_min      {rec.lambda_min:.6g}")
    print(f"lambda_max      {rec.lambda_max:.6g}")
    print(f"ratio           {rec.ratio:.4g}")
    print(f"negative mass   {rec.negative_mass:.4g} (density weight below -{rec.threshold:.3g})")
    print(f"verdict         {verdict.message}; margin {verdict.margin:+.3g}")
    print(f"n_hvp           {rec.n_hvp} ({rec.n_evals} gradient evaluations, "
          f"{'converged' if rec.converged else 'NOT converged: raise --max-hvp'}, {rec.seconds:.1f} s)")
    if args.density:
        print(f"density figure  {args.density}")
    return 0
