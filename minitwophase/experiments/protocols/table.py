"""Runs a Table 1 protocol given as data (protocols/vit.py, protocols/paper_row.py) and writes
its table (<name>.md/.json) and per-cell figures (<name>/<cell>/).

Per cell (data set x model): every method x seed through ``training.train`` (seed by seed, so a
Ctrl-C keeps complete comparisons), the curvature at the swap by a probe that pays for itself
(swap_curvature.py), ``report.summarize`` for equal epochs and equal cost, Q = K*M/P, the
multiply-adds per sample (nn.macs), the swap epochs and the single-peak verdicts, the paper's
row where there is one. Figures: plotting.plot_all (Fig. 5 analogue: gradient norm against
loss, CG phase in another colour; Fig. 6 analogue: loss against cost and wall time; accuracy)
and the loss against compute in multiply-adds per training sample.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

from ..._json import jsonable, write_atomic
from ...models import DEFAULT_HEAD, build_model
from ...nn.macs import macs_per_sample
from ...training import TrainConfig, train
from ..blas import blas_info
from ..experiment import Experiment, final_line, load_data, progress_callback
from ..report import format_stat, markdown_table, summarize, write_history_csv
from ..reproduce import cell_links, cell_name, choices_line, overdetermination, verdicts
from .swap_curvature import SwapCurvature

SETUP = dict(loss="mse", batch_size=512, lr=1e-3, split=0.3, swap_factor=0.9, swap_mode="paper",
             cg_beta="PR+", cg_line_search="wolfe")
PAPER_STEPS = 118      # the paper's check interval: one full-MNIST epoch of batch 512


@dataclass(frozen=True)
class Cell:
    dataset: str
    model: str
    epochs: int
    chunk_size: int | None = 512     # full-batch passes in chunks: same gradient, bounded memory
    check_every: int | None = None   # Adam steps between swap checks; None: once per epoch
    # The output head and initial scale, both silent in the paper (reproduce.Cell says why
    # these defaults).
    head: str = DEFAULT_HEAD
    init_scale: float = 1.0

    @property
    def name(self):                  # a file name: "digits-vit-nomlp-width8-heads2" for options
        return cell_name(self.dataset, self.model, self.head, self.init_scale).replace(
            ":", "-").replace(",", "-").replace("=", "")


@dataclass(frozen=True)
class Protocol:
    name: str              # files: <name>.md, <name>.json, <name>/<cell>/
    title: str
    cells: tuple
    methods: tuple
    seeds: tuple
    budget_note: str       # the measured epoch times and the arithmetic behind the epochs
    paper_rows: dict       # model -> {"Q", "adam", "adam+cg"} (the paper's MNIST rows)
    flag: str              # its --protocol name
    curvature: dict | None = None   # SwapCurvature options; None: no probe


def check_interval(dataset, n_train, batch_size=512):
    """The paper's granularity in Adam steps: once per epoch on full MNIST (an epoch is 118
    steps there), else every 118 steps."""
    steps = -(-n_train // batch_size)
    return None if steps == PAPER_STEPS else PAPER_STEPS


def run_cell(protocol, cell, seeds, out, log=print, progress_every=10):
    exp = Experiment(dataset=cell.dataset, model=cell.model, head=cell.head, methods=protocol.methods,
                     seeds=tuple(seeds), train=TrainConfig(epochs=cell.epochs, chunk_size=cell.chunk_size,
                                                           check_every=cell.check_every,
                                                           init_scale=cell.init_scale, **SETUP)).validate()
    data = load_data(exp)
    shape = data.image_shape
    net0 = build_model(cell.model, shape, data.n_classes, head=cell.head)
    n_params = net0.size
    macs = macs_per_sample(net0, data.X_train.shape[1:])
    q = overdetermination(len(data.y_train), data.n_classes, n_params)
    log(f"== {cell.name}: {data.description}; {n_params} parameters, Q = {q:.2f}, {macs / 1e6:.3f} M "
        f"multiply-adds per sample; {len(exp.methods)} methods x {len(exp.seeds)} seeds x {cell.epochs} "
        f"epochs, check every {cell.check_every or 'epoch'}")
    curv = SwapCurvature(**protocol.curvature) if protocol.curvature is not None else None
    runs, interrupted, start = [], False, time.perf_counter()
    try:
        for seed in exp.seeds:
            for method in exp.methods:
                net = build_model(cell.model, shape, data.n_classes, head=cell.head)
                run = train(net, data, config=exp.train, method=method, seed=seed,
                            probes=[curv] if curv is not None else [],
                            progress=progress_callback(None, lambda s: log(f"  {s}"), progress_every))
                runs.append(run)
                log(f"  {cell.name} {final_line(run)}")
                if run.status == "interrupted":
                    raise KeyboardInterrupt
    except KeyboardInterrupt:
        interrupted = True
    wall = time.perf_counter() - start
    cell_dir = Path(out) / protocol.name / cell.name
    cell_dir.mkdir(parents=True, exist_ok=True)
    figures = []
    if runs:
        from ..plotting import plot_all     # lazy: matplotlib only when drawing
        figures = [p.name for p in plot_all(runs, cell_dir)]
        figures.append(_plot_compute(runs, macs, cell_dir / "fig_loss_vs_macs.png").name)
    write_history_csv(runs, cell_dir / "history.csv")
    record = {"cell": cell.name, "dataset": cell.dataset, "model": cell.model, "head": cell.head,
              "init_scale": cell.init_scale, "data": data.description,
              "epochs": cell.epochs, "chunk_size": cell.chunk_size, "check_every": cell.check_every,
              "seeds": list(exp.seeds), "n_train": len(data.y_train), "n_outputs": data.n_classes,
              "n_params": n_params, "Q": q, "macs_per_sample": macs,
              "swap_epochs": {m: [r.swap_epoch for r in runs if r.method == m] for m in exp.methods},
              "single_peak": {m: [None if r.peaks is None else r.peaks.verdict == "single" for r in runs if r.method == m]
                              for m in exp.methods},
              "peaks": {m: [None if r.peaks is None else r.grad_norm_summary for r in runs if r.method == m]
                        for m in exp.methods},
              "curvature": {f"{m} seed {s}": v for (m, s), v in (curv.records.items() if curv else [])},
              "summary": summarize(runs) if runs else None, "interrupted": interrupted, "wall_time": wall,
              "command": exp.command_line(),
              "figures": [f"{protocol.name}/{cell.name}/{f}" for f in figures],
              "paper": protocol.paper_rows.get(cell.model.partition(":")[0]) if cell.dataset in ("mnist", "mnist5k") else None}
    log(f"== {cell.name} done in {wall:.0f} s")
    return jsonable(record), interrupted


def _plot_compute(runs, macs, path):
    """Fig. 6 analogue in the paper's unit: train loss against multiply-adds per training sample
    (the ledger's count m (F + 2 B) / N: a backward pass ~ 2 x the forward's multiply-adds)."""
    import matplotlib.pyplot as plt
    from ..plotting import method_color
    fig, ax = plt.subplots(figsize=(6, 4.2))
    for r in runs:
        x = (r.column("forward_passes") + 2 * r.column("backward_passes")) * macs / 1e6
        ax.plot(x, r.column("train_loss"), color=method_color(r.method), lw=1,
                label=r.label if r.seed == runs[0].seed else None)
    ax.set_yscale("log")
    ax.set_xlabel("compute (M multiply-adds per training sample: forward + 2 x backward)")
    ax.set_ylabel("train loss (full batch)")
    ax.legend(fontsize=8)
    ax.set_title("Train loss against compute (line-search passes included)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return Path(path)


def select(cells, names):
    """The cells named (all when ``names`` is None), in the protocol's order."""
    if names is None:
        return tuple(cells)
    by_name = {c.name: c for c in cells}
    bad = [n for n in names if n not in by_name]
    if bad:
        raise ValueError(f"cells must be among {', '.join(by_name)}, got {bad[0]!r}")
    if len(set(names)) != len(names):
        raise ValueError(f"cells must not repeat, got {list(names)}")
    return tuple(c for c in cells if c.name in set(names))


