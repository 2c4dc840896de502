"""The staged comparison's tables (protocols/paper_budget.py) on a tiny copy of its workflow:
Adam to the split, the fixed split's CG and PCG started from Adam's checkpoint, Adam extended
with --resume; each stage recorded once every folder ends there, earlier stages kept."""
import csv
import json
import shutil

import pytest

from cli_runner import run_cli
from minitwophase.experiments.protocols import paper_budget

BASE = ["run", "--dataset", "digits", "--model", "mlp:16", "--no-plots", "--quiet", "--seeds", "0"]


def history_row(folder, epoch):
    with open(folder / "history.csv") as fh:
        return next(r for r in csv.DictReader(fh) if int(r["epoch"]) == epoch)


@pytest.fixture
def staged(tmp_path, capsys):
    """Stage 1 (Adam to epoch 2) rendered, then stage 2 (all three folders at epoch 4)."""
    code, _, err = run_cli(BASE + ["--methods", "adam", "--epochs", "2", "--checkpoint-every", "2",
                                   "--out", str(tmp_path / "adam")], capsys)
    assert code == 0, err
    shutil.copy(tmp_path / "adam" / "checkpoints" / "adam_seed0.npz", tmp_path / "adam2.npz")
    code, out, err = run_cli(["curvature", "--dataset", "digits", "--model", "mlp:16", "--key", "theta",
                              "--max-hvp", "10", "--json", str(tmp_path / "adam2.npz")], capsys)
    assert code == 0, err
    (tmp_path / paper_budget.CURVATURE).write_text(out)
    first = paper_budget.render(tmp_path, stages=(2, 4), split_epoch=2)
    for folder, method in (("cg", "fixed-split"), ("pcg", "fixed-split-pcg")):
        code, _, err = run_cli(["run", "--start-from", str(tmp_path / "adam2.npz"), "--methods", method,
                                "--epochs", "4", "--no-plots", "--quiet", "--out", str(tmp_path / folder)], capsys)
        assert code == 0, err
    assert paper_budget.render(tmp_path, stages=(2, 4), split_epoch=2) == [2]   # adam still at 2
    code, _, err = run_cli(["run", "--resume", str(tmp_path / "adam"), "--epochs", "4", "--no-plots",
                            "--quiet"], capsys)
    assert code == 0, err
    return tmp_path, first, paper_budget.render(tmp_path, stages=(2, 4), split_epoch=2)


def test_stages_are_recorded_once_every_folder_ends_there(staged):
    root, first, second = staged
    assert first == [2] and second == [2, 4]
    doc = json.loads((root / paper_budget.JSON).read_text())
    assert doc["stages"]["2"]["folders"] == ["adam"]            # kept after Adam went on
    assert doc["stages"]["4"]["folders"] == ["adam", "cg", "pcg"]
    for name in ("adam", "cg", "pcg"):                          # the table is the history's row
        row, want = doc["stages"]["4"]["at_epoch"][name], history_row(root / name, 4)
        for key in ("train_loss", "val_acc", "cost"):
            assert row[key] == float(want[key])
        assert row["train_acc"] == json.loads((root / name / "results.json").read_text())["runs"][0]["final_train_acc"]
    # the split shares Adam's prefix: epoch 2 of cg is Adam's epoch 2
    assert history_row(root / "cg", 2)["train_loss"] == history_row(root / "adam", 2)["train_loss"]
    stage = doc["stages"]["4"]
    assert stage["budget"] == min(v["cost"] for v in stage["at_epoch"].values())
    assert all(v["cost"] <= stage["budget"] for v in stage["at_cost"].values())
    text = (root / paper_budget.MARKDOWN).read_text()
    assert "## Stage: epoch 2" in text and "## Stage: epoch 4" in text and "paper: Adam 300 + CG 700" in text
    curvature = json.loads((root / paper_budget.CURVATURE).read_text())
    assert f"lambda_min {curvature['lambda_min']:.3g}" in text.split("## Stage: epoch 4")[0]
    assert "Gradient norm up to epoch 2" in text.split("## Stage: epoch 4")[0]
    assert "Adam 300 + CG at epoch 4:" in text and "Adam 300 + PCG at equal cost" in text


def test_adam_spread_is_its_history_over_the_last_epochs(staged):
    root = staged[0]
    doc = json.loads((root / paper_budget.JSON).read_text())
    with open(root / "adam" / "history.csv") as fh:
        history = [r for r in csv.DictReader(fh)]
    for stage in ("2", "4"):                                    # every stage, the earlier one re-derived
        window = [r for r in history if int(stage) - paper_budget.SPREAD_EPOCHS < int(r["epoch"]) <= int(stage)]
        spread = doc["stages"][stage]["adam_spread"]
        assert (spread["first_epoch"], spread["last_epoch"]) == (int(window[0]["epoch"]), int(stage))
        for key in paper_budget.SPREAD_KEYS:
            values = [float(r[key]) for r in window]
            assert spread[key]["min"] == min(values) and spread[key]["max"] == max(values)
            assert spread[key]["mean"] == pytest.approx(sum(values) / len(values), rel=1e-15)
    text = (root / paper_budget.MARKDOWN).read_text().split("## Stage: epoch 4")[1]
    cg = doc["stages"]["4"]["at_epoch"]["cg"]["val_acc"]
    word = paper_budget.placement(cg, doc["stages"]["4"]["adam_spread"]["val_acc"])
    assert f"Adam's readings over epochs 0-4" in text and f"{cg:.4f} ({word})" in text
    with pytest.raises(ValueError, match="does not reach epoch 9"):
        paper_budget.adam_spread(paper_budget.load_folders(root)["adam"].rows, 9)


def test_placement_against_a_range():
    spread = {"min": 1.0, "max": 2.0}
    assert [paper_budget.placement(v, spread) for v in (0.5, 1.0, 1.5, 2.0, 2.5)] == [
        "below", "inside", "inside", "inside", "above"]


def test_verdict_words_follow_the_numbers():
    record = {"stage": 4, "budget": 5.0,
              "at_epoch": {"adam": {"train_loss": 0.2, "val_loss": 0.3, "val_acc": 0.9},
                           "cg": {"train_loss": 0.1, "val_loss": 0.2, "val_acc": 0.8}},
              "at_cost": {"adam": {"train_loss": 0.2, "val_loss": 0.3, "val_acc": 0.9},
                          "cg": {"train_loss": 0.3, "val_loss": 0.4, "val_acc": 0.9}}}
    first, second = paper_budget.verdict(record)
    assert "ahead of Adam in train loss" in first and "ahead in val loss" in first and "behind in val acc" in first
    assert "behind Adam in train loss" in second and "behind in val loss" in second and "level in val acc" in second


def test_the_cli_renders_only(tmp_path, capsys):
    code, _, err = run_cli(["reproduce", "--protocol", "paper-budget", "--out", str(tmp_path)], capsys)
    assert code == 2 and "rendered only" in err
    code, _, err = run_cli(["reproduce", "--protocol", "paper-budget", "--render", "--out", str(tmp_path)], capsys)
    assert code == 2 and "adam/results.json does not exist" in err
