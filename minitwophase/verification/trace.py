"""Verification traces: a fixed-seed run, step by step, in a framework-neutral file.

A researcher who implements the two-phase method in PyTorch or JAX runs the same
configuration, writes the same kind of trace, and ``compare.compare_traces`` names the
first step where the two implementations part (field, both values, relative difference).

Files (``save_trace(trace, "run.json")`` writes all three; ``load_trace`` reads .json or .csv)
  run.json  {"format": "minitwophase-trace", "format_version": 1, "header": {...},
             "records": [record, ...]}; floats as shortest round-trip decimals, NaN/inf -> null
  run.csv   the records alone, one row each, columns RECORD_KEYS (empty cell = null): the
            easiest thing to emit from another framework; compare-trace accepts it as well
  run.npz   the exact inputs: ``theta0`` (float64, the flat layout below), ``permutations``
            (int64, one row per Adam epoch: the training-set indices in minibatch order;
            minibatch b of epoch e is permutations[e-1][b*B:(b+1)*B]; -1 past the last step
            of an epoch cut short by a swap check (check_every) or a NaN), ``theta_final``, and
            with include_data=True ``X_train`` (float64) and ``y_train`` (int64 labels)

Header: format_version, minitwophase version, ``config`` (dataset spec, val_fraction,
data_seed, model spec, activation, head ("linear": the network ends in its last Dense layer;
"softmax": nn.Softmax follows it, so the MSE compares probabilities), loss, method, seed, epochs, batch_size, lr, adam_betas,
adam_eps, swap_factor, swap_mode, split, cg_beta, cg_line_search, cg_gtol, ...), ``constants``
(every constant a reimplementation needs: Adam's update, the minibatch-order and theta0 rules,
the swap rule, and CG's beta, line search with c1, c2, its limits and first trial step, the
descent test, restart rules, stopping test and failure rule; see ``constants``), n_train,
n_params, ``data_sha256`` (of X_train float64 C-order bytes, then y_train int64 bytes),
``layout`` (the flat parameter vector: per parameter its layer index, layer type, name,
shape, offset, size), swap_epoch, status, message, inputs_file.

Flat layout: layers in order, within a layer W then b, each C-order (the softmax head adds none).
Dense W has shape (n_in, n_out) and out = x @ W + b, so torch.nn.Linear.weight = W.T.
Conv2D W is (c_out, c_in, k, k), exactly torch.nn.Conv2d.weight.

Records, in this order (``step`` = position, 0, 1, 2, ...):
  kind "init"       phase "init", epoch 0: full-batch loss and 2-norm of the gradient at theta0
  kind "minibatch"  phase "adam": one Adam update. loss and grad_norm are the minibatch's,
                    at theta *before* the update; step_size = ||theta_new - theta_old||_2
  kind "epoch"      phase "adam": full-batch loss and gradient norm after the epoch's last
                    update (what the swap detector sees; = training.train's row)
  kind "cg"         phase "cg": one CG iteration (one per epoch, as training.train):
                    full-batch loss and gradient norm at the new point, step_size = alpha
                    (the accepted step along d), beta = the beta that built that direction
                    d (0 for d_0 = -g_0 and on every restart)
  kind "pcg"        phase "pcg" (methods adam+pcg, fixed-split-pcg): as "cg", for CG
                    preconditioned by M = diag(m), m = sqrt(v_hat) + eps of Adam after its last
                    step, fixed for the phase (N&W Section 5.2; constants["pcg"]; m is also
                    stored: the .npz's ``precond``)
Every record has the keys RECORD_KEYS; a key that does not apply is null.

Comparison (``compare.compare_traces``): records are matched by position; epoch, phase and kind must
be equal, and each numeric field must satisfy |other - ref| <= atol + rtol * |ref|. Why the
default tolerances (compare.DEFAULT_RTOL, DEFAULT_ATOL) are what they are is written there.

Layer: verification (above experiments/, below cli/); map: docs/architecture.md.
"""
from __future__ import annotations

