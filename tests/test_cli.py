"""The command line end to end on the bundled digits (seconds), its error contract (one line,
exit 2, no traceback), Ctrl-C (partial results, exit 130) and exact repeatability."""
import csv
import json
import re
import shlex
import subprocess
import sys

import pytest

from minitwophase import cli
from minitwophase.experiments.experiment import Experiment, run_experiment
from minitwophase.experiments.report import load_results, save_results
from minitwophase.training import COLUMNS, TrainConfig
from cli_runner import run_cli

FAST = ["--dataset", "digits", "--model", "mlp:16", "--epochs", "5", "--progress-every", "2"]


def test_end_to_end_on_digits(tmp_path, capsys):
    out_dir = tmp_path / "res"
    code, out, err = run_cli(["run", *FAST, "--methods", "adam,adam+cg", "--head", "linear", "--init-scale", "1",
                              "--out", str(out_dir)], capsys)
    assert code == 0, err
    assert "[adam+cg seed 0] epoch 4/5  cg" in out           # progress line, after the swap
    assert "[adam+cg seed 0] swap to CG after epoch" in out
    assert "At equal epochs" in out and "At equal cost" in out
    doc, runs = load_results(out_dir)
    assert set(doc["versions"]) >= {"python", "numpy", "scipy", "matplotlib", "platform"}
    assert doc["minitwophase"] == doc["versions"]["minitwophase"]
    assert doc["config"]["dataset"] == "digits" and doc["config"]["train"]["epochs"] == 5
    assert [(r.method, r.seed, r.status) for r in runs] == [("adam", 0, "completed"),
                                                             ("adam+cg", 0, "completed")]
    assert [len(r.rows) for r in runs] == [6, 6]
    with open(out_dir / "history.csv") as fh:
        reader = csv.reader(fh)
        assert next(reader) == ["method", "seed", *COLUMNS]
        assert len(list(reader)) == 12
    for name in ("fig_gradnorm_vs_loss.png", "fig_loss_vs_cost.png", "fig_accuracy.png"):
        assert (out_dir / name).read_bytes().startswith(b"\x89PNG") and (out_dir / name).stat().st_size > 5000
    md = (out_dir / "summary.md").read_text()
    assert "## At equal epochs" in md and "## At equal cost" in md and "| adam+cg" in md
    assert (out_dir / "params.npz").stat().st_size > 0


def test_saved_command_line_parses_back_to_the_same_experiment(tmp_path, capsys):
    code, _, _ = run_cli(["run", *FAST, "--seeds", "3", "--lr", "0.002", "--quiet", "--no-plots",
                           "--out", str(tmp_path)], capsys)
    assert code == 0
    doc, _ = load_results(tmp_path)
    words = shlex.split(doc["config"]["command"])
    assert re.fullmatch(r"[A-Z_]+_NUM_THREADS=\d+", words[0])    # the BLAS thread count first
    argv = words[2:]
    assert words[1] == "minitwophase" and argv[0] == "run"
    again = cli.run.experiment_from_args(cli.build_parser().parse_args(argv))
    assert again.to_dict() == {k: v for k, v in doc["config"].items() if k != "command"}


def _numbers(doc):
    """Everything in results.json except the timings (which vary from run to run)."""
    if isinstance(doc, dict):
        return {k: _numbers(v) for k, v in doc.items() if k != "wall_time"}
    if isinstance(doc, list):
        return [_numbers(v) for v in doc]
    return doc


def test_same_seed_gives_identical_numbers(tmp_path, capsys):
    docs = []
    for name in ("a", "b"):
        code, _, _ = run_cli(["run", *FAST, "--quiet", "--no-plots", "--out", str(tmp_path / name)], capsys)
        assert code == 0
        docs.append(json.loads((tmp_path / name / "results.json").read_text()))
    assert _numbers(docs[0]) == _numbers(docs[1])
    assert docs[0]["runs"][1]["rows"][-1]["train_loss"] is not None


def _corrupt_mnist(tmp_path):
    d = tmp_path / "mnist"
    d.mkdir()
    for name in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                 "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        (d / name).write_bytes(b"not an idx file at all")
    return d


