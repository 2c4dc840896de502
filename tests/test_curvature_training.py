"""Curvature measured along training (``curvature_every``, training/curvature_probe.py): the
probe leaves the run bit-identical and pays in its own column, its numbers agree with the
dense Hessian's eigenvalues at the checkpoints, the swap verdict follows the stated rule, and
results.json / history.csv / summary.md / the figures / the ``curvature`` verb carry it."""
import csv
import json
import subprocess
import sys

import numpy as np
import pytest

from minitwophase import datasets
from minitwophase.cli.curvature import select_key
from minitwophase.cli.options import UsageError
from minitwophase.experiments.curvature_plots import density_snapshots, plot_curvature
from minitwophase.experiments.experiment import Experiment, run_experiment
from minitwophase.experiments.report import load_results, save_results
from minitwophase.models import build_model
from minitwophase.training import COLUMNS, CURVATURE_COLUMNS, Objective, Run, TrainConfig, train
from cli_runner import run_cli
from test_curvature import dense_hessian_fd

DATA = datasets.load("digits")
SETUP = dict(epochs=6, batch_size=64, lr=1e-2, seed=0)
MODEL = "mlp:4"                     # 310 parameters: the dense Hessian is cheap


def _net():
    return build_model(MODEL, DATA.image_shape, DATA.n_classes)


@pytest.fixture(scope="module")
def runs():
    """adam+cg without and with the probe (every 4 epochs) and checkpoints every epoch."""
    plain = train(_net(), DATA, method="adam+cg", **SETUP)
    probed = train(_net(), DATA, method="adam+cg", curvature_every=4, save_checkpoints=1, **SETUP)
    return plain, probed


def test_the_probe_changes_nothing_of_the_run(runs):
    plain, probed = runs
    assert len(plain.rows) == len(probed.rows) and plain.swap_epoch == probed.swap_epoch is not None
    for a, b in zip(plain.rows, probed.rows):
        for k in COLUMNS:
            if k != "wall_time":                    # seconds: the one number that may differ
                assert a[k] == b[k] or (a[k] != a[k] and b[k] != b[k]), (k, a[k], b[k])
    assert np.array_equal(plain.column("cost"), probed.column("cost"))      # bit-identical
    assert np.array_equal(plain.theta, probed.theta) and np.array_equal(plain.best_theta, probed.best_theta)
    assert (plain.peak_epoch, plain.best_epoch, plain.status, plain.final_train_acc) == \
           (probed.peak_epoch, probed.best_epoch, probed.status, probed.final_train_acc)
    assert plain.curvature is None and "lambda_min" not in plain.rows[0]


def test_measured_where_stated_and_paid_in_diag_cost(runs):
    _, run = runs
    last = len(run.rows) - 1
    adam_rows = [r for r in run.rows[1:] if r["phase"] == "adam"]
    peak = max(adam_rows, key=lambda r: r["grad_norm"])["epoch"]
    expected = {0, 4, run.swap_epoch, peak, last}
    assert {s["epoch"] for s in run.curvature} == expected
    roles = {s["epoch"]: s["roles"] for s in run.curvature}
    assert "swap" in roles[run.swap_epoch] and "peak" in roles[peak] and "end" in roles[last]
    for r in run.rows:
        assert set(CURVATURE_COLUMNS) <= set(r)
        measured = r["epoch"] in expected
        assert (r["lambda_min"] is not None) == measured, r["epoch"]
        assert r["diag_cost"] is not None
    # every product is two full-batch gradients of the probe's own objective: 1 epoch-equivalent each
    assert run.rows[-1]["diag_cost"] == sum(s["n_evals"] for s in run.curvature)
    assert np.all(np.diff(run.column("diag_cost")) >= 0)


def test_measured_extremes_match_the_dense_hessian_at_the_checkpoints(runs):
    _, run = runs
    net = _net()
    obj = Objective(net, DATA.X_train, DATA.y_train, "mse")
    for s in run.curvature:
        theta = run.checkpoints[s["epoch"]]
        assert obj(theta)[0] == s["train_loss"]           # the checkpoint is that row's theta
        ev = np.linalg.eigvalsh(dense_hessian_fd(obj, theta))
        scale = ev[-1]
        assert abs(s["lambda_max"] - ev[-1]) <= 2e-3 * scale, (s["epoch"], s["lambda_max"], ev[-1])
        assert abs(s["lambda_min"] - ev[0]) <= 2e-3 * scale, (s["epoch"], s["lambda_min"], ev[0])
        neg = np.mean(ev < -1e-3 * abs(s["lambda_max"]))
        assert abs(s["negative_mass"] - neg) < 0.1        # SLQ's weight: a 2-probe estimate


