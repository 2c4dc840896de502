"""Save and load a comparison; the tables at equal epochs and at equal cost; summary.md.

Files written by ``save_results(outcome, out_dir)`` (or, step by step, by the command:
``write_records``, ``write_figures``, ``write_summary``), each by create-and-rename into an
``outdir.OutputFolder`` (locked, an earlier run's files removed first):
  results.json  {"minitwophase": version, "versions": {...}, "blas": the BLAS library, kernel
                and thread count (blas.py), "config": the experiment and the command that
                repeats it (thread count first), "dataset": description, "state": running /
                complete / interrupted / failed, "interrupted": bool, "ended": how it ended
                in words, "error": why files are missing (state failed), "checkpoints":
                {"every", "keep", "folder"} with --checkpoint-every (else null), "origin":
                "resumed from DIR" / "started from FILE" (else null), "runs":
                [Run.to_dict()], "summary": summarize(runs)}; NaN/inf become null
  history.csv   one row per method, seed and epoch: method, seed, then training.COLUMNS (and
                training.CURVATURE_COLUMNS when curvature was measured)
  params.npz    per run "<method>_seed<seed>_theta" and "..._best_theta" (and "..._epoch_<N>"
                with save_checkpoints)
  summary.md    the tables below, each run's gradient-norm summary, the figures (if drawn)

Comparisons (the summary): per method, mean and sample std (ddof=1) over seeds of
  * at equal epochs: each run at its final epoch (train loss, train acc, val loss, val acc);
  * at equal cost: budget = the smallest final cost (epoch-equivalents, training/objective.py:
    (F + r B) / ((1 + r) N) for F, B samples forward and backward) among the runs that were not interrupted; each run is read at its last epoch with
    cost <= budget. An interrupted run that stopped short of the budget is left out of that
    table (named under it). Train accuracy is measured only at the end of a run, so the
    equal-cost table has none.

Layer: experiments (above training/ and models.py); map: docs/architecture.md.
"""
from __future__ import annotations

import csv
import io
import json
import os
import math
import platform
import time
from pathlib import Path

import numpy as np

from .._json import jsonable, write_atomic
from .._version import __version__
from ..peaks import GradNormSummary
from ..training import COLUMNS, CURVATURE_COLUMNS, Run
from .blas import blas_info, repeat_command
from .curvature_report import curvature_digest, curvature_markdown
from .outdir import OutputFolder, WriteError

RESULTS, HISTORY, PARAMS, SUMMARY = "results.json", "history.csv", "params.npz", "summary.md"
METRICS = ("train_loss", "train_acc", "val_loss", "val_acc")
_COST_RTOL = 1e-12    # costs are sums of sample counts / 2N: allow rounding in the last bit


# ---------------------------------------------------------------- numbers
def versions():
    """Versions of everything that can change the numbers (the BLAS: ``blas_info``)."""
    import matplotlib
    import scipy

    return {"minitwophase": __version__, "python": platform.python_version(),
            "numpy": np.__version__, "scipy": scipy.__version__,
            "matplotlib": matplotlib.__version__, "platform": platform.platform()}


def _finite(values):
    return [float(v) for v in values if v is not None and math.isfinite(v)]


def mean_std(values):
    """{"mean", "std", "n"} over the finite values; std is the sample std (None if n < 2)."""
    vals = _finite(values)
    n = len(vals)
    return {"mean": float(np.mean(vals)) if n else None,
            "std": float(np.std(vals, ddof=1)) if n >= 2 else None, "n": n}


def row_at_cost(run, budget):
    """The run's last row with cost <= budget (None if even epoch 0 costs more)."""
    limit = budget * (1 + _COST_RTOL)
    rows = [r for r in run.rows if r["cost"] is not None and r["cost"] <= limit]
    return rows[-1] if rows else None


def cost_budget(runs):
    """Smallest final cost among the runs not interrupted (all runs if every one was)."""
    done = [r for r in runs if r.rows and r.status != "interrupted"] or [r for r in runs if r.rows]
    return min(r.rows[-1]["cost"] for r in done) if done else None


def _group(runs):
    methods = list(dict.fromkeys(r.method for r in runs))   # first-seen order
    return [(m, [r for r in runs if r.method == m]) for m in methods]