def run(protocol, out, quick_cells=None, seeds=None, log=print, cells=None):
    """Run every cell (or ``quick_cells``; or those named in ``cells``); writes <name>.md/.json
    after each cell."""
    cells = select(quick_cells if quick_cells is not None else protocol.cells, cells)
    seeds = tuple(seeds) if seeds is not None else (protocol.seeds if quick_cells is None else (0,))
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    doc = {"protocol": protocol.name, "quick": quick_cells is not None, "setup": SETUP,
           "methods": list(protocol.methods), "seeds": list(seeds), "cells_planned": [c.name for c in cells],
           "budget_note": protocol.budget_note, "cells": [], "complete": False, "wall_time": 0.0,
           "blas": blas_info()}
    start = time.perf_counter()
    for cell in cells:
        record, interrupted = run_cell(protocol, cell, seeds, out, log)
        doc["cells"].append(record)
        doc["wall_time"] = time.perf_counter() - start
        write(protocol, doc, out)
        if interrupted:
            doc["interrupted"] = True
            break
    else:
        doc["complete"] = True
    doc["wall_time"] = time.perf_counter() - start
    write(protocol, doc, out)
    log(f"{protocol.name} {'complete' if doc['complete'] else 'INCOMPLETE'} in {doc['wall_time'] / 60:.1f} min; "
        f"wrote {out / (protocol.name + '.md')}")
    return doc


