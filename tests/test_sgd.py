"""SGD with classical momentum against torch.optim.SGD (float64) and its closed form."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

from minitwophase.optim import SGD


def grads_for(theta, step):
    rng = np.random.default_rng(step)
    return theta ** 3 - np.cos(theta) + 0.1 * rng.standard_normal(theta.shape)


@pytest.mark.parametrize("lr,mu", [(1e-2, 0.9), (0.05, 0.5), (1e-3, 0.0), (0.02, 0.99)])
def test_matches_torch_sgd_momentum_over_many_steps(lr, mu):
    torch = pytest.importorskip("torch")
    theta0 = np.random.default_rng(0).standard_normal(41)
    theta = theta0.copy()
    p = torch.nn.Parameter(torch.tensor(theta0, dtype=torch.float64))
    topt = torch.optim.SGD([p], lr=lr, momentum=mu, foreach=False)
    opt = SGD(lr=lr, momentum=mu)
    worst = 0.0
    for step in range(500):
        g = grads_for(theta, step)
        opt.step(theta, g)
        p.grad = torch.tensor(g)
        topt.step()
        ref = p.detach().numpy()
        worst = max(worst, np.max(np.abs(theta - ref)) / np.max(np.abs(ref)))
        # state equality: torch's buffer b is -v / lr at constant lr
        if mu:
            b = topt.state[p]["momentum_buffer"].numpy()
            np.testing.assert_allclose(-opt.velocity / lr, b, rtol=1e-9, atol=1e-12)
    assert worst < 1e-12                      # the two forms differ only by rounding
    assert opt.t == 500


@given(st.floats(1e-4, 1.0), st.floats(0.0, 0.99), st.integers(1, 30))
def test_constant_gradient_closed_form(lr, mu, t):
    # with g constant: v_t = -lr g (1 - mu^t) / (1 - mu); theta_t = theta_0 + sum_i v_i
    g = np.array([1.5, -2.0, 0.25])
    theta = np.zeros(3)
    opt = SGD(lr=lr, momentum=mu)
    for _ in range(t):
        opt.step(theta, g)
    v = -lr * g * sum(mu ** i for i in range(t))
    x = -lr * g * sum(sum(mu ** i for i in range(j)) for j in range(1, t + 1))
    np.testing.assert_allclose(opt.velocity, v, rtol=1e-10)
    np.testing.assert_allclose(theta, x, rtol=1e-10)


def test_plain_sgd_is_gradient_descent():
    theta = np.array([1.0, 2.0])
    SGD(lr=0.1, momentum=0.0).step(theta, np.array([1.0, -1.0]))
    assert theta.tolist() == [0.9, 2.1]


@pytest.mark.parametrize("kw,err,words", [(dict(lr=-1.0), ValueError, "lr"),
                                          (dict(momentum=1.0), ValueError, "momentum"),
                                          (dict(momentum="0.9"), TypeError, "momentum")])
def test_bad_arguments_are_named(kw, err, words):
    with pytest.raises(err, match=words):
        SGD(**kw)


def test_bad_step_inputs():
    opt = SGD()
    with pytest.raises(TypeError, match="theta"):
        opt.step([1.0], np.ones(1))
    with pytest.raises(ValueError, match="shape"):
        opt.step(np.ones(2), np.ones(3))
    with pytest.raises(ValueError, match="finite"):
        opt.step(np.ones(2), np.array([1.0, np.nan]))
