"""The paper's protocol at laptop scale: a Table 1 analogue (``minitwophase reproduce``).

The protocol is data (``CELLS``, ``PROTOCOL``): every cell (data set x model) trains
Adam, the paper's fixed 30 % split (Adam then CG) and Adam+CG with the 0.9 detector
(Algorithm 1), MSE loss, batch 512, Adam lr 1e-3, seeds 0, 1, 2, through
``experiment.run_experiment``; ``report.summarize`` gives the tables at equal epochs and at
equal cost. Written into ``out`` (default ``minitwophase-reproduce/``; the repository's
committed ``figures/`` only when asked for by name):

  table1.md, table1.json         one combined table over the cells, mean ± sample std over
                                 seeds, the swap epochs, Q = K*M/P, the paper's rows for contrast,
                                 a plain verdict per cell, the measured runtime
  reproduction/<cell>/           the cell's figures (plotting.plot_all: Fig. 5 and Fig. 6
                                 analogues and validation accuracy) and history.csv

Epochs: the paper trains 1000 epochs (30 % Adam); on two cores we cannot. Epochs per cell are
chosen from measured epoch times before any result was seen (see CELLS); the same budget for
every method of a cell, nothing tuned per method.

Layer: experiments (above training/ and models.py); map: docs/architecture.md.
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

from .._json import jsonable, write_atomic
from ..models import DEFAULT_HEAD, build_model
from ..training import METHODS, TrainConfig
from .experiment import Experiment, load_data, run_experiment
from .report import format_stat, markdown_table, span, summarize, write_history_csv

# The methods of the protocol, by their names in the one table (training.METHODS).
COMPARED = ("adam", "fixed-split", "adam+cg")
assert set(COMPARED) <= set(METHODS)
SEEDS = (0, 1, 2)
# The paper's setup (its "Experimental setup": MSE, batch 512, a 30 % split, the 0.9 rule);
# the same for every cell and method. Adam's lr and CG's beta and line search the paper leaves
# open: ours are the package defaults.
PROTOCOL = dict(loss="mse", batch_size=512, lr=1e-3, split=0.3, swap_factor=0.9,
                swap_mode="paper", cg_beta="PR+", cg_line_search="wolfe")


@dataclass(frozen=True)
class Cell:
    dataset: str
    model: str
    epochs: int
    chunk_size: int | None = None   # full-batch passes in chunks: same gradient, less memory
    # Two choices the paper leaves silent, stated per cell: the output head (models.py) and
    # the initial scale (x the Glorot/He draw; the paper: "small random values"). The
    # defaults are the package's: MSE on raw outputs, the standard scale.
    head: str = DEFAULT_HEAD
    init_scale: float = 1.0

    @property
    def name(self):
        return cell_name(self.dataset, self.model, self.head, self.init_scale)


def cell_name(dataset, model, head=DEFAULT_HEAD, init_scale=1.0):
    """"digits-mlp"; a non-default head or initial scale is added: "digits-mlp-softmax-init0.1"."""
    name = f"{dataset}-{model}"
    if head != DEFAULT_HEAD:
        name += f"-{head}"
    if init_scale != 1.0:
        name += f"-init{init_scale:g}"
    return name


def model_label(cell):
    """A table's model column: the model, with its head and initial scale when not the defaults."""
    extra = [x for x in (cell.get("head", DEFAULT_HEAD) != DEFAULT_HEAD and f"{cell['head']} head",
                         cell.get("init_scale", 1.0) != 1.0 and f"init {cell['init_scale']:g}") if x]
    return cell["model"] + (f" ({', '.join(extra)})" if extra else "")


def choices_line(cells):
    """The head and initial scale of the cells, as one line of a table's protocol section."""
    pairs = sorted({(c.get("head", DEFAULT_HEAD), c.get("init_scale", 1.0)) for c in cells})
    return ("- output head and initial scale (both silent in the paper): "
            + "; ".join(f"{h} head ({'MSE on probabilities' if h == 'softmax' else 'MSE on raw outputs'}), "
                        f"initial scale {s:g} x Glorot/He" for h, s in pairs) + ".")


