"""The protocol engine's routes: a table re-rendered from its JSON equals the one the run
wrote; documents of disjoint cells merge; runs on two local processes and on a Dask
LocalCluster give the serial run's numbers exactly (wall times apart); a Ctrl-C while runs
are out keeps the finished ones; run_experiment gives each run its own probes."""
import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import replace

import pytest

from minitwophase.experiments import experiment as ex
from minitwophase.experiments.protocols import documents, laptop, run_protocol, runs
from minitwophase.training import TrainConfig

CELL = laptop.QUICK_CELLS[0].name              # digits-mlp: 4 methods x 1 seed, a few seconds
TIMING = ("wall_time", "blas", "workers", "processes")


def _silent(line):
    pass


def numbers(doc):
    """The document without what depends on the clock or the route (wall times, workers)."""
    if isinstance(doc, dict):
        return {k: numbers(v) for k, v in doc.items() if k not in TIMING}
    if isinstance(doc, list):
        return [numbers(v) for v in doc]
    return doc


def history(folder, cell=CELL):
    with open(folder / "table1" / cell / "history.csv") as fh:
        return [{k: v for k, v in row.items() if k != "wall_time"} for row in csv.DictReader(fh)]


@pytest.fixture(scope="module")
def serial(tmp_path_factory):
    out = tmp_path_factory.mktemp("serial")
    doc = run_protocol("laptop", out, quick=True, cells=[CELL], log=_silent)
    return out, doc


def test_run_experiment_gives_each_run_its_own_probes():
    made = []

    def probes(method, seed):
        seen = []
        made.append((method, seed, seen))
        return [lambda epoch, theta, objective, run, swapped: seen.append((run.method, run.seed, epoch))]

    exp = ex.Experiment(dataset="digits", methods=("adam", "adam+cg"), seeds=(0, 1),
                        train=TrainConfig(epochs=2))
    outcome = ex.run_experiment(exp, probes=probes)
    assert [(m, s) for m, s, _ in made] == [("adam", 0), ("adam+cg", 0), ("adam", 1), ("adam+cg", 1)]
    for (m, s, seen), run in zip(made, outcome.runs):
        assert seen == [(m, s, 0), (m, s, 1), (m, s, 2)] and (run.method, run.seed) == (m, s)


def test_epochs_replace_every_cells_budget_and_the_table_says_so(tmp_path):
    doc = run_protocol("laptop", tmp_path, quick=True, cells=[CELL], epochs=2, log=_silent)
    assert [c["epochs"] for c in doc["cells"]] == [2] and doc["cells"][0]["swap_epochs"]["fixed-split"] == [1]
    assert "This run: 2 epochs for every cell instead (--epochs)." in (tmp_path / "table1.md").read_text()
    with pytest.raises(ValueError, match="epochs can only be chosen for the table protocols"):
        run_protocol("granularity", tmp_path, epochs=2)


def test_merge_checks_its_parts():
    a = {"protocol": "table1", "quick": True, "seeds": [0], "cells": [{"cell": "x", "wall_time": 2.0}],
         "cells_planned": ["x"], "complete": True, "wall_time": 3.0}
    b = dict(a, cells=[{"cell": "y", "wall_time": 5.0}], cells_planned=["y"])
    merged = documents.merge([b, a], order=["x", "y"])
    assert [c["cell"] for c in merged["cells"]] == ["x", "y"] and merged["cells_planned"] == ["x", "y"]
    assert merged["wall_time"] == 7.0 and merged["processes"] == 2 and merged["complete"]
    with pytest.raises(ValueError, match="disjoint cells, got 'x'"):
        documents.merge([a, a])
    with pytest.raises(ValueError, match="must share 'seeds'"):
        documents.merge([a, dict(b, seeds=[1])])
    assert not documents.merge([a, dict(b, complete=False)])["complete"]


@pytest.mark.slow
def test_render_gives_the_markdown_the_run_wrote(serial, tmp_path):
    out, _ = serial
    written = (out / "table1.md").read_bytes()
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    (copy / "table1.md").unlink()
    documents.render("laptop", copy)
    assert (copy / "table1.md").read_bytes() == written
    assert (copy / "table1.json").read_bytes() == (out / "table1.json").read_bytes()


@pytest.mark.slow
def test_render_granularity_gives_what_the_run_wrote(tmp_path):
    run_protocol("granularity", tmp_path, quick=True, log=_silent)
    written = (tmp_path / "granularity.md").read_bytes()
    (tmp_path / "granularity.md").unlink()
    (tmp_path / "granularity.png").unlink()
    documents.render("granularity", tmp_path)
    assert (tmp_path / "granularity.md").read_bytes() == written
    assert (tmp_path / "granularity.png").stat().st_size > 1000


@pytest.mark.slow
def test_two_processes_on_disjoint_cells_merge_into_the_whole(serial, tmp_path):
    other = laptop.QUICK_CELLS[1].name
    run_protocol("laptop", tmp_path / "b", quick=True, cells=[other], log=_silent)
    shutil.copytree(serial[0], tmp_path / "a")
    doc = documents.render("laptop", tmp_path / "a", merge_from=[tmp_path / "b"])
    assert [c["cell"] for c in doc["cells"]] == [CELL, other] and doc["complete"] and doc["processes"] == 2
    assert doc["wall_time"] == sum(c["wall_time"] for c in doc["cells"])
    md = (tmp_path / "a" / "table1.md").read_text()
    assert f"**Measured runtime {doc['wall_time'] / 60:.1f} min** (the sum of the cells' times; 2 processes" in md
    assert f"| {other} " in md and json.loads((tmp_path / "a" / "table1.json").read_text())["processes"] == 2
    for f in doc["cells"][1]["figures"]:
        assert (tmp_path / "a" / f).stat().st_size > 1000