@pytest.mark.parametrize("args, expected", [
    (["--dataset", "imagenet"], "--dataset must be one of"),
    (["--dataset", "mnist:/nonexistent"], "/nonexistent does not exist"),
    ("corrupt", "not an IDX file"),
    (["--epochs", "0"], "epochs must be >= 1, got 0"),
    (["--epochs", "ten"], "argument --epochs: expected an integer, got 'ten'"),
    (["--check-every", "0"], "--check-every must be >= 1, got 0"),
    (["--methods", "adam,rmsprop"], "--methods must be one of"),
    (["--seeds", "-1"], "--seeds must be >= 0, got -1"),
    (["--cg-gtol", "-1"], "--cg-gtol must lie in [0.0, inf), got -1.0"),
    (["--model", "mlp:12,x"], "model widths must be positive integers"),
    (["--model", "resnet"], "model must be 'mlp"),
    (["--swap-factor", "1.5"], "factor must lie in (0.0, 1.0]"),
    (["--lr", "-1"], "--lr must lie in [0.0, inf)"),
    (["--val-fraction", "1"], "--val-fraction must lie in (0.0, 1.0)"),
    (["--seeds", "0,0"], "seeds must not repeat"),
])
def test_bad_input_gives_one_error_line_and_exit_2(args, expected, tmp_path, capsys):
    if args == "corrupt":
        args = ["--dataset", f"mnist:{_corrupt_mnist(tmp_path)}"]
    code, out, err = run_cli(["run", *args, "--out", str(tmp_path / "o")], capsys)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("minitwophase: error:"), err
    assert expected in lines[0]
    assert not (tmp_path / "o" / "results.json").exists()


@pytest.mark.slow
def test_error_in_a_real_process_has_no_traceback(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "minitwophase", "run", "--dataset", "mnist:/nonexistent",
                           "--out", str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith("minitwophase: error: --dataset 'mnist:/nonexistent': MNIST directory /nonexistent does not exist")


@pytest.mark.slow
def test_help_documents_every_option():
    proc = subprocess.run([sys.executable, "-m", "minitwophase", "--help"], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0 and "run" in proc.stdout and "two-phase" in proc.stdout
    proc = subprocess.run([sys.executable, "-m", "minitwophase", "run", "--help"], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0
    for flag in ("--dataset", "--model", "--activation", "--loss", "--epochs", "--methods", "--seeds",
                 "--batch-size", "--lr", "--swap-factor", "--swap-mode", "--split", "--cg-beta",
                 "--cg-line-search", "--cg-gtol", "--val-fraction", "--out", "--quiet",
                 "--progress-every", "cifar10:PATH", "mnist5k"):
        assert flag in proc.stdout, flag


def _interrupt_at(method, epoch):
    def progress(run, row):
        if run.method == method and row["epoch"] == epoch:
            raise KeyboardInterrupt
    return progress


def test_ctrl_c_in_experiment_keeps_finished_and_partial_runs(tmp_path):
    exp = Experiment(dataset="digits", model="mlp:16", methods=("adam", "adam+cg"), seeds=(0, 1),
                     train=TrainConfig(epochs=6))
    outcome = run_experiment(exp, progress=_interrupt_at("adam+cg", 3))
    assert outcome.interrupted
    assert [(r.method, r.seed, r.status, len(r.rows)) for r in outcome.runs] == [
        ("adam", 0, "completed", 7), ("adam+cg", 0, "interrupted", 4)]
    save_results(outcome, tmp_path, plots=False)
    doc, runs = load_results(tmp_path)
    assert doc["interrupted"] is True and [r.status for r in runs] == ["completed", "interrupted"]
    assert doc["summary"]["equal_cost"]["short_of_budget"] == ["adam+cg seed 0"]
    assert "INTERRUPTED" in (tmp_path / "summary.md").read_text()


def test_ctrl_c_in_cli_writes_partial_results_and_exits_130(tmp_path, capsys, monkeypatch):
    real = cli.run.run_experiment
    stop = _interrupt_at("adam", 2)

    def both(run, row, live):                 # the command's own writer first, then Ctrl-C
        live(run, row)
        stop(run, row)

    monkeypatch.setattr(cli.run, "run_experiment", lambda exp, progress, **kw: real(
        exp, progress=lambda run, row: both(run, row, progress), **kw))
    code, out, err = run_cli(["run", *FAST, "--no-plots", "--out", str(tmp_path)], capsys)
    assert code == 130
    assert f"partial results written to {tmp_path}" in err
    doc, runs = load_results(tmp_path)
    assert [(r.method, r.status, len(r.rows)) for r in runs] == [("adam", "interrupted", 3)]
