"""The protocol engine on the laptop protocol: quick mode end to end (the table's facts, the
progress lines, Q), the verdict words, cell selection and the CLI verb's errors."""
import json

import pytest

from minitwophase import cli
from minitwophase.experiments.protocols import cell_names, laptop, run_protocol, table
from minitwophase.experiments.protocols.cell import Cell, choices_line, model_label, overdetermination
from minitwophase.experiments.protocols.runs import experiment_for
from minitwophase.models import build_model
from cli_runner import run_cli


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    out = tmp_path_factory.mktemp("repro")
    lines = []
    doc = run_protocol("laptop", out, quick=True, log=lines.append)
    return out, doc, lines


@pytest.mark.slow
def test_quick_reproduction_writes_every_row(quick):
    out, doc, lines = quick
    assert doc["complete"]
    md = (out / "table1.md").read_text()
    assert "linear head (MSE on raw outputs), initial scale 1 x Glorot/He" in md
    assert "softmax head (MSE on probabilities), initial scale 0.1 x Glorot/He" in md
    data = json.loads((out / "table1.json").read_text())
    assert data["quick"] is True and [c["cell"] for c in data["cells"]] == [c.name for c in laptop.QUICK_CELLS]
    for cell in laptop.QUICK_CELLS:
        rec = next(c for c in data["cells"] if c["cell"] == cell.name)
        assert [r["method"] for r in rec["summary"]["equal_epochs"]] == list(laptop.METHODS)
        assert [r["method"] for r in rec["summary"]["equal_cost"]["rows"]] == list(laptop.METHODS)
        # fixed split: Adam for round(0.3 * epochs) epochs; adam never swaps
        assert rec["swap_epochs"]["fixed-split"] == [round(0.3 * cell.epochs)]
        assert rec["swap_epochs"]["adam"] == [None]
        assert "fixed-split seed 0" in rec["curvature"] and "adam seed 0" not in rec["curvature"]
        assert rec["curvature"]["fixed-split seed 0"]["samples"] == 500
        assert rec["curvature"]["fixed-split seed 0"]["epoch"] == round(0.3 * cell.epochs)
        for method in laptop.METHODS:
            assert any(line.startswith(f"| {cell.name} ") and f"| {method} " in line for line in md.splitlines())
        for name in ("fig_gradnorm_vs_loss.png", "fig_loss_vs_cost.png", "fig_loss_vs_macs.png", "history.csv"):
            assert (out / "table1" / cell.name / name).stat().st_size > 1000
    assert "Measured runtime" in md and "Status: complete" in md
    assert any("swap to CG" in line for line in lines)      # per-epoch progress lines (serial)
    assert any(line.startswith("[8/8] digits-mlp-softmax-init0.1 adam+pcg seed 0: ") for line in lines)


@pytest.mark.slow
def test_q_is_samples_times_outputs_over_parameters(quick):
    _, doc, _ = quick
    rec = doc["cells"][0]
    # digits: 1797 images, stratified 80/20 -> 1438 training samples, 10 outputs
    p_mlp = (64 * 128 + 128) + (128 * 10 + 10)                             # 9610
    assert rec["cell"] == "digits-mlp" and rec["n_params"] == p_mlp and rec["n_train"] == 1438
    assert rec["Q"] == pytest.approx(1438 * 10 / p_mlp)
    p_cnn = (8 * 1 * 9 + 8) + (16 * 8 * 9 + 16) + (16 * 2 * 2 * 10 + 10)   # 8x8 -> 4x4 -> 2x2: 1898
    assert build_model("cnn", (1, 8, 8), 10).size == p_cnn
    assert overdetermination(4000, 10, 9098) == pytest.approx(4.3965, abs=1e-4)


@pytest.mark.slow
def test_several_seeds_give_a_spread(tmp_path):
    doc = run_protocol("laptop", tmp_path, cells=["digits-mlp"], seeds=(0, 1), quick=True, log=lambda s: None)
    row = doc["cells"][0]["summary"]["equal_epochs"][0]
    assert row["runs"] == 2 and row["train_loss"]["std"] is not None
    assert "±" in (tmp_path / "table1.md").read_text()


def test_compare_words():
    lo, hi = {"mean": 1.0, "std": 0.1}, {"mean": 2.0, "std": 0.1}
    assert table._compare(lo, hi, lower_is_better=True) == "better"
    assert table._compare(lo, hi, lower_is_better=False) == "worse"
    assert table._compare({"mean": 1.0, "std": 2.0}, hi, True) == "better (within spread)"
    assert table._compare({"mean": None, "std": None}, hi, True) == "n/a"


def test_select_cells():
    names = cell_names("laptop")
    assert len(names) == 16 and len(set(names)) == 16
    assert [c.name for c in table.select(laptop.CELLS, None)] == names
    assert table.select(laptop.CELLS, ["mnist5k-cnn", "digits-mlp"])[0].name == "digits-mlp"   # protocol order
    with pytest.raises(ValueError, match="cells must be among"):
        table.select(laptop.CELLS, ["cifar-vit"])


@pytest.mark.parametrize("argv", [["reproduce", "--cells", "nope"], ["reproduce", "--seeds", "a"],
                                  ["reproduce", "--bogus"], ["reproduce", "--seeds", "-1"],
                                  ["reproduce", "--jobs", "0"], ["reproduce", "--jobs", "2", "--scheduler", "x:1"],
                                  ["reproduce", "--merge", "x"], ["reproduce", "--render", "--jobs", "2"]])
def test_cli_bad_options_exit_2_with_one_line(argv, tmp_path, capsys):
    code, _, err = run_cli(argv + ["--quick", "--out", str(tmp_path)], capsys)
    assert code == 2
    err = err.strip()
    assert err.startswith("minitwophase: error:") and "\n" not in err
    assert not (tmp_path / "table1.md").exists()


def test_cli_errors_found_later_exit_2(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert cli.main(["reproduce", "--quick", "--out", str(blocker)]) == 2
    assert cli.main(["reproduce", "--quick", "--seeds", "0,0", "--out", str(tmp_path)]) == 2
    assert cli.main(["reproduce", "--quick", "--cells", "mnist5k-cnn", "--out", str(tmp_path)]) == 2  # not a quick cell
    assert cli.main(["reproduce", "--render", "--out", str(tmp_path)]) == 2                          # no JSON there
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 4 and all(e.startswith("minitwophase: error:") for e in err)
    assert "table1.json does not exist" in err[3]
    assert not (tmp_path / "table1.md").exists()


def test_cells_name_and_label_a_non_default_head_and_scale():
    cell = Cell("digits", "mlp", 5, head="softmax", init_scale=0.1)
    assert cell.name == "digits-mlp-softmax-init0.1" and Cell("digits", "mlp", 5).name == "digits-mlp"
    assert Cell("digits", "vit-nomlp:width=8,heads=2", 5).name == "digits-vit-nomlp-width8-heads2"
    exp = experiment_for(cell, ("adam",), (0,))
    assert exp.head == "softmax" and exp.train.init_scale == 0.1 and exp.train.loss == "mse"
    record = {"model": "mlp", "head": "softmax", "init_scale": 0.1}
    assert model_label(record) == "mlp (softmax head, init 0.1)"
    assert model_label({"model": "cnn"}) == "cnn"
    line = choices_line([record, {"model": "cnn"}])
    assert "linear head (MSE on raw outputs), initial scale 1 x Glorot/He" in line
    assert "softmax head (MSE on probabilities), initial scale 0.1 x Glorot/He" in line