import csv
import hashlib
import inspect
import json
import math
import zipfile
import zlib
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from .._json import jsonable, write_atomic
from .._version import __version__
from ..experiments.experiment import Experiment, load_data
from ..models import DEFAULT_HEAD, build_model
from ..optim import Adam
from ..optim.cg_beta import BETAS
from ..optim.line_search import RULES
from ..optim.nonlinear_cg import NonlinearCG
from ..training import METHODS, TrainConfig, train
from ..training.phases import adam_scaling

FORMAT, FORMAT_VERSION = "minitwophase-trace", 1
RECORD_KEYS = ("step", "epoch", "phase", "kind", "loss", "grad_norm", "step_size", "beta")
FIELDS = ("loss", "grad_norm", "step_size", "beta")      # the numeric, compared fields
STRUCTURE = ("epoch", "phase", "kind")                   # must match exactly
KINDS = {"init": "init", "minibatch": "adam", "epoch": "adam", "cg": "cg", "pcg": "pcg"}   # kind -> phase



class TraceError(ValueError):
    """A trace file or record that does not follow the schema (the message says where)."""


# ---------------------------------------------------------------- the trace
@dataclass
class Trace:
    header: dict = field(default_factory=dict)
    records: list = field(default_factory=list)
    inputs: dict = field(default_factory=dict)     # name -> ndarray (theta0, permutations, ...)

    def column(self, key, kinds=None):
        """One record key as a float array (null -> nan), optionally only some kinds."""
        return np.array([np.nan if r[key] is None else r[key] for r in self.records
                         if kinds is None or r["kind"] in kinds], dtype=float)

    def epoch_records(self):
        """The per-epoch records (init, epoch, cg): one per row of training.train's Run."""
        return [r for r in self.records if r["kind"] != "minibatch"]

    def to_dict(self):
        return {"format": FORMAT, "format_version": FORMAT_VERSION,
                "header": jsonable(self.header), "records": jsonable(self.records)}


class TraceRecorder:
    """Builds the records in schema order; another implementation may use it too."""

    def __init__(self):
        self.records = []

    def _add(self, epoch, kind, loss, grad_norm, step_size=None, beta=None):
        self.records.append(dict(step=len(self.records), epoch=int(epoch), phase=KINDS[kind],
                                 kind=kind, loss=_num(loss), grad_norm=_num(grad_norm),
                                 step_size=_num(step_size), beta=_num(beta)))

    def init(self, loss, grad_norm):
        self._add(0, "init", loss, grad_norm)

    def minibatch(self, epoch, loss, grad_norm, step_size):
        self._add(epoch, "minibatch", loss, grad_norm, step_size)

    def epoch(self, epoch, loss, grad_norm):
        self._add(epoch, "epoch", loss, grad_norm)

    def cg(self, epoch, loss, grad_norm, alpha, beta, kind="cg"):
        self._add(epoch, kind, loss, grad_norm, alpha, beta)


def _num(value):
    return None if value is None or not math.isfinite(value) else float(value)