# Measured on this 2-core machine (s per epoch, Adam epoch + full-batch gradient check;
# validation adds a little): mnist5k cnn 2.3 (chunk 1000), mnist5k mlp 0.07-0.14,
# digits cnn 0.11-0.15 (CG epoch 0.27), digits mlp 0.005. The machine is shared: under the
# other jobs' load an epoch took 5-10x longer (mnist5k cnn 15 s). Epochs chosen so that all 36
# runs take ~15 min on an idle machine (cnn on mnist5k ~9 min) and stay under ~30 min with
# moderate load; the cheap cells run first. (A first full run with 200/60/100/12 epochs took
# 8.4 min.)
CELLS = (Cell("digits", "mlp", 300), Cell("digits", "cnn", 80), Cell("mnist5k", "mlp", 150),
         Cell("mnist5k", "cnn", 20, chunk_size=1000))
# Quick mode (tests): digits only, a few epochs, one seed.
QUICK_CELLS = (Cell("digits", "mlp", 6), Cell("digits", "cnn", 4))
QUICK_SEEDS = (0,)

# The paper's Table 1 rows where one is comparable (train loss, train acc, val loss, val acc).
PAPER_ROWS = {
    ("mnist5k", "cnn"): {
        "row": "MNIST vgg5", "Q": 4.9,
        "adam": (0.0001, 1.000, 0.0014, 0.993), "adam+cg": (0.0001, 1.000, 0.0011, 0.994),
        "note": "paper: vgg5-max-relu (5 weight layers) on full MNIST (60k), 1000 epochs, "
                "Adam+CG = fixed 30 % split, golden-section CG; ours: 2 conv layers (8, 16) + "
                "dense on 4000 images, far fewer epochs. Models and budgets differ."},
}
CELL_NAMES = tuple(c.name for c in CELLS)
STD_SPEC = ".1g"    # one significant digit of spread is enough in the combined table


def overdetermination(n_train, n_outputs, n_params):
    """The paper's Q = K*M/P: training samples x outputs / parameters."""
    return n_train * n_outputs / n_params


def select_cells(names=None, quick=False):
    """The cells to run: all (or the quick ones), or those named ("mnist5k-cnn", ...)."""
    pool = QUICK_CELLS if quick else CELLS
    if names is None:
        return pool
    by_name = {c.name: c for c in pool}
    bad = [n for n in names if n not in by_name]
    if bad:
        raise ValueError(f"cells must be among {', '.join(by_name)}, got {bad[0]!r}")
    if len(set(names)) != len(names):
        raise ValueError(f"cells must not repeat, got {list(names)}")
    return tuple(by_name[n] for n in names)


def experiment_for(cell, seeds):
    train = TrainConfig(epochs=cell.epochs, chunk_size=cell.chunk_size, init_scale=cell.init_scale, **PROTOCOL)
    return Experiment(dataset=cell.dataset, model=cell.model, head=cell.head, methods=COMPARED,
                      seeds=tuple(seeds), train=train).validate()


