"""Flatten: C-order reshape to (N, -1) and its exact inverse in backward."""
import numpy as np
import pytest

from minitwophase import nn


def test_flatten_is_c_order_and_backward_inverts_it():
    x = np.arange(2 * 3 * 4 * 5, dtype=np.float64).reshape(2, 3, 4, 5)
    layer = nn.Flatten()
    out, cache = layer.forward({}, x)
    assert out.shape == (2, 60) and layer.output_shape((3, 4, 5)) == (60,)
    np.testing.assert_array_equal(out[1], x[1].ravel())  # channel-major, as torch.flatten(x, 1)
    dx, grads = layer.backward({}, out * 2, cache)
    assert grads == {} and dx.shape == x.shape
    np.testing.assert_array_equal(dx, x * 2)
    assert layer.backward({}, out, cache, need_dx=False)[0] is None


def test_flatten_matches_torch():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).standard_normal((3, 2, 3, 4))
    np.testing.assert_array_equal(nn.Flatten().forward({}, x)[0], torch.flatten(torch.tensor(x), 1).numpy())


def test_flatten_bad_shapes():
    with pytest.raises(ValueError, match=r"Flatten expects x of shape \(N, ...\) with >= 2 axes, got shape \(5,\)"):
        nn.Flatten().forward({}, np.zeros(5))
    with pytest.raises(ValueError, match="Flatten expects a per-sample shape"):
        nn.Flatten().output_shape(())