@pytest.mark.slow
def test_two_local_processes_give_the_serial_numbers(serial, tmp_path):
    out, doc = serial
    lines = []
    par = run_protocol("laptop", tmp_path, quick=True, cells=[CELL], log=lines.append, jobs=2)
    assert par["complete"] and par["workers"] == 2
    assert numbers(par) == numbers(doc)                     # every number of the document
    assert history(tmp_path) == history(out)                # every history number but wall time
    assert par["cells"][0]["blas_threads"] == [1]
    done = [line.split(":")[0] for line in lines if line.startswith("[")]      # one line per finished run
    assert [d.split("]")[0] for d in done] == ["[1/4", "[2/4", "[3/4", "[4/4"]
    assert sorted(d.split("] ")[1] for d in done) == sorted(f"{CELL} {m} seed 0" for m in laptop.METHODS)


@pytest.mark.slow
def test_a_dask_local_cluster_gives_the_serial_numbers(serial, tmp_path):
    distributed = pytest.importorskip("distributed")
    out, doc = serial
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        par = run_protocol("laptop", tmp_path, quick=True, cells=[CELL], log=_silent,
                           scheduler=cluster.scheduler_address)
    assert par["complete"] and par["workers"] == 2
    assert numbers(par) == numbers(doc)
    assert history(tmp_path) == history(out)


@pytest.mark.slow
def test_ctrl_c_while_runs_are_out_keeps_the_finished_ones(tmp_path, monkeypatch):
    calls = []
    real_wait = runs.wait

    def wait(pending, timeout, return_when):
        done, left = real_wait(pending, timeout=timeout, return_when=return_when)
        calls.append(len(done))
        if sum(calls) > 1 and done:            # once a run or more has finished: Ctrl-C
            raise KeyboardInterrupt
        return done, left

    monkeypatch.setattr(runs, "wait", wait)
    doc = run_protocol("laptop", tmp_path, quick=True, log=_silent, jobs=2)
    assert not doc["complete"] and doc["interrupted"]
    saved = json.loads((tmp_path / "table1.json").read_text())
    kept = sum(len(c["summary"]["runs"]) for c in saved["cells"])
    assert 1 <= kept < 8 and all(c["interrupted"] for c in saved["cells"])
    assert "INTERRUPTED: partial results" in (tmp_path / "table1.md").read_text()


@pytest.mark.slow
def test_ctrl_c_on_local_processes_keeps_the_rows_of_the_run_under_way(monkeypatch):
    # two runs far too long to finish on one worker: Ctrl-C once the first is under way; it comes
    # back with its rows so far (the rows of a run of that length), the second never starts
    cell = replace(laptop.QUICK_CELLS[0], epochs=100_000)
    tasks = [runs.Task(0, cell, "adam", 0), runs.Task(1, cell, "adam", 1)]
    start, fired, real_wait = time.monotonic(), [], runs.wait

    def wait(pending, timeout, return_when):
        if not fired and time.monotonic() - start > 15:
            fired.append(True)
            raise KeyboardInterrupt
        return real_wait(pending, timeout=timeout, return_when=return_when)

    monkeypatch.setattr(runs, "wait", wait)
    pool, got = runs.Pool(jobs=1), []
    with pytest.raises(KeyboardInterrupt):
        for result in runs.as_finished(pool, [(runs.run_task, t) for t in tasks]):
            got.append(result)
    pool.close()
    assert [r["index"] for r in got] == [0] and got[0]["interrupted"]
    run = got[0]["run"]
    assert run["status"] == "interrupted" and 3 <= len(run["rows"]) < 100_000
    straight = runs.run_task(replace(tasks[0], cell=replace(cell, epochs=len(run["rows"]) - 1)))["run"]
    assert [{k: v for k, v in r.items() if k != "wall_time"} for r in run["rows"]] == \
        [{k: v for k, v in r.items() if k != "wall_time"} for r in straight["rows"]]


@pytest.mark.slow
def test_sigterm_to_the_whole_job_keeps_the_rows_of_the_runs_under_way(tmp_path):
    # a batch scheduler's time limit: SIGTERM to every process of the job, workers included
    env = {**os.environ, "MPLBACKEND": "Agg"}
    proc = subprocess.Popen([sys.executable, "-m", "minitwophase", "reproduce", "--quick", "--jobs", "2",
                             "--epochs", "3000", "--out", str(tmp_path)], env=env, start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert "runs on 2 local processes" in proc.stdout.readline() + proc.stdout.readline()
        time.sleep(12)                                      # the workers are training
        os.killpg(proc.pid, signal.SIGTERM)
        out, err = proc.communicate(timeout=180)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 143 and "SIGTERM: partial results" in err, err
    doc = json.loads((tmp_path / "table1.json").read_text())
    assert doc["interrupted"] and not doc["complete"]
    kept = [r for c in doc["cells"] for r in c["summary"]["runs"]]
    assert any(r["status"] == "interrupted" and r["epochs"] >= 1 for r in kept), kept


def test_scheduler_without_dask_is_one_line_naming_the_extra(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "distributed", None)     # as if not installed
    from minitwophase import cli
    assert cli.main(["reproduce", "--quick", "--scheduler", "tcp://host:8786", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "minitwophase[cluster]" in err
    with pytest.raises(ImportError, match=r"minitwophase\[cluster\]"):
        runs.Pool(scheduler="tcp://host:8786")