# ---------------------------------------------------------------- running
def run_cell(cell, seeds, out, log=print):
    """Train one cell, draw its figures; returns its JSON-ready record and the Outcome."""
    exp = experiment_for(cell, seeds)
    data = load_data(exp)
    n_params = build_model(cell.model, data.image_shape, data.n_classes, head=cell.head).size
    q = overdetermination(len(data.y_train), data.n_classes, n_params)
    log(f"== {cell.name}: {data.description}; {n_params} parameters, Q = {q:.2f}; "
        f"{len(exp.methods)} methods x {len(exp.seeds)} seeds x {cell.epochs} epochs")
    say = lambda line: log(f"  {cell.name} {line}")
    outcome = run_experiment(exp, data=data, log=say, progress_every=max(1, cell.epochs // 5))
    summary = summarize(outcome.runs)
    cell_dir = Path(out) / "reproduction" / cell.name
    cell_dir.mkdir(parents=True, exist_ok=True)
    from .plotting import plot_all      # lazy: keeps `minitwophase --help` free of matplotlib
    figures = [p.name for p in plot_all(outcome.runs, cell_dir)] if outcome.runs else []
    write_history_csv(outcome.runs, cell_dir / "history.csv")
    swaps = {m: [r.swap_epoch for r in outcome.runs if r.method == m] for m in exp.methods}
    record = {"cell": cell.name, "dataset": cell.dataset, "model": cell.model, "head": cell.head,
              "init_scale": cell.init_scale, "data": data.description, "epochs": cell.epochs, "chunk_size": cell.chunk_size,
              "seeds": list(exp.seeds), "n_train": len(data.y_train), "n_outputs": data.n_classes,
              "n_params": n_params, "Q": q, "swap_epochs": swaps, "summary": summary,
              "interrupted": outcome.interrupted, "wall_time": outcome.wall_time,
              "command": exp.command_line(), "figures": [f"reproduction/{cell.name}/{f}" for f in figures],
              "paper": PAPER_ROWS.get((cell.dataset, cell.model))}
    log(f"== {cell.name} done in {outcome.wall_time:.0f} s")
    return jsonable(record), outcome


def reproduce(out="minitwophase-reproduce", cells=None, seeds=None, quick=False, log=print):
    """Run the protocol; writes table1.md/json after every cell; returns the document.

    cells: names (default all, or the quick ones); seeds default (0, 1, 2) (quick: (0,)).
    A Ctrl-C stops after the interrupted cell: its partial runs are kept and marked.
    """
    chosen = select_cells(cells, quick)
    seeds = tuple(seeds) if seeds is not None else (QUICK_SEEDS if quick else SEEDS)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    doc = {"protocol": {**PROTOCOL, "methods": list(COMPARED), "seeds": list(seeds),
                        "quick": quick, "cells": [c.name for c in chosen]},
           "cells": [], "complete": False, "wall_time": 0.0, "cpu_count": os.cpu_count()}
    start = time.perf_counter()
    for cell in chosen:
        record, outcome = run_cell(cell, seeds, out, log)
        doc["cells"].append(record)
        doc["wall_time"] = time.perf_counter() - start
        write_table1(doc, out)
        if outcome.interrupted:
            doc["interrupted"] = True
            break
    else:
        doc["complete"] = True
    doc["wall_time"] = time.perf_counter() - start
    write_table1(doc, out)
    log(f"reproduction {'complete' if doc['complete'] else 'INCOMPLETE'} in "
        f"{doc['wall_time'] / 60:.1f} min; wrote {out / 'table1.md'} and {out / 'table1.json'}")
    return doc


# ---------------------------------------------------------------- the table
def _rows(cell, table):
    part = cell["summary"]["equal_epochs"] if table == "epochs" else cell["summary"]["equal_cost"]["rows"]
    return {row["method"]: row for row in part}


def _swaps(cell, method):
    values = cell["swap_epochs"].get(method) or []
    return "-" if not any(v is not None for v in values) else ", ".join("-" if v is None else str(v) for v in values)


def _compare(a, b, lower_is_better):
    """'better'/'worse'/'tie' of a against b (means), flagged when within the seeds' spread."""
    if a is None or b is None or a.get("mean") is None or b.get("mean") is None:
        return "n/a"
    diff = a["mean"] - b["mean"]
    if diff == 0:
        return "tie"
    better = (diff < 0) == lower_is_better
    spread = max(a.get("std") or 0.0, b.get("std") or 0.0)
    word = "better" if better else "worse"
    return f"{word} (within spread)" if abs(diff) <= spread else word


def verdicts(cell):
    """Per two-phase method: better/worse than Adam on each metric, at equal epochs and cost."""
    out = {}
    for table in ("epochs", "cost"):
        rows = _rows(cell, table)
        base = rows.get("adam")
        for method in rows:
            if base is None or method == "adam":
                continue
            r = rows[method]
            out.setdefault(method, {})[table] = {
                "train_loss": _compare(r["train_loss"], base["train_loss"], True),
                "val_loss": _compare(r["val_loss"], base["val_loss"], True),
                "val_acc": _compare(r["val_acc"], base["val_acc"], False)}
    return out


def _paper_cell(v):
    """(train loss, train acc, val loss, val acc) in the paper's style: .0001/1.000/.0014/.993"""
    specs = (".4f", ".3f", ".4f", ".3f")
    return "/".join(format(x, f).lstrip("0") if x < 1 else format(x, f) for x, f in zip(v, specs))


def _epochs_note(doc):
    """What the run's epochs mean: a smoke test in quick mode; else the protocol's budgets."""
    if doc["protocol"]["quick"]:
        return ("Quick mode: a few epochs and one seed, to test the pipeline; these numbers "
                "are not a result.")
    planned = {c.name: c.epochs for c in CELLS}
    if all(planned.get(c["cell"]) == c["epochs"] for c in doc["cells"]):
        return ("The paper ran 1000 epochs; on a laptop we cannot. These budgets (CELLS in "
                "experiments/reproduce.py) were set from measured epoch times before any result "
                "was seen, the same for every method of a cell; nothing was tuned to favour a "
                "method. Results at these budgets are not the paper's converged regime.")
    return "The paper ran 1000 epochs."


def table1_markdown(doc):
    p = doc["protocol"]
    status = "complete" if doc["complete"] else (
        "INTERRUPTED: partial results" if doc.get("interrupted") else
        f"in progress ({len(doc['cells'])} of {len(p['cells'])} cells)")
    epochs = ", ".join(f"{c['cell']} {c['epochs']}" for c in doc["cells"])
    lines = [
        "# Table 1 analogue (laptop scale)", "",
        f"Written by `minitwophase reproduce{' --quick' if p['quick'] else ''}` "
        "(`minitwophase/experiments/reproduce.py`). Status: " + status + ".", "",
        f"**Measured runtime: {doc['wall_time'] / 60:.1f} min** in all ("
        + ", ".join(f"{c['cell']} {c['wall_time'] / 60:.1f} min" for c in doc["cells"])
        + f"), on a machine with {doc.get('cpu_count', '?')} CPU core(s); the time depends on "
        "the machine and on its other load.", "",
        "## Protocol", "",
        f"- methods: `adam` (Adam every epoch); `fixed-split` (Adam for {p['split']:g} of the "
        "epochs, then CG: the paper's experiments); `adam+cg` (Adam until the full-batch "
        f"gradient norm falls to {p['swap_factor']:g} x its peak, then CG: the paper's "
        "Algorithm 1). All three start from the same weights per seed.",
        f"- loss {p['loss']}, batch {p['batch_size']}, Adam lr {p['lr']:g}; CG {p['cg_beta']} with "
        f"a strong Wolfe line search ({p['cg_line_search']}; the paper used golden section), "
        "full batch, one CG iteration per epoch.",
        f"- seeds {', '.join(map(str, p['seeds']))} (weights and minibatch order); mean ± sample "
        "std over seeds; the train/validation split is fixed (stratified 80/20, data seed 0).",
        f"- epochs per cell: {epochs}. " + _epochs_note(doc),
        choices_line(doc["cells"]),
        "- cost: epoch-equivalents (one = a gradient evaluation over the training set; a "
        "forward pass alone 1/(1+r) of one, r the model's measured backward/forward time ratio), "
        "every per-epoch gradient-norm check and every CG line-search evaluation included.",
        "- Q = K*M/P: training samples x outputs / parameters (the paper's overdetermination "
        "ratio).", "",
        "## At equal epochs", "",
        "Each run at its final epoch. Swap epoch = last Adam epoch, one per seed.", ""]
    rows = []
    for c in doc["cells"]:
        for m, r in _rows(c, "epochs").items():
            rows.append([c["dataset"], model_label(c), f"{c['Q']:.2f}", m, r["runs"],
                         format_stat(r["train_loss"], ".4f", STD_SPEC), format_stat(r["train_acc"], ".3f", STD_SPEC),
                         format_stat(r["val_loss"], ".4f", STD_SPEC), format_stat(r["val_acc"], ".3f", STD_SPEC),
                         format_stat(r["cost"], ".0f", ".0f"), _swaps(c, m)])
    lines += [markdown_table(["data", "model", "Q", "method", "seeds", "train loss", "train acc",
                              "val loss", "val acc", "cost", "swap epoch"], rows), "",
              "## At equal cost", "",
              "Budget per cell = the smallest final cost among its runs (Adam's: CG epochs cost "
              "more); each run read at its last epoch within the budget. Train accuracy is only "
              "measured at the end of a run, so it is not in this table.", ""]
    rows = []
    for c in doc["cells"]:
        budget = c["summary"]["equal_cost"]["budget"]
        for m, r in _rows(c, "cost").items():
            rows.append([c["dataset"], model_label(c), "-" if budget is None else f"{budget:.0f}", m,
                         span(r["epochs"]),
                         format_stat(r["train_loss"], ".4f", STD_SPEC), format_stat(r["val_loss"], ".4f", STD_SPEC), format_stat(r["val_acc"], ".3f", STD_SPEC)])
    lines += [markdown_table(["data", "model", "budget", "method", "epoch reached", "train loss",
                              "val loss", "val acc"], rows), "",
              "## Two-phase against Adam, plainly", "",
              "Means compared; \"within spread\" = the difference is no larger than the larger "
              "of the two sample stds over seeds (with one seed there is no spread).", ""]
    rows = []
    for c in doc["cells"]:
        for m, v in verdicts(c).items():
            for table in ("epochs", "cost"):
                if table in v:
                    t = v[table]
                    rows.append([c["dataset"], model_label(c), m, f"equal {table}", t["train_loss"],
                                 t["val_loss"], t["val_acc"]])
    lines += [markdown_table(["data", "model", "method vs adam", "at", "train loss", "val loss",
                              "val acc"], rows), ""]
    lines += ["## The paper's rows for contrast", ""]
    quoted = [c for c in doc["cells"] if c.get("paper")]
    for c in quoted:
        pr = c["paper"]
        lines += [f"- {c['cell']} (ours, Q = {c['Q']:.2f}) against the paper's {pr['row']} "
                  f"(Q = {pr['Q']}), train loss/train acc/val loss/val acc: Adam "
                  f"{_paper_cell(pr['adam'])}, Adam+CG {_paper_cell(pr['adam+cg'])}. {pr['note']}"]
    lines += ["- No comparable paper row for the MLPs (the paper has no plain MLP; its MLPs sit "
              "inside ViTs) or for the 8x8 digits (not in the paper).", "",
              "## Adam+CG swap and the single-peak safeguard", ""]
    for c in doc["cells"]:
        for d in c["summary"]["runs"]:
            if d["method"] == "adam+cg":
                words = (f"; {d['peaks']}; " if d.get("peaks") else     # the run's GradNormSummary
                         (f" (peak epoch {d['peak_epoch']}); " if d.get("peak_passed") else " (no peak passed); ")
                         + f"{d['peak_message'] or 'no peak report'}; ")          # results before it
                lines.append(f"- {c['cell']} seed {d['seed']}: swap after epoch {d['swap_epoch']}"
                             + words + f"{d['status']}: {d['message']}")
    lines += ["", "## Figures", "",
              "Per cell: Fig. 5 analogue (gradient norm against loss, phases coloured, peak and "
              "swap marked), Fig. 6 analogue (loss against cost and wall time), validation accuracy.", ""]
    return "\n".join(lines + cell_links(doc["cells"])) + "\n"


def cell_links(cells):
    """Markdown lines: each cell's figure links, then the `minitwophase run` that repeats it."""
    lines = [f"- {c['cell']}: " + ", ".join(f"[{Path(f).stem}]({f})" for f in c["figures"]) for c in cells]
    return lines + ["", "Repeat one cell with `minitwophase run`:", ""] + [f"- `{c['command']}`" for c in cells]


def write_table1(doc, out):
    out = Path(out)
    for c in doc["cells"]:
        c["verdicts"] = verdicts(c)
    text = json.dumps(jsonable(doc), indent=1, allow_nan=False)
    write_atomic(out / "table1.json", lambda tmp: tmp.write_text(text))
    md = table1_markdown(doc)
    write_atomic(out / "table1.md", lambda tmp: tmp.write_text(md))
