"""models.py: the paper's ViT variants and vgg5 (counts against the paper's Q column, specs,
finite differences), and mlp / cnn unchanged."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minitwophase import nn
from minitwophase.models import VIT_VARIANTS, build_model, layout_for, parse_model
from cli_runner import run_cli

MNIST, CIFAR = (1, 28, 28), (3, 32, 32)
# Table 1's Q = K*M/P (Hrycej et al. 2025), K*M = training samples x outputs
PAPER_Q = {
    ("MNIST", 600_000): {"vit-mlp": 3.9, "vit-nomlp": 11.0, "vit-nomlp-wkewq": 14.1,
                         "vit-nomlp-wkewq-wvwo": 33.5, "vgg5": 4.9},
    ("CIFAR-10", 500_000): {"vit-mlp": 3.1, "vit-nomlp": 7.9, "vit-nomlp-wkewq": 9.9,
                            "vit-nomlp-wkewq-wvwo": 19.1, "vgg5": 4.1},
    ("CIFAR-100", 5_000_000): {"vit-mlp": 29.7, "vit-nomlp": 72.6, "vit-nomlp-wkewq": 88.4,
                               "vit-nomlp-wkewq-wvwo": 156.4, "vgg5": 38.9},
}
SHAPE = {"MNIST": (MNIST, 10), "CIFAR-10": (CIFAR, 10), "CIFAR-100": (CIFAR, 100)}


def test_mnist_counts_match_the_architecture_in_paper_md():
    counts = {m: build_model(m, MNIST, 10).size for m in VIT_VARIANTS}
    assert counts == {"vit-mlp": 154_058, "vit-nomlp": 54_794, "vit-nomlp-wkewq": 42_506,
                      "vit-nomlp-wkewq-wvwo": 17_930}
    # by hand: patches 64*64+64, class token 64; per layer 2 LayerNorms (256) + W's; head 650
    assert counts["vit-nomlp"] == 64 * 64 + 64 + 64 + 3 * (256 + 4 * 64 * 64) + 650
    assert counts["vit-mlp"] - counts["vit-nomlp"] == 3 * (64 * 256 + 256 + 256 * 64 + 64)
    assert counts["vit-nomlp"] - counts["vit-nomlp-wkewq"] == 3 * 64 * 64
    assert counts["vit-nomlp-wkewq"] - counts["vit-nomlp-wkewq-wvwo"] == 3 * 2 * 64 * 64
    assert build_model("vgg5", MNIST, 10).size == 121_994


@pytest.mark.parametrize("data,km", list(PAPER_Q))
def test_every_q_of_table_1_is_reproduced(data, km):
    shape, classes = SHAPE[data]
    for model, q in PAPER_Q[data, km].items():
        assert round(km / build_model(model, shape, classes).size, 1) == q, (data, model)


def test_vit_structure_and_padding():
    net = build_model("vit-nomlp", MNIST, 10)
    assert repr(net.layers[0]) == "ZeroPad2D((2, 2, 2, 2))"
    assert net.output_shape(MNIST) == (10,)
    assert net.layers[1].output_shape((1, 32, 32)) == (17, 64)
    kinds = [type(layer).__name__ for layer in net.layers]
    assert kinds == ["ZeroPad2D", "PatchEmbedding"] + ["Residual", "LayerNorm"] * 3 + ["TokenPool", "Dense"]
    assert not isinstance(build_model("vit-nomlp", CIFAR, 10).layers[0], nn.ZeroPad2D)
    assert repr(build_model("vit-nomlp:patch=8", (1, 29, 30), 10).layers[0]) == "ZeroPad2D((1, 1, 1, 2))"
    assert not isinstance(build_model("vit-nomlp:patch=4", MNIST, 10).layers[0], nn.ZeroPad2D)
    mlp = build_model("vit-mlp", MNIST, 10).layers[3]
    assert repr(mlp) == "Residual([LayerNorm(64, eps=1e-05), Dense(64, 256), GELU(), Dense(256, 64)])"
    attn = build_model("vit-nomlp-wkewq-wvwo", MNIST, 10).layers[2].layers[1]
    assert (attn.shared_qk, attn.value, attn.bias, attn.heads) == (True, False, False, 4)


def test_spec_options():
    kind, opts = parse_model("vit-nomlp:depth=2,heads=2,pos=1,bias=1,patch=4,width=32,pool=mean")
    assert kind == "vit-nomlp"
    assert opts == {"depth": 2, "heads": 2, "width": 32, "patch": 4, "pos": 1, "bias": 1, "pool": "mean"}
    net = build_model("vit-nomlp:depth=2,heads=2,pos=1,bias=1,patch=4,width=32,pool=mean", MNIST, 10)
    emb = net.layers[0]
    assert (emb.patch, emb.dim, emb.positions) == (4, 32, 50)
    assert net.layers[1].layers[1].bias and net.layers[-2].mode == "mean"
    assert sum(isinstance(layer, nn.Residual) for layer in net.layers) == 2
    assert parse_model("vit-mlp:mlp=128")[1]["mlp"] == 128
    assert parse_model("vgg5:width=8,hidden=16") == ("vgg5", {"width": 8, "hidden": 16})
    assert parse_model("mlp:256,128") == ("mlp", (256, 128))
    for spec in ("vit-mlp", "vgg5", "cnn"):
        assert layout_for(spec) == "image"
    assert layout_for("mlp") == "flat"


@pytest.mark.parametrize("spec,match", [
    ("vit", r"model must be 'mlp"),
    ("vit-nomlp:heads=3", r"width must be divisible by heads, got width=64 and heads=3"),
    ("vit-nomlp:depth=0", r"depth must be a positive integer, got '0'"),
    ("vit-nomlp:pos=2", r"pos must be 0 or 1, got '2'"),
    ("vit-nomlp:mlp=128", r"keys \['depth', 'heads', 'width', 'patch', 'pos', 'bias', 'pool'\], got 'mlp=128'"),
    ("vit-mlp:size=3", r"got 'size=3'"),
    ("vit-mlp:depth", r"got 'depth'"),
    ("vit-mlp:pool=max", r"pool must be one of"),
    ("vgg5:heads=2", r"options of 'vgg5'"),
    ("vgg5:width=x", r"width must be a positive integer, got 'x'"),
])
def test_bad_specs_name_the_problem(spec, match):
    with pytest.raises(ValueError, match=match):
        parse_model(spec)


def test_mlp_and_cnn_are_unchanged():
    """Same layers and the same theta for a seed as the hand-built networks they always were."""
    mlp = build_model("mlp", MNIST, 10)
    ref = nn.Sequential([nn.Dense(784, 128), nn.Tanh(), nn.Dense(128, 10)])
    assert repr(mlp) == repr(ref)
    np.testing.assert_array_equal(mlp.init(3), ref.init(3))
    cnn = build_model("cnn", MNIST, 10)
    ref = nn.Sequential([nn.Conv2D(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2D(2),
                         nn.Conv2D(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2D(2),
                         nn.Flatten(), nn.Dense(16 * 7 * 7, 10)])
    assert repr(cnn) == repr(ref)
    np.testing.assert_array_equal(cnn.init(3), ref.init(3))


SMALL = ["vit-mlp:depth=1,width=4,heads=2,mlp=3,patch=4", "vit-nomlp:depth=2,width=4,heads=2,patch=4",
         "vit-nomlp-wkewq:depth=1,width=6,heads=3,patch=4,pos=1,bias=1",
         "vit-nomlp-wkewq-wvwo:depth=2,width=4,heads=2,patch=2,pool=mean", "vgg5:width=2,hidden=3"]


@pytest.mark.parametrize("spec", SMALL)
@settings(max_examples=6)  # whole networks, coordinate by coordinate: a few draws each
@given(n=st.integers(1, 3), seed=st.integers(0, 10_000))
def test_models_against_finite_differences(spec, n, seed):
    rng = np.random.default_rng(seed)
    net = build_model(spec, (1, 6, 7), 3)  # padded inside the model to multiples of patch / 8
    X, y = rng.random((n, 1, 6, 7)), rng.integers(0, 3, n)
    theta = net.init(seed) + 0.1 * rng.standard_normal(net.size)  # biases away from 0
    # h = 1e-6: LayerNorm over 4 features curves strongly, and the O(h^2) truncation of
    # h = 1e-5 alone reaches ~1e-6 here (rounding stays ~1e-10 of these gradients' size).
    for loss in ("cross_entropy", "mse"):
        assert nn.check_network(net, theta, X, y, loss=loss, h=1e-6, norm=True) < 1e-6


def test_chunked_gradient_and_float32():
    net = build_model("vit-nomlp:depth=1", MNIST, 10)
    rng = np.random.default_rng(0)
    X, y = rng.random((10, 1, 28, 28)), rng.integers(0, 10, 10)
    theta = net.init(0)
    value, grad = net.loss_and_grad(theta, X, y, loss="mse")
    v4, g4 = net.loss_and_grad(theta, X, y, loss="mse", chunk_size=4)
    assert abs(v4 - value) <= 1e-14 * value and nn.relative_error(g4, grad, norm=True) < 1e-14
    net32 = build_model("vit-nomlp:depth=1", MNIST, 10)
    net32 = nn.Sequential(net32.layers, dtype=np.float32)
    v32, g32 = net32.loss_and_grad(theta.astype(np.float32), X, y, loss="mse")
    assert g32.dtype == np.float32 and abs(v32 - value) < 1e-5
    assert nn.relative_error(g32, grad, norm=True) < 1e-4


@pytest.mark.parametrize("model", ["vit-nomlp:depth=1,width=8,heads=2,patch=4", "vgg5:width=2,hidden=4"])
def test_command_line_runs_the_paper_models(model, tmp_path, capsys):
    """``minitwophase run --model vit-...`` through the trainer's own path (layout_for, build_model)."""
    from cli_runner import run_cli

    code, out, err = run_cli(["run", "--dataset", "digits", "--model", model, "--epochs", "2", "--quiet",
                              "--no-plots", "--out", str(tmp_path)], capsys)
    assert code == 0, err
    assert (tmp_path / "results.json").exists()