# ---------------------------------------------------------------- recording our run
def record_trace(net, data, config=None, spec=None, include_data=False, **overrides):
    """Run ``training.train`` with every step recorded; returns a Trace.

    Same arguments as ``train`` (net, data, TrainConfig, overrides); ``spec`` adds the data
    and model description to the header (dataset, model, activation, val_fraction, data_seed).
    The per-epoch and CG records are train()'s own rows; the Adam steps come from its
    ``on_minibatch`` hook, so the trace is of the very loop every other run uses.
    """
    cfg = TrainConfig(**{**asdict(config or TrainConfig()), **overrides}).validate()
    phases = {name for name, _ in METHODS[cfg.method].schedule}
    if not phases <= {"adam", "cg", "pcg"}:
        raise ValueError(f"method must be one whose phases are Adam and CG or PCG (the trace schema's), "
                         f"got {cfg.method!r} (phases {sorted(phases)})")
    theta0 = cfg.initial_theta(net)
    steps = {}                                   # epoch -> [(index, loss, |g|, |step|), ...]
    last = [theta0.copy()]
    shadow = Adam(lr=cfg.lr)                     # Adam's moments, for PCG's stored m

    def on_minibatch(epoch, index, loss, grad, theta):
        steps.setdefault(epoch, []).append((index, loss, np.linalg.norm(grad), np.linalg.norm(theta - last[0])))
        last[0] = theta.copy()
        if "pcg" in phases:
            shadow.step(np.zeros_like(theta), grad)

    run = train(net, data, cfg, on_minibatch=on_minibatch)
    rec = TraceRecorder()
    rec.init(run.rows[0]["train_loss"], run.rows[0]["grad_norm"])
    for row in run.rows[1:]:
        epoch = row["epoch"]
        if row["phase"] == "adam":
            for _, loss, gnorm, step in steps.get(epoch, []):
                rec.minibatch(epoch, loss, gnorm, step)
            rec.epoch(epoch, row["train_loss"], row["grad_norm"])
        else:
            rec.cg(epoch, row["train_loss"], row["grad_norm"], row["cg_alpha"], row["cg_beta"], kind=row["phase"])
    for epoch in sorted(e for e in steps if e > (run.rows[-1]["epoch"])):   # a diverged last epoch
        for _, loss, gnorm, step in steps[epoch]:
            rec.minibatch(epoch, loss, gnorm, step)
    header = _header(net, data, cfg, spec or {})
    header.update(swap_epoch=run.swap_epoch, status=run.status, message=run.message)
    n = len(data.y_train)
    perms = np.full((len(steps), n), -1, dtype=np.int64)
    for row, e in zip(perms, sorted(steps)):
        taken = np.concatenate([s[0] for s in steps[e]])
        row[:taken.size] = taken
    inputs = {"theta0": theta0, "theta_final": np.array(run.theta, dtype=np.float64),
              "permutations": perms}
    if "pcg" in phases:
        m = adam_scaling(shadow)
        inputs["precond"] = np.ones_like(theta0) if m is None else m
    if include_data:
        inputs.update(X_train=np.ascontiguousarray(data.X_train, dtype=np.float64),
                      y_train=np.asarray(data.y_train, dtype=np.int64))
    return Trace(header, rec.records, inputs)


def trace_run(dataset="digits", model="mlp:32", activation=None, val_fraction=None, data_seed=0,
              include_data=False, head=DEFAULT_HEAD, **train_options):
    """Load the data set and build the model from their specs (as ``minitwophase run``), then
    ``record_trace``; ``train_options`` are TrainConfig fields (method, seed, epochs, ...)."""
    cfg = TrainConfig(**train_options)
    exp = Experiment(dataset=dataset, model=model, activation=activation, head=head, val_fraction=val_fraction,
                     data_seed=data_seed, methods=(cfg.method,), seeds=(cfg.seed,), train=cfg).validate()
    data = load_data(exp)
    net = build_model(exp.model, data.image_shape, data.n_classes, exp.activation, head=exp.head)
    spec = dict(dataset=exp.dataset, model=exp.model, activation=exp.activation, head=exp.head,
                val_fraction=exp.val_fraction, data_seed=exp.data_seed)
    return record_trace(net, data, exp.train, spec=spec, include_data=include_data)


def _header(net, data, cfg, spec):
    adam = Adam(lr=cfg.lr)
    config = {**spec, **{k: v for k, v in asdict(cfg).items() if k != "chunk_size"},
              "adam_betas": list(adam.betas), "adam_eps": adam.eps}
    return {"minitwophase_version": __version__, "config": config, "constants": constants(cfg),
            "n_train": int(len(data.y_train)), "n_params": int(net.size),
            "data_sha256": data_fingerprint(data.X_train, data.y_train), "layout": layout(net)}


