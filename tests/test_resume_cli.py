"""``minitwophase run --resume DIR`` / ``--start-from FILE`` / ``--checkpoint-every`` on the
command line: a run killed after a checkpoint and resumed writes the uninterrupted run's
history and parameters; an extended run equals one started with the larger budget; changed
options are refused in one line naming the option; checkpoints are atomic .npz files."""
import csv
import json
import os
import shutil

import numpy as np
import pytest

from cli_runner import run_cli
from minitwophase.training.checkpoint import load_checkpoint, save_checkpoint

BASE = ["run", "--dataset", "digits", "--model", "mlp:16", "--no-plots", "--quiet",
        "--swap-factor", "0.99"]
METHODS = "adam,adam+cg,adam+pcg,fixed-split"


def history(folder):
    with open(folder / "history.csv") as fh:
        return [{k: v for k, v in row.items() if k != "wall_time"} for row in csv.DictReader(fh)]


def params(folder):
    with np.load(folder / "params.npz") as f:
        return {k: f[k] for k in f.files}


def assert_same_files(a, b):
    assert history(a) == history(b)
    pa, pb = params(a), params(b)
    assert sorted(pa) == sorted(pb) and all(np.array_equal(pa[k], pb[k]) for k in pa)
    sa, sb = (json.loads((f / "results.json").read_text())["summary"] for f in (a, b))
    for s in (sa, sb):
        for key in ("equal_epochs", "equal_cost"):
            rows = s[key] if key == "equal_epochs" else s[key]["rows"]
            for row in rows:
                row.pop("wall_time")
        for run in s["runs"]:
            for k in ("final", "at_budget"):
                run[k].pop("wall_time")
    assert sa == sb


def test_a_killed_run_resumes_to_the_uninterrupted_files(tmp_path, capsys):
    straight, killed = tmp_path / "straight", tmp_path / "killed"
    code, _, err = run_cli(BASE + ["--methods", METHODS, "--epochs", "8", "--checkpoint-every", "4",
                                   "--keep-checkpoints", "--out", str(straight)], capsys)
    assert code == 0, err
    # the state a kill after epoch 4 leaves: the epoch-4 checkpoints, partial files
    shutil.copytree(straight, killed)
    for m in METHODS.split(","):
        shutil.copy(killed / "checkpoints" / f"{m}_seed0_epoch4.npz", killed / "checkpoints" / f"{m}_seed0.npz")
    (killed / "params.npz").unlink()
    lines = (killed / "history.csv").read_text().splitlines(keepends=True)
    (killed / "history.csv").write_text("".join(lines[:7]))     # adam's rows to epoch 5
    doc = json.loads((killed / "results.json").read_text())
    doc["state"] = "running"
    (killed / "results.json").write_text(json.dumps(doc))
    code, out, err = run_cli(["run", "--resume", str(killed), "--progress-every", "100"], capsys)
    assert code == 0, err
    assert f"[adam+cg seed 0] resumed from epoch 4 of {killed}" in out
    assert_same_files(straight, killed)
    assert json.loads((killed / "results.json").read_text())["state"] == "complete"


def test_an_extended_run_equals_one_started_with_the_larger_budget(tmp_path, capsys):
    run8, run12 = tmp_path / "run8", tmp_path / "run12"
    assert run_cli(BASE + ["--methods", METHODS, "--epochs", "8", "--checkpoint-every", "3",
                           "--out", str(run8)], capsys)[0] == 0
    code, out, err = run_cli(["run", "--resume", str(run8), "--epochs", "12"], capsys)
    assert code == 0, err
    # fixed-split keeps its split epoch round(0.3 x 8) = 2
    assert run_cli(BASE + ["--methods", METHODS, "--epochs", "12", "--split-epoch", "2",
                           "--out", str(run12)], capsys)[0] == 0
    assert_same_files(run12, run8)
    cfg = json.loads((run8 / "results.json").read_text())["config"]
    assert cfg["train"]["epochs"] == 12 and cfg["train"]["split_epoch"] == 2
    assert "--split-epoch 2" in cfg["command"]


def test_a_finished_run_resumed_to_its_epochs_does_nothing(tmp_path, capsys):
    out_dir = tmp_path / "done"
    assert run_cli(BASE + ["--methods", "adam", "--epochs", "3", "--checkpoint-every", "5",
                           "--out", str(out_dir)], capsys)[0] == 0
    before = {p.name: p.stat().st_mtime_ns for p in out_dir.iterdir()}
    code, out, err = run_cli(["run", "--resume", str(out_dir)], capsys)
    assert code == 0 and err == ""
    assert out.startswith(f"nothing to do: every run in {out_dir} has reached epoch 3")
    assert {p.name: p.stat().st_mtime_ns for p in out_dir.iterdir()} == before