def test_swap_verdict_follows_the_stated_rule(runs):
    _, run = runs
    v = run.swap_curvature
    swap_row = run.rows[run.swap_epoch]
    assert v["epoch"] == run.swap_epoch and v["lambda_min"] == swap_row["lambda_min"]
    ratio = swap_row["lambda_min"] / swap_row["lambda_max"]
    assert v["ratio"] == pytest.approx(ratio, rel=1e-12)
    assert v["convex"] == (ratio >= -1e-3) and v["margin"] == pytest.approx(ratio + 1e-3, rel=1e-12)
    assert v["verdict"] in ("convex", "convex up to flat directions", "non-convex")


def test_no_swap_run_measures_peak_and_end_and_has_no_verdict():
    run = train(_net(), DATA, method="adam", curvature_every=100, **SETUP)
    assert run.swap_curvature is None
    epochs = [s["epoch"] for s in run.curvature]
    assert epochs[0] == 0 and epochs[-1] == len(run.rows) - 1 and len(epochs) == 3
    peak = 1 + int(np.argmax(run.column("grad_norm")[1:]))
    assert peak in epochs


def test_run_record_round_trips_without_checkpoints(runs):
    _, run = runs
    d = json.loads(json.dumps(run.to_dict()))
    assert "checkpoints" not in d
    back = Run.from_dict(d)
    assert back.swap_curvature == d["swap_curvature"] and len(back.curvature) == len(run.curvature)


@pytest.mark.parametrize("field", ["curvature_every", "save_checkpoints"])
@pytest.mark.parametrize("value", [0, -2, 1.5])
def test_config_rejects_bad_values(field, value):
    with pytest.raises((ValueError, TypeError), match=field):
        TrainConfig(**{field: value}).validate()


def test_off_by_default():
    assert TrainConfig().curvature_every is None and TrainConfig().save_checkpoints is None


# ---------------------------------------------------------------- files, report, figures, verb
@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    out = tmp_path_factory.mktemp("curv")
    exp = Experiment(dataset="digits", model=MODEL, methods=("adam", "adam+cg"),
                     train=TrainConfig(epochs=5, batch_size=64, lr=1e-2, curvature_every=4,
                                       save_checkpoints=2))
    outcome = run_experiment(exp)
    paths = save_results(outcome, out)
    return out, outcome, paths