def constants(cfg):
    """Every constant a reimplementation needs, read from the objects the run uses (so they
    cannot drift from the code): Adam's, the minibatch order, the swap rule's and nonlinear
    CG's with its line search (c1, c2, the search's own limits, the first trial step, the
    descent test, the restart rules, the stopping test). Lesson 07 builds a CG from these alone."""
    adam = Adam(lr=cfg.lr)
    cg = NonlinearCG(lambda x: (0.5 * float(x @ x), x), np.ones(1), beta=cfg.cg_beta,
                     line_search=cfg.cg_line_search, gtol=cfg.cg_gtol)     # resolves the defaults
    rule = RULES[cfg.cg_line_search]
    own = {k: v for k, v in vars(rule).items()
           if not k.startswith("_") and k not in ("c1", "c2") and isinstance(v, (bool, int, float))}
    search = {"name": cfg.cg_line_search, "c1": cg.c1, "c2": cg.c2, **own,
              "rule": inspect.getdoc(rule)}
    if cfg.cg_line_search in ("wolfe", "golden"):
        search["first_trial_step"] = (
            "k >= 1: a = 2 * (f_k - f_{k-1}) / (g_k . d_k) (N&W (3.60)); if a is not finite and > 0, "
            "a = alpha_{k-1} * (g_{k-1} . d_{k-1}) / (g_k . d_k) (N&W (3.59), the previous accepted "
            "step and the slope of its search); alpha_0 = min(a, 2 * alpha_{k-1}) (2 * alpha_{k-1} if a "
            "is still not finite and > 0; CG_DESCENT's I2 growth). k = 0: alpha_0 = 0.01 * "
            "||x_0||_inf / ||d_0||_inf, else 0.01 * |f_0| / |g_0 . d_0|, else 1 (CG_DESCENT's I0). "
            "A retry along -g keeps f_{k-1}, alpha_{k-1} and its slope. The search runs on "
            "t -> phi(t * alpha_0), phi(a) = f(x_k + a * d_k): scipy.optimize.line_search with "
            "xk = [0.0], pk = [alpha_0], old_old_fval = None (so its first trial is t = 1), and "
            "alpha = t * alpha_0")
    if cfg.cg_line_search == "golden":
        search["xtol"] = cg.xtol
    if cfg.cg_line_search == "wolfe":
        search.update(implementation="scipy.optimize.line_search", amax=None,
                      accept="extra_condition: accept alpha only if ||g(x + alpha d)||_inf <= gtol or "
                      "the next direction -g_new + beta d passes the descent test; if it refused every "
                      "Wolfe step, the same search is run again without it (and d is then reset to -g)")
    return {
        "adam": {"lr": adam.lr, "betas": list(adam.betas), "eps": adam.eps,
                 "epsilon_hat": adam.epsilon_hat,
                 "update": "m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; theta -= lr m_hat / "
                           "(sqrt(v_hat) + eps), bias-corrected (Kingma & Ba Alg. 1, torch.optim.Adam)"},
        "minibatch_order": "rng = numpy.random.default_rng([seed, 1]); each Adam epoch "
                           "order = rng.permutation(n_train); minibatch b = order[b*B:(b+1)*B] "
                           "(also stored: the .npz's permutations)",
        "theta0": "net.init(seed) * init_scale (also stored: the .npz's theta0)",
        "swap": {"factor": cfg.swap_factor, "mode": cfg.swap_mode, "check_every": cfg.check_every,
                 "rule": "after each Adam epoch (or every check_every steps), on the full-batch "
                         "2-norm gn: peak = max(peak, gn); leave Adam once gn <= factor * peak"},
        "cg": {"beta": cfg.cg_beta, "beta_formula": inspect.getdoc(BETAS[cfg.cg_beta]),
               "direction": "d_0 = -g_0; d_{k+1} = -g_{k+1} + beta d_k (N&W (5.40)), "
                            "y = g_{k+1} - g_k; x_{k+1} = x_k + alpha_k d_k",
               "line_search": search, "gtol": cg.gtol,
               "norm": "inf" if cg.norm == np.inf else cg.norm,
               "stop": "||g||_norm <= gtol", "sigma": cg.sigma,
               "descent_test": "restart d = -g (beta 0) unless g_new . d_new <= -sigma ||g_new||_2^2",
               "powell_nu": cg.powell_nu, "restart_every": cg.restart_every,
               "on_failure": "a failed search along a CG direction is retried once along -g; "
                             "if that fails too, CG stops", "one_iteration_per_epoch": True},
        "pcg": {"preconditioner": "M = diag(m), m = sqrt(v_hat) + eps with v_hat = v / (1 - beta2^t) "
                                  "of Adam after its last step (t steps; m = 1 if t = 0), fixed for the "
                                  "whole phase; also stored: the .npz's precond",
                "iteration": "as cg with the residual g replaced by g / m in the direction "
                             "(d_0 = -g_0 / m; d_{k+1} = -g_{k+1} / m + beta d_k) and the beta formulas' "
                             "inner products taken in M^{-1} (Nocedal & Wright Section 5.2)"},
    }