@pytest.mark.parametrize("extra, message", [
    (["--lr", "0.01"], "--lr differs from the saved run's: 0.001 saved, 0.01 given"),
    (["--lr", "0.001"], None),                                  # typed, but equal: accepted
    (["--methods", "adam,adam+cg"], "--methods differs from the saved run's: adam saved, adam,adam+cg given"),
    (["--dataset", "mnist5k"], "--dataset differs from the saved run's: digits saved, mnist5k given"),
    (["--swap-factor", "0.9"], "--swap-factor differs from the saved run's: 0.99 saved, 0.9 given"),
    (["--out", "elsewhere"], "--out cannot be given with --resume: the run continues in"),
    (["--epochs", "1"], "--epochs 1 is below epoch 2 of adam seed 0 in"),
])
def test_a_resume_with_another_configuration_is_refused_in_one_line(tmp_path, capsys, extra, message):
    out_dir = tmp_path / "saved"
    assert run_cli(BASE + ["--methods", "adam", "--epochs", "2", "--checkpoint-every", "1",
                           "--out", str(out_dir)], capsys)[0] == 0
    code, out, err = run_cli(["run", "--resume", str(out_dir)] + extra, capsys)
    if message is None:
        assert code == 0 and "nothing to do" in out
        return
    assert code == 2 and err.count("\n") == 1
    assert err.startswith(f"minitwophase: error: {message}"), err


def test_resume_needs_checkpoints_and_a_run_folder(tmp_path, capsys):
    plain = tmp_path / "plain"
    assert run_cli(BASE + ["--methods", "adam", "--epochs", "2", "--out", str(plain)], capsys)[0] == 0
    code, _, err = run_cli(["run", "--resume", str(plain)], capsys)
    assert code == 2 and "started without --checkpoint-every" in err
    code, _, err = run_cli(["run", "--resume", str(tmp_path / "nowhere")], capsys)
    assert code == 2 and "no results.json there" in err


def test_a_phase_started_from_a_checkpoint_equals_the_fixed_split_runs(tmp_path, capsys):
    adam, branch, fixed = tmp_path / "adam", tmp_path / "branch", tmp_path / "fixed"
    assert run_cli(BASE + ["--methods", "adam", "--epochs", "10", "--checkpoint-every", "3",
                           "--keep-checkpoints", "--out", str(adam)], capsys)[0] == 0
    ckpt = adam / "checkpoints" / "adam_seed0_epoch3.npz"
    code, out, err = run_cli(["run", "--start-from", str(ckpt), "--methods", "fixed-split,fixed-split-pcg",
                              "--epochs", "10", "--out", str(branch), "--no-plots"], capsys)
    assert code == 0, err
    assert f"[fixed-split seed 0] started from epoch 3 of {ckpt}" in out
    assert run_cli(BASE + ["--methods", "fixed-split,fixed-split-pcg", "--epochs", "10", "--split", "0.3",
                           "--out", str(fixed)], capsys)[0] == 0
    assert history(branch) == history(fixed)
    pb, pf = params(branch), params(fixed)
    assert all(np.array_equal(pb[k], pf[k]) for k in pf)
    # the branched run killed before its first checkpoint resumes from the file it started from
    assert run_cli(["run", "--start-from", str(ckpt), "--methods", "fixed-split-pcg", "--epochs", "10",
                    "--checkpoint-every", "50", "--out", str(tmp_path / "b2"), "--quiet", "--no-plots"], capsys)[0] == 0
    shutil.rmtree(tmp_path / "b2" / "checkpoints")
    (tmp_path / "b2" / "params.npz").unlink()
    recorded = json.loads((tmp_path / "b2" / "results.json").read_text())["checkpoints"]["start_from"]
    assert recorded == os.path.join("..", "adam", "checkpoints", "adam_seed0_epoch3.npz")
    moved = tmp_path / "moved"                  # the tree moved (or cloned) elsewhere still resumes
    moved.mkdir()
    for name in ("adam", "b2"):
        shutil.move(str(tmp_path / name), str(moved / name))
    ckpt = moved / "adam" / "checkpoints" / "adam_seed0_epoch3.npz"
    code, out, err = run_cli(["run", "--resume", str(moved / "b2")], capsys)
    assert code == 0 and f"[fixed-split-pcg seed 0] started from epoch 3 of {ckpt}" in out, err
    assert np.array_equal(params(moved / "b2")["fixed-split-pcg_seed0_theta"], pf["fixed-split-pcg_seed0_theta"])
    code, _, err = run_cli(["run", "--start-from", str(ckpt), "--methods", "fixed-split", "--lr", "0.01",
                            "--out", str(tmp_path / "x")], capsys)
    assert code == 2 and "--lr differs from the saved run's: 0.001 saved, 0.01 given" in err


