"""Issue 13, defect 3: SIGTERM is handled like Ctrl-C (status "interrupted", partial results,
exit 143), results are written while the run is in progress (so even a killed run keeps its
history), and --no-plots into an old folder leaves no stale figure behind."""
import csv
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

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
