"""Conv2D against centred finite differences and PyTorch autograd (hypothesis-drawn shapes)."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from minitwophase import nn


@st.composite
def conv_cases(draw, max_side=7):
    """(layer, x, params): batch, channels, kernel, stride, padding and H, W (H, W >= kernel)."""
    n, c_in, c_out = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    k, s, p = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(0, 2))
    side = st.integers(max(1, k - 2 * p), max(1, k - 2 * p) + max_side)
    h, w = draw(side), draw(side)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = rng.standard_normal((n, c_in, h, w))
    params = {"W": rng.standard_normal((c_out, c_in, k, k)), "b": rng.standard_normal(c_out)}
    return nn.Conv2D(c_in, c_out, k, stride=s, padding=p), x, params


@given(case=conv_cases())
def test_conv_gradients_match_finite_differences(case):
    layer, x, params = case
    # Norm-wise: an elementwise ratio can be large for an entry that is ~0 by chance.
    # Conv2D is linear in x, W and b, so centred differences have no truncation error at any
    # step; h = 1 leaves only rounding noise ~eps |L| (at h = 1e-5 it is ~1e5 times larger and
    # swamps a gradient that cancels to ~1e-4, e.g. k=1, stride 2, padding 1).
    errors = nn.check_layer(layer, x, params, h=1.0, norm=True)
    assert max(errors.values()) < 1e-9, errors


@given(case=conv_cases(max_side=9))
def test_conv_matches_torch_float64(case):
    torch = pytest.importorskip("torch")
    layer, x, params = case
    out, cache = layer.forward(params, x)
    dout = np.random.default_rng(1).standard_normal(out.shape)
    dx, grads = layer.backward(params, dout, cache)

    xt = torch.tensor(x, requires_grad=True)
    Wt, bt = (torch.tensor(params[k], requires_grad=True) for k in ("W", "b"))
    ref = torch.nn.functional.conv2d(xt, Wt, bt, stride=layer.stride, padding=layer.padding)
    ref.backward(torch.tensor(dout))
    for ours, theirs in [(out, ref), (dx, xt.grad), (grads["W"], Wt.grad), (grads["b"], bt.grad)]:
        theirs = theirs.detach().numpy()
        assert ours.shape == theirs.shape
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12 * np.abs(theirs).max())


def test_output_shape_and_forward_shape_agree():
    layer = nn.Conv2D(3, 5, 3, stride=2, padding=1)
    assert layer.output_shape((3, 9, 8)) == (5, 5, 4)  # (9 + 2 - 3) // 2 + 1, (8 + 2 - 3) // 2 + 1
    x = np.zeros((2, 3, 9, 8))
    params = {"W": np.zeros((5, 3, 3, 3)), "b": np.zeros(5)}
    assert layer.forward(params, x)[0].shape == (2, 5, 5, 4)
    assert layer.param_shapes() == {"W": (5, 3, 3, 3), "b": (5,)}


def test_backward_writes_into_given_views_and_skips_dx():
    rng = np.random.default_rng(0)
    layer = nn.Conv2D(2, 3, 2)
    params = {"W": rng.standard_normal((3, 2, 2, 2)), "b": rng.standard_normal(3)}
    x = rng.standard_normal((4, 2, 5, 5))
    out, cache = layer.forward(params, x)
    dout = rng.standard_normal(out.shape)
    _, expected = layer.backward(params, dout, cache)
    flat = np.zeros(3 * 2 * 2 * 2 + 3)
    views = {"W": flat[:24].reshape(3, 2, 2, 2), "b": flat[24:]}
    dx, grads = layer.backward(params, dout, cache, grads=views, need_dx=False)
    assert dx is None and grads["W"] is views["W"]
    np.testing.assert_array_equal(flat, np.concatenate([expected["W"].ravel(), expected["b"]]))


def test_float32_in_float32_out():
    rng = np.random.default_rng(0)
    layer = nn.Conv2D(2, 3, 3, padding=1)
    p64 = {"W": rng.standard_normal((3, 2, 3, 3)), "b": rng.standard_normal(3)}
    x64 = rng.standard_normal((2, 2, 6, 6))
    p32 = {k: v.astype(np.float32) for k, v in p64.items()}
    out32, cache = layer.forward(p32, x64.astype(np.float32))
    dx32, g32 = layer.backward(p32, np.ones_like(out32), cache)
    out64, cache = layer.forward(p64, x64)
    dx64, g64 = layer.backward(p64, np.ones_like(out64), cache)
    assert out32.dtype == dx32.dtype == g32["W"].dtype == g32["b"].dtype == np.float32
    np.testing.assert_allclose(out32, out64, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(dx32, dx64, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(g32["W"], g64["W"], rtol=1e-4, atol=1e-4)


def test_init_uses_fan_in_and_fan_out():
    layer = nn.Conv2D(4, 6, 3)
    params = {"W": np.empty((6, 4, 3, 3)), "b": np.ones(6)}
    layer.init_params(params, np.random.default_rng(0), "glorot")
    limit = np.sqrt(6.0 / (4 * 9 + 6 * 9))
    assert np.abs(params["W"]).max() <= limit and np.abs(params["W"]).max() > 0.9 * limit
    assert not params["b"].any()
    layer.init_params(params, np.random.default_rng(0), "he")
    assert 0.8 < params["W"].std() / np.sqrt(2.0 / 36) < 1.2


@pytest.mark.parametrize("args, error, match", [
    ((0, 2, 3), ValueError, "c_in must be >= 1"),
    ((1, 0, 3), ValueError, "c_out must be >= 1"),
    ((1, 2, 0), ValueError, "kernel_size must be >= 1"),
    ((1, 2, 3, 0), ValueError, "stride must be >= 1"),
    ((1, 2, 3, 1, -1), ValueError, "padding must be >= 0"),
    ((1, 2, 2.5), TypeError, "kernel_size must be an int"),
])
def test_bad_constructor_arguments(args, error, match):
    with pytest.raises(error, match=match):
        nn.Conv2D(*args)


@pytest.mark.parametrize("shape, match", [
    ((2, 3, 8, 8), r"expects 2 input channels, got shape \(3, 8, 8\) with 3 channels"),
    ((2, 2, 2, 8), r"H x W = 2 x 8 \(padding 0\) is smaller than the 3 x 3 kernel"),
    ((2, 8, 8), r"expects x of shape \(N, C, H, W\), got shape \(2, 8, 8\)"),
])
def test_bad_input_shapes(shape, match):
    layer = nn.Conv2D(2, 4, 3)
    params = {"W": np.zeros((4, 2, 3, 3)), "b": np.zeros(4)}
    with pytest.raises(ValueError, match=r"Conv2D\(2, 4, .*" + match):
        layer.forward(params, np.zeros(shape))


@pytest.mark.parametrize("in_shape, match", [
    ((3, 8, 8), "expects 2 input channels"),
    ((2, 8, 2), "is smaller than the 3 x 3 kernel"),
    ((2, 8), r"expects per-sample shape \(C, H, W\), got \(2, 8\)"),
])
def test_output_shape_rejects_bad_shapes(in_shape, match):
    with pytest.raises(ValueError, match=match):
        nn.Conv2D(2, 4, 3).output_shape(in_shape)


def test_padding_makes_a_small_input_fit():
    assert nn.Conv2D(1, 1, 3, padding=1).output_shape((1, 1, 1)) == (1, 1, 1)