def paper_style(v):
    """(train loss, train acc, val loss, val acc) as the paper prints them: .0016/.990/.0073/.955"""
    specs = (".4f", ".3f", ".4f", ".3f")
    return "/".join(format(x, f).lstrip("0") if x < 1 else format(x, f) for x, f in zip(v, specs))


def _ours(row):
    keys = ("train_loss", "train_acc", "val_loss", "val_acc")
    if any(row.get(k) is None or row[k].get("mean") is None for k in keys):
        return "-"
    return paper_style([row[k]["mean"] for k in keys])


def markdown(protocol, doc):
    status = "complete" if doc["complete"] else ("INTERRUPTED: partial results" if doc.get("interrupted")
                                                 else f"in progress ({len(doc['cells'])} of {len(doc['cells_planned'])} cells)")
    lines = [f"# {protocol.title}", "",
             f"Written by `minitwophase reproduce --protocol {protocol.flag}{' --quick' if doc['quick'] else ''}` "
             f"(`minitwophase/experiments/protocols/`). Status: {status}. **Measured runtime "
             f"{doc['wall_time'] / 60:.1f} min** ("
             + ", ".join(f"{c['cell']} {c['wall_time'] / 60:.1f} min" for c in doc["cells"]) + ").", "",
             "## Protocol", "",
             f"- methods {', '.join(doc['methods'])}; MSE, batch 512, Adam lr 1e-3; fixed split 30 %; "
             "the 0.9 detector on the full-batch gradient norm; CG PR+ with a strong Wolfe search "
             "(the paper: golden section), one CG iteration per epoch, full batch.",
             f"- seeds {', '.join(map(str, doc['seeds']))}; mean ± sample std over seeds.",
             choices_line(doc["cells"]),
             "- cost: epoch-equivalents (one = a gradient evaluation over the training set; a forward "
             "pass alone 1/(1+r) of one, r the model's measured backward/forward time ratio).",
             "- swap checks in the paper's units: every 118 Adam steps (one full-MNIST epoch) unless the "
             "data is full MNIST, where an epoch is 118 steps already: "
             + ", ".join(f"{c['cell']}: {'every epoch (' + str(-(-c['n_train'] // 512)) + ' steps)' if c['check_every'] is None else 'every ' + str(c['check_every']) + ' steps'}"
                         for c in doc["cells"]) + ".",
             "- curvature at the swap: lambda_min, lambda_max (Lanczos) and the negative spectral mass "
             "(below -1e-3 lambda_max) of the Hessian of the loss on a fixed subset of training "
             "images, paid by the probe, not the method.",
             f"- budgets: {doc['budget_note']}", "",
             "## At equal epochs (paper's format: train loss/train acc/val loss/val acc)", ""]
    rows = []
    for c in doc["cells"]:
        if c["summary"] is None:
            continue
        by = {r["method"]: r for r in c["summary"]["equal_epochs"]}
        paper = c.get("paper") or {}
        for m, r in by.items():
            key = "adam" if m == "adam" else "adam+cg"
            rows.append([c["cell"], f"{c['Q']:.1f}", f"{paper['Q']}" if paper else "-", c["epochs"], m, r["runs"],
                         _ours(r), paper_style(paper[key]) if paper else "-",
                         format_stat(r["cost"], ".0f", ".0f"),
                         ", ".join("-" if v is None else str(v) for v in c["swap_epochs"].get(m, [])),
                         ", ".join({True: "yes", False: "no", None: "-"}[v] for v in c["single_peak"].get(m, []))])
    lines += [markdown_table(["cell", "Q", "Q paper", "epochs", "method", "seeds", "ours", "paper (1000 epochs)",
                              "cost", "swap epoch", "single peak"], rows), "",
              "Paper column: Adam for `adam`, Adam+CG (fixed 30 % split, 1000 epochs on full MNIST) "
              "for the two-phase methods.", "",
              "## At equal cost", ""]
    rows = []
    for c in doc["cells"]:
        if c["summary"] is None:
            continue
        budget = c["summary"]["equal_cost"]["budget"]
        for r in c["summary"]["equal_cost"]["rows"]:
            rows.append([c["cell"], "-" if budget is None else f"{budget:.0f}", r["method"],
                         format_stat(r["train_loss"], ".4f", ".1g"), format_stat(r["val_loss"], ".4f", ".1g"),
                         format_stat(r["val_acc"], ".3f", ".1g")])
    lines += [markdown_table(["cell", "budget", "method", "train loss", "val loss", "val acc"], rows), "",
              "## Two-phase against Adam", ""]
    rows = []
    for c in doc["cells"]:
        if c["summary"] is None:
            continue
        for m, v in verdicts(c).items():
            for t in ("epochs", "cost"):
                if t in v:
                    rows.append([c["cell"], m, f"equal {t}", v[t]["train_loss"], v[t]["val_loss"], v[t]["val_acc"]])
    lines += [markdown_table(["cell", "method vs adam", "at", "train loss", "val loss", "val acc"], rows), "",
              "## Curvature at the swap", ""]
    rows = []
    for c in doc["cells"]:
        for k, v in c["curvature"].items():
            rows.append([c["cell"], k, v["epoch"], f"{v['lambda_min']:.3g}", f"{v['lambda_max']:.3g}",
                         f"{v['ratio']:.3g}", f"{v['negative_mass']:.3g}", v["verdict"],
                         "yes" if v["converged"] else "no", v["samples"]])
    lines += [markdown_table(["cell", "run", "swap epoch", "lambda_min", "lambda_max", "ratio",
                              "negative mass", "verdict", "converged", "images"], rows) if rows else "(no swap reached)", "",
              "## Figures", ""]
    return "\n".join(lines + cell_links(doc["cells"])) + "\n"


def write(protocol, doc, out):
    out = Path(out)
    for c in doc["cells"]:
        if c["summary"] is not None:
            c["verdicts"] = verdicts(c)
    text = json.dumps(jsonable(doc), indent=1, allow_nan=False)
    write_atomic(out / f"{protocol.name}.json", lambda tmp: tmp.write_text(text))
    md = markdown(protocol, doc)
    write_atomic(out / f"{protocol.name}.md", lambda tmp: tmp.write_text(md))
