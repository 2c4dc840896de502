"""Signals at any moment of ``minitwophase run`` (and ``trace``): SIGTERM is handled like Ctrl-C
(status "interrupted", partial results, exit 143 / 130), results are written while the run is
in progress (so even a killed run keeps its history), and a signal while a run is finished,
while the figures are drawn, right after "repeat with:" or a second Ctrl-C never loses what
was recorded: results.json always says how the run ended. Signals are real (os.kill of this
process from inside a patched step, so they land at a known moment), or sent to a child
process; a Ctrl-C while the command is still importing is one line."""
import csv
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import minitwophase.experiments.plotting as plotting
import minitwophase.experiments.report as report
import minitwophase.training.trainer as trainer
from minitwophase.experiments.plotting import FIGURES
from cli_runner import run_cli

ROOT = Path(__file__).resolve().parent.parent
LONG = ["run", "--dataset", "digits", "--model", "mlp:16", "--epochs", "3000", "--quiet",
        "--no-plots", "--methods", "adam"]


def _csv_rows(path):
    try:
        with open(path, newline="") as fh:
            return list(csv.reader(fh))[1:]
    except FileNotFoundError:
        return []


def _wait_for_rows(path, n, timeout=120):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if len(_csv_rows(path)) >= n:
            return True
        time.sleep(0.05)
    return False


def test_sigterm_is_handled_like_ctrl_c_and_history_is_written_as_it_runs(tmp_path, capsys):
    out = tmp_path / "res"
    seen = {}

    def killer():                   # only once rows are on disk *during* the run
        seen["rows"] = _wait_for_rows(out / "history.csv", 5)
        seen["json"] = json.loads((out / "results.json").read_text())["state"] if seen["rows"] else None
        os.kill(os.getpid(), signal.SIGTERM)

    # Without the command's own handler, this test's stand-in records the signal (the
    # default would end the test process).
    previous = signal.signal(signal.SIGTERM, lambda *_: seen.setdefault("unhandled", True))
    thread = threading.Thread(target=killer)
    try:
        thread.start()
        code, _, err = run_cli([*LONG, "--out", str(out)], capsys)
        thread.join()
        restored = signal.getsignal(signal.SIGTERM)
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert "unhandled" not in seen
    assert seen["rows"], "no history rows were written while the run was in progress"
    assert seen["json"] == "running"
    assert code == 143, err
    assert "SIGTERM" in err and "partial results written" in err
    doc = json.loads((out / "results.json").read_text())
    assert doc["state"] == "interrupted" and doc["runs"][0]["status"] == "interrupted"
    rows = _csv_rows(out / "history.csv")
    assert len(rows) == len(doc["runs"][0]["rows"]) >= 5
    assert restored is not None and restored.__name__ == "<lambda>"   # handler restored


def test_no_plots_into_an_old_folder_removes_the_old_figures(tmp_path, capsys):
    short = ["run", "--dataset", "digits", "--model", "mlp:16", "--epochs", "2", "--quiet",
             "--out", str(tmp_path)]
    assert run_cli(short, capsys)[0] == 0
    assert all((tmp_path / name).exists() for name in FIGURES.values())
    code, out, _ = run_cli([*short, "--no-plots"], capsys)
    assert code == 0
    assert not any((tmp_path / name).exists() for name in FIGURES.values())
    assert "removed" in out and "fig_loss_vs_cost.png" in out


