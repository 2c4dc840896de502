"""MaxPool2D and AvgPool2D against centred finite differences and PyTorch autograd."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from minitwophase import nn

POOLS = [nn.MaxPool2D, nn.AvgPool2D]


@st.composite
def pool_cases(draw, cls):
    """(layer, x): stride below, at and above the kernel (overlapping, tiling, gaps)."""
    n, c, k = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    stride = draw(st.one_of(st.none(), st.integers(1, 3)))
    h, w = draw(st.integers(k, k + 7)), draw(st.integers(k, k + 7))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if cls is nn.MaxPool2D:
        # Distinct values at least 4 / size apart (>> h = 1e-5): no ties, so the max is
        # differentiable and finite differences are valid.
        size = n * c * h * w
        x = rng.permutation(size).reshape(n, c, h, w) * (4.0 / size) - 2.0
    else:
        x = rng.standard_normal((n, c, h, w))
    return cls(k, stride), x


@pytest.mark.parametrize("cls", POOLS)
@given(data=st.data())
def test_pool_gradients_match_finite_differences(cls, data):
    layer, x = data.draw(pool_cases(cls))
    # AvgPool is linear: exact centred differences at any step, and h = 1 keeps rounding noise
    # negligible. MaxPool needs a step below the gap between values (see pool_cases).
    h = 1.0 if cls is nn.AvgPool2D else 1e-5
    assert nn.check_layer(layer, x, h=h, norm=True)["x"] < 1e-9


def torch_pool(layer, x, dout):
    torch = pytest.importorskip("torch")
    fn = {nn.MaxPool2D: torch.nn.functional.max_pool2d,
          nn.AvgPool2D: torch.nn.functional.avg_pool2d}[type(layer)]
    xt = torch.tensor(x, requires_grad=True)
    out = fn(xt, layer.kernel_size, layer.stride)
    out.backward(torch.tensor(dout))
    return out.detach().numpy(), xt.grad.numpy()


@pytest.mark.parametrize("cls", POOLS)
@given(data=st.data())
def test_pool_matches_torch_float64(cls, data):
    pytest.importorskip("torch")
    layer, x = data.draw(pool_cases(cls))
    out, cache = layer.forward({}, x)
    dout = np.random.default_rng(1).standard_normal(out.shape)
    dx, grads = layer.backward({}, dout, cache)
    ref_out, ref_dx = torch_pool(layer, x, dout)
    assert grads == {} and out.shape == ref_out.shape
    np.testing.assert_allclose(out, ref_out, rtol=1e-12, atol=0)
    np.testing.assert_allclose(dx, ref_dx, rtol=1e-10, atol=1e-15)


@given(k=st.integers(1, 3), stride=st.integers(1, 3), seed=st.integers(0, 2**32 - 1))
def test_maxpool_ties_route_like_torch(k, stride, seed):
    """Many ties (values in {0, 1, 2}) and overlapping windows: the same routing as torch."""
    pytest.importorskip("torch")
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 3, (2, 2, 7, 6)).astype(np.float64)
    layer = nn.MaxPool2D(k, stride)
    out, cache = layer.forward({}, x)
    dout = rng.standard_normal(out.shape)
    ref_out, ref_dx = torch_pool(layer, x, dout)
    np.testing.assert_array_equal(out, ref_out)
    dx, _ = layer.backward({}, dout, cache)
    np.testing.assert_allclose(dx, ref_dx, rtol=1e-12, atol=0)
    assert np.count_nonzero(dx) <= out.size


def test_maxpool_tie_rule_is_first_max_in_row_major_order():
    x = np.array([[[[0.0, 5.0, 1.0], [5.0, 5.0, 0.0], [0.0, 0.0, 5.0]]]])
    layer = nn.MaxPool2D(2, stride=1)
    out, cache = layer.forward({}, x)
    dx, _ = layer.backward({}, np.ones_like(out), cache)
    assert out.tolist() == [[[[5.0, 5.0], [5.0, 5.0]]]]
    # Windows at (0,0) and (0,1) pick x[0,1]; (1,0) picks x[1,0]; (1,1) picks x[1,1].
    assert dx[0, 0].tolist() == [[0, 2, 0], [1, 1, 0], [0, 0, 0]]


def test_maxpool_kernel_above_16_keeps_exact_offsets():
    x = np.zeros((1, 1, 17, 17))
    x[0, 0, 16, 15] = 1.0  # offset 16 * 17 + 15 = 287 does not fit in uint8
    layer = nn.MaxPool2D(17)
    out, cache = layer.forward({}, x)
    dx, _ = layer.backward({}, np.full(out.shape, 3.0), cache)
    assert out.item() == 1.0 and dx[0, 0, 16, 15] == 3.0 and dx.sum() == 3.0


@pytest.mark.parametrize("cls", POOLS)
def test_default_stride_and_output_shape(cls):
    layer = cls(2)
    assert layer.stride == 2 and layer.param_shapes() == {}
    assert layer.output_shape((3, 7, 8)) == (3, 3, 4)
    assert cls(3, stride=1).output_shape((3, 7, 8)) == (3, 5, 6)
    out, _ = layer.forward({}, np.zeros((2, 3, 7, 8)))
    assert out.shape == (2, 3, 3, 4)


@pytest.mark.parametrize("cls", POOLS)
def test_float32_in_float32_out(cls):
    x = np.random.default_rng(0).standard_normal((2, 3, 6, 6)).astype(np.float32)
    out, cache = cls(2).forward({}, x)
    dx, _ = cls(2).backward({}, np.ones_like(out), cache)
    assert out.dtype == dx.dtype == np.float32
    ref, _ = cls(2).forward({}, x.astype(np.float64))
    np.testing.assert_allclose(out, ref, rtol=1e-6)


@pytest.mark.parametrize("cls", POOLS)
def test_need_dx_false(cls):
    out, cache = cls(2).forward({}, np.ones((1, 1, 4, 4)))
    assert cls(2).backward({}, out, cache, need_dx=False) == (None, {})


@pytest.mark.parametrize("cls", POOLS)
@pytest.mark.parametrize("args, error, match", [
    ((0,), ValueError, "kernel_size must be >= 1, got 0"),
    ((2, 0), ValueError, "stride must be >= 1, got 0"),
    ((2.0,), TypeError, "kernel_size must be an int"),
])
def test_bad_constructor_arguments(cls, args, error, match):
    with pytest.raises(error, match=cls.__name__ + " " + match):
        cls(*args)


@pytest.mark.parametrize("cls", POOLS)
def test_bad_input_shapes(cls):
    layer = cls(3)
    with pytest.raises(ValueError, match=r"H x W = 2 x 5 \(padding 0\) is smaller than the 3 x 3 kernel"):
        layer.forward({}, np.zeros((1, 1, 2, 5)))
    with pytest.raises(ValueError, match=r"expects x of shape \(N, C, H, W\), got shape \(4, 5\)"):
        layer.forward({}, np.zeros((4, 5)))
    with pytest.raises(ValueError, match=r"per-sample shape \(C, H, W\), got \(5, 5\)"):
        layer.output_shape((5, 5))