def data_fingerprint(X, y):
    """sha256 of X (float64, C order) then y (int64): both sides can check they hold the same data."""
    h = hashlib.sha256(np.ascontiguousarray(X, dtype=np.float64).tobytes())
    h.update(np.ascontiguousarray(y, dtype=np.int64).tobytes())
    return h.hexdigest()


def layout(net):
    """Where each parameter lives in theta: [{layer, type, name, shape, offset, size}, ...]."""
    # unflatten gives views into theta; on theta = 0, 1, 2, ... each view's first entry is its
    # offset (exact in float32 too below 2**24 parameters)
    out = []
    index = net.unflatten(np.arange(net.size, dtype=np.float64))
    for i, params in enumerate(index):
        for name, view in params.items():
            out.append(dict(layer=i, type=type(net.layers[i]).__name__, name=name,
                            shape=list(view.shape), offset=int(view.flat[0]) if view.size else 0,
                            size=int(view.size)))
    return out


# ---------------------------------------------------------------- files
def save_trace(trace, path):
    """Write path (.json), and beside it .csv (the records) and .npz (the inputs); returns them.
    Each by create-and-rename (_json.write_atomic): never half a file, never through a symlink."""
    path = Path(path)
    if path.suffix != ".json":
        raise ValueError(f"path must name a .json file such as trace.json (the .csv and .npz go "
                         f"beside it), got {str(path)!r}")
    csv_path, npz_path = path.with_suffix(".csv"), path.with_suffix(".npz")
    doc = trace.to_dict()
    if trace.inputs:
        doc["header"]["inputs_file"] = npz_path.name
        def write_npz(tmp):
            with open(tmp, "wb") as fh:         # a file object: np.savez would append ".npz"
                np.savez(fh, **trace.inputs)
        write_atomic(npz_path, write_npz)
    text = json.dumps(doc, indent=1, allow_nan=False) + "\n"
    write_atomic(path, lambda tmp: tmp.write_text(text))

    def write_csv(tmp):
        with open(tmp, "w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(RECORD_KEYS)
            for r in trace.records:
                w.writerow(["" if r[k] is None else repr(r[k]) if isinstance(r[k], float) else r[k]
                            for k in RECORD_KEYS])
    write_atomic(csv_path, write_csv)
    return [path, csv_path] + ([npz_path] if trace.inputs else [])


def load_trace(path):
    """Read a trace from .json (with its .npz inputs if present) or a records-only .csv."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"trace file {str(path)!r} does not exist")
    if path.suffix == ".csv":
        try:
            with open(path, newline="") as fh:
                rows = list(csv.DictReader(fh))
        except (csv.Error, UnicodeDecodeError) as exc:     # e.g. a field over csv's size limit
            raise TraceError(f"{path}: not a CSV trace ({' '.join(str(exc).split())})") from None
        return Trace({}, check_records([_from_csv(r, path, i) for i, r in enumerate(rows)], path))
    try:
        doc = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise TraceError(f"{path}: not a JSON trace ({exc})") from None
    except RecursionError:
        raise TraceError(f"{path}: not a JSON trace (nested too deeply to read)") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        got = doc.get("format") if isinstance(doc, dict) else type(doc).__name__
        raise TraceError(f"{path}: expected \"format\": {FORMAT!r}, got {got!r}")
    if doc.get("format_version") != FORMAT_VERSION:
        raise TraceError(f"{path}: expected format_version {FORMAT_VERSION}, got {doc.get('format_version')!r}")
    header = doc.get("header") or {}
    if not isinstance(header, dict) or not isinstance(header.get("config", {}), dict):
        what = "header" if not isinstance(header, dict) else "header.config"
        raise TraceError(f"{path}: expected {what} to be an object, got "
                         f"{type(header if what == 'header' else header['config']).__name__}")
    return Trace(header, check_records(doc.get("records"), path), _load_inputs(path, header))


def _load_inputs(path, header):
    """The .npz beside the trace that its header names (none: {}); TraceError if unreadable."""
    name = header.get("inputs_file")
    if not name:
        return {}
    if not isinstance(name, str) or Path(name).name != name:
        raise TraceError(f"{path}: expected header.inputs_file to be a file name beside the trace, "
                         f"got {name!r}")
    npz = path.with_name(name)
    if not npz.is_file():
        return {}
    try:
        z = np.load(npz, allow_pickle=False)
        if not isinstance(z, np.lib.npyio.NpzFile):
            raise ValueError(f"a single array ({type(z).__name__}), not an archive of arrays")
        with z:
            return {k: z[k] for k in z.files}
    except (OSError, ValueError, EOFError, MemoryError, zipfile.BadZipFile, zlib.error) as exc:
        why = " ".join(str(exc).split()) or type(exc).__name__
        raise TraceError(f"{path}: its inputs file {npz.name} is not a readable .npz ({why})") from None


def _from_csv(row, path, i):
    def value(key):
        text = (row.get(key) or "").strip()
        if key in ("phase", "kind"):
            return text
        if not text:
            return None
        try:
            return int(text) if key in ("step", "epoch") else float(text)
        except ValueError:
            raise TraceError(f"{path}: row {i + 1}, column {key!r}: expected a number, got {text!r}") from None
    missing = [k for k in RECORD_KEYS if k not in row]
    if missing:
        raise TraceError(f"{path}: missing column(s) {missing}; expected {list(RECORD_KEYS)}")
    return {k: value(k) for k in RECORD_KEYS}


def check_records(records, where="records"):
    """Validate the records against the schema; returns them (TraceError says which and why)."""
    if not isinstance(records, list) or not records:
        raise TraceError(f"{where}: expected a non-empty list of records, got {type(records).__name__}"
                         + (" of length 0" if isinstance(records, list) else ""))
    for i, r in enumerate(records):
        if not isinstance(r, dict) or set(r) != set(RECORD_KEYS):
            got = sorted(r) if isinstance(r, dict) else type(r).__name__
            raise TraceError(f"{where}: record {i}: expected keys {list(RECORD_KEYS)}, got {got}")
        if r["step"] != i:
            raise TraceError(f"{where}: record {i}: expected step {i} (records in order), got {r['step']!r}")
        if r["kind"] not in KINDS or r["phase"] != KINDS[r["kind"]]:
            raise TraceError(f"{where}: record {i}: expected kind/phase one of "
                             f"{[f'{k}/{p}' for k, p in KINDS.items()]}, got {r['kind']!r}/{r['phase']!r}")
        if isinstance(r["epoch"], bool) or not isinstance(r["epoch"], int) or r["epoch"] < 0:
            raise TraceError(f"{where}: record {i}: expected a non-negative int epoch, got {r['epoch']!r}")
        for k in FIELDS:
            v = r[k]
            if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float))):
                raise TraceError(f"{where}: record {i}: expected {k} a number or null, got {v!r}")
    return records
