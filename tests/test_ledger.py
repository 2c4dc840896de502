"""The cost ledger (training/objective.py): forward and backward samples counted apart,
multiply-adds, the f-only evaluation, the cache, the pricing, and who pays for what."""
import numpy as np
import pytest

from minitwophase import datasets, nn
from minitwophase.models import BACKWARD_RATIO, backward_ratio, build_model
from minitwophase.training import Objective, TrainConfig, train
from minitwophase.training import phases as P


def small():
    rng = np.random.default_rng(0)
    net = nn.Sequential([nn.Dense(7, 5), nn.Tanh(), nn.Dense(5, 3)])
    return net, rng.standard_normal((20, 7)), rng.integers(0, 3, 20)


def test_value_is_a_forward_pass_and_call_a_forward_and_a_backward_pass():
    net, X, y = small()
    obj = Objective(net, X, y, "mse", backward_ratio=3.0)
    theta = net.init(0)
    f = obj.value(theta)
    assert (obj.forward_samples, obj.backward_samples) == (20, 0)
    assert obj.cost == pytest.approx(20 / (4 * 20))              # 1 / (1 + r)
    assert f == net.loss_and_grad(theta, X, y, loss="mse")[0]
    f2, g = obj(theta)                                         # the backward pass needs a fresh forward
    assert f2 == f and (obj.forward_samples, obj.backward_samples) == (40, 20)
    assert obj.cost == pytest.approx((40 + 3 * 20) / (4 * 20))
    np.testing.assert_array_equal(obj.gradient(theta), g)      # cached: free
    assert obj.value(theta) == f                               # cached: free
    assert (obj.forward_samples, obj.backward_samples) == (40, 20)
    obj.minibatch(theta, np.arange(5))
    assert (obj.forward_samples, obj.backward_samples) == (45, 25)


def test_a_gradient_evaluation_costs_one_epoch_whatever_the_ratio():
    net, X, y = small()
    for r in (0.5, 1.0, 2.7):
        obj = Objective(net, X, y, backward_ratio=r)
        obj(net.init(0))
        assert obj.cost == pytest.approx(1.0, rel=1e-15)
        assert obj.forward_passes == 1.0 and obj.backward_passes == 1.0


def test_macs_count_forward_plus_twice_backward_by_hand():
    net, X, y = small()
    obj = Objective(net, X, y)
    theta = net.init(0)
    obj(theta)
    obj.value(theta + 1.0)
    per_sample = 7 * 5 + 5 * 3                                   # the two Dense products
    assert obj.macs == per_sample * (40 + 2 * 20)


def test_chunked_value_equals_the_unchunked_loss():
    net, X, y = small()
    theta = net.init(1)
    full = Objective(net, X, y).value(theta)
    chunked = Objective(net, X, y, chunk_size=6).value(theta)
    assert chunked == pytest.approx(full, rel=1e-14)
    assert chunked == pytest.approx(net.loss_and_grad(theta, X, y, loss="mse", chunk_size=6)[0], rel=1e-15)


def test_spawn_is_a_separate_ledger_with_the_same_pricing():
    net, X, y = small()
    obj = Objective(net, X, y, "cross_entropy", chunk_size=4, backward_ratio=2.0)
    other = obj.spawn()
    other(net.init(0))
    assert obj.forward_samples == 0 and other.forward_samples == 20
    assert (other.loss, other.chunk_size, other.backward_ratio) == ("cross_entropy", 4, 2.0)


def test_bad_ratio_names_the_argument():
    net, X, y = small()
    with pytest.raises(ValueError, match="backward_ratio"):
        Objective(net, X, y, backward_ratio=0.0)
    with pytest.raises(ValueError, match="backward_ratio"):
        TrainConfig(backward_ratio=-1.0).validate()


def test_measured_ratios_cover_every_family():
    assert set(BACKWARD_RATIO) == {"mlp", "cnn", "vgg5", "vit"}
    assert all(r > 0 for r in BACKWARD_RATIO.values())
    assert backward_ratio("vit-nomlp:depth=1") == BACKWARD_RATIO["vit"]


@pytest.fixture(scope="module")
def digits():
    return datasets.load("digits", layout="flat")


def test_adam_epochs_cost_two_gradient_evaluations_and_rows_keep_the_raw_counts(digits):
    net = build_model("mlp:8", digits.image_shape, digits.n_classes)
    run = train(net, digits, TrainConfig(method="adam", epochs=3, backward_ratio=2.5))
    # row 0: the initial full-batch gradient; each epoch: N samples of minibatches + the check
    assert run.column("forward_passes").tolist() == [1.0, 3.0, 5.0, 7.0]
    assert run.column("backward_passes").tolist() == [1.0, 3.0, 5.0, 7.0]
    np.testing.assert_allclose(run.column("cost"), [1.0, 3.0, 5.0, 7.0], rtol=1e-14)
    n = len(digits.y_train)
    assert run.rows[-1]["macs"] == (64 * 8 + 8 * 10) * (7 * n + 2 * 7 * n)


def test_curvature_probes_pay_into_their_own_ledger(digits):
    cfg = TrainConfig(method="adam", epochs=2)
    plain = train(build_model("mlp:8", digits.image_shape, digits.n_classes), digits, cfg)
    probed = train(build_model("mlp:8", digits.image_shape, digits.n_classes), digits, cfg,
                   curvature_every=1)
    for key in ("cost", "forward_passes", "backward_passes", "macs"):
        assert plain.column(key).tolist() == probed.column(key).tolist()
    assert probed.rows[-1]["diag_cost"] > 0


def test_forward_only_wiring_gives_the_same_cg_iterates(digits, monkeypatch):
    """CGPhase's switch (fun=objective.value, jac=objective.gradient) must not change CG: the
    same f and g at the same points, only the price of f-only probes differs."""
    cfg = TrainConfig(method="fixed-split", epochs=6, cg_line_search="golden")
    runs = []
    for searches in (frozenset(), frozenset({"golden"})):
        monkeypatch.setattr(P, "FORWARD_ONLY_SEARCHES", searches)
        runs.append(train(build_model("mlp:8", digits.image_shape, digits.n_classes), digits, cfg))
    np.testing.assert_array_equal(runs[0].theta, runs[1].theta)
    assert runs[0].column("train_loss").tolist() == runs[1].column("train_loss").tolist()
    assert runs[1].rows[-1]["forward_passes"] > runs[1].rows[-1]["backward_passes"]