def _aggregate(method, pairs):
    """pairs: (run, row) per seed -> one table row of means and stds."""
    out = {"method": method, "runs": len(pairs),
           "epochs": [min(p[1]["epoch"] for p in pairs), max(p[1]["epoch"] for p in pairs)]}
    for key in ("train_loss", "train_acc", "val_loss", "val_acc", "cost", "wall_time"):
        out[key] = mean_std([row.get(key) for _, row in pairs])
    return out


def summarize(runs):
    """The comparison tables and a per-run digest, as a JSON-ready dict."""
    runs = [r for r in runs if r.rows]
    if not runs:
        return {"equal_epochs": [], "equal_cost": {"budget": None, "rows": [], "short_of_budget": []},
                "runs": []}
    equal_epochs = [_aggregate(m, [(r, {**r.rows[-1], "train_acc": r.final_train_acc}) for r in rs])
                    for m, rs in _group(runs)]
    budget = cost_budget(runs)
    reached, short = [], []
    for r in runs:
        (short if r.rows[-1]["cost"] < budget * (1 - _COST_RTOL) else reached).append(r)
    equal_cost = [_aggregate(m, [(r, row_at_cost(r, budget)) for r in rs])
                  for m, rs in _group(reached)]
    digest = []
    for r in runs:
        peaks = r.peaks                 # the run's one GradNormSummary: every peak word below
        at = row_at_cost(r, budget)
        digest.append({
            "method": r.method, "seed": r.seed, "status": r.status, "message": r.message,
            "epochs": r.rows[-1]["epoch"], "swap_epoch": r.swap_epoch,
            "peak_epoch": peaks.detector_epoch if peaks.peak_passed else None,   # None: no peak passed
            "largest_checked_epoch": peaks.detector_epoch, "peak_passed": peaks.peak_passed,
            "best_epoch": r.best_epoch, "single_peak": peaks.verdict == "single",
            "peak_message": peaks.report["message"], "peaks": peaks.sentence(),
            "grad_norm_summary": peaks.to_dict(), "final": {k: r.rows[-1].get(k) for k in COLUMNS},
            "final_train_acc": r.final_train_acc,
            "at_budget": None if at is None else {k: at.get(k) for k in COLUMNS},
            "curvature": curvature_digest(r)})
    return {"equal_epochs": equal_epochs,
            "equal_cost": {"budget": budget, "rows": equal_cost,
                           "short_of_budget": [f"{r.method} seed {r.seed}" for r in short]},
            "runs": digest}


# ---------------------------------------------------------------- tables
def format_stat(stat, spec, std_spec=None):
    """``{"mean", "std"}`` as "mean ± std" ("-" without a mean). std_spec defaults to two
    significant digits for "g" formats, else the mean's format."""
    if not stat or stat.get("mean") is None:
        return "-"
    text = format(stat["mean"], spec)
    if std_spec is None:
        std_spec = ".2g" if spec.endswith("g") else spec
    return text if stat.get("std") is None else f"{text} ± {format(stat['std'], std_spec)}"


def span(pair):
    return str(pair[0]) if pair[0] == pair[1] else f"{pair[0]}-{pair[1]}"