@pytest.mark.slow
def test_a_killed_process_keeps_its_history_and_sigterm_exits_143(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"}
    for sig, code in ((signal.SIGKILL, -signal.SIGKILL), (signal.SIGTERM, 143)):
        out = tmp_path / sig.name
        proc = subprocess.Popen([sys.executable, "-m", "minitwophase", *LONG, "--out", str(out)],
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            assert _wait_for_rows(out / "history.csv", 5), proc.communicate(timeout=5)
        finally:
            proc.send_signal(sig)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == code, err
        rows = _csv_rows(out / "history.csv")
        assert len(rows) >= 5 and all(len(r) == len(rows[0]) for r in rows)
        doc = json.loads((out / "results.json").read_text())
        assert doc["state"] == ("running" if sig == signal.SIGKILL else "interrupted")
        assert doc["runs"] and doc["runs"][0]["rows"]


# ---------------------------------------------------------------- signals at named moments
SHORT = ["run", "--dataset", "digits", "--model", "mlp:16", "--epochs", "3", "--quiet"]


def _run_safely(args, capsys):
    """run_cli, but an exception escaping the command is a failed test, not a dead session."""
    try:
        return run_cli(args, capsys)
    except BaseException as exc:            # KeyboardInterrupt, UnboundLocalError, ...
        pytest.fail(f"the command raised {type(exc).__name__}: {exc}")


def _kill_self(sig):
    os.kill(os.getpid(), sig)


def _results(out):
    return json.loads((out / "results.json").read_text())


def _signal_in_finish(monkeypatch, sig, which):
    """Send ``sig`` while train() finishes the ``which``-th run (0-based), after its last epoch."""
    real, calls = trainer._finish, []

    def finish(run, *args, **kw):
        calls.append(run)
        if len(calls) == which + 1:
            _kill_self(sig)
        return real(run, *args, **kw)
    monkeypatch.setattr(trainer, "_finish", finish)


@pytest.mark.parametrize("sig, code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_while_a_run_is_finished_keeps_every_run(tmp_path, capsys, monkeypatch, sig, code):
    out = tmp_path / "res"
    _signal_in_finish(monkeypatch, sig, which=1)          # the second run, after its last epoch
    code_, _, err = _run_safely([*SHORT, "--methods", "adam,adam+cg", "--no-plots", "--out", str(out)], capsys)
    assert code_ == code, err
    doc = _results(out)
    assert doc["state"] == "interrupted" and doc["interrupted"] is True
    assert [(r["method"], r["status"], len(r["rows"])) for r in doc["runs"]] == [
        ("adam", "completed", 4), ("adam+cg", "interrupted", 4)]
    assert "while the run was being finished" in doc["runs"][1]["message"]
    rows = _csv_rows(out / "history.csv")
    assert [(r[0], r[2]) for r in rows] == [(m, str(e)) for m in ("adam", "adam+cg") for e in range(4)]
    with np.load(out / "params.npz") as params:         # both runs' parameters kept
        assert {"adam_seed0_theta", "adam+cg_seed0_theta", "adam+cg_seed0_best_theta"} <= set(params.files)
    assert "Traceback" not in err


def test_a_second_ctrl_c_while_the_run_is_finished_keeps_its_rows(tmp_path, capsys, monkeypatch):
    out = tmp_path / "res"
    real_call = report.LiveWriter.__call__

    def first_ctrl_c_at_epoch_2(self, run, row):
        real_call(self, run, row)
        if row["epoch"] == 2:
            _kill_self(signal.SIGINT)
    monkeypatch.setattr(report.LiveWriter, "__call__", first_ctrl_c_at_epoch_2)
    _signal_in_finish(monkeypatch, signal.SIGINT, which=0)    # the second Ctrl-C
    code, _, err = _run_safely([*SHORT, "--epochs", "50", "--methods", "adam", "--no-plots",
                                "--out", str(out)], capsys)
    assert code == 130, err
    doc = _results(out)
    assert doc["state"] == "interrupted"
    assert [(r["status"], [row["epoch"] for row in r["rows"]]) for r in doc["runs"]] == [
        ("interrupted", [0, 1, 2])]
    assert [r[2] for r in _csv_rows(out / "history.csv")] == ["0", "1", "2"]


@pytest.mark.parametrize("sig, code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_while_the_figures_are_drawn_keeps_the_records_and_the_summary(
        tmp_path, capsys, monkeypatch, sig, code):
    out = tmp_path / "res"
    real = plotting.plot_loss_vs_cost

    def second_figure(runs, path):
        _kill_self(sig)
        return real(runs, path)
    monkeypatch.setattr(plotting, "plot_loss_vs_cost", second_figure)
    code_, _, err = _run_safely([*SHORT, "--methods", "adam", "--out", str(out)], capsys)
    assert code_ == code, err
    doc = _results(out)
    assert doc["state"] == "interrupted" and "figures" in doc["ended"]
    assert doc["runs"][0]["status"] == "completed" and len(doc["runs"][0]["rows"]) == 4
    assert (out / "fig_gradnorm_vs_loss.png").exists()            # drawn before the signal
    assert not (out / "fig_loss_vs_cost.png").exists()
    summary = (out / "summary.md").read_text()
    assert "INTERRUPTED" in summary and "fig_gradnorm_vs_loss.png" in summary
    assert not list(out.glob(".*.tmp")) and "Traceback" not in err


def test_sigterm_while_the_live_writer_starts_after_repeat_with(tmp_path, capsys, monkeypatch):
    """The moment right after "repeat with:" is printed: the live files are being created."""
    out = tmp_path / "res"
    real_init = report.LiveWriter.__init__

    def init(self, *args, **kw):
        _kill_self(signal.SIGTERM)
        real_init(self, *args, **kw)
    monkeypatch.setattr(report.LiveWriter, "__init__", init)
    code, _, err = _run_safely([*SHORT, "--methods", "adam", "--out", str(out)], capsys)
    assert code == 143, err
    assert "before the first epoch" in err and len(err.strip().splitlines()) == 1
    doc = _results(out)
    assert doc["state"] == "interrupted" and doc["runs"] == []


def _wait_for_line(stream, text, timeout=60):
    end = time.monotonic() + timeout
    lines = []
    while time.monotonic() < end:
        line = stream.readline()
        if not line:
            break
        lines.append(line)
        if text in line:
            return lines
    raise AssertionError(f"{text!r} never printed: {lines}")


def test_sigterm_right_after_repeat_with_in_a_process(tmp_path):
    out = tmp_path / "res"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"}
    loud = [a for a in SHORT if a != "--quiet"]
    proc = subprocess.Popen([sys.executable, "-m", "minitwophase", *loud, "--epochs", "300",
                             "--methods", "adam", "--no-plots", "--out", str(out)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _wait_for_line(proc.stdout, "repeat with:")
    finally:
        proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    doc = _results(out)
    assert doc["state"] == "interrupted"
    assert [r[2] for r in _csv_rows(out / "history.csv")] == [
        str(row["epoch"]) for run in doc["runs"] for row in run["rows"]]


def test_ctrl_c_while_the_command_is_importing_is_one_line(tmp_path):
    """-X importtime reports each import as it ends: the Ctrl-C lands among numpy's imports."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"}
    proc = subprocess.Popen([sys.executable, "-X", "importtime", "-m", "minitwophase", "run", "--help"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=tmp_path)
    try:
        _wait_for_line(proc.stderr, "numpy.")
    finally:
        proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err[-2000:]
    assert proc.returncode == 130, err[-2000:]
    assert "minitwophase: interrupted while starting" in err


# ---------------------------------------------------------------- trace
def _signal_in_training(monkeypatch, sig, epoch):
    import minitwophase.verification.trace as T
    real = T.train

    def train(*args, **kw):
        def progress(run, row):
            if row["epoch"] == epoch:
                _kill_self(sig)
        return real(*args, progress=progress, **kw)
    monkeypatch.setattr(T, "train", train)


@pytest.mark.parametrize("sig, code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_trace_stopped_by_a_signal_writes_a_partial_trace_and_says_so(tmp_path, capsys, monkeypatch, sig, code):
    _signal_in_training(monkeypatch, sig, epoch=3)
    path = tmp_path / "t.json"
    code_, out, err = _run_safely(["trace", "--epochs", "30", "--method", "adam", "--out", str(path)], capsys)
    assert code_ == code, err
    assert "partial trace" in err and len(err.strip().splitlines()) == 1
    doc = json.loads(path.read_text())
    assert doc["header"]["status"] == "interrupted"
    assert max(r["epoch"] for r in doc["records"]) == 3
    assert path.with_suffix(".csv").exists() and path.with_suffix(".npz").exists()
