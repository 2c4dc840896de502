"""What the check interval does to the swap (``minitwophase reproduce --protocol granularity``).

The paper checks its swap rule once per epoch of full MNIST: 60,000 / 512 = 118 Adam steps.
On mnist5k (4,000 training images) an epoch is 8 steps, so checking once per epoch looks about
15 times more often. This protocol measures, on one Adam trajectory per cell, where the paper's
0.9 rule (swap.SwapDetector, the paper's rule) would swap and what the single-peak safeguard
(peaks.find_peaks_report) says when the rule sees the full-batch gradient norm every K = 8, 32
and 118 Adam steps.

One trajectory serves every K: the checks never change theta or the minibatch order, so the
Adam trajectory of "adam+cg" with ``check_every=K`` is the "adam" trajectory up to its swap
(tests/test_protocols.py checks the replayed swap epoch against the trainer's). A check at a
step that ends an epoch is the trainer's own row (the same full-batch measurement); the others
are measured by an on_minibatch hook on an Objective of its own, so they never enter the
method's cost. The checks feed one rule per K as the run goes and, where a rule fires, the
curvature is measured there (lambda_min, lambda_max, the verdict; 500 training images). The
safeguard judges the whole Adam record at each interval (the run goes on past the swap, so a
passed peak can be told from noise). Every cell is run under the output head x initial scale grid (CHOICES).

The cells are independent runs: ``jobs``/``scheduler`` run them on an executor as the table
protocols do (runs.Pool, one BLAS thread each).

Writes into ``out``: granularity.md, granularity.json, granularity.png.
Layer: experiments; map: docs/architecture.md.
"""
from __future__ import annotations

import json
import math
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np

from ..._json import jsonable, write_atomic
from ...models import backward_ratio, build_model
from ...curvature.probe import convex_verdict, probe
from ...peaks import find_peaks_report
from ...swap import SwapDetector
from ...training import TrainConfig, train
from ...training.objective import Objective
from ..experiment import Experiment, load_data
from ..report import markdown_table
from .cell import PAPER_STEPS, SETUP, Cell, choices_line
from .runs import Pool, as_finished, one_blas_thread

INTERVALS = (8, 32, PAPER_STEPS)

# The output head x initial scale grid, both silent in the paper (as protocols/laptop.py).
CHOICES = (("linear", 1.0), ("linear", 0.1), ("softmax", 1.0), ("softmax", 0.1))
# Budgets from measured epoch times (one thread, quiet machine, 2026-12-03; Adam epoch with its
# epoch-end full-batch measurement, linear head scale 1 / softmax head scale 0.1):
#   mnist5k mlp: 0.115 / 0.111 s -> 400 epochs = 3200 steps = 27 checks at K=118, ~1 min;
#   mnist5k vit-nomlp-wkewq-wvwo: 1.69 / 1.59 s -> 100 epochs = 800 steps (6 checks at K=118),
#     ~3 min, plus this protocol's own checks (each a full-batch evaluation, ~0.6 s: ~1.5 min).
# About 20 min for the 8 cells on one core. The epochs are the earlier study's, kept for every
# head and scale.
CELLS = tuple(c for head, scale in CHOICES for c in (
    Cell("mnist5k", "mlp", 400, head=head, init_scale=scale),
    Cell("mnist5k", "vit-nomlp-wkewq-wvwo", 100, head=head, init_scale=scale)))
QUICK_CELLS = (Cell("digits", "mlp", 30), Cell("digits", "mlp", 30, head="softmax", init_scale=0.1))
# The curvature at each interval's swap, on the first SAMPLES training images (as the table
# protocols' swap probe: an Objective of its own, never the method's cost).
CURVATURE = dict(samples=500, tol=1e-2, n_vectors=1, steps=20, max_hvp=40)


