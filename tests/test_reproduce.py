"""The Table 1 reproduction: quick mode end to end, Q, verdicts and the CLI verb's errors."""
import json

import pytest

from minitwophase import cli
from minitwophase.experiments import reproduce as rp
from cli_runner import run_cli


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    out = tmp_path_factory.mktemp("repro")
    lines = []
    doc = rp.reproduce(out, quick=True, log=lines.append)
    return out, doc, lines


@pytest.mark.slow
def test_quick_reproduction_writes_every_row(quick):
    out, doc, lines = quick
    assert doc["complete"]
    md = (out / "table1.md").read_text()
    assert "output head and initial scale (both silent in the paper): linear head" in md
    assert all(c["head"] == "linear" and c["init_scale"] == 1.0 for c in doc["cells"])
    data = json.loads((out / "table1.json").read_text())
    assert [c["cell"] for c in data["cells"]] == [c.name for c in rp.QUICK_CELLS]
    for cell in rp.QUICK_CELLS:
        rec = next(c for c in data["cells"] if c["cell"] == cell.name)
        assert [r["method"] for r in rec["summary"]["equal_epochs"]] == list(rp.COMPARED)
        assert [r["method"] for r in rec["summary"]["equal_cost"]["rows"]] == list(rp.COMPARED)
        # fixed split: Adam for round(0.3 * epochs) epochs; adam+cg swapped somewhere; adam never
        assert rec["swap_epochs"]["fixed-split"] == [round(0.3 * cell.epochs)]
        assert rec["swap_epochs"]["adam"] == [None]
        for method in rp.COMPARED:
            assert f"| {cell.dataset} | {cell.model} " in md
            assert any(line.startswith(f"| {cell.dataset} ") and f"| {method} " in line
                       for line in md.splitlines())
        for name in ("fig_gradnorm_vs_loss.png", "fig_loss_vs_cost.png", "history.csv"):
            assert (out / "reproduction" / cell.name / name).stat().st_size > 1000
    assert "Measured runtime" in md and "Status: complete" in md
    assert any("swap to CG" in line for line in lines)      # per-run progress lines


@pytest.mark.slow
def test_q_is_samples_times_outputs_over_parameters(quick):
    _, doc, _ = quick
    by_name = {c["cell"]: c for c in doc["cells"]}
    # digits: 1797 images, stratified 80/20 -> 1438 training samples, 10 outputs
    p_mlp = (64 * 128 + 128) + (128 * 10 + 10)                             # 9610
    p_cnn = (8 * 1 * 9 + 8) + (16 * 8 * 9 + 16) + (16 * 2 * 2 * 10 + 10)   # 8x8 -> 4x4 -> 2x2: 1898
    assert by_name["digits-mlp"]["n_params"] == p_mlp
    assert by_name["digits-cnn"]["n_params"] == p_cnn
    assert by_name["digits-mlp"]["Q"] == pytest.approx(1438 * 10 / p_mlp)
    assert by_name["digits-cnn"]["Q"] == pytest.approx(1438 * 10 / p_cnn)
    assert rp.overdetermination(4000, 10, 9098) == pytest.approx(4.3965, abs=1e-4)


@pytest.mark.slow
def test_several_seeds_give_a_spread(tmp_path):
    doc = rp.reproduce(tmp_path, cells=["digits-mlp"], seeds=(0, 1), quick=True, log=lambda s: None)
    row = doc["cells"][0]["summary"]["equal_epochs"][0]
    assert row["runs"] == 2 and row["train_loss"]["std"] is not None
    assert "±" in (tmp_path / "table1.md").read_text()


def test_compare_words():
    lo, hi = {"mean": 1.0, "std": 0.1}, {"mean": 2.0, "std": 0.1}
    assert rp._compare(lo, hi, lower_is_better=True) == "better"
    assert rp._compare(lo, hi, lower_is_better=False) == "worse"
    assert rp._compare({"mean": 1.0, "std": 2.0}, hi, True) == "better (within spread)"
    assert rp._compare({"mean": None, "std": None}, hi, True) == "n/a"


def test_select_cells():
    assert [c.name for c in rp.select_cells()] == list(rp.CELL_NAMES)
    assert rp.select_cells(["mnist5k-cnn"])[0].chunk_size == 1000
    with pytest.raises(ValueError, match="cells must be among"):
        rp.select_cells(["cifar-vit"])


@pytest.mark.parametrize("argv", [["reproduce", "--cells", "nope"], ["reproduce", "--seeds", "a"],
                                  ["reproduce", "--bogus"], ["reproduce", "--seeds", "-1"]])
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
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 3 and all(e.startswith("minitwophase: error:") for e in err)
    assert not (tmp_path / "table1.md").exists()


def test_cells_name_and_label_a_non_default_head_and_scale():
    cell = rp.Cell("digits", "mlp", 5, head="softmax", init_scale=0.1)
    assert cell.name == "digits-mlp-softmax-init0.1" and rp.Cell("digits", "mlp", 5).name == "digits-mlp"
    exp = rp.experiment_for(cell, (0,))
    assert exp.head == "softmax" and exp.train.init_scale == 0.1
    record = {"model": "mlp", "head": "softmax", "init_scale": 0.1}
    assert rp.model_label(record) == "mlp (softmax head, init 0.1)"
    assert rp.model_label({"model": "cnn"}) == "cnn"
    line = rp.choices_line([record, {"model": "cnn"}])
    assert "linear head (MSE on raw outputs), initial scale 1 x Glorot/He" in line
    assert "softmax head (MSE on probabilities), initial scale 0.1 x Glorot/He" in line
