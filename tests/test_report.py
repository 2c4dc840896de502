"""report.py: the equal-epochs and equal-cost tables against hand-derived answers, and the
files (results.json, history.csv, params.npz, summary.md) round-trip."""
import csv
import json
import math

import numpy as np
import pytest

from minitwophase.experiments.experiment import Experiment, Outcome
from minitwophase.experiments.report import (cost_budget, format_tables, load_results, mean_std, row_at_cost,
                                 save_results, summarize)
from minitwophase.training import COLUMNS, Run, TrainConfig


def make_run(method, seed, costs, losses, status="completed", val_acc=None, swap_epoch=None,
             train_acc=0.9):
    rows = []
    for epoch, (c, f) in enumerate(zip(costs, losses)):
        row = dict.fromkeys(COLUMNS)
        row.update(epoch=epoch, phase="init" if epoch == 0 else "adam", train_loss=f,
                   grad_norm=1.0 / (epoch + 1), val_loss=f + 0.01,
                   val_acc=0.5 if val_acc is None else val_acc[epoch], cost=c, wall_time=0.1 * epoch)
        rows.append(row)
    run = Run(method=method, seed=seed, config={"epochs": len(costs) - 1}, rows=rows,
              status=status, message=f"{status} by hand", swap_epoch=swap_epoch, peak_epoch=1,
              peak_report={"message": "one gradient-norm peak, at update 0", "single_peak": True},
              best_epoch=len(costs) - 1, final_train_acc=train_acc,
              theta=np.arange(3.0) + seed, best_theta=np.arange(3.0) - seed)
    return run


def hand_runs():
    # Final costs: 9, 10, 8 (and 3, interrupted). Budget = min over non-interrupted = 8.
    a0 = make_run("adam", 0, [1, 3, 5, 7, 9], [1.0, 0.5, 0.4, 0.3, 0.2], train_acc=0.8)
    a1 = make_run("adam", 1, [1, 4, 8.5, 10], [1.0, 0.5, 0.25, 0.2], train_acc=0.9)
    b0 = make_run("adam+cg", 0, [1, 3, 6, 8], [1.0, 0.6, 0.2, 0.1], swap_epoch=1)
    b1 = make_run("adam+cg", 1, [1, 3], [1.0, 0.7], status="interrupted")
    return [a0, a1, b0, b1]


def test_equal_cost_matches_hand_derivation():
    runs = hand_runs()
    assert cost_budget(runs) == 8          # b1 (interrupted at cost 3) does not set it
    s = summarize(runs)["equal_cost"]
    assert s["budget"] == 8
    assert s["short_of_budget"] == ["adam+cg seed 1"]
    adam, cg = s["rows"]
    # adam seed 0: last cost <= 8 is 7 (epoch 3, loss 0.3); seed 1: cost 4 (epoch 1, loss 0.5)
    assert adam["epochs"] == [1, 3]
    assert adam["train_loss"]["mean"] == pytest.approx(0.4)
    assert adam["train_loss"]["std"] == pytest.approx(math.sqrt(0.02))   # ddof=1
    assert adam["cost"]["mean"] == pytest.approx(5.5)
    # adam+cg seed 0 ends exactly on the budget: its final row (loss 0.1); seed 1 left out
    assert cg["runs"] == 1 and cg["epochs"] == [3, 3]
    assert cg["train_loss"] == {"mean": 0.1, "std": None, "n": 1}


def test_equal_epochs_uses_final_rows_and_final_train_acc():
    s = summarize(hand_runs())["equal_epochs"]
    adam = s[0]
    assert adam["method"] == "adam" and adam["epochs"] == [3, 4]
    assert adam["train_loss"]["mean"] == pytest.approx(0.2)
    assert adam["train_acc"]["mean"] == pytest.approx(0.85)
    assert adam["val_loss"]["mean"] == pytest.approx(0.21)


def test_row_at_cost_tolerates_rounding_but_not_more():
    run = make_run("adam", 0, [1.0, 2.0000000000000004, 3.5], [1, 0.5, 0.25])
    assert row_at_cost(run, 2.0)["epoch"] == 1
    assert row_at_cost(run, 1.999)["epoch"] == 0
    assert row_at_cost(run, 0.5) is None


def test_mean_std_skips_missing_values():
    assert mean_std([1.0, None, float("nan"), 3.0]) == {"mean": 2.0, "std": math.sqrt(2.0), "n": 2}
    assert mean_std([None]) == {"mean": None, "std": None, "n": 0}


def test_tables_show_status_of_a_diverged_run():
    runs = [make_run("adam", 0, [1, 3, 5], [1.0, 0.5, 0.4]),
            make_run("adam+cg", 0, [1, 3], [1.0, 0.6], status="diverged")]
    text = format_tables(summarize(runs))
    assert "At equal epochs" in text and "At equal cost (budget 3.0" in text
    line = next(l for l in text.splitlines() if l.startswith("| adam+cg") and "diverged" in l)
    assert "| 1 " in line          # epochs column: stopped at epoch 1


def test_save_and_load_round_trip(tmp_path):
    runs = hand_runs()
    runs[0].rows[2]["val_loss"] = float("nan")        # must become null, not invalid JSON
    exp = Experiment(dataset="digits", methods=("adam", "adam+cg"), seeds=(0, 1),
                     train=TrainConfig(epochs=4)).validate()
    paths = save_results(Outcome(exp, "hand-made", runs, interrupted=True), tmp_path, plots=False)
    doc, loaded = load_results(tmp_path)
    assert doc["interrupted"] is True
    assert set(doc["versions"]) >= {"python", "numpy", "scipy", "matplotlib", "platform"}
    assert "minitwophase run --dataset digits" in doc["config"]["command"]
    assert doc["config"]["train"]["epochs"] == 4 and "method" not in doc["config"]["train"]
    assert doc["runs"][0]["rows"][2]["val_loss"] is None
    assert [(r.method, r.seed, r.status) for r in loaded] == [(r.method, r.seed, r.status) for r in runs]
    assert loaded[2].rows == runs[2].rows
    with open(paths["history"]) as fh:
        table = list(csv.DictReader(fh))
    assert list(table[0]) == ["method", "seed", *COLUMNS]
    assert len(table) == sum(len(r.rows) for r in runs)
    assert table[5] == {**{k: "" for k in COLUMNS}, "method": "adam", "seed": "1", "epoch": "0",
                        "phase": "init", "train_loss": "1.0", "grad_norm": "1.0", "val_loss": "1.01",
                        "val_acc": "0.5", "cost": "1", "wall_time": "0.0"}
    with np.load(paths["params"]) as npz:
        assert np.array_equal(npz["adam+cg_seed1_theta"], np.arange(3.0) + 1)
        assert np.array_equal(npz["adam_seed1_best_theta"], np.arange(3.0) - 1)
    md = paths["summary"].read_text()
    assert "## At equal epochs" in md and "## At equal cost" in md
    assert "INTERRUPTED" in md and "Left out (interrupted before the budget): adam+cg seed 1" in md
    assert not list(tmp_path.glob("*.tmp"))
    json.loads(paths["results"].read_text())           # strict JSON (allow_nan=False wrote it)