def test_command_line_names_a_bad_model_spec(tmp_path, capsys):
    from cli_runner import run_cli

    code, _, err = run_cli(["run", "--dataset", "digits", "--model", "vit-nomlp:heads=3", "--out", str(tmp_path)],
                           capsys)
    assert code == 2 and "width must be divisible by heads, got width=64 and heads=3" in err


SIZE_SPECS = ["mlp", "mlp:5,7", "cnn", "cnn:4,5,6", "vgg5", "vgg5:width=4,hidden=3"] + [
    v + o for v in VIT_VARIANTS for o in ("", ":depth=1,width=8,heads=2,pos=1,bias=1,patch=5", ":pool=mean")]


@pytest.mark.parametrize("shape", [(1, 28, 28), (3, 32, 32), (2, 13, 9)])
@pytest.mark.parametrize("spec", SIZE_SPECS)
def test_the_size_estimate_is_the_built_models_size(spec, shape):
    """estimate_size counts from the spec; Sequential counts the layers' parameter shapes."""
    from minitwophase.models import estimate_size
    assert estimate_size(spec, shape, 7) == build_model(spec, shape, 7).size


@pytest.mark.parametrize("spec", ["mlp:100000000000", "cnn:1000000000", "vit-nomlp:width=1000000"])
def test_an_absurd_model_is_refused_before_allocation_and_before_its_folder(spec, tmp_path, capsys):
    code, _, err = run_cli(["run", "--dataset", "digits", "--model", spec, "--epochs", "2",
                            "--out", str(tmp_path / "o")], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert err.startswith("minitwophase: error: --model must have at most ") and spec in err
    assert not (tmp_path / "o").exists()


def test_the_size_limit_follows_the_memory():
    from minitwophase.models import MAX_PARAMETERS, check_size
    assert check_size("m", 1000, memory=64_000) == 1000
    with pytest.raises(ValueError, match="at most 1,000 parameters .* got 'm' with 1,001"):
        check_size("m", 1001, memory=64_000)
    with pytest.raises(ValueError, match="MAX_PARAMETERS"):
        check_size("m", MAX_PARAMETERS + 1, memory=10**15)


@pytest.mark.parametrize("shape", [(8, 8), (1, 8), 8, (1, 0, 8), (1, 8.0, 8)])
def test_build_model_names_a_bad_image_shape(shape):
    with pytest.raises(ValueError, match=r"image_shape must be \(C, H, W\), three positive ints"):
        build_model("cnn", shape, 10)
