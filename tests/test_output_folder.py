"""The output folder of ``minitwophase run --out DIR``: one run, written by one process (a lock
naming the holder), never an earlier run's files beside the new ones, every file by
create-and-rename (never through a symlink, no temporary file left on a full disk), and every
unusable --out refused in one line, exit 2, before any folder exists."""
import csv
import errno
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import minitwophase.experiments.report as report
from cli_runner import run_cli

LOCK = ".minitwophase.lock"            # documented: the lock file naming the holder

ROOT = Path(__file__).resolve().parent.parent
SHORT = ["run", "--dataset", "digits", "--model", "mlp:16", "--epochs", "2", "--quiet", "--methods", "adam"]


def _run_safely(args, capsys):
    try:
        return run_cli(args, capsys)
    except BaseException as exc:
        pytest.fail(f"the command raised {type(exc).__name__}: {exc}")


def _one_line_error(code, err, *words):
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1 and err.startswith("minitwophase: error: "), err
    for w in words:
        assert w in err, (w, err)


def _rows(path):
    with open(path, newline="") as fh:
        return list(csv.reader(fh))[1:]


# ---------------------------------------------------------------- one process per folder
def _wait(predicate, timeout=60):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_a_second_process_into_a_busy_folder_is_refused_and_names_the_holder(tmp_path, capsys):
    out = tmp_path / "res"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"}
    first = subprocess.Popen([sys.executable, "-m", "minitwophase", *SHORT, "--epochs", "3000",
                              "--no-plots", "--out", str(out)], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        assert _wait(lambda: (out / "history.csv").exists() and len(_rows(out / "history.csv")) >= 3)
        code, _, err = _run_safely([*SHORT, "--out", str(out)], capsys)
        _one_line_error(code, err, "--out", f"pid {first.pid}", "in use")
        rows = _rows(out / "history.csv")            # the first run's files, untouched
        assert all(r[0] == "adam" for r in rows) and [r[2] for r in rows] == [str(i) for i in range(len(rows))]
    finally:
        first.terminate()
    _, err = first.communicate(timeout=60)
    assert first.returncode == 143, err
    assert not (out / LOCK).exists()                 # released at the end


def test_the_lock_of_a_killed_process_does_not_block_the_next_run(tmp_path, capsys):
    out = tmp_path / "res"
    out.mkdir()
    (out / LOCK).write_text('{"pid": 999999, "host": "h", "started": "then", "command": "x"}')
    code, _, err = _run_safely([*SHORT, "--no-plots", "--out", str(out)], capsys)
    assert code == 0, err
    assert json.loads((out / "results.json").read_text())["state"] == "complete"


def test_the_lock_is_held_while_a_folder_is_open(tmp_path):
    from minitwophase.experiments.outdir import FolderBusy, OutputFolder
    with OutputFolder(tmp_path / "f", command="first"):
        with pytest.raises(FolderBusy, match=f"pid {os.getpid()} .*first"):
            OutputFolder(tmp_path / "f", command="second").open()
    with OutputFolder(tmp_path / "f"):               # free again
        pass


# ---------------------------------------------------------------- never old and new files mixed
def _old_run(folder):
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("params.npz", "summary.md", "fig_accuracy.png", "fig_curvature_density_adam_seed0.png",
                 "results.json", "history.csv", ".results.json.123.tmp"):
        (folder / name).write_text("from an older run")
    (folder / "notes.txt").write_text("the user's own file")


def test_a_run_into_an_older_runs_folder_removes_its_files_before_writing(tmp_path, capsys, monkeypatch):
    out = tmp_path / "res"
    _old_run(out)
    seen = []
    real = report.LiveWriter.__call__

    def look(self, run, row):                        # what a reader (or a SIGKILL) finds mid-run
        real(self, run, row)
        if row["epoch"] == 1:
            seen.append(sorted(p.name for p in out.iterdir()))
    monkeypatch.setattr(report.LiveWriter, "__call__", look)
    code, stdout, err = _run_safely([*SHORT, "--no-plots", "--out", str(out)], capsys)
    assert code == 0, err
    assert seen == [sorted([LOCK, "history.csv", "notes.txt", "results.json"])]
    assert sorted(p.name for p in out.iterdir()) == ["history.csv", "notes.txt", "params.npz",
                                                     "results.json", "summary.md"]
    assert (out / "notes.txt").read_text() == "the user's own file"
    assert "removed the earlier run's files" in stdout and "fig_curvature_density_adam_seed0.png" in stdout


def test_no_plots_removes_an_earlier_runs_curvature_figures(tmp_path, capsys):
    out = tmp_path / "res"
    out.mkdir()
    (out / "fig_curvature_extremes_adam-cg_seed0.png").write_bytes(b"old")
    code, _, err = _run_safely([*SHORT, "--no-plots", "--out", str(out)], capsys)
    assert code == 0, err
    assert not list(out.glob("fig_*"))


def test_a_symlinked_history_is_replaced_never_written_through(tmp_path, capsys):
    out, target = tmp_path / "res", tmp_path / "precious.csv"
    out.mkdir()
    target.write_text("keep me\n")
    (out / "history.csv").symlink_to(target)
    (out / "params.npz").symlink_to(target)
    code, _, err = _run_safely([*SHORT, "--no-plots", "--out", str(out)], capsys)
    assert code == 0, err
    assert target.read_text() == "keep me\n"
    assert not (out / "history.csv").is_symlink() and len(_rows(out / "history.csv")) == 3
    assert not (out / "params.npz").is_symlink()


# ---------------------------------------------------------------- refused before any folder exists
def test_an_empty_out_is_refused_and_nothing_is_written_here(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = _run_safely([*SHORT, "--out", ""], capsys)
    _one_line_error(code, err, "--out")
    assert list(tmp_path.iterdir()) == []


def test_an_over_long_out_name_leaves_no_folder(tmp_path, capsys):
    code, _, err = _run_safely([*SHORT, "--out", str(tmp_path / "out" / ("x" * 300))], capsys)
    assert list(tmp_path.iterdir()) == []
    _one_line_error(code, err, "--out", "255")


@pytest.mark.parametrize("name", ["results.json", "history.csv", "params.npz"])
def test_a_folder_where_a_result_file_is_a_directory_is_refused(tmp_path, capsys, name):
    out = tmp_path / "res"
    (out / name).mkdir(parents=True)
    (out / "summary.md").write_text("older")
    code, _, err = _run_safely([*SHORT, "--out", str(out)], capsys)
    _one_line_error(code, err, "--out", name, "is a folder")
    assert sorted(p.name for p in out.iterdir()) == [name, "summary.md"]    # nothing removed


def _deny_writes_under(monkeypatch, folder):
    """A read-only folder, also for root (who ignores the mode bits): creating a file in it fails."""
    folder = str(folder)
    real_os_open, real_open = os.open, open

    def denied(path):
        return str(path).startswith(folder + os.sep)

    def os_open(path, flags, *args, **kw):
        if denied(path) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_os_open(path, flags, *args, **kw)

    def builtin_open(file, mode="r", *args, **kw):
        if denied(file) and any(c in mode for c in "wax+"):
            raise PermissionError(errno.EACCES, "Permission denied", str(file))
        return real_open(file, mode, *args, **kw)
    monkeypatch.setattr(os, "open", os_open)
    monkeypatch.setattr("builtins.open", builtin_open)


def test_a_read_only_out_is_one_line_and_exit_2(tmp_path, capsys, monkeypatch):
    out = tmp_path / "ro"
    out.mkdir()
    _deny_writes_under(monkeypatch, out)
    code, _, err = _run_safely([*SHORT, "--out", str(out)], capsys)
    _one_line_error(code, err, "--out", "permission denied")
    assert list(out.iterdir()) == []


def test_a_refused_out_removes_the_folders_it_created(tmp_path, capsys, monkeypatch):
    from minitwophase.experiments.outdir import FolderBusy, OutputFolder
    parent = tmp_path / "a"
    monkeypatch.setattr(OutputFolder, "_clear", lambda self: (_ for _ in ()).throw(
        FolderBusy(f"{self.path} is in use by a test")))
    code, _, err = _run_safely([*SHORT, "--out", str(parent / "b" / "c")], capsys)
    _one_line_error(code, err, "--out")
    assert not parent.exists()


# ---------------------------------------------------------------- a full disk
def _enospc(*args, **kw):
    raise OSError(errno.ENOSPC, "No space left on device")


def test_a_full_disk_while_the_parameters_are_saved(tmp_path, capsys, monkeypatch):
    out = tmp_path / "res"
    monkeypatch.setattr(np, "savez", _enospc)
    code, _, err = _run_safely([*SHORT, "--no-plots", "--out", str(out)], capsys)
    _one_line_error(code, err, "--out", "params.npz", "no space left on device")
    doc = json.loads((out / "results.json").read_text())
    assert doc["state"] == "failed" and "no space left" in doc["error"]
    assert doc["runs"][0]["status"] == "completed" and len(doc["runs"][0]["rows"]) == 3
    assert len(_rows(out / "history.csv")) == 3
    assert not list(out.glob("*.tmp")) and not list(out.glob(".*.tmp")) and not (out / LOCK).exists()


def test_a_full_disk_while_a_figure_is_saved(tmp_path, capsys, monkeypatch):
    from matplotlib.figure import Figure
    out = tmp_path / "res"
    monkeypatch.setattr(Figure, "savefig", _enospc)
    code, _, err = _run_safely([*SHORT, "--out", str(out)], capsys)
    _one_line_error(code, err, "--out", "figures", "no space left on device")
    doc = json.loads((out / "results.json").read_text())
    assert doc["state"] == "failed" and doc["runs"][0]["status"] == "completed"
    assert (out / "params.npz").exists() and not list(out.glob(".*.tmp"))


def test_a_full_disk_while_the_history_is_written_live(tmp_path, capsys, monkeypatch):
    out = tmp_path / "res"
    real_write = os.write

    def write(fd, data):
        if data.startswith(b"adam,0,2,"):            # the row of epoch 2 in history.csv
            _enospc()
        return real_write(fd, data)
    monkeypatch.setattr(os, "write", write)
    code, _, err = _run_safely([*SHORT, "--epochs", "50", "--no-plots", "--out", str(out)], capsys)
    monkeypatch.undo()
    _one_line_error(code, err, "--out", "history.csv", "no space left on device")
    doc = json.loads((out / "results.json").read_text())
    assert doc["state"] == "failed" and doc["runs"][0]["status"] == "interrupted"
    assert not list(out.glob(".*.tmp"))
