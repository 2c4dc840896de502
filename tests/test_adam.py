"""Adam against torch.optim.Adam (float64) and Kingma & Ba's closed forms."""
import numpy as np
import pytest
from hypothesis import given, strategies as st
from hypothesis.extra import numpy as hnp

import minitwophase as mtp

finite = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)
# |g| >= 1e-100 or 0: g*g must not underflow (there eps, not |g|, sets the step)
gvalue = st.one_of(st.just(0.0), st.floats(1e-100, 1e3), st.floats(-1e3, -1e-100))


def grads_for(theta, step):
    """A deterministic gradient that depends on theta (a tilted quartic) and on the step."""
    rng = np.random.default_rng(step)
    return theta ** 3 - np.cos(theta) + 0.1 * rng.standard_normal(theta.shape)


@pytest.mark.parametrize("lr,betas,eps", [(1e-3, (0.9, 0.999), 1e-8), (0.05, (0.5, 0.9), 1e-6),
                                          (0.01, (0.0, 0.99), 0.0)])
def test_matches_torch_adam_step_for_step(lr, betas, eps):
    torch = pytest.importorskip("torch")
    theta0 = np.random.default_rng(0).standard_normal(37)
    theta = theta0.copy()
    p = torch.nn.Parameter(torch.tensor(theta0, dtype=torch.float64))
    topt = torch.optim.Adam([p], lr=lr, betas=betas, eps=eps, foreach=False)
    opt = mtp.Adam(lr=lr, betas=betas, eps=eps)
    for step in range(300):
        g = grads_for(theta, step)
        opt.step(theta, g)
        p.grad = torch.tensor(grads_for(p.detach().numpy().copy(), step), dtype=torch.float64)
        topt.step()
        ref = p.detach().numpy()
        np.testing.assert_allclose(theta, ref, rtol=1e-11, atol=1e-13 * np.abs(ref).max())
    st_ = topt.state[p]
    np.testing.assert_allclose(opt.m, st_["exp_avg"].numpy(), rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(opt.v, st_["exp_avg_sq"].numpy(), rtol=1e-10, atol=1e-14)
    assert opt.t == int(st_["step"]) == 300


def test_state_after_two_steps_closed_form():
    g1, g2 = np.array([1.0, -2.0, 0.5]), np.array([0.5, 1.0, -4.0])
    opt, theta = mtp.Adam(lr=0.1, betas=(0.8, 0.9), eps=1e-3), np.zeros(3)
    opt.step(theta, g1)
    opt.step(theta, g2)
    m = 0.8 * 0.2 * g1 + 0.2 * g2
    v = 0.9 * 0.1 * g1 ** 2 + 0.1 * g2 ** 2
    np.testing.assert_allclose(opt.m, m, rtol=1e-15)
    np.testing.assert_allclose(opt.v, v, rtol=1e-15)
    assert opt.t == 2
    step1 = -0.1 * g1 / (np.abs(g1) + 1e-3)
    step2 = -0.1 * (m / (1 - 0.8 ** 2)) / (np.sqrt(v / (1 - 0.9 ** 2)) + 1e-3)
    np.testing.assert_allclose(theta, step1 + step2, rtol=1e-14)


@given(hnp.arrays(np.float64, st.integers(1, 20), elements=gvalue),
       st.floats(1e-5, 1.0), st.floats(0.0, 0.99), st.floats(0.0, 0.9999))
def test_first_step_moves_lr_against_sign(g, lr, b1, b2):
    # Algorithm 1 at t = 1: m_hat = g, v_hat = g^2, so the step is -lr g / (|g| + eps).
    eps = 1e-8
    theta = np.zeros_like(g)
    mtp.Adam(lr=lr, betas=(b1, b2), eps=eps).step(theta, g)
    np.testing.assert_allclose(theta, -lr * g / (np.abs(g) + eps), rtol=1e-12, atol=0)
    big = np.abs(g) > 1e-4          # where eps is negligible: about lr, against the sign
    np.testing.assert_allclose(theta[big], -lr * np.sign(g[big]), rtol=1e-4)
    assert np.all(np.abs(theta) <= lr)


@given(hnp.arrays(np.float64, (5, 6), elements=finite), st.integers(-20, 20),
       st.floats(1e-3, 1e3))
def test_invariant_to_gradient_rescaling(gs, k, c):
    a, b, c2 = np.zeros(6), np.zeros(6), np.zeros(6)
    oa, ob, oc = mtp.Adam(eps=0.0), mtp.Adam(eps=0.0), mtp.Adam(eps=0.0)
    gs = np.where(np.abs(gs) < 1e-3, 1.0, gs)   # keep sqrt(v) > 0: with eps = 0, 0/0 is NaN
    for g in gs:
        oa.step(a, g)
        ob.step(b, g * 2.0 ** k)    # power-of-two scale: exact in floating point
        oc.step(c2, g * c)
    assert np.array_equal(a, b)
    np.testing.assert_allclose(c2, a, rtol=1e-12, atol=1e-15)


def test_epsilon_hat_equals_standard_with_rescaled_eps():
    # Kingma & Ba Section 2: eps_hat = eps * sqrt(1 - beta2^t); checked by a separate loop.
    rng = np.random.default_rng(3)
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-3
    theta, ref = np.zeros(8), np.zeros(8)
    m, v = np.zeros(8), np.zeros(8)
    opt = mtp.Adam(lr=lr, betas=(b1, b2), eps=eps, epsilon_hat=True)
    for t in range(1, 51):
        g = 1e-3 * rng.standard_normal(8)     # small gradients: eps matters
        opt.step(theta, g)
        m, v = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g * g
        eps_t = eps / np.sqrt(1 - b2 ** t)
        ref -= lr * (m / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t)) + eps_t)
    np.testing.assert_allclose(theta, ref, rtol=1e-12)
    plain = np.zeros(8)
    opt2 = mtp.Adam(lr=lr, betas=(b1, b2), eps=eps)
    rng = np.random.default_rng(3)
    for t in range(50):
        opt2.step(plain, 1e-3 * rng.standard_normal(8))
    assert not np.allclose(plain, theta, rtol=1e-3)     # the option really changes something


