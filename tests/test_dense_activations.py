"""Dense and the activations against centred finite differences (hypothesis-drawn shapes)."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from minitwophase import nn

ACTIVATIONS = [nn.ReLU, nn.Tanh, nn.Sigmoid, nn.GELU]


@given(n=st.integers(1, 6), n_in=st.integers(1, 7), n_out=st.integers(1, 7), seed=st.integers(0, 2**32 - 1))
def test_dense_gradients_match_finite_differences(n, n_in, n_out, seed):
    x = np.random.default_rng(seed).standard_normal((n, n_in))
    # Dense is linear in x, W and b: exact centred differences at any step, so h = 1 keeps
    # rounding noise (~eps |L| / h) far below even a gradient that cancels to near zero.
    errors = nn.check_layer(nn.Dense(n_in, n_out), x, seed=seed, h=1.0, norm=True)
    assert max(errors.values()) < 1e-8, errors


@pytest.mark.parametrize("cls", ACTIVATIONS)
@given(shape=st.lists(st.integers(1, 5), min_size=2, max_size=4), seed=st.integers(0, 2**32 - 1))
def test_activation_gradients_match_finite_differences(cls, shape, seed):
    x = np.random.default_rng(seed).standard_normal(shape) * 2
    if cls is nn.ReLU:  # keep away from the kink, where the derivative is undefined
        x = np.where(np.abs(x) < 1e-3, 0.5, x)
    assert nn.check_layer(cls(), x, seed=seed, norm=True)["x"] < 1e-8


def test_activation_values_match_closed_forms():
    from scipy.special import erfc

    x = np.linspace(-40, 40, 801)
    assert np.array_equal(nn.ReLU().forward({}, x)[0], np.where(x > 0, x, 0.0))
    np.testing.assert_allclose(nn.Tanh().forward({}, x)[0], np.tanh(x), rtol=0, atol=0)
    np.testing.assert_allclose(nn.GELU().forward({}, x)[0], x * 0.5 * erfc(-x / np.sqrt(2)), rtol=1e-12, atol=0)
    sig = nn.Sigmoid().forward({}, x)[0]
    np.testing.assert_allclose(sig, 1 / (1 + np.exp(-x)), rtol=1e-14)
    with np.errstate(over="raise", invalid="raise"):  # the stable form never overflows
        assert np.all(np.isfinite(nn.Sigmoid().forward({}, np.array([-1000.0, 1000.0]))[0]))


def test_dense_backward_writes_into_given_buffers():
    layer, rng = nn.Dense(3, 2), np.random.default_rng(0)
    params = {"W": rng.standard_normal((3, 2)), "b": rng.standard_normal(2)}
    flat = np.zeros(8)
    grads = {"W": flat[:6].reshape(3, 2), "b": flat[6:]}
    x = rng.standard_normal((4, 3))
    out, cache = layer.forward(params, x)
    dout = rng.standard_normal(out.shape)
    _, returned = layer.backward(params, dout, cache, grads=grads)
    assert returned["W"] is grads["W"]
    np.testing.assert_allclose(flat[:6].reshape(3, 2), x.T @ dout, rtol=1e-14)
    np.testing.assert_allclose(flat[6:], dout.sum(0), rtol=1e-14)


@pytest.mark.parametrize("bad", [0, -3, 2.5, "4", True])
def test_dense_rejects_bad_sizes(bad):
    with pytest.raises((ValueError, TypeError), match="n_in"):
        nn.Dense(bad, 3)