def markdown_table(headers, rows):
    """A Markdown table padded so that it also reads as plain text in a terminal."""
    cells = [list(map(str, headers))] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    line = lambda row: "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths)) + " |"
    return "\n".join([line(cells[0]), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
                     + [line(row) for row in cells[1:]])


def equal_epochs_table(summary):
    rows = [[a["method"], a["runs"], span(a["epochs"]), format_stat(a["train_loss"], ".4g"),
             format_stat(a["train_acc"], ".4f"), format_stat(a["val_loss"], ".4g"), format_stat(a["val_acc"], ".4f"),
             format_stat(a["cost"], ".1f"), format_stat(a["wall_time"], ".1f")]
            for a in summary["equal_epochs"]]
    return markdown_table(["method", "runs", "epochs", "train loss", "train acc", "val loss",
                           "val acc", "cost (epoch-eq.)", "wall time (s)"], rows)


def equal_cost_table(summary):
    rows = [[a["method"], a["runs"], span(a["epochs"]), format_stat(a["train_loss"], ".4g"),
             format_stat(a["val_loss"], ".4g"), format_stat(a["val_acc"], ".4f"), format_stat(a["cost"], ".1f"),
             format_stat(a["wall_time"], ".1f")]
            for a in summary["equal_cost"]["rows"]]
    return markdown_table(["method", "runs", "epoch reached", "train loss", "val loss",
                           "val acc", "cost (epoch-eq.)", "wall time (s)"], rows)


def runs_table(summary):
    dash = lambda v, spec="": "-" if v is None else format(v, spec)
    rows = []
    for d in summary["runs"]:
        peaks = GradNormSummary.from_dict(d["grad_norm_summary"]) if d.get("grad_norm_summary") else None
        rows.append([d["method"], d["seed"], d["status"], d["epochs"], dash(d["swap_epoch"]),
                     peaks.peak_cell() if peaks else (dash(d["peak_epoch"]) if d.get("peak_passed") else "none passed"),
                     peaks.verdict if peaks else dash(d["single_peak"]), dash(d["final"]["train_loss"], ".4g"),
                     dash(d["final"]["val_acc"], ".4f"), dash(d["final"]["cost"], ".1f"),
                     dash(d["final"]["wall_time"], ".1f")])
    return markdown_table(["method", "seed", "status", "epochs", "swap epoch", "detector peak epoch",
                           "single-peak check", "train loss", "val acc", "cost", "wall time (s)"], rows)


def format_tables(summary):
    """The three tables as text (printed by the CLI, embedded in summary.md)."""
    budget = summary["equal_cost"]["budget"]
    if budget is None:
        return "No run recorded any epoch."
    short = summary["equal_cost"]["short_of_budget"]
    parts = ["At equal epochs (each run at its final epoch; mean ± std over seeds):",
             equal_epochs_table(summary), "",
             f"At equal cost (budget {budget:.1f} epoch-equivalents of gradient evaluations; "
             "each run at its last epoch within it):", equal_cost_table(summary)]
    if short:
        parts.append(f"Left out (interrupted before the budget): {', '.join(short)}")
    parts += ["", "Runs (swap epoch = last Adam epoch; detector peak epoch = the swap rule's running "
              "peak, shown when a peak was passed):", runs_table(summary), "",
              "Gradient norm (detector peak; largest epoch-end |g|; single-peak check):"]
    parts += [f"  {d['method']} seed {d['seed']}: {d.get('peaks') or d['peak_message'] or 'none'}"
              for d in summary["runs"]]
    sentences = [d["curvature"]["sentence"] for d in summary["runs"] if d.get("curvature")]
    if sentences:       # --curvature-every: experiments/curvature_report.py
        parts += ["", "Curvature at the swap (convex: lambda_min >= -1e-3 lambda_max; margin in "
                  "units of lambda_max):"] + [f"  {s}" for s in sentences]
    return "\n".join(parts)


# ---------------------------------------------------------------- files
def results_document(outcome, running=False):
    """results.json's content. ``state``: "running" (a partial file written during the run;
    no summary yet), "interrupted" (Ctrl-C or SIGTERM), "failed" (the files could not all be
    written, e.g. a full disk: ``error`` says why) or "complete". ``ended`` says in words how
    the command ended (which signal, at which stage); ``blas`` the BLAS library and threads."""
    exp = outcome.experiment
    state = ("running" if running else "failed" if outcome.error else
             "interrupted" if outcome.interrupted else "complete")
    return jsonable({
        "minitwophase": __version__, "versions": versions(), "blas": blas_info(),
        "config": {**exp.to_dict(), "command": repeat_command(exp)},
        "dataset": outcome.dataset, "state": state, "interrupted": outcome.interrupted,
        "ended": outcome.ended or None, "error": outcome.error,
        "wall_time": outcome.wall_time, "checkpoints": outcome.checkpoints, "origin": outcome.origin,
        "runs": [r.to_dict() for r in outcome.runs],
        "summary": None if running else summarize(outcome.runs)})


def history_columns(runs):
    return COLUMNS + (CURVATURE_COLUMNS if any(r.curvature is not None for r in runs) else ())


def _csv_row(run, row, columns):
    return [run.method, run.seed] + ["" if row.get(k) is None else row[k] for k in columns]


def write_history_csv(runs, path):
    write_atomic(Path(path), lambda tmp: _write_history(runs, tmp))


def _write_history(runs, path):
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        columns = history_columns(runs)
        w.writerow(("method", "seed") + columns)
        for r in runs:
            for row in r.rows:
                w.writerow(_csv_row(r, row, columns))


def write_params(runs, path):
    write_atomic(Path(path), lambda tmp: _write_params(runs, tmp))


def _write_params(runs, path):
    arrays = {}
    for r in runs:
        for name in ("theta", "best_theta"):
            if getattr(r, name) is not None:
                arrays[f"{r.method}_seed{r.seed}_{name}"] = np.asarray(getattr(r, name))
        for epoch, theta in (r.checkpoints or {}).items():       # --save-checkpoints
            arrays[f"{r.method}_seed{r.seed}_epoch_{epoch}"] = np.asarray(theta)
    with open(path, "wb") as fh:            # a file object: np.savez would append ".npz" to path
        np.savez(fh, **arrays)


TEACHING_FIGURE = "fig_gradnorm_vs_loss.png"


def summary_markdown(doc, figures=(), runs=None):
    cfg, summary = doc["config"], doc["summary"]
    status = {"complete": "complete", "interrupted": "INTERRUPTED (partial results)",
              "failed": "FAILED (files incomplete)"}.get(doc.get("state"), doc.get("state"))
    if doc.get("ended"):
        status += f"; {doc['ended']}"
    lines = ["# minitwophase comparison", "",
             f"Repeat with: `{cfg['command']}`", "",
             f"- data: {doc['dataset']}",
             f"- model: {cfg['model']} ({cfg['activation']}), {cfg.get('head', 'linear')} head, "
             f"initial scale {cfg['train'].get('init_scale', 1.0):g} x Glorot/He, loss {cfg['train']['loss']}, "
             f"batch {cfg['train']['batch_size']}, Adam lr {cfg['train']['lr']:g}",
             f"- swap: factor {cfg['train']['swap_factor']:g}, mode {cfg['train']['swap_mode']}; "
             f"CG beta {cfg['train']['cg_beta']}, line search {cfg['train']['cg_line_search']}",
             f"- status: {status}", ""]
    # The figure that teaches comes first: the gradient norm against the loss, peak and swap marked.
    teach = [f for f in figures if Path(f).name == TEACHING_FIGURE]
    if teach:
        lines += [f"![the gradient norm against the loss, the detector peak (star) and the swap (diamond) "
                  f"marked]({TEACHING_FIGURE})", ""]
    lines += ["## At equal epochs", "", "Each run at its final epoch; mean ± sample std over seeds.", "",
             equal_epochs_table(summary), "",
             "## At equal cost", "",
             f"Budget: {summary['equal_cost']['budget'] or 0:.1f} epoch-equivalents (the smallest final "
             "cost among the runs); each run at its last epoch within it. One epoch-equivalent = one "
             "gradient evaluation over the training set; a forward pass alone is priced 1/(1+r), r = "
             f"{cfg['train'].get('backward_ratio') or 1.0:g} the measured backward/forward time ratio.", "",
             equal_cost_table(summary), ""]
    if summary["equal_cost"]["short_of_budget"]:
        lines += ["Left out (interrupted before the budget): "
                  + ", ".join(summary["equal_cost"]["short_of_budget"]), ""]
    lines += ["## Runs", "", "Swap epoch = last Adam epoch. Three readings of the gradient norm, "
              "named apart: the *detector peak* is the swap rule's running peak over its checks up "
              "to the swap (the one the swap was judged on); the *largest epoch-end |g|* is the "
              "largest full-batch norm at an epoch's end over the same epochs; the *single-peak "
              "check* (the paper's safeguard) smooths every epoch's norm, Adam and CG phases, and "
              "counts peaks climbed and left. The table shows the detector peak's epoch only when "
              "a peak was passed (the checks rose to it and the single-peak check found a peak), "
              "otherwise \"none passed\". Epoch 0 (the initial point) is never checked.", "",
              runs_table(summary), "",
              "### Gradient norm and outcome", ""]
    for d in summary["runs"]:
        lines.append(f"- {d['method']} seed {d['seed']}: {d.get('peaks') or d['peak_message'] or 'no peak report'}; "
                     f"{d['status']}: {d['message']}")
    lines += ([""] + curvature_markdown(runs)) if runs else []
    if figures:
        lines += ["", "## Figures", ""] + [f"![{Path(f).stem}]({Path(f).name})" for f in figures
                                           if Path(f).name != TEACHING_FIGURE]
    blas = doc.get("blas") or {}
    lines += ["", "## Versions", ""] + [f"- {k}: {v}" for k, v in doc["versions"].items()]
    if blas:
        lines.append(f"- BLAS: {blas.get('library')} {blas.get('version') or ''}, kernel "
                     f"{blas.get('kernel') or 'unknown'}, {blas.get('threads') or 'unknown'} thread(s)")
    return "\n".join(lines) + "\n"


# The files of a comparison are written in this order, each by create-and-rename: the
# records first (history.csv, params.npz, then results.json, which says how it all ended),
# then the figures (optional, slow), then summary.md (it lists the figures drawn).
def write_records(outcome, folder):
    """history.csv, params.npz and results.json into an open OutputFolder; returns {name: path}."""
    paths = {"history": folder.write(HISTORY, lambda tmp: _write_history(outcome.runs, tmp)),
             "params": folder.write(PARAMS, lambda tmp: _write_params(outcome.runs, tmp))}
    paths["results"] = write_results_json(outcome, folder)
    return paths


def write_results_json(outcome, folder, running=False):
    text = json.dumps(results_document(outcome, running=running), indent=1, allow_nan=False)
    return folder.write_text(RESULTS, text)


def write_figures(runs, folder):
    """The figures (each by create-and-rename); returns their paths. Needs a backend chosen."""
    if not any(r.rows for r in runs):
        return []
    from .plotting import plot_all
    return [Path(p) for p in plot_all(runs, folder.path)]


def drawn_figures(folder):
    """The figures present in the folder (after an interrupted write_figures: those finished)."""
    return sorted(folder.path.glob("fig_*.png"))


def write_summary(outcome, folder, figures=()):
    md = summary_markdown(results_document(outcome), figures, outcome.runs)
    return folder.write_text(SUMMARY, md)


def save_results(outcome, out_dir, plots=True):
    """Write every file of a comparison into ``out_dir`` (created, locked while writing, an
    earlier run's files removed first: outdir.py); returns {name: path}, the earlier run's
    files removed under paths["removed"]."""
    folder = OutputFolder(out_dir, command=repeat_command(outcome.experiment))
    removed = folder.open()
    try:
        paths = write_records(outcome, folder)
        figures = write_figures(outcome.runs, folder) if plots else []
        paths.update({p.stem: p for p in figures})
        paths["summary"] = write_summary(outcome, folder, figures)
    finally:
        folder.close()
    if removed:
        paths["removed"] = [folder.path / name for name in removed]
    return paths


class LiveWriter:
    """Writes a comparison while it runs, so a killed process keeps its history. Use as
    ``progress(run, row)`` after ``run_experiment`` has put ``run`` in ``outcome.runs``.

    ``history.csv`` is created (header only) when the writer is, then gets each row as it is
    recorded (appended to the file this writer created, flushed; never through a symlink);
    ``results.json`` a partial document (state "running", by create-and-rename) at each run's
    first and last row and at most every ``every`` seconds between. ``write_records`` replaces
    both at the end."""

    def __init__(self, outcome, folder, every=5.0):
        self.outcome, self.folder, self.every = outcome, folder, every
        self.last = -np.inf
        self.seen = set()
        header = io.StringIO()
        csv.writer(header).writerow(("method", "seed") + COLUMNS)
        folder.write_text(HISTORY, header.getvalue())
        self.write_json()

    def write_json(self):
        write_results_json(self.outcome, self.folder, running=True)
        self.last = time.monotonic()

    def __call__(self, run, row):
        new = id(run) not in self.seen
        self.seen.add(id(run))
        line = io.StringIO()
        for r in (run.rows if new else [row]):      # a resumed run: its earlier rows first
            csv.writer(line).writerow(_csv_row(run, r, COLUMNS))
        flags = os.O_WRONLY | os.O_APPEND | getattr(os, "O_NOFOLLOW", 0)
        try:
            fd = os.open(self.folder.path / HISTORY, flags)
            try:
                os.write(fd, line.getvalue().encode())
            finally:
                os.close(fd)
        except OSError as exc:
            raise WriteError(self.folder.path, HISTORY, exc) from None
        if new or time.monotonic() - self.last >= self.every or row["epoch"] == run.config["epochs"]:
            self.write_json()


def load_results(path):
    """results.json (a file or its directory) -> (document, list of Run without parameters)."""
    path = Path(path)
    if path.is_dir():
        path = path / RESULTS
    doc = json.loads(path.read_text())
    return doc, [Run.from_dict(d) for d in doc["runs"]]
