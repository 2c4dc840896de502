"""Token layers and the paper's models against PyTorch float64 autograd (torch's own layer_norm,
scaled_dot_product_attention and strided conv2d), parameters read from the same theta."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minitwophase import nn
from minitwophase.models import build_model

torch = pytest.importorskip("torch")
from test_torch_networks import assert_matches_torch  # noqa: E402


@pytest.mark.parametrize("loss", ["cross_entropy", "mse"])
@given(n=st.integers(1, 4), t=st.integers(1, 6), heads=st.integers(1, 3), dh=st.integers(1, 4),
       shared_qk=st.booleans(), value=st.booleans(), bias=st.booleans(), pool=st.sampled_from(["class", "mean"]),
       seed=st.integers(0, 10_000))
def test_attention_block_matches_torch(loss, n, t, heads, dh, shared_qk, value, bias, pool, seed):
    d = heads * dh
    net = nn.Sequential([
        nn.Dense(3, d),
        nn.Residual([nn.LayerNorm(d), nn.SelfAttention(d, heads, shared_qk=shared_qk, value=value, bias=bias)]),
        nn.Residual([nn.LayerNorm(d), nn.Dense(d, 5), nn.GELU(), nn.Dense(5, d)]),
        nn.LayerNorm(d), nn.TokenPool(pool), nn.Dense(d, 4)])
    rng = np.random.default_rng(seed)
    theta = net.init(seed) + 0.1 * rng.standard_normal(net.size)  # non-trivial LayerNorm and biases
    X, y = rng.standard_normal((n, t, 3)), rng.integers(0, 4, n)
    assert_matches_torch(net, theta, X, y, loss)


@pytest.mark.parametrize("loss", ["cross_entropy", "mse"])
@given(n=st.integers(1, 3), c=st.integers(1, 3), p=st.integers(1, 4), hp=st.integers(1, 3), wp=st.integers(1, 3),
       dim=st.integers(1, 6), cls=st.booleans(), pos=st.booleans(), pads=st.tuples(*[st.integers(0, 2)] * 4),
       seed=st.integers(0, 10_000))
def test_patch_embedding_matches_torch_conv(loss, n, c, p, hp, wp, dim, cls, pos, pads, seed):
    net = nn.Sequential([nn.PatchEmbedding(c, p, dim, class_token=cls, positions=hp * wp + cls if pos else None),
                         nn.TokenPool("mean"), nn.Dense(dim, 3)])
    rng = np.random.default_rng(seed)
    theta = net.init(seed) + 0.1 * rng.standard_normal(net.size)
    X, y = rng.standard_normal((n, c, hp * p, wp * p)), rng.integers(0, 3, n)
    assert_matches_torch(net, theta, X, y, loss)
    left, right, top, bottom = pads  # ZeroPad2D against torch's F.pad
    padded = nn.Sequential([nn.ZeroPad2D(pads), nn.Flatten(),
                            nn.Dense(c * (hp * p + top + bottom) * (wp * p + left + right), 3)])
    assert_matches_torch(padded, padded.init(seed), X, y, loss)


MODELS = ["vit-mlp", "vit-nomlp", "vit-nomlp-wkewq", "vit-nomlp-wkewq-wvwo", "vgg5"]


@pytest.mark.parametrize("model", MODELS)
def test_paper_models_match_torch_on_mnist_shaped_input(model):
    """The full-size models of Table 1 on a few 28x28 images, both losses."""
    net = build_model(model, (1, 28, 28), 10)
    rng = np.random.default_rng(0)
    X, y = rng.random((6, 1, 28, 28)), rng.integers(0, 10, 6)
    theta = net.init(1) + 0.02 * rng.standard_normal(net.size)
    for loss in ("cross_entropy", "mse"):
        assert_matches_torch(net, theta, X, y, loss)


@pytest.mark.parametrize("variant", MODELS[:4])
@settings(max_examples=10)
@given(n=st.integers(1, 4), depth=st.integers(1, 2), heads=st.integers(1, 3), dh=st.integers(1, 4),
       patch=st.sampled_from([2, 4, 8]), pos=st.integers(0, 1), bias=st.integers(0, 1), seed=st.integers(0, 10_000))
def test_vit_options_match_torch(variant, n, depth, heads, dh, patch, pos, bias, seed):
    spec = f"{variant}:depth={depth},heads={heads},width={heads * dh},patch={patch},pos={pos},bias={bias}"
    net = build_model(spec, (2, 9, 10), 5)
    rng = np.random.default_rng(seed)
    theta = net.init(seed) + 0.1 * rng.standard_normal(net.size)
    X, y = rng.random((n, 2, 9, 10)), rng.integers(0, 5, n)
    for loss in ("cross_entropy", "mse"):
        assert_matches_torch(net, theta, X, y, loss)
