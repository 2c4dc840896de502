"""Token layers (LayerNorm, SelfAttention, Residual, PatchEmbedding, TokenPool, ZeroPad2D) alone:
centred finite differences on hypothesis-drawn shapes, layouts, and bad inputs."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from minitwophase import nn

SHAPES = dict(n=st.integers(1, 3), t=st.integers(1, 5), heads=st.integers(1, 3), dh=st.integers(1, 3),
              seed=st.integers(0, 10_000))


def assert_fd(layer, x, seed=0, zero=()):
    """Every gradient against finite differences, norm-wise; ``zero``: params whose exact gradient is 0."""
    errors = nn.check_layer(layer, x, seed=seed, norm=True)
    for name in zero:
        errors.pop(name)
    assert max(errors.values()) < 1e-7, errors


@given(**SHAPES)
def test_layernorm_gradients(n, t, heads, dh, seed):
    rng = np.random.default_rng(seed)
    assert_fd(nn.LayerNorm(heads * dh + 1), rng.standard_normal((n, t, heads * dh + 1)), seed)


def test_layernorm_forward_normalises_last_axis():
    x = np.random.default_rng(0).standard_normal((4, 3, 6)) * 5 + 2
    layer = nn.LayerNorm(6, eps=1e-5)
    out, _ = layer.forward({"gamma": np.ones(6), "beta": np.zeros(6)}, x)
    # independent formula: biased variance over the last axis
    ref = (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + 1e-5)
    np.testing.assert_allclose(out, ref, rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("shared_qk,value", [(False, True), (True, True), (True, False), (False, False)])
@given(bias=st.booleans(), **SHAPES)
def test_attention_gradients(shared_qk, value, bias, n, t, heads, dh, seed):
    layer = nn.SelfAttention(heads * dh, heads, shared_qk=shared_qk, value=value, bias=bias)
    x = np.random.default_rng(seed).standard_normal((n, t, heads * dh))
    # bk shifts every key score of a query by the same amount: softmax ignores it, dL/dbk = 0.
    zero = ("bk",) if bias and not shared_qk else ()
    assert_fd(layer, x, seed, zero)
    if zero:
        params = {k: np.random.default_rng(seed).standard_normal(s) for k, s in layer.param_shapes().items()}
        out, cache = layer.forward(params, x)
        _, grads = layer.backward(params, np.ones_like(out), cache)
        assert np.abs(grads["bk"]).max() <= 1e-12 * max(1.0, np.abs(grads["Wk"]).max())


def attention_by_loops(layer, p, x):
    """One query, one head at a time: the definition written out (a slow, independent reference)."""
    n, t, d = x.shape
    dh = d // layer.heads
    b = (lambda k: p["b" + k]) if layer.bias else (lambda k: 0.0)
    out = np.zeros_like(x)
    for s in range(n):
        Q = x[s] @ p["Wq"] + b("q")
        K = Q if layer.shared_qk else x[s] @ p["Wk"] + b("k")
        V = x[s] @ p["Wv"] + b("v") if layer.value else x[s]
        concat = np.zeros((t, d))
        for h in range(layer.heads):
            cols = slice(h * dh, (h + 1) * dh)
            for i in range(t):
                scores = np.array([Q[i, cols] @ K[j, cols] for j in range(t)]) / np.sqrt(dh)
                w = np.exp(scores - scores.max())
                concat[i, cols] = (w / w.sum()) @ V[:, cols]
        out[s] = concat @ p["Wo"] + b("o") if layer.value else concat
    return out


@pytest.mark.parametrize("shared_qk,value,bias", [(False, True, False), (True, True, True), (True, False, False),
                                                  (False, False, True)])
def test_attention_forward_matches_the_definition(shared_qk, value, bias):
    layer = nn.SelfAttention(6, 3, shared_qk=shared_qk, value=value, bias=bias)
    rng = np.random.default_rng(1)
    p = {k: rng.standard_normal(s) for k, s in layer.param_shapes().items()}
    x = rng.standard_normal((2, 4, 6))
    np.testing.assert_allclose(layer.forward(p, x)[0], attention_by_loops(layer, p, x), rtol=1e-12, atol=1e-12)


def test_attention_param_order_and_wvwo_is_a_convex_combination():
    assert list(nn.SelfAttention(4, 2).param_shapes()) == ["Wq", "Wk", "Wv", "Wo"]
    assert list(nn.SelfAttention(4, 2, bias=True).param_shapes()) == ["Wq", "bq", "Wk", "bk", "Wv", "bv", "Wo", "bo"]
    assert list(nn.SelfAttention(4, 2, shared_qk=True).param_shapes()) == ["Wq", "Wv", "Wo"]
    assert list(nn.SelfAttention(4, 2, shared_qk=True, value=False).param_shapes()) == ["Wq"]
    # value=False: each output token lies in the convex hull of the input tokens (per head slice)
    layer = nn.SelfAttention(4, 1, shared_qk=True, value=False)
    x = np.random.default_rng(0).standard_normal((1, 5, 4))
    out, _ = layer.forward({"Wq": np.eye(4)}, x)
    assert np.all(out.max(axis=1) <= x.max(axis=1) + 1e-12) and np.all(out.min(axis=1) >= x.min(axis=1) - 1e-12)


@given(**SHAPES)
def test_residual_gradients_and_names(n, t, heads, dh, seed):
    d = heads * dh
    layer = nn.Residual([nn.LayerNorm(d), nn.Dense(d, 3), nn.GELU(), nn.Dense(3, d)])
    assert list(layer.param_shapes()) == ["0.gamma", "0.beta", "1.W", "1.b", "3.W", "3.b"]
    assert_fd(layer, np.random.default_rng(seed).standard_normal((n, t, d)), seed)


def test_residual_in_sequential_views_and_init():
    net = nn.Sequential([nn.Residual([nn.LayerNorm(4), nn.SelfAttention(4, 2)]), nn.TokenPool(), nn.Dense(4, 2)])
    theta = net.init(0)
    views = net.unflatten(theta)
    assert list(views[0]) == ["0.gamma", "0.beta", "1.Wq", "1.Wk", "1.Wv", "1.Wo"]
    np.testing.assert_array_equal(views[0]["0.gamma"], 1.0)
    views[0]["1.Wq"][0, 0] = 123.0
    assert theta[8] == 123.0  # a view: gamma (4) and beta (4) come first
    np.testing.assert_array_equal(net.init(0), net.init(0))  # same seed, same theta, bit for bit


@given(n=st.integers(1, 3), c=st.integers(1, 2), p=st.integers(1, 3), hp=st.integers(1, 2), wp=st.integers(1, 3),
       dim=st.integers(1, 4), cls=st.booleans(), pos=st.booleans(), seed=st.integers(0, 10_000))
def test_patch_embedding_gradients(n, c, p, hp, wp, dim, cls, pos, seed):
    layer = nn.PatchEmbedding(c, p, dim, class_token=cls, positions=hp * wp + cls if pos else None)
    x = np.random.default_rng(seed).standard_normal((n, c, hp * p, wp * p))
    assert layer.output_shape(x.shape[1:]) == (hp * wp + cls, dim)
    assert_fd(layer, x, seed)


def test_patch_embedding_layout():
    """Patches row-major, each flattened (c, i, j), class token first: checked patch by patch."""
    layer = nn.PatchEmbedding(2, 2, 3, class_token=True)
    rng = np.random.default_rng(0)
    p = {k: rng.standard_normal(s) for k, s in layer.param_shapes().items()}
    x = rng.standard_normal((1, 2, 4, 6))
    out, _ = layer.forward(p, x)
    np.testing.assert_array_equal(out[0, 0], p["cls"])
    k = 1
    for r in range(2):
        for col in range(3):
            patch = x[0, :, 2 * r:2 * r + 2, 2 * col:2 * col + 2].reshape(-1)
            np.testing.assert_allclose(out[0, k], patch @ p["W"] + p["b"], rtol=1e-14)
            k += 1


@pytest.mark.parametrize("mode", ["class", "mean"])
@given(**SHAPES)
def test_token_pool_gradients(mode, n, t, heads, dh, seed):
    assert_fd(nn.TokenPool(mode), np.random.default_rng(seed).standard_normal((n, t, heads * dh)), seed)


@given(n=st.integers(1, 2), c=st.integers(1, 2), pads=st.tuples(*[st.integers(0, 2)] * 4), seed=st.integers(0, 99))
def test_zero_pad_gradients(n, c, pads, seed):
    layer = nn.ZeroPad2D(pads)
    x = np.random.default_rng(seed).standard_normal((n, c, 3, 4))
    out, _ = layer.forward({}, x)
    assert out.shape == (n, c, 3 + pads[2] + pads[3], 4 + pads[0] + pads[1])
    assert_fd(layer, x, seed)


@given(**SHAPES)
def test_dense_acts_on_the_last_axis(n, t, heads, dh, seed):
    layer = nn.Dense(heads * dh, 3)
    x = np.random.default_rng(seed).standard_normal((n, t, heads * dh))
    assert layer.output_shape(x.shape[1:]) == (t, 3)
    assert_fd(layer, x, seed)


@pytest.mark.parametrize("make,match", [
    (lambda: nn.SelfAttention(6, 4), r"dim must be divisible by heads, got dim=6 and heads=4"),
    (lambda: nn.SelfAttention(8, 2).output_shape((5, 6)), r"token width must be 8"),
    (lambda: nn.SelfAttention(8, 2).forward({}, np.zeros((2, 5, 6))), r"\(N, T, 8\), got shape \(2, 5, 6\)"),
    (lambda: nn.LayerNorm(8).output_shape((5, 6)), r"last axis, which must be 8"),
    (lambda: nn.LayerNorm(8).forward({}, np.zeros((2, 5, 6))), r"last axis to be 8"),
    (lambda: nn.PatchEmbedding(1, 8, 4).output_shape((1, 28, 28)), r"multiples of the patch 8, got 28x28"),
    (lambda: nn.PatchEmbedding(3, 4, 4).output_shape((1, 8, 8)), r"\(N, 3, H, W\), got \(N, 1, 8, 8\)"),
    (lambda: nn.PatchEmbedding(1, 4, 4, positions=4).output_shape((1, 8, 8)),
     r"positions must equal the token count, 4 patches \+ 1 class token = 5, got positions=4"),
    (lambda: nn.Residual([nn.Dense(4, 3)]).output_shape((5, 4)), r"needs the same shape"),
    (lambda: nn.TokenPool("max"), r"mode must be one of"),
    (lambda: nn.TokenPool().output_shape((4,)), r"tokens of shape \(N, T, D\)"),
    (lambda: nn.ZeroPad2D((1, 2)), r"\(left, right, top, bottom\)"),
    (lambda: nn.ZeroPad2D(-1), r"padding left must be >= 0"),
])
def test_bad_inputs_name_the_problem(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_bad_types():
    with pytest.raises(TypeError, match="shared_qk must be a bool"):
        nn.SelfAttention(4, 2, shared_qk=1)
    with pytest.raises(TypeError, match="Residual layers"):
        nn.Residual([])


def test_sequential_reports_wrong_token_width_by_layer():
    net = nn.Sequential([nn.PatchEmbedding(1, 4, 8), nn.Residual([nn.LayerNorm(6), nn.SelfAttention(6, 2)])])
    with pytest.raises(ValueError, match=r"layer 1 Residual inner layer 0 LayerNorm\(6.*must be 6"):
        net.forward(net.init(0), np.zeros((2, 1, 8, 8)))


@pytest.mark.parametrize("shared_qk,value", [(True, False), (False, True)])
def test_attention_softmax_with_scores_beyond_the_shift_limit(shared_qk, value):
    """Scores of order 1e4 take the max-shifted softmax (nn.attention._SOFTMAX_LIMIT); small ones
    skip the shift. Both equal the definition, which always shifts."""
    layer = nn.SelfAttention(6, 2, shared_qk=shared_qk, value=value)
    rng = np.random.default_rng(3)
    p = {k: rng.standard_normal(s) for k, s in layer.param_shapes().items()}
    for scale in (0.1, 100.0):
        x = scale * rng.standard_normal((3, 5, 6))
        out = layer.forward(p, x)[0]
        assert np.all(np.isfinite(out))
        np.testing.assert_allclose(out, attention_by_loops(layer, p, x), rtol=1e-11, atol=1e-11 * np.abs(out).max())