def test_deterministic_bit_identical():
    out = []
    for _ in range(2):
        theta, opt = np.linspace(-1, 1, 9), mtp.Adam(lr=0.01)
        for s in range(20):
            opt.step(theta, grads_for(theta, s))
        out.append(theta)
    assert np.array_equal(out[0], out[1])


@pytest.mark.parametrize("kw,match", [(dict(lr=-1.0), "lr"), (dict(betas=(1.0, 0.9)), r"betas\[0\]"),
                                      (dict(betas=(0.9, -0.1)), r"betas\[1\]"),
                                      (dict(eps=-1e-8), "eps"), (dict(lr=float("nan")), "lr")])
def test_invalid_hyperparameters(kw, match):
    with pytest.raises(ValueError, match=match):
        mtp.Adam(**kw)


def test_bad_inputs_and_state_untouched():
    with pytest.raises(TypeError, match="betas"):
        mtp.Adam(betas=0.9)
    opt = mtp.Adam()
    with pytest.raises(TypeError, match="theta"):
        opt.step([1.0, 2.0], np.ones(2))
    with pytest.raises(TypeError, match="theta"):
        opt.step(np.arange(3), np.ones(3))
    theta = np.zeros(3)
    with pytest.raises(ValueError, match=r"grad must have theta's shape \(3,\), got \(4,\)"):
        opt.step(theta, np.ones(4))
    opt.step(theta, np.ones(3))
    with pytest.raises(ValueError, match=r"shape \(3,\)"):
        opt.step(np.zeros(4), np.ones(4))
    m, v, th = opt.m.copy(), opt.v.copy(), theta.copy()
    with pytest.raises(ValueError, match="finite"):
        opt.step(theta, np.array([1.0, np.nan, 0.0]))
    assert opt.t == 1 and np.array_equal(opt.m, m) and np.array_equal(opt.v, v)
    assert np.array_equal(theta, th)
    opt.reset()
    assert opt.t == 0 and opt.m is None


def test_unchecked_step_is_the_same_update():
    # check=False skips only the boundary checks: the iterates and moments are bit-identical
    a, b = np.linspace(-1, 1, 9), np.linspace(-1, 1, 9)
    oa, ob = mtp.Adam(lr=0.01), mtp.Adam(lr=0.01)
    for s in range(30):
        oa.step(a, grads_for(a, s))
        ob.step(b, grads_for(b, s), check=False)
    assert np.array_equal(a, b) and np.array_equal(oa.m, ob.m) and np.array_equal(oa.v, ob.v)
