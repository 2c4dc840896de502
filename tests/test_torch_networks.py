"""Whole networks against PyTorch autograd in float64: loss and every gradient entry."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from minitwophase import nn

torch = pytest.importorskip("torch")
from torch_reference import torch_loss_and_grad  # noqa: E402

ACTS = [nn.ReLU, nn.Tanh, nn.Sigmoid, nn.GELU]


def assert_matches_torch(net, theta, X, y, loss):
    value, grad = net.loss_and_grad(theta, X, y, loss=loss)
    ref_value, ref_grad = torch_loss_and_grad(net, theta, X, y, loss)
    assert np.isclose(value, ref_value, rtol=1e-12, atol=0)
    assert nn.relative_error(grad, ref_grad, norm=True) < 1e-10
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-7, atol=1e-12 * np.abs(ref_grad).max())


@pytest.mark.parametrize("loss", ["cross_entropy", "mse"])
@given(n=st.integers(1, 16), widths=st.lists(st.integers(1, 12), min_size=1, max_size=3),
       act=st.sampled_from(ACTS), seed=st.integers(0, 10_000))
def test_mlp_matches_torch(loss, n, widths, act, seed):
    sizes = [7, *widths, 4]
    layers = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        layers += [nn.Dense(a, b), act()]
    net = nn.Sequential(layers[:-1])
    rng = np.random.default_rng(seed)
    X, y = rng.standard_normal((n, 7)), rng.integers(0, 4, n)
    assert_matches_torch(net, net.init(seed), X, y, loss)


@pytest.mark.parametrize("loss", ["cross_entropy", "mse"])
@given(n=st.integers(1, 5), c=st.integers(1, 3), k=st.integers(1, 3), stride=st.integers(1, 2),
       padding=st.integers(0, 2), pool=st.sampled_from([nn.MaxPool2D, nn.AvgPool2D]),
       pool_k=st.integers(1, 2), act=st.sampled_from(ACTS), seed=st.integers(0, 10_000))
def test_cnn_matches_torch(loss, n, c, k, stride, padding, pool, pool_k, act, seed):
    size = 9
    conv_out = (size + 2 * padding - k) // stride + 1
    pooled = (conv_out - pool_k) // pool_k + 1
    net = nn.Sequential([nn.Conv2D(c, 3, k, stride=stride, padding=padding), act(), pool(pool_k),
                         nn.Flatten(), nn.Dense(3 * pooled * pooled, 5)])
    rng = np.random.default_rng(seed)
    X, y = rng.standard_normal((n, c, size, size)), rng.integers(0, 5, n)
    assert_matches_torch(net, net.init(seed), X, y, loss)


def test_paper_style_small_cnn_matches_torch():
    """The benchmark's CNN shape on a few 28x28 images, overlapping max pooling included."""
    net = nn.Sequential([nn.Conv2D(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2D(3, stride=2),
                         nn.Conv2D(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2D(2),
                         nn.Flatten(), nn.Dense(16 * 6 * 6, 10)])
    rng = np.random.default_rng(0)
    X, y = rng.random((6, 1, 28, 28)), rng.integers(0, 10, 6)
    for loss in ("cross_entropy", "mse"):
        assert_matches_torch(net, net.init(1), X, y, loss)