def test_a_fresh_run_removes_the_earlier_runs_checkpoints(tmp_path, capsys):
    out_dir = tmp_path / "out"
    assert run_cli(BASE + ["--methods", "adam", "--epochs", "2", "--checkpoint-every", "1",
                           "--keep-checkpoints", "--out", str(out_dir)], capsys)[0] == 0
    assert len(list((out_dir / "checkpoints").glob("*.npz"))) == 3
    code, out, _ = run_cli(BASE[:-3] + ["--methods", "adam", "--epochs", "2", "--out", str(out_dir)], capsys)
    assert code == 0 and "checkpoints/adam_seed0_epoch1.npz" in out
    assert list((out_dir / "checkpoints").glob("*.npz")) == []


def test_gradnorm_every_runs_end_to_end_with_figures(tmp_path, capsys):
    out_dir = tmp_path / "sparse"
    code, out, err = run_cli(["run", "--dataset", "digits", "--model", "mlp:16", "--methods", "adam,adam+cg",
                              "--epochs", "6", "--gradnorm-every", "3", "--progress-every", "1",
                              "--out", str(out_dir)], capsys)
    assert code == 0, err
    assert "[adam seed 0] epoch 1/6  adam  loss" in out and "|g| -  val acc" in out    # not measured: "-"
    rows = history(out_dir)
    assert [r["grad_norm"] == "" for r in rows if r["method"] == "adam"] == [False, True, True, False, True, True, False]
    assert (out_dir / "fig_gradnorm_vs_loss.png").exists()


def test_a_checkpoint_is_one_npz_read_without_pickle_with_exact_values(tmp_path):
    state = {"config": {"method": "adam", "seed": 0}, "epoch": 3, "x": np.arange(3.0),
             "f": np.float64(0.1), "g": 0.1, "nan": float("nan"), "inf": -np.inf, "big": 2 ** 100,
             "nested": [[np.ones(2), None, "s"], {"k": True}]}
    path = save_checkpoint(tmp_path / "c.npz", state)
    with np.load(path, allow_pickle=False) as f:       # no object arrays inside
        assert all(f[k].dtype != object for k in f.files)
    back = load_checkpoint(path)
    assert type(back["f"]) is np.float64 and back["f"] == state["f"] and type(back["g"]) is float
    assert np.isnan(back["nan"]) and back["inf"] == -np.inf and back["big"] == 2 ** 100
    assert np.array_equal(back["x"], state["x"]) and np.array_equal(back["nested"][0][0], np.ones(2))
    assert back["nested"][0][1:] == [None, "s"] and back["nested"][1] == {"k": True}


def test_a_failed_checkpoint_write_keeps_the_previous_one(tmp_path, monkeypatch):
    path = save_checkpoint(tmp_path / "c.npz", {"epoch": 1, "x": np.zeros(2)})
    def broken(*a, **k):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(np, "savez_compressed", broken)
    with pytest.raises(OSError):
        save_checkpoint(tmp_path / "c.npz", {"epoch": 2, "x": np.ones(2)})
    monkeypatch.undo()
    assert load_checkpoint(path)["epoch"] == 1
    assert os.listdir(tmp_path) == ["c.npz"]             # no temporary file left


def test_equal_arrays_are_stored_once_and_read_back_apart(tmp_path):
    x = np.array([0.0, 1.0])
    path = save_checkpoint(tmp_path / "c.npz", {"x": x, "x_best": x, "zero": np.array([-0.0, 1.0]),
                                                 "copy": x.copy()})
    with np.load(path) as f:
        assert sorted(f.files) == ["state.json", "x", "zero"]     # -0.0 differs from 0.0 in its bits
    back = load_checkpoint(path)
    assert np.signbit(back["zero"][0]) and np.array_equal(back["copy"], x)


def test_a_run_measuring_curvature_extends_to_the_straight_files(tmp_path, capsys):
    # --curvature-every with --checkpoint-every: extended from 4 to 6 epochs = 6 straight
    opts = ["--methods", "adam+cg", "--curvature-every", "2"]
    ext, straight = tmp_path / "ext", tmp_path / "straight"
    assert run_cli(BASE + opts + ["--epochs", "4", "--checkpoint-every", "2", "--out", str(ext)], capsys)[0] == 0
    code, _, err = run_cli(["run", "--resume", str(ext), "--epochs", "6"], capsys)
    assert code == 0, err
    assert run_cli(BASE + opts + ["--epochs", "6", "--out", str(straight)], capsys)[0] == 0
    rows = history(ext)
    assert rows == history(straight) and rows[-1]["lambda_max"] not in ("", None)
