"""Sequential: the public contract (size, init, views, flat order) and its input checks."""
import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from minitwophase import nn


def mlp(n_in=6, hidden=5, n_out=3, act=nn.Tanh):
    return nn.Sequential([nn.Dense(n_in, hidden), act(), nn.Dense(hidden, n_out)])


def data(n=7, n_in=6, n_out=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, n_in)), rng.integers(0, n_out, n)


def test_size_and_flat_order_follow_the_contract():
    net = mlp()
    assert net.size == 6 * 5 + 5 + 5 * 3 + 3
    theta = np.arange(net.size, dtype=float)
    p = net.unflatten(theta)
    assert [list(d) for d in p] == [["W", "b"], [], ["W", "b"]]
    assert np.array_equal(p[0]["W"], np.arange(30.0).reshape(6, 5))  # W first, C order
    assert np.array_equal(p[0]["b"], np.arange(30.0, 35.0))
    assert np.array_equal(p[2]["W"], np.arange(35.0, 50.0).reshape(5, 3))


def test_unflatten_returns_views_into_theta():
    net = mlp()
    theta = net.init(seed=0)
    p = net.unflatten(theta)
    assert all(np.shares_memory(v, theta) for d in p for v in d.values())
    p[2]["b"][1] = 42.0
    assert theta[-2] == 42.0


def test_init_is_deterministic_and_follows_the_activation():
    wide = nn.Sequential([nn.Dense(400, 300), nn.ReLU(), nn.Dense(300, 200), nn.Tanh(), nn.Dense(200, 10)])
    a, b, c = wide.init(seed=3), wide.init(seed=3), wide.init(seed=4)
    assert a.dtype == np.float64 and np.array_equal(a, b) and not np.array_equal(a, c)
    p = wide.unflatten(a)
    assert np.isclose(p[0]["W"].std(), np.sqrt(2 / 400), rtol=0.02)  # He before ReLU
    assert np.isclose(p[2]["W"].std(), np.sqrt(2 / 500), rtol=0.02)  # Glorot uniform: var 2/(in+out)
    assert np.abs(p[2]["W"]).max() <= np.sqrt(6 / 500)
    assert not p[0]["b"].any() and not p[4]["b"].any()


def test_forward_matches_hand_computation():
    net = mlp(act=nn.Sigmoid)
    theta = net.init(seed=1)
    X, _ = data()
    p = net.unflatten(theta)
    hidden = 1 / (1 + np.exp(-(X @ p[0]["W"] + p[0]["b"])))
    np.testing.assert_allclose(net.forward(theta, X), hidden @ p[2]["W"] + p[2]["b"], rtol=1e-13)


@pytest.mark.parametrize("loss", ["cross_entropy", "mse"])
@example(n=1, hidden=1, seed=446, act=nn.GELU)   # a tiny gradient (cross_entropy)
@given(n=st.integers(1, 9), hidden=st.integers(1, 6), seed=st.integers(0, 1000),
       act=st.sampled_from([nn.Tanh, nn.Sigmoid, nn.GELU]))
def test_network_gradient_matches_finite_differences(loss, n, hidden, seed, act):
    net = nn.Sequential([nn.Dense(4, hidden), act(), nn.Dense(hidden, hidden), act(), nn.Dense(hidden, 3)])
    X, y = data(n, 4, 3, seed)
    theta, h = net.init(seed), 1e-5
    value, grad = net.loss_and_grad(theta, X, y, loss=loss)
    numeric = nn.numerical_gradient(lambda t: net.loss_value(t, X, y, loss=loss), theta, h)
    # Centred differences carry rounding noise ~eps * max(1, |f|) / h per coordinate (f is
    # computed from O(1) logits even when it is tiny): it dominates when the gradient is small,
    # e.g. 1 hidden GELU unit, seed 446, |g| = 7e-4, where our gradient equals torch's to 8e-16.
    noise = 10 * np.finfo(float).eps * max(1.0, abs(value)) / h * np.sqrt(theta.size)
    assert np.linalg.norm(grad - numeric) <= 1e-8 * (np.linalg.norm(grad) + np.linalg.norm(numeric)) + noise


@given(chunk=st.integers(1, 12))
def test_chunked_gradient_equals_full_batch(chunk):
    net = mlp()
    theta = net.init(0)
    X, y = data(11)
    full = net.loss_and_grad(theta, X, y, loss="mse", chunk_size=11)  # one piece
    part = net.loss_and_grad(theta, X, y, loss="mse", chunk_size=chunk)
    assert np.isclose(full[0], part[0], rtol=1e-14)
    np.testing.assert_allclose(full[1], part[1], rtol=1e-12, atol=1e-16)