def test_results_history_and_summary_carry_the_measurement(saved):
    out, outcome, paths = saved
    doc = json.loads((out / "results.json").read_text())
    cg = next(r for r in doc["runs"] if r["method"] == "adam+cg")
    assert cg["swap_curvature"]["verdict"] == outcome.runs[1].swap_curvature["verdict"]
    digest = next(d for d in doc["summary"]["runs"] if d["method"] == "adam+cg")
    assert digest["curvature"]["swap"]["margin"] == cg["swap_curvature"]["margin"]
    assert {"init", "peak", "swap", "end"} <= set(digest["curvature"]["points"])
    with open(out / "history.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert set(CURVATURE_COLUMNS) <= set(rows[0])
    assert rows[0]["lambda_max"] != "" and rows[1 + 2]["diag_cost"] != ""
    md = (out / "summary.md").read_text()
    assert "## Curvature (measured)" in md
    word = "convex" if cg["swap_curvature"]["convex"] else "NON-CONVEX"
    assert f"swap after epoch {cg['swap_epoch']} in a region the measurement calls {word}" in md
    assert "margin" in md
    npz = np.load(out / "params.npz")
    assert {"adam+cg_seed0_epoch_0", "adam+cg_seed0_epoch_2", "adam+cg_seed0_epoch_4"} <= set(npz.files)
    _, loaded = load_results(out)
    assert loaded[1].curvature[0]["nodes"] == outcome.runs[1].curvature[0]["nodes"]


def test_without_the_option_files_are_unchanged(tmp_path):
    exp = Experiment(dataset="digits", model=MODEL, methods=("adam+cg",), train=TrainConfig(epochs=2))
    save_results(run_experiment(exp), tmp_path, plots=False)
    with open(tmp_path / "history.csv") as fh:
        assert next(csv.reader(fh)) == ["method", "seed", *COLUMNS]
    assert "Curvature" not in (tmp_path / "summary.md").read_text()
    assert json.loads((tmp_path / "results.json").read_text())["runs"][0]["curvature"] is None


def test_figures_are_written_for_measured_runs(saved):
    out, outcome, paths = saved
    for name in ("adam_seed0", "adam-cg_seed0"):
        for kind in ("gradnorm", "extremes", "density"):
            f = out / f"fig_curvature_{kind}_{name}.png"
            assert f.exists() and f.stat().st_size > 5000, f
    cg = outcome.runs[1]
    epochs = [s["epoch"] for s, _ in density_snapshots(cg)]
    assert cg.swap_epoch in epochs and min(epochs) <= cg.swap_epoch <= max(epochs)
    assert plot_curvature([outcome.runs[0].__class__("adam", 0, {})], out) == []


def test_select_key():
    keys = ["a_seed0_theta", "a_seed0_best_theta", "a_seed0_epoch_3"]
    assert select_key(keys) == "a_seed0_theta"
    assert select_key(keys, key="best") == "a_seed0_best_theta"
    assert select_key(keys, key="epoch_3") == "a_seed0_epoch_3"
    assert select_key(keys + ["b_seed0_theta"], run="a_seed0", key="final") == "a_seed0_theta"
    with pytest.raises(UsageError, match="choose one with --run"):
        select_key(keys + ["b_seed0_theta"])
    with pytest.raises(UsageError, match="no array 'a_seed0_epoch_4'"):
        select_key(keys, key="epoch_4")


def test_curvature_verb_matches_the_dense_hessian(saved, capsys):
    out, outcome, _ = saved
    code, text, err = run_cli(["curvature", str(out / "params.npz"), "--dataset", "digits", "--model", MODEL,
                               "--run", "adam+cg_seed0", "--key", "epoch_2", "--json",
                               "--density", str(out / "dens.png")], capsys)
    assert code == 0, err
    res = json.loads(text)
    theta = np.load(out / "params.npz")["adam+cg_seed0_epoch_2"]
    obj = Objective(_net(), DATA.X_train, DATA.y_train, "mse")
    ev = np.linalg.eigvalsh(dense_hessian_fd(obj, theta))
    assert abs(res["lambda_max"] - ev[-1]) <= 2e-3 * ev[-1] and abs(res["lambda_min"] - ev[0]) <= 2e-3 * ev[-1]
    assert res["convex"] == (ev[0] >= -1e-3 * ev[-1]) or abs(ev[0] / ev[-1] + 1e-3) < 2e-3
    assert res["n_hvp"] > 0 and (out / "dens.png").stat().st_size > 5000
    code, text, _ = run_cli(["curvature", str(out / "params.npz"), "--dataset", "digits", "--model", MODEL,
                             "--run", "adam_seed0"], capsys)
    assert code == 0
    for word in ("lambda_min", "lambda_max", "ratio", "negative mass", "verdict", "n_hvp"):
        assert word in text


@pytest.mark.parametrize("args, expected", [
    (["--key", "epoch_9"], "no array 'adam_seed0_epoch_9'"),
    (["--key", "latest"], "--key must be final, best, epoch_N"),
    (["--model", "mlp:5"], "holds 310 parameters"),
    (["--tol", "0"], "tol must lie in"),
    (["--max-hvp", "0"], "--max-hvp must be >= 1"),
    (["--max-hvp", "x"], "expected an integer"),
    ("missing", "cannot read"),
])
def test_curvature_verb_bad_input_one_line_exit_2(saved, args, expected, tmp_path, capsys):
    out = saved[0]
    params = str(tmp_path / "none.npz") if args == "missing" else str(out / "params.npz")
    args = [] if args == "missing" else args
    code, _, err = run_cli(["curvature", params, "--dataset", "digits", "--model", MODEL,
                            "--run", "adam_seed0", *args], capsys)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("minitwophase: error:") and expected in lines[0], err


@pytest.mark.parametrize("args, expected", [
    (["--curvature-every", "0"], "--curvature-every must be >= 1, got 0"),
    (["--curvature-every", "x"], "argument --curvature-every: expected an integer"),
    (["--save-checkpoints", "-1"], "--save-checkpoints must be >= 1, got -1"),
])
def test_run_bad_options_one_line_exit_2(args, expected, tmp_path, capsys):
    code, _, err = run_cli(["run", "--dataset", "digits", *args, "--out", str(tmp_path / "o")], capsys)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0], err


@pytest.mark.slow
def test_command_end_to_end_in_a_process(tmp_path):
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "minitwophase", "run", "--dataset", "digits", "--model", MODEL,
           "--epochs", "4", "--methods", "adam+cg", "--batch-size", "64", "--lr", "0.01",
           "--curvature-every", "2", "--save-checkpoints", "2", "--out", str(out), "--quiet"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert "Curvature at the swap" in proc.stdout
    doc = json.loads((out / "results.json").read_text())
    assert "--curvature-every 2" in doc["config"]["command"]
    assert (out / "fig_curvature_extremes_adam-cg_seed0.png").exists()
    proc = subprocess.run([sys.executable, "-m", "minitwophase", "curvature", str(out / "params.npz"),
                           "--dataset", "digits", "--model", MODEL, "--key", "epoch_2"],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert "verdict" in proc.stdout
