"""The paper's row at the paper's budget, in stages: ``reproduce --protocol paper-budget --render``.

Adam for 1000 epochs against the paper's fixed split, Adam 300 + CG 700 (and PCG), on full
MNIST, vit-nomlp-wkewq-wvwo, seed 0, the settled head and scale (softmax, 0.1). The runs are
``minitwophase run`` commands (docs/results.md), one folder each under the root: ``adam``
(Adam throughout), ``cg`` and ``pcg`` (the fixed split started from Adam's checkpoint at epoch
300, so the split shares Adam's prefix bit for bit). Each stage extends them with ``--resume``.

This module trains nothing: it reads the folders and writes ``stages.json`` and ``stages.md``,
one table per stage against the paper's row, at equal epochs and at equal cost. A stage is
recorded when every folder present ends exactly at the stage's epoch (the train accuracy is
measured only at a run's last epoch, so a later stage cannot recompute an earlier one's);
stages.json keeps every stage recorded before. Adam is a minibatch method, so its end-of-epoch
readings move from one epoch to the next: each stage also reports their spread over Adam's
last SPREAD_EPOCHS epochs and where each two-phase run lies against it (one seed's
epoch-to-epoch noise, not a seed-to-seed spread).

Layer: experiments; map: docs/architecture.md.
"""
from __future__ import annotations

import json
from pathlib import Path

from ..._json import jsonable, write_atomic
from ..report import load_results, markdown_table, row_at_cost
from .vit import PAPER_ROWS

MODEL = "vit-nomlp-wkewq-wvwo"
SPLIT_EPOCH = 300                   # the paper's 30 % of 1000 epochs
STAGES = (300, 400, 550, 700, 850, 1000)
FOLDERS = {"adam": "Adam", "cg": "Adam 300 + CG", "pcg": "Adam 300 + PCG"}
JSON, MARKDOWN, CURVATURE = "stages.json", "stages.md", "curvature300.json"
SPREAD_EPOCHS = 20
SPREAD_KEYS = {"train_loss": ".5f", "val_loss": ".5f", "val_acc": ".4f"}   # and their format
KEYS = ("epoch", "train_loss", "val_loss", "val_acc", "grad_norm", "cost", "wall_time")


def load_folders(root):
    """{folder: Run} for the folders of FOLDERS present under ``root`` (one run each)."""
    runs = {}
    for name in FOLDERS:
        if (Path(root) / name / "results.json").exists():
            _, found = load_results(Path(root) / name)
            if len(found) != 1 or not found[0].rows:
                raise ValueError(f"{Path(root) / name}: expected one run with rows, got {len(found)} runs")
            runs[name] = found[0]
    if "adam" not in runs:
        raise ValueError(f"{Path(root) / 'adam' / 'results.json'} does not exist: no stage to render in {root}")
    return runs


def _keys(row):
    return None if row is None else {k: row.get(k) for k in KEYS}


def stage_record(runs, stage, split_epoch=SPLIT_EPOCH):
    """One stage's numbers; every run ends at ``stage``: each at its last row and at the
    smallest final cost (report.row_at_cost) and, at the split, Adam's gradient-norm reading."""
    at_epoch = {n: {**_keys(r.final), "train_acc": r.final_train_acc, "status": r.status}
                for n, r in runs.items()}
    budget = min(v["cost"] for v in at_epoch.values())
    record = {"stage": stage, "split_epoch": split_epoch, "at_epoch": at_epoch, "budget": budget,
              "at_cost": {n: _keys(row_at_cost(r, budget)) for n, r in runs.items()}}
    if stage == split_epoch:            # Adam ends at the split: its one GradNormSummary is the reading
        adam = runs["adam"]
        peaks = adam.peaks
        last = next(r for r in reversed(adam.rows) if r.get("grad_norm") is not None)
        record["gradient_at_split"] = {
            "largest": peaks.largest_value, "largest_epoch": peaks.largest_epoch, "checks": peaks.n_checks,
            "last": last["grad_norm"], "last_epoch": last["epoch"], "sentence": peaks.sentence()}
    return record