def test_float32_is_an_explicit_option():
    net32 = nn.Sequential([nn.Dense(6, 5), nn.Tanh(), nn.Dense(5, 3)], dtype=np.float32)
    theta = net32.init(0)
    X, y = data()
    loss, grad = net32.loss_and_grad(theta, X, y)
    assert theta.dtype == grad.dtype == np.float32 and net32.forward(theta, X).dtype == np.float32
    ref = mlp().loss_and_grad(theta.astype(np.float64), X, y)
    assert np.isclose(loss, ref[0], rtol=1e-5)


def test_loss_value_and_accuracy():
    net = mlp()
    theta = net.init(0)
    X, y = data()
    assert net.loss_value(theta, X, y, "mse") == net.loss_and_grad(theta, X, y, "mse")[0]
    for size in (1, 3, len(X) - 1):             # chunked alike, so equal bit for bit
        assert (net.loss_value(theta, X, y, "mse", chunk_size=size)
                == net.loss_and_grad(theta, X, y, "mse", chunk_size=size)[0])
    whole = net.loss_value(theta, X, y, "mse", chunk_size=len(X))
    assert np.isclose(net.loss_value(theta, X, y, "mse", chunk_size=3), whole, rtol=1e-13)
    assert net.accuracy(theta, X, y) == np.mean(np.argmax(net.forward(theta, X), 1) == y)


# --- bad input: each gets a ValueError (TypeError for types) naming the problem --------------
@pytest.mark.parametrize(
    "mutate, exc, pattern",
    [
        (lambda t, X, y: (t, X[:, :5], y), ValueError, r"Dense\(6, 5\) expects inputs of shape \(N, 6\), got \(N, 5\)"),
        (lambda t, X, y: (t[:-1], X, y), ValueError, r"theta must be 1-D of length net.size = 53, got shape \(52,\)"),
        (lambda t, X, y: (t.reshape(1, -1), X, y), ValueError, "theta must be 1-D"),
        (lambda t, X, y: (t, X, np.where(y == y[0], 3, y)), ValueError, r"labels must lie in \[0, 2\], got 3"),
        (lambda t, X, y: (t, X, -np.ones_like(y)), ValueError, r"labels must lie in \[0, 2\], got -1"),
        (lambda t, X, y: (t, X, y[:-1]), ValueError, "expected length 7, got 6"),
        (lambda t, X, y: (t, np.where(X > 1, np.nan, X), y), ValueError, "X must be finite"),
        (lambda t, X, y: (t, np.where(X > 1, np.inf, X), y), ValueError, "X must be finite"),
        (lambda t, X, y: (t, X[:0], y[:0]), ValueError, r"X must not be empty, got shape \(0, 6\)"),
        (lambda t, X, y: (t, X[0], y[:1]), ValueError, "X must have a batch axis"),
        (lambda t, X, y: (t, X, y.astype(float)), TypeError, "y must hold integer class labels"),
        (lambda t, X, y: (t, X, y[:, None]), ValueError, r"y must be 1-D"),
        (lambda t, X, y: (t, "abc", y), TypeError, "X must be a numeric array"),
    ],
)
def test_bad_inputs_raise_clear_errors(mutate, exc, pattern):
    net = mlp()
    X, y = data()
    t, X, y = mutate(net.init(0), X, y)
    with pytest.raises(exc, match=pattern):
        net.loss_and_grad(t, X, y)


def test_unknown_loss_is_named():
    net = mlp()
    X, y = data()
    with pytest.raises(ValueError, match=r"loss must be one of \['cross_entropy', 'mse'\], got 'hinge'"):
        net.loss_and_grad(net.init(0), X, y, loss="hinge")


def test_constructor_errors():
    with pytest.raises(TypeError, match="layers"):
        nn.Sequential([])
    with pytest.raises(TypeError, match="layers"):
        nn.Sequential([nn.Dense(2, 2), "relu"])
    with pytest.raises(ValueError, match="dtype must be float64 or float32, got int64"):
        nn.Sequential([nn.Dense(2, 2)], dtype=np.int64)
    with pytest.raises(ValueError, match="chunk_size must be >= 1, got 0"):
        net = mlp()
        net.loss_and_grad(net.init(0), *data(), chunk_size=0)


def test_mismatched_layers_are_named_by_index():
    net = nn.Sequential([nn.Dense(6, 5), nn.Tanh(), nn.Dense(4, 3)])
    with pytest.raises(ValueError, match=r"layer 2 Dense\(4, 3\) expects inputs of shape \(N, 4\), got \(N, 5\)"):
        net.forward(net.init(0), data()[0])


def test_accuracy_refuses_a_label_the_network_cannot_predict():
    """A label equal to the class count used to count as a plain miss (accuracy 0.0)."""
    net = mlp()
    theta = net.init(0)
    X, y = data()
    n_classes = net.output_shape(X.shape[1:])[0]
    y = y.copy()
    y[0] = n_classes
    with pytest.raises(ValueError, match=rf"y labels must lie in \[0, {n_classes - 1}\], got {n_classes}"):
        net.accuracy(theta, X, y)
