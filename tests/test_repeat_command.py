"""results.json records what changes the last bits of the numbers besides the seed: the BLAS
library, its kernel and its thread count; the command that repeats a run sets that count
(1 vs 2 OpenBLAS threads differ by 1.6e-5 relative after 80 epochs of adam+cg)."""
import json
import shlex
import sys

import pytest

from cli_runner import run_cli

SHORT = ["run", "--dataset", "digits", "--model", "mlp:16", "--epochs", "1", "--quiet", "--methods",
         "adam", "--no-plots"]


def test_results_record_the_blas_and_the_command_sets_its_threads(tmp_path, capsys):
    threadpoolctl = pytest.importorskip("threadpoolctl")
    code, _, err = run_cli([*SHORT, "--out", str(tmp_path)], capsys)
    assert code == 0, err
    doc = json.loads((tmp_path / "results.json").read_text())
    live = [p for p in threadpoolctl.threadpool_info() if p["user_api"] == "blas"]
    mine = next(p for p in live if "numpy" in p["filepath"])        # independent reading
    b = doc["blas"]
    assert (b["threads"], b["kernel"], b["threads_from"]) == (mine["num_threads"], mine["architecture"],
                                                            "threadpoolctl")
    assert b["library"] and b["library"] != "unknown" and b["variable"] == "OPENBLAS_NUM_THREADS"
    words = shlex.split(doc["config"]["command"])
    assert words[:3] == [f"OPENBLAS_NUM_THREADS={mine['num_threads']}", "minitwophase", "run"]
    assert doc["config"]["command"] in (tmp_path / "summary.md").read_text()


def test_without_threadpoolctl_the_count_comes_from_the_environment(monkeypatch):
    from minitwophase.experiments import blas
    monkeypatch.setitem(sys.modules, "threadpoolctl", None)        # import fails: optional
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "3")
    info = blas.blas_info()
    assert info["threads"] == 3 and info["threads_from"] == "OPENBLAS_NUM_THREADS"
    monkeypatch.delenv("OPENBLAS_NUM_THREADS")
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    info = blas.blas_info()
    assert info["threads_from"].startswith("assumed") and info["threads"] >= 1


def test_the_command_line_repeats_the_thread_count():
    from minitwophase.experiments import blas

    class Exp:
        def command_line(self):
            return "minitwophase run --epochs 3"
    info = {"variable": "MKL_NUM_THREADS", "threads": 4}
    assert blas.repeat_command(Exp(), info) == "MKL_NUM_THREADS=4 minitwophase run --epochs 3"
