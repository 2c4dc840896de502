"""Losses against finite differences, closed forms and their stability."""
import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from minitwophase import nn


def _labels(rng, n, c):
    return rng.integers(0, c, size=n)


@given(n=st.integers(1, 8), c=st.integers(2, 6), seed=st.integers(0, 2**32 - 1), scale=st.sampled_from([0.1, 1.0, 30.0]))
def test_loss_gradients_match_finite_differences(n, c, seed, scale):
    rng = np.random.default_rng(seed)
    out, y = rng.standard_normal((n, c)) * scale, _labels(rng, n, c)
    for loss in (nn.cross_entropy, nn.mse):
        value, dout = loss(out, y)
        numeric = nn.numerical_gradient(lambda z: loss(z, y)[0], out)
        # Centred differences carry rounding noise ~ eps |f| / h, so the bound scales with |f|.
        np.testing.assert_allclose(dout, numeric, rtol=1e-6, atol=1e-9 * max(1.0, abs(value)))


def test_cross_entropy_matches_direct_formula_and_is_stable():
    rng = np.random.default_rng(0)
    z, y = rng.standard_normal((5, 4)), np.array([0, 3, 1, 2, 3])
    p = np.exp(z) / np.exp(z).sum(1, keepdims=True)
    assert np.isclose(nn.cross_entropy(z, y)[0], -np.mean(np.log(p[np.arange(5), y])), rtol=1e-14)
    huge = np.array([[1000.0, 0.0], [0.0, -1000.0]])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        value, grad = nn.cross_entropy(huge, np.array([1, 1]))
    assert np.isclose(value, (1000.0 + 1000.0) / 2)
    assert np.all(np.isfinite(grad))


def test_mse_is_mean_over_all_elements_of_one_hot_error():
    out, y = np.array([[0.5, 0.2, 0.1], [0.0, 1.0, 3.0]]), np.array([0, 2])
    onehot = np.eye(3)[y]
    assert np.isclose(nn.mse(out, y)[0], np.sum((out - onehot) ** 2) / 6, rtol=1e-15)


def test_losses_leave_outputs_untouched():
    rng = np.random.default_rng(1)
    out, y = rng.standard_normal((3, 4)), np.array([1, 2, 3])
    kept = out.copy()
    nn.cross_entropy(out, y), nn.mse(out, y)
    assert np.array_equal(out, kept)