def steps_per_epoch(n_train, batch_size):
    return -(-n_train // batch_size)


class CheckRecorder:
    """The full-batch (loss, |g|) at every step that is a multiple of some K, fed to one paper
    rule per K as the run goes; at the step where the rule of K fires, the curvature there
    (curvature.probe on CURVATURE["samples"] images). Two hooks: called as on_minibatch it
    measures the steps inside an epoch (on Objectives of its own: never the method's cost);
    ``epoch_end`` (a trainer probe) takes an epoch's last step from the trainer's own row."""

    def __init__(self, net, data, cell, intervals, curvature=CURVATURE):
        ratio = backward_ratio(cell.model)
        self.objective = Objective(net, data.X_train, data.y_train, SETUP["loss"], cell.chunk_size, ratio)
        n = min(curvature["samples"], len(data.y_train))
        self.subset = Objective(net, data.X_train[:n], data.y_train[:n], SETUP["loss"], cell.chunk_size, ratio)
        self.curvature_options = {k: v for k, v in curvature.items() if k != "samples"}
        self.per_epoch = steps_per_epoch(len(data.y_train), SETUP["batch_size"])
        self.intervals, self.step, self.values = intervals, 0, {}
        self.detectors = {k: SwapDetector(SETUP["swap_factor"]) for k in intervals}
        self.swaps, self.curvature = {}, {}          # K -> swap step; K -> probe record

    def __call__(self, epoch, index, loss, grad, theta):
        self.step += 1
        if self.step % self.per_epoch and any(self.step % k == 0 for k in self.intervals):
            f, g = self.objective(theta)
            self._check(self.step, f, float(np.linalg.norm(g)), theta)

    def epoch_end(self, epoch, theta, objective, run, swapped):
        if epoch >= 1:
            row = run.rows[-1]
            self._check(epoch * self.per_epoch, row["train_loss"], row["grad_norm"], theta)

    def _check(self, step, f, grad_norm, theta):
        self.values[step] = (f, grad_norm)
        for k in self.intervals:
            if step % k == 0 and k not in self.swaps and self.detectors[k].update(grad_norm, loss=f):
                self.swaps[k] = step
                self.curvature[k] = self._probe(theta, step)

    def _probe(self, theta, step):
        rec = probe(self.subset, theta, seed=0, **self.curvature_options)
        return {**rec.row(), "converged": rec.converged, "verdict": convex_verdict(rec).label,
                "samples": self.subset.n, "step": step}


def replay(values, k, per_epoch, factor):
    """The paper's rule fed every k-th step's measurement; swap step/epoch and the safeguard."""
    steps = sorted(s for s in values if s % k == 0)
    det = SwapDetector(factor)
    swap_step = next((s for s in steps if det.update(values[s][1], loss=values[s][0])), None)
    norms = [values[s][1] for s in steps]
    report = find_peaks_report(norms, [values[s][0] for s in steps], unit="step", labels=steps) \
        if len(steps) > 1 else None
    peak = steps[int(np.argmax(norms))] if steps else None
    return {"interval": k, "n_checks": len(steps), "swap_step": swap_step,
            "swap_epoch": None if swap_step is None else math.ceil(swap_step / per_epoch),
            "peak_step": peak, "peak_epoch": None if peak is None else math.ceil(peak / per_epoch),
            "single_peak": None if report is None else report.single_peak,
            "peak_status": None if report is None else report.status,
            "peak_message": "fewer than two checks" if report is None else report.message,
            "steps": steps, "grad_norms": norms, "losses": [values[s][0] for s in steps]}


def run_cell(cell, seed=0, intervals=INTERVALS, log=print):
    exp = Experiment(dataset=cell.dataset, model=cell.model, head=cell.head, methods=("adam",), seeds=(seed,),
                     train=TrainConfig(epochs=cell.epochs, chunk_size=cell.chunk_size,
                                       init_scale=cell.init_scale, **SETUP)).validate()
    data = load_data(exp)
    net = build_model(cell.model, data.image_shape, data.n_classes, head=cell.head)
    rec = CheckRecorder(net, data, cell, intervals)
    start = time.perf_counter()
    run = train(net, data, config=exp.train, method="adam", seed=seed, on_minibatch=rec, probes=[rec.epoch_end])
    wall = time.perf_counter() - start
    results = [replay(rec.values, k, rec.per_epoch, SETUP["swap_factor"]) for k in intervals]
    for r in results:
        assert r["swap_step"] == rec.swaps.get(r["interval"]), "the replay and the live rule disagree"
        r["curvature"] = rec.curvature.get(r["interval"])
    for r in results:
        log(f"  {cell.name} K={r['interval']:>3}: {r['n_checks']} checks, swap epoch {r['swap_epoch']}, "
            f"single peak {r['single_peak']} ({r['peak_status']})")
    return {"cell": cell.name, **asdict(cell), "seed": seed, "n_train": len(data.y_train),
            "steps_per_epoch": rec.per_epoch, "n_params": net.size, "wall_time": wall,
            "extra_checks_cost": rec.objective.cost, "status": run.status,
            "epoch_loss": run.column("train_loss").tolist(), "epoch_grad_norm": run.column("grad_norm").tolist(),
            "command": exp.command_line(), "intervals": results}


def _silent(line):
    pass


def run_cell_pinned(cell, seed):
    """run_cell in a worker: one BLAS thread (runs.py), no lines (the parent prints one per cell)."""
    with one_blas_thread():
        return run_cell(cell, seed, log=_silent)


def run(out, quick=False, seeds=None, log=print, jobs=None, scheduler=None):
    seed = (tuple(seeds) if seeds else (0,))[0]
    cells = QUICK_CELLS if quick else CELLS
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    doc = {"protocol": "granularity", "quick": quick, "setup": SETUP, "intervals": list(INTERVALS),
           "paper_steps": PAPER_STEPS, "cells": [], "complete": False}
    start = time.perf_counter()
    order = [c.name for c in cells]

    def finished(record):
        doc["cells"] = sorted(doc["cells"] + [record], key=lambda c: order.index(c["cell"]))
        doc["wall_time"] = time.perf_counter() - start
        write(doc, out)
        log(f"[{len(doc['cells'])}/{len(cells)}] granularity {record['cell']}: {record['status']}, "
            f"{record['wall_time']:.0f} s")

    if (jobs is None or jobs == 1) and scheduler is None:
        for cell in cells:
            log(f"== granularity {cell.name}: {cell.epochs} Adam epochs, checks every {INTERVALS} steps")
            with one_blas_thread():
                finished(run_cell(cell, seed, log=log))
    else:
        pool = Pool(jobs, scheduler)
        log(f"== granularity: {len(cells)} cells on {pool.where}")
        doc["workers"] = pool.workers
        try:
            for record in as_finished(pool, [(run_cell_pinned, c, seed) for c in cells]):
                finished(record)
        except KeyboardInterrupt:
            doc["interrupted"] = True
            write(doc, out)
            log(f"granularity INTERRUPTED after {len(doc['cells'])} of {len(cells)} cells; wrote {out / 'granularity.md'}")
            return doc
        finally:
            pool.close()
    doc["complete"] = True
    doc["wall_time"] = time.perf_counter() - start
    write(doc, out)
    log(f"granularity done in {doc['wall_time'] / 60:.1f} min; wrote {out / 'granularity.md'}")
    return doc


def markdown(doc):
    lines = ["# Swap-check granularity", "",
             f"Written by `minitwophase reproduce --protocol granularity{' --quick' if doc['quick'] else ''}` "
             f"(`minitwophase/experiments/protocols/granularity.py`). Status: "
             f"{'complete' if doc['complete'] else 'in progress'}; measured runtime "
             f"{doc.get('wall_time', 0) / 60:.1f} min{runtime_note(doc)} on a 2-core machine shared with other jobs.", "",
             f"One Adam run per cell (MSE, batch 512, lr 1e-3, seed {doc['cells'][0]['seed'] if doc['cells'] else 0}); "
             "the paper's 0.9 rule and the single-peak safeguard replayed on the full-batch gradient "
             f"norm seen every K Adam steps. K = {PAPER_STEPS} is the paper's (one full-MNIST epoch); "
             "on mnist5k one epoch is 8 steps. Swap epoch = the epoch in which the check that swaps "
             "falls; \"-\" = the rule never fired within the budget.", choices_line(doc["cells"]), ""]
    rows = []
    for c in doc["cells"]:
        for r in c["intervals"]:
            rows.append([c["cell"], c["epochs"], r["interval"], r["n_checks"],
                         "-" if r["swap_epoch"] is None else r["swap_epoch"],
                         "-" if r["peak_epoch"] is None else r["peak_epoch"],
                         {True: "yes", False: "no", None: "-"}[r["single_peak"]], r["peak_status"] or "-"])
    lines += [markdown_table(["cell", "epochs", "K (steps)", "checks", "swap epoch", "peak epoch (largest |g|)",
                              "single peak", "safeguard status"], rows), "", "## Curvature at the swap", "",
              "The Hessian of the training loss on the first 500 training images at the check where "
              "the rule of K fires (Lanczos; ratio = lambda_min / lambda_max; convex iff lambda_min >= "
              "-1e-3 lambda_max).", ""]
    rows = [[c["cell"], r["interval"], r["swap_epoch"], f"{v['lambda_min']:.3g}", f"{v['lambda_max']:.3g}",
             f"{v['ratio']:.3g}", v["verdict"], "yes" if v["converged"] else "no"]
            for c in doc["cells"] for r in c["intervals"] if (v := r.get("curvature"))]
    lines += [markdown_table(["cell", "K (steps)", "swap epoch", "lambda_min", "lambda_max", "ratio", "verdict",
                              "converged"], rows) if rows else "(no rule fired)", "", "## Safeguard messages", ""]
    for c in doc["cells"]:
        for r in c["intervals"]:
            lines.append(f"- {c['cell']} K={r['interval']}: {r['peak_message']}")
    lines += ["", "Figure: [granularity.png](granularity.png) (gradient norm against Adam steps, "
              "one panel per cell, the checks of each K marked, its swap as a vertical line).", "",
              "Repeat the Adam run of a cell with `minitwophase run`:", ""]
    lines += [f"- `{c['command']}`" for c in doc["cells"]]
    return "\n".join(lines) + "\n"


def figure(doc):
    import matplotlib.pyplot as plt            # lazy: the command chooses the backend
    cells = doc["cells"]
    ncols = min(2, max(1, len(cells)))
    nrows = -(-max(1, len(cells)) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(5.5 * ncols, 3.6 * nrows), squeeze=False)
    colors = {8: "tab:blue", 32: "tab:green", PAPER_STEPS: "tab:red"}
    for ax in axes.flat[len(cells):]:
        ax.set_visible(False)
    for ax, c in zip(axes.flat, cells):
        for r in c["intervals"]:
            col = colors.get(r["interval"], "tab:gray")
            ax.plot(r["steps"], r["grad_norms"], "o-", ms=3, lw=1, color=col,
                    label=f"every {r['interval']} steps: swap epoch {r['swap_epoch'] or '-'}, "
                          f"single peak {'-' if r['single_peak'] is None else ('yes' if r['single_peak'] else 'no')}")
            if r["swap_step"] is not None:
                ax.axvline(r["swap_step"], color=col, ls="--", lw=1)
        ax.set_yscale("log")
        ax.set_xlabel(f"Adam step ({c['steps_per_epoch']} per epoch)")
        ax.set_ylabel("full-batch gradient norm")
        ax.set_title(c["cell"])
        ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def runtime_note(doc):
    """As table.runtime_note: the processes of a merged document, the workers of a parallel run."""
    if doc.get("processes"):
        return f" (the sum of the cells' times; {doc['processes']} processes ran them)"
    if (doc.get("workers") or 1) > 1:
        return f" of wall time on {doc['workers']} parallel workers"
    return ""


def write(doc, out, json_too=True):
    """granularity.json (unless ``json_too`` is False: documents.render), .md and .png."""
    out = Path(out)
    if json_too:
        text = json.dumps(jsonable(doc), indent=1, allow_nan=False)
        write_atomic(out / "granularity.json", lambda tmp: tmp.write_text(text))
    md = markdown(doc)
    write_atomic(out / "granularity.md", lambda tmp: tmp.write_text(md))
    if doc["cells"]:
        import matplotlib.pyplot as plt
        fig = figure(doc)
        write_atomic(out / "granularity.png", lambda tmp: fig.savefig(tmp, dpi=110, format="png"))
        plt.close(fig)
