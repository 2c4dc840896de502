"""The protocol engine: runs a Table 1 protocol given as data (laptop.py, vit.py,
vit_detector.py, paper_row.py) and writes its table (<name>.md/.json) and per-cell figures
(<name>/<cell>/).

Every run (cell x seed x method) is a runs.Task trained by runs.run_task through
``experiment.run_experiment`` with the swap-time curvature probe (training's CurvatureProbe,
swap only, on a fixed subset of training images): in this process, seed by seed (so a Ctrl-C
keeps complete comparisons), or on an executor (``jobs`` local processes or a Dask
``scheduler``: runs.Pool), each run pinned to one BLAS thread so every route gives the same
numbers. Per cell, once its runs are in: ``report.summarize`` for equal epochs and equal
cost, Q = K*M/P, the multiply-adds per sample (nn.macs), the swap epochs and the single-peak
verdicts, the curvature at the swap, the paper's row where there is one. Figures:
plotting.plot_all (Fig. 5 analogue: gradient norm against loss, CG phase in another colour;
Fig. 6 analogue: loss against cost and wall time; accuracy) and the loss against compute in
multiply-adds per training sample. ``markdown(protocol, doc)`` is the table from the JSON
document alone (documents.render re-writes it without training).
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, replace
from pathlib import Path

from ..._json import jsonable, write_atomic
from ...training.history import Run
from ..blas import blas_info
from ..report import format_stat, markdown_table, summarize, write_history_csv
from .cell import SETUP, choices_line, overdetermination
from .runs import Pool, Task, as_finished, experiment_for, finished_line, forget_data, run_task


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
    curvature: dict | None = None   # swap probe: samples, seeds (runs probed) and probe options; None: none


def cell_record(protocol, cell, seeds, results, out, interrupted=False):
    """A cell's JSON-ready record and figures from its runs' results (runs.run_task), in the
    serial order whatever order they finished in."""
    results = sorted(results, key=lambda r: r["index"])
    runs = [Run.from_dict(r["run"]) for r in results if r["run"] is not None]
    exp = experiment_for(cell, protocol.methods, seeds)
    sizes = results[0]["sizes"]
    q = overdetermination(sizes["n_train"], sizes["n_outputs"], sizes["n_params"])
    wall = sum(r["wall_time"] for r in results)
    cell_dir = Path(out) / protocol.name / cell.name
    cell_dir.mkdir(parents=True, exist_ok=True)
    figures = []
    if runs:
        from ..plotting import plot_all     # lazy: matplotlib only when drawing
        figures = [p.name for p in plot_all(runs, cell_dir)]
        figures.append(_plot_compute(runs, sizes["macs_per_sample"], cell_dir / "fig_loss_vs_macs.png").name)
    write_history_csv(runs, cell_dir / "history.csv")
    methods = exp.methods
    record = {"cell": cell.name, "dataset": cell.dataset, "model": cell.model, "head": cell.head,
              "init_scale": cell.init_scale, "data": sizes["data"],
              "epochs": cell.epochs, "chunk_size": cell.chunk_size, "check_every": cell.check_every,
              "seeds": list(exp.seeds), "n_train": sizes["n_train"], "n_outputs": sizes["n_outputs"],
              "n_params": sizes["n_params"], "Q": q, "macs_per_sample": sizes["macs_per_sample"],
              "swap_epochs": {m: [r.swap_epoch for r in runs if r.method == m] for m in methods},
              "single_peak": {m: [None if r.peaks is None else r.peaks.verdict == "single" for r in runs if r.method == m]
                              for m in methods},
              "peaks": {m: [None if r.peaks is None else r.grad_norm_summary for r in runs if r.method == m]
                        for m in methods},
              "curvature": {f"{r['method']} seed {r['seed']}": r["curvature"] for r in results if r["curvature"]},
              "summary": summarize(runs) if runs else None, "interrupted": interrupted, "wall_time": wall,
              "blas_threads": sorted({r["blas_threads"] for r in results if r["blas_threads"] is not None}),
              "command": exp.command_line(),
              "figures": [f"{protocol.name}/{cell.name}/{f}" for f in figures],
              "paper": protocol.paper_rows.get(cell.model.partition(":")[0]) if cell.dataset in ("mnist", "mnist5k") else None}
    return jsonable(record)


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


def tasks(protocol, cells, seeds):
    """Every run of the protocol in the serial order: cell by cell, seed by seed, method by method."""
    todo = [(c, s, m) for c in cells for s in seeds for m in protocol.methods]
    return [Task(i, c, m, s, protocol.curvature) for i, (c, s, m) in enumerate(todo)]


def run(protocol, out, quick_cells=None, seeds=None, log=print, cells=None, jobs=None, scheduler=None,
        epochs=None):
    """Run every cell (or ``quick_cells``; or those named in ``cells``; ``epochs``: every
    cell's epochs instead of its budget); writes <name>.md/.json each time a cell is complete.
    ``jobs`` (local processes) or ``scheduler`` (a Dask address or Cluster) run the runs in
    parallel; default one after the other in this process.
    A Ctrl-C keeps the finished runs (serially also the interrupted one, as its rows so far),
    cancels the rest and writes the cells that have runs, marked interrupted."""
    cells = select(quick_cells if quick_cells is not None else protocol.cells, cells)
    seeds = tuple(seeds) if seeds is not None else (protocol.seeds if quick_cells is None else (0,))
    note = protocol.budget_note
    if epochs is not None:
        cells = tuple(replace(c, epochs=epochs) for c in cells)
        note += f" This run: {epochs} epochs for every cell instead (--epochs)."
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    doc = {"protocol": protocol.name, "title": protocol.title, "quick": quick_cells is not None, "setup": SETUP,
           "methods": list(protocol.methods), "seeds": list(seeds), "cells_planned": [c.name for c in cells],
           "budget_note": note, "cells": [], "complete": False, "wall_time": 0.0,
           "blas": blas_info()}
    todo = tasks(protocol, cells, seeds)
    by_cell = {c.name: [t for t in todo if t.cell == c] for c in cells}
    results, start = {}, time.perf_counter()

    def cell_done(cell, interrupted=False):
        got = [results[t.index] for t in by_cell[cell.name] if t.index in results]
        if not got:
            return
        record = cell_record(protocol, cell, seeds, got, out, interrupted)
        doc["cells"] = [c for c in doc["cells"] if c["cell"] != cell.name] + [record]
        order = [c.name for c in cells]
        doc["cells"].sort(key=lambda c: order.index(c["cell"]))
        doc["wall_time"] = time.perf_counter() - start
        write(protocol, doc, out)
        log(f"== {cell.name} {'INTERRUPTED' if interrupted else 'done'}: {len(got)} runs, {record['wall_time']:.0f} s")

    def finished(result):
        results[result["index"]] = result
        log(finished_line(len(results), len(todo), result))
        cell = next(c for c in cells if c.name == result["cell"])
        if all(t.index in results for t in by_cell[cell.name]):
            cell_done(cell)

    interrupted = False
    try:
        if (jobs is None or jobs == 1) and scheduler is None:
            interrupted = _serial(todo, finished, log)
        else:
            _parallel(todo, finished, log, jobs, scheduler, doc)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        forget_data()
    if interrupted or len(results) < len(todo):
        doc["interrupted"] = True
        for c in cells:                     # the cells cut short, with the runs they have
            if not all(t.index in results for t in by_cell[c.name]) or any(
                    results[t.index]["interrupted"] for t in by_cell[c.name]):
                cell_done(c, interrupted=True)
    else:
        doc["complete"] = True
    doc["wall_time"] = time.perf_counter() - start
    write(protocol, doc, out)
    log(f"{protocol.name} {'complete' if doc['complete'] else 'INCOMPLETE'} in {doc['wall_time'] / 60:.1f} min; "
        f"wrote {out / (protocol.name + '.md')}")
    return doc


def _serial(todo, finished, log):
    """One run after the other in this process; True if a Ctrl-C stopped them."""
    current = None
    for task in todo:
        if task.cell != current:
            current = task.cell
            log(f"== {task.cell.name}: {task.cell.dataset} {task.cell.model}, {task.cell.epochs} epochs, "
                f"check every {task.cell.check_every or 'epoch'}")
        result = run_task(task, log=lambda line: log(f"  {line}"), progress_every=10)
        finished(result)
        if result["interrupted"]:
            return True
    return False


def _parallel(todo, finished, log, jobs, scheduler, doc):
    """Every run submitted to one executor (runs.Pool); results as they finish (the worker
    count into ``doc``); a Ctrl-C cancels the pending runs and ends the running ones."""
    pool = Pool(jobs, scheduler)
    doc["workers"] = pool.workers
    log(f"== {len(todo)} runs on {pool.where}")
    try:
        for result in as_finished(pool, [(run_task, t) for t in todo]):
            finished(result)
    finally:
        pool.close()


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
    lines = [f"# {doc.get('title', protocol.title)}", "",
             f"Written by `minitwophase reproduce --protocol {protocol.flag}{' --quick' if doc['quick'] else ''}` "
             f"(`minitwophase/experiments/protocols/`). Status: {status}. **Measured runtime "
             f"{doc['wall_time'] / 60:.1f} min**{runtime_note(doc)} ("
             + ", ".join(f"{c['cell']} {c['wall_time'] / 60:.1f} min" for c in doc["cells"]) + ").", "",
             "## Protocol", "",
             f"- methods {', '.join(doc['methods'])}; MSE, batch 512, Adam lr 1e-3; fixed split 30 %; "
             "the 0.9 detector on the full-batch gradient norm; CG PR+ with a strong Wolfe search "
             "(the paper: golden section), one CG iteration per epoch, full batch.",
             f"- seeds {', '.join(map(str, doc['seeds']))}; mean ± sample std over seeds.",
             "- a CG phase stops when the gradient's max-norm falls below 1e-5 (scipy's default gtol); "
             "such a run ends before the budget and is read at its last epoch in both tables (its "
             "cost column shows where it stopped).",
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


def runtime_note(doc):
    """How the runtime was spent, when not by one process: the workers of a parallel run, or
    the processes of a merged document (documents.merge). Empty for one process."""
    if doc.get("processes"):
        return f" (the sum of the cells' times; {doc['processes']} processes ran them)"
    if (doc.get("workers") or 1) > 1:
        return f" of wall time on {doc['workers']} parallel workers (cells: the sum of their runs' times)"
    return ""


# ---------------------------------------------------------------- verdicts and links
def _rows(cell, table):
    part = cell["summary"]["equal_epochs"] if table == "epochs" else cell["summary"]["equal_cost"]["rows"]
    return {row["method"]: row for row in part}


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


def cell_links(cells):
    """Markdown lines: each cell's figure links, then the `minitwophase run` that repeats it."""
    lines = [f"- {c['cell']}: " + ", ".join(f"[{Path(f).stem}]({f})" for f in c["figures"]) for c in cells]
    return lines + ["", "Repeat one cell with `minitwophase run`:", ""] + [f"- `{c['command']}`" for c in cells]


def write_markdown(protocol, doc, out):
    md = markdown(protocol, doc)
    write_atomic(Path(out) / f"{protocol.name}.md", lambda tmp: tmp.write_text(md))


def write(protocol, doc, out):
    out = Path(out)
    for c in doc["cells"]:
        if c["summary"] is not None:
            c["verdicts"] = verdicts(c)
    text = json.dumps(jsonable(doc), indent=1, allow_nan=False)
    write_atomic(out / f"{protocol.name}.json", lambda tmp: tmp.write_text(text))
    write_markdown(protocol, doc, out)
