"""The softmax output head: nn.Softmax against centred finite differences and torch float64,
whole networks with MSE on probabilities against torch autograd, and the head as an option
(build_model, Experiment, the command line, results.json, summary.md, the trace header)."""
import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cli_runner import run_cli
from torch_reference import torch_loss_and_grad
from minitwophase import nn
from minitwophase.experiments.experiment import Experiment
from minitwophase.models import BACKWARD_RATIO, DEFAULT_HEAD, HEADS, build_model, check_head
from minitwophase.training import TrainConfig


# ---------------------------------------------------------------- the layer
@given(shape=st.sampled_from([(4, 5), (3, 2, 6), (1, 1)]), scale=st.sampled_from([0.1, 1.0, 4.0]),
       seed=st.integers(0, 10_000))
def test_softmax_backward_matches_centred_differences(shape, scale, seed):
    x = scale * np.random.default_rng(seed).standard_normal(shape)
    errors = nn.check_layer(nn.Softmax(), x, seed=seed, norm=True)
    assert errors["x"] < 1e-8


def test_softmax_is_shift_safe_and_sums_to_one():
    x = np.array([[1000.0, 1001.0, 999.0], [-1000.0, -1000.0, -1000.0]])
    s, _ = nn.Softmax().forward({}, x)
    assert np.all(np.isfinite(s))
    np.testing.assert_allclose(s.sum(axis=-1), 1.0, rtol=0, atol=1e-15)
    np.testing.assert_allclose(s[1], 1 / 3, rtol=1e-15)
    assert nn.Softmax().param_shapes() == {}


def test_softmax_layer_matches_torch_forward_and_vjp():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    x, dout = rng.standard_normal((5, 3, 7)) * 4, rng.standard_normal((5, 3, 7))
    layer = nn.Softmax()
    s, cache = layer.forward({}, x)
    dx, grads = layer.backward({}, dout, cache)
    xt = torch.tensor(x, requires_grad=True)
    st_ = torch.softmax(xt, dim=-1)
    st_.backward(torch.tensor(dout))
    np.testing.assert_allclose(s, st_.detach().numpy(), rtol=1e-14, atol=1e-16)
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-12, atol=1e-15)
    assert grads == {}


# ---------------------------------------------------------------- whole networks vs torch
def _assert_network_matches_torch(net, theta, X, y):
    """MSE on the probabilities: loss and every gradient entry against torch autograd."""
    value, grad = net.loss_and_grad(theta, X, y, loss="mse")
    ref_value, ref_grad = torch_loss_and_grad(net, theta, X, y, "mse")
    assert np.isclose(value, ref_value, rtol=1e-12, atol=0)
    assert nn.relative_error(grad, ref_grad, norm=True) < 1e-10
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-7, atol=1e-12 * np.abs(ref_grad).max())


@settings(max_examples=15, deadline=None)
@given(n=st.integers(1, 12), width=st.integers(1, 10), seed=st.integers(0, 10_000))
def test_mlp_softmax_head_matches_torch(n, width, seed):
    pytest.importorskip("torch")
    net = nn.Sequential([nn.Dense(6, width), nn.Tanh(), nn.Dense(width, 4), nn.Softmax()])
    rng = np.random.default_rng(seed)
    _assert_network_matches_torch(net, net.init(seed), rng.standard_normal((n, 6)), rng.integers(0, 4, n))


@pytest.mark.parametrize("spec", ["mlp:9", "cnn:3", "vit-nomlp-wkewq:depth=1,width=8,heads=2,patch=4",
                                  "vit-mlp:depth=1,width=8,heads=2,mlp=6,patch=4"])
def test_models_with_softmax_head_match_torch(spec):
    pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    net = build_model(spec, (1, 8, 8), 5, head="softmax")
    assert isinstance(net.layers[-1], nn.Softmax)
    theta = net.init(2) + 0.1 * rng.standard_normal(net.size)   # non-trivial biases and LayerNorms
    X = rng.standard_normal((6, 64) if spec.startswith("mlp") else (6, 1, 8, 8))
    _assert_network_matches_torch(net, theta, X, rng.integers(0, 5, 6))