def adam_spread(rows, stage, width=SPREAD_EPOCHS):
    """Min, mean and max of Adam's readings over epochs stage-width+1 .. stage (its history)."""
    window = [r for r in rows if stage - width < r["epoch"] <= stage]
    if not window or window[-1]["epoch"] != stage:
        raise ValueError(f"Adam's history does not reach epoch {stage} (last: {rows[-1]['epoch'] if rows else None})")
    spread = {"first_epoch": window[0]["epoch"], "last_epoch": stage}
    for key in SPREAD_KEYS:
        values = [r[key] for r in window]
        spread[key] = {"min": min(values), "mean": sum(values) / len(values), "max": max(values)}
    return spread


def placement(value, spread):
    """"below", "inside" or "above" Adam's range [min, max] of one metric."""
    return "below" if value < spread["min"] else "above" if value > spread["max"] else "inside"


def _compare(other, adam, key, lower_is_better=True):
    """"ahead", "level" or "behind" of ``other`` against Adam on ``key``."""
    if other[key] == adam[key]:
        return "level"
    return "ahead" if (other[key] < adam[key]) == lower_is_better else "behind"


def verdict(record):
    """Per two-phase folder, in words: ahead of or behind Adam, at equal epochs and equal cost."""
    lines = []
    for table, words in (("at_epoch", f"at epoch {record['stage']}"),
                         ("at_cost", f"at equal cost ({record['budget']:.1f} epoch-eq.)")):
        adam = record[table]["adam"]
        for name in (n for n in FOLDERS if n != "adam" and n in record[table]):
            other = record[table][name]
            if other is None or adam is None:
                continue
            loss = {"ahead": "ahead of", "level": "level with", "behind": "behind"}[
                _compare(other, adam, "train_loss")]
            lines.append(f"{FOLDERS[name]} {words}: {loss} Adam in train loss ({other['train_loss']:.4g} vs "
                         f"{adam['train_loss']:.4g}), {_compare(other, adam, 'val_loss')} in val loss "
                         f"({other['val_loss']:.4g} vs {adam['val_loss']:.4g}), "
                         f"{_compare(other, adam, 'val_acc', lower_is_better=False)} in val acc "
                         f"({other['val_acc']:.4f} vs {adam['val_acc']:.4f}).")
    return lines


def _fmt(value, spec):
    return "-" if value is None else format(value, spec)


def stage_markdown(record, curvature=None):
    """A stage's section of stages.md: the two tables, the paper's row, the verdict."""
    stage = record["stage"]
    paper = PAPER_ROWS[MODEL]
    rows = [[FOLDERS[n], v["epoch"], _fmt(v["train_loss"], ".5f"), _fmt(v["train_acc"], ".4f"),
             _fmt(v["val_loss"], ".5f"), _fmt(v["val_acc"], ".4f"), _fmt(v["cost"], ".1f"), _fmt(v["wall_time"], ".0f")]
            for n, v in record["at_epoch"].items()]
    rows += [[f"paper: {label}", 1000, *(format(x, ".4f") for x in paper[key]), "-", "-"]
             for label, key in (("Adam", "adam"), ("Adam 300 + CG 700", "adam+cg"))]
    parts = [f"## Stage: epoch {stage}", "",
             f"At equal epochs (each run at epoch {stage}; the paper's rows at epoch 1000):", "",
             markdown_table(["run", "epoch", "train loss", "train acc", "val loss", "val acc",
                             "cost (epoch-eq.)", "wall time (s)"], rows), "",
             f"At equal cost ({record['budget']:.1f} epoch-equivalents, the smallest run's; each run "
             "at its last epoch within it):", "",
             markdown_table(["run", "epoch reached", "train loss", "val loss", "val acc", "cost (epoch-eq.)"],
                            [[FOLDERS[n], v["epoch"], _fmt(v["train_loss"], ".5f"), _fmt(v["val_loss"], ".5f"),
                              _fmt(v["val_acc"], ".4f"), _fmt(v["cost"], ".1f")]
                             for n, v in record["at_cost"].items() if v is not None]), ""]
    parts += [f"- {line}" for line in verdict(record)] or [
        f"- The fixed split's runs are this Adam run up to epoch {stage} (their shared prefix): "
        "no two-phase epoch to compare yet."]
    spread = record.get("adam_spread")
    others = [n for n in FOLDERS if n != "adam" and n in record["at_epoch"]]
    if spread is not None and others:
        parts += ["", f"Adam's readings over epochs {spread['first_epoch']}-{spread['last_epoch']} (min, mean, max) "
                  f"and each two-phase run at epoch {stage}, below, inside or above that range:", "",
                  markdown_table(["metric", "Adam min", "Adam mean", "Adam max", *(FOLDERS[n] for n in others)],
                                 [[key.replace("_", " "), *(format(spread[key][stat], SPREAD_KEYS[key])
                                                            for stat in ("min", "mean", "max")),
                                   *(f"{record['at_epoch'][n][key]:{SPREAD_KEYS[key]}} "
                                     f"({placement(record['at_epoch'][n][key], spread[key])})" for n in others)]
                                  for key in SPREAD_KEYS])]
    g = record.get("gradient_at_split")
    if g is not None:
        parts += ["", f"Gradient norm up to epoch {g['last_epoch']} ({g['checks']} full-batch readings): "
                  f"largest {g['largest']:.3g} at epoch {g['largest_epoch']}, {g['last']:.3g} at epoch "
                  f"{g['last_epoch']} ({g['last'] / g['largest']:.2f} of the largest).", "",
                  f"Adam's gradient-norm summary at epoch {stage}: {g['sentence']}."]
        if curvature is not None:
            parts += ["", curvature_sentence(curvature, stage)]
    return "\n".join(parts)


