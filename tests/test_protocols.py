"""The reproduce protocols beyond the laptop one: quick mode end to end (files and table
structure, never the results), the granularity replay against the trainer, and the
multiply-add count against hand counts."""
import json

import numpy as np
import pytest

from minitwophase import cli, datasets, nn
from minitwophase.experiments.protocols import (PROTOCOLS, granularity, paper_row, run_protocol, vit,
                                                vit_detector)
from minitwophase.experiments.protocols.cell import PAPER_STEPS, Cell, check_interval
from minitwophase.models import build_model, layout_for
from minitwophase.nn.macs import macs_per_sample
from minitwophase.training import TrainConfig, train


def test_macs_match_hand_counts():
    net = nn.Sequential([nn.Dense(784, 16), nn.Tanh(), nn.Dense(16, 10)])
    assert macs_per_sample(net, (784,)) == 784 * 16 + 16 * 10
    conv = nn.Sequential([nn.Conv2D(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2D(2),
                          nn.Conv2D(4, 6, 3), nn.Flatten(), nn.Dense(6 * 2 * 2, 3)])
    # 8x8 -> conv (same) 4 x 8 x 8 outputs of 1 x 3 x 3; pool 4x4; conv valid 6 x 2 x 2 of 4 x 3 x 3
    assert macs_per_sample(conv, (1, 8, 8)) == 4 * 64 * 9 + 6 * 4 * 4 * 9 + 24 * 3
    t, d = 5, 8                                # 4 patches of 4x4 on 8x8 + a class token
    att = nn.Sequential([nn.PatchEmbedding(1, 4, d), nn.Residual([nn.LayerNorm(d), nn.SelfAttention(d, 2)]),
                         nn.Residual([nn.LayerNorm(d), nn.SelfAttention(d, 2, shared_qk=True, value=False)]),
                         nn.TokenPool(), nn.Dense(d, 3)])
    hand = 4 * 16 * d + (4 * t * d * d + 2 * t * t * d) + (1 * t * d * d + 2 * t * t * d) + d * 3
    assert macs_per_sample(att, (1, 8, 8)) == hand


def test_registry_and_bad_names(tmp_path):
    assert PROTOCOLS[0] == "laptop"
    assert {m.PROTOCOL.flag for m in (vit, vit_detector, paper_row)} <= set(PROTOCOLS)
    with pytest.raises(ValueError, match="protocol must be one of"):
        run_protocol("nope", tmp_path)
    with pytest.raises(ValueError, match="cells can only be chosen"):
        run_protocol("granularity", tmp_path, cells=["x"])
    with pytest.raises(ValueError, match="jobs must be an int >= 1"):
        run_protocol("laptop", tmp_path, jobs=0)


def test_budgets_follow_the_arithmetic():
    for c in vit.CELLS:
        a, cg = vit.MEASURED[c.model]
        assert c.epochs == vit.epochs_for(a, cg) and c.check_every == PAPER_STEPS
        assert c.dataset == "mnist5k"
    (row,) = paper_row.CELLS
    assert row.dataset == "mnist" and row.check_every is None and row.epochs % 10 == 0
    assert row.epochs * (1.3 * paper_row.MEASURED_ADAM + 0.7 * paper_row.MEASURED_CG) <= paper_row.SHARE
    (cell,) = vit_detector.CELLS
    assert cell.epochs * 8 // PAPER_STEPS >= 3 and cell.check_every == PAPER_STEPS
    assert check_interval("mnist", 60000) is None and check_interval("mnist5k", 4000) == 118


def test_cluster_hours_follow_the_one_core_arithmetic():
    """One worker: the runs' estimates add up to hours_for (seeds x epochs x W plus probes);
    as many workers as runs: the longest run, vgg5's adam+cg at max(A, C) per epoch."""
    assert vit.hours_on(1, 150) == pytest.approx(vit.hours_for(150), rel=1e-12)
    a, cg = vit.MEASURED["vgg5"]
    runs = len(vit.MEASURED) * len(vit.SEEDS) * len(vit.METHODS)
    assert vit.hours_on(runs, 150) == pytest.approx((150 * max(a, cg) + vit.PROBE_EPOCHS * a / 3) / 3600)
    hours = [vit.hours_on(n, 150) for n in (1, 2, 4, 8, 16, runs)]
    assert hours == sorted(hours, reverse=True) and hours[1] >= hours[0] / 2


def test_granularity_replay_matches_the_trainers_swap():
    """The replayed swap epoch for interval K is the trainer's own adam+cg swap with check_every=K."""
    data = datasets.load("digits", layout=layout_for("mlp"))
    cell = Cell("digits", "mlp", 30)
    k_list = (2, 3, 5)
    net = build_model("mlp", data.image_shape, data.n_classes)
    rec = granularity.CheckRecorder(net, data, cell, k_list)
    cfg = TrainConfig(epochs=30, **granularity.SETUP)
    train(net, data, config=cfg, method="adam", seed=0, on_minibatch=rec, probes=[rec.epoch_end])
    for k in k_list:
        got = granularity.replay(rec.values, k, rec.per_epoch, 0.9)
        ref = train(build_model("mlp", data.image_shape, data.n_classes), data, config=cfg,
                    method="adam+cg", seed=0, check_every=k)
        assert got["swap_epoch"] == ref.swap_epoch, k
        assert got["n_checks"] == 30 * rec.per_epoch // k


@pytest.mark.slow
def test_granularity_quick_writes_its_files(tmp_path):
    doc = run_protocol("granularity", tmp_path, quick=True, log=lambda s: None)
    assert doc["complete"]
    data = json.loads((tmp_path / "granularity.json").read_text())
    assert [r["interval"] for r in data["cells"][0]["intervals"]] == list(granularity.INTERVALS)
    md = (tmp_path / "granularity.md").read_text()
    assert "output head and initial scale (both silent in the paper): linear head" in md
    assert "| K (steps) |" in md.replace("  ", " ") or "K (steps)" in md
    assert (tmp_path / "granularity.png").stat().st_size > 1000


@pytest.mark.slow
@pytest.mark.parametrize("name, module", [("vit", vit), ("vit-detector", vit_detector), ("paper-row", paper_row)])
def test_table_protocols_quick_write_files_and_tables(tmp_path, capsys, name, module):
    assert cli.main(["reproduce", "--protocol", name, "--quick", "--quiet", "--out", str(tmp_path)]) == 0
    proto = module.PROTOCOL
    data = json.loads((tmp_path / f"{proto.name}.json").read_text())
    assert data["complete"] and [c["cell"] for c in data["cells"]] == [c.name for c in module.QUICK_CELLS]
    cell = data["cells"][0]
    assert [r["method"] for r in cell["summary"]["equal_epochs"]] == list(proto.methods)
    assert cell["macs_per_sample"] > 0 and cell["swap_epochs"]["fixed-split"] == [round(0.3 * cell["epochs"])]
    assert "fixed-split seed 0" in cell["curvature"]          # the probe ran at the fixed split's swap
    md = (tmp_path / f"{proto.name}.md").read_text()
    assert f"--protocol {name} --quick" in md
    assert "output head and initial scale (both silent in the paper): linear head (MSE on raw outputs), " \
           "initial scale 1 x Glorot/He" in md
    for heading in ("## At equal epochs", "## At equal cost", "## Curvature at the swap", "## Figures"):
        assert heading in md
    for f in cell["figures"]:
        assert (tmp_path / f).stat().st_size > 1000
    assert any(f.endswith("fig_loss_vs_macs.png") for f in cell["figures"])


def test_cli_rejects_cells_for_granularity_and_unknown_cells(tmp_path, capsys):
    assert cli.main(["reproduce", "--protocol", "granularity", "--cells", "digits-mlp", "--quick",
                     "--out", str(tmp_path)]) == 2
    assert "--cells applies to the table protocols" in capsys.readouterr().err
    assert cli.main(["reproduce", "--protocol", "vit", "--cells", "digits-mlp", "--quick", "--out", str(tmp_path)]) == 2
    assert "--cells must be among digits-vit-nomlp-wkewq-wvwo-width8" in capsys.readouterr().err


def test_swap_probe_leaves_the_methods_cost_and_path_alone():
    """The training probe in swap-only mode on the first 200 images: one measurement, at the
    swap, equal to the probe taken directly on those images at the swap's theta; the run's
    numbers untouched."""
    from minitwophase.curvature.probe import probe
    from minitwophase.training.curvature_probe import CheckpointProbe, CurvatureProbe
    from minitwophase.training.objective import Objective
    data = datasets.load("digits", layout=layout_for("vit-nomlp"))
    spec = "vit-nomlp-wkewq-wvwo:width=8,heads=2,depth=1,patch=4"
    cfg = TrainConfig(method="fixed-split", epochs=4, split=0.5, seed=3)
    options = dict(n_vectors=1, steps=5, max_hvp=10)
    runs = []
    for probes in ([CheckpointProbe(1)], [CheckpointProbe(1), CurvatureProbe.swap_only(samples=200, seed=3, **options)]):
        runs.append(train(build_model(spec, data.image_shape, data.n_classes), data, config=cfg, probes=probes))
    plain, probed = runs
    swap = probed.swap_curvature
    assert swap["epoch"] == plain.swap_epoch == 2 and swap["samples"] == 200
    assert [s["roles"] for s in probed.curvature] == [["swap"]]          # no schedule, peak or end
    assert probed.column("cost").tolist() == plain.column("cost").tolist()
    np.testing.assert_array_equal(probed.theta, plain.theta)
    net = build_model(spec, data.image_shape, data.n_classes)
    subset = Objective(net, data.X_train[:200], data.y_train[:200], "mse")
    direct = probe(subset, plain.checkpoints[2], seed=3 + 2, **options)
    assert (swap["lambda_min"], swap["lambda_max"]) == (direct.lambda_min, direct.lambda_max)
    whole = probe(Objective(net, data.X_train, data.y_train, "mse"), plain.checkpoints[2], seed=5, **options)
    assert whole.lambda_max != direct.lambda_max                           # the subset is not the whole set