def test_softmax_head_gradient_matches_centred_differences():
    rng = np.random.default_rng(0)
    net = build_model("mlp:5", (1, 3, 3), 4, head="softmax")
    X, y = rng.standard_normal((7, 9)), rng.integers(0, 4, 7)
    assert nn.check_network(net, net.init(0), X, y, loss="mse", norm=True) < 1e-7


# ---------------------------------------------------------------- the head as an option
def test_build_model_heads_share_theta_and_differ_only_by_the_softmax():
    lin = build_model("mlp:7", (1, 4, 4), 3)
    soft = build_model("mlp:7", (1, 4, 4), 3, head="softmax")
    assert DEFAULT_HEAD == "linear" and HEADS == ("linear", "softmax")
    assert lin.size == soft.size
    np.testing.assert_array_equal(lin.init(5), soft.init(5))
    X = np.random.default_rng(0).standard_normal((3, 16))
    logits = lin.forward(lin.init(5), X)
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    np.testing.assert_allclose(soft.forward(soft.init(5), X), e / e.sum(axis=1, keepdims=True), rtol=1e-14)


def test_bad_head_and_cross_entropy_with_softmax_are_value_errors():
    with pytest.raises(ValueError, match="head must be one of linear, softmax, got 'sigmoid'"):
        build_model("mlp", (1, 4, 4), 3, head="sigmoid")
    with pytest.raises(ValueError, match="head 'softmax' with loss 'cross_entropy'"):
        check_head("softmax", "cross_entropy")
    with pytest.raises(ValueError, match="head 'softmax' with loss 'cross_entropy'"):
        Experiment(dataset="digits", head="softmax", train=TrainConfig(loss="cross_entropy")).validate()
    assert check_head("linear", "cross_entropy") == "linear"


def test_cli_rejects_softmax_with_cross_entropy_in_one_line(tmp_path, capsys):
    code, out, err = run_cli(["run", "--dataset", "digits", "--head", "softmax", "--loss", "cross_entropy",
                              "--epochs", "1", "--out", str(tmp_path / "o")], capsys)
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and "softmax" in err and "cross_entropy" in err
    code, out, err = run_cli(["run", "--head", "probit"], capsys)
    assert code == 2 and "--head" in err


def test_head_and_init_scale_recorded_in_results_summary_and_trace(tmp_path, capsys):
    out = tmp_path / "o"
    code, _, err = run_cli(["run", "--dataset", "digits", "--model", "mlp:8", "--head", "softmax",
                            "--init-scale", "0.1", "--methods", "adam", "--epochs", "2", "--no-plots",
                            "--quiet", "--out", str(out)], capsys)
    assert code == 0, err
    doc = json.loads((out / "results.json").read_text())
    assert doc["config"]["head"] == "softmax" and doc["config"]["train"]["init_scale"] == 0.1
    assert "--head softmax" in doc["config"]["command"]
    summary = (out / "summary.md").read_text()
    assert "softmax head, initial scale 0.1 x Glorot/He" in summary
    assert doc["config"]["train"]["backward_ratio"] == BACKWARD_RATIO["mlp"]     # the measured price
    assert f"r = {BACKWARD_RATIO['mlp']:g} the measured backward/forward time ratio" in summary
    code, _, err = run_cli(["trace", "--head", "softmax", "--epochs", "2", "--method", "adam",
                            "--out", str(tmp_path / "t.json")], capsys)
    assert code == 0, err
    header = json.loads((tmp_path / "t.json").read_text())["header"]
    assert header["config"]["head"] == "softmax"
    assert header["layout"][-1]["type"] == "Dense"    # the softmax head has no parameters


def test_cli_backward_ratio_is_checked_and_named_by_its_flag(tmp_path, capsys):
    code, _, err = run_cli(["run", "--dataset", "digits", "--backward-ratio", "0", "--epochs", "1",
                            "--out", str(tmp_path / "o")], capsys)
    assert code == 2 and "--backward-ratio must" in err and len(err.strip().splitlines()) == 1