def curvature_sentence(c, epoch=SPLIT_EPOCH):
    """``minitwophase curvature --json`` output at the split (CURVATURE), in one sentence."""
    return (f"Curvature at epoch {epoch} (`minitwophase curvature --json`, full training loss, "
            f"{c['n_hvp']} Hessian-vector products): lambda_min {c['lambda_min']:.3g}, lambda_max "
            f"{c['lambda_max']:.3g}, ratio {c['ratio']:.3g}; {c['verdict']}"
            + ("." if c.get("converged", True) else ", from a Lanczos run that had not converged (a "
               "negative Ritz value still bounds lambda_min from above)."))


def _write_text(path, text):
    write_atomic(path, lambda tmp: Path(tmp).write_text(text))


def render(root, stages=STAGES, split_epoch=SPLIT_EPOCH):
    """Add the stage the folders under ``root`` end at (if any) to stages.json; write stages.md.
    Returns the list of recorded stages."""
    root = Path(root)
    runs = load_folders(root)
    path = root / JSON
    doc = json.loads(path.read_text()) if path.exists() else {"model": MODEL, "stages": {}}
    ends = sorted({r.rows[-1]["epoch"] for r in runs.values()})
    if len(ends) == 1 and ends[0] in stages:
        record = stage_record(runs, ends[0], split_epoch)
        doc["stages"][str(ends[0])] = {**record, "folders": sorted(runs)}
    curve_path = root / CURVATURE
    curvature = json.loads(curve_path.read_text()) if curve_path.exists() else None
    recorded = sorted(doc["stages"], key=int)
    for s in recorded:                  # Adam's history is append-only: every stage's spread is in it
        doc["stages"][s]["adam_spread"] = adam_spread(runs["adam"].rows, int(s))
    _write_text(path, json.dumps(jsonable(doc), indent=1) + "\n")
    body = [stage_markdown(doc["stages"][s], curvature) for s in recorded]
    head = [f"# The paper's row at the paper's budget, in stages ({MODEL}, full MNIST)", "",
            "Written by `minitwophase reproduce --protocol paper-budget --render` from the run folders "
            f"{', '.join(f'`{n}/`' for n in FOLDERS)}; commands and reading in docs/results.md.",
            "" if recorded else "No stage recorded yet (every folder must end at a stage's epoch: "
            + ", ".join(map(str, stages)) + ")."]
    _write_text(root / MARKDOWN, "\n".join(head + ["\n\n".join(body)]).rstrip() + "\n")
    return [int(s) for s in recorded]
