"""Exercise 5: one Adam step, Kingma & Ba (2015) Algorithm 1 (= minitwophase.Adam, torch.optim.Adam).

    m_t = beta1 m_{t-1} + (1 - beta1) g_t
    v_t = beta2 v_{t-1} + (1 - beta2) g_t^2
    m_hat = m_t / (1 - beta1^t),   v_hat = v_t / (1 - beta2^t)
    theta_t = theta_{t-1} - lr m_hat / (sqrt(v_hat) + eps)
"""
import numpy as np

from ..optim import Adam
from .harness import Exercise, Mistake, drop_along, run_check


def reference(theta, grad, m, v, t, lr, beta1, beta2, eps):
    opt = Adam(lr=lr, betas=(beta1, beta2), eps=eps)
    opt.t, opt.m, opt.v = t - 1, m.copy(), v.copy()     # the state before step t
    theta = theta.copy()
    opt.step(theta, grad)
    return theta, opt.m, opt.v


def _grad(rng, n):
    # magnitudes from 1e-7 to 10: epsilon's place only matters where sqrt(v_hat) is small
    return rng.choice([-1.0, 1.0], n) * 10.0 ** rng.uniform(-7, 1, n)


def cases(rng):
    out = []
    hypers = [(1e-3, 0.9, 0.999, 1e-8), (1e-1, 0.8, 0.99, 1e-6)]
    for n in (3, 5, 8):                          # the first step, from m = v = 0
        for lr, b1, b2, eps in hypers:
            out.append({"theta": rng.standard_normal(n), "grad": _grad(rng, n),
                        "m": np.zeros(n), "v": np.zeros(n), "t": 1, "lr": lr,
                        "beta1": b1, "beta2": b2, "eps": eps})
    for t in (2, 5, 10, 100, 1000):              # later steps, from a consistent state
        for lr, b1, b2, eps in hypers:
            n = 6
            scale = 10.0 ** rng.uniform(-6, 0, n)
            m = scale * rng.standard_normal(n) * (1 - b1 ** (t - 1))
            v = scale ** 2 * rng.uniform(0.5, 2.0, n) * (1 - b2 ** (t - 1))
            out.append({"theta": rng.standard_normal(n), "grad": _grad(rng, n), "m": m, "v": v,
                        "t": t, "lr": lr, "beta1": b1, "beta2": b2, "eps": eps})
    return out


def shrink(case):
    yield from drop_along(case, {"theta": 0, "grad": 0, "m": 0, "v": 0})


def _variant(bias_m=True, bias_v=True, eps_where="outside", old_moments=False, abs_g=False,
             swap_betas=False, sign=1.0):
    """Adam with one thing changed (the defaults are the correct algorithm)."""
    def step(theta, grad, m, v, t, lr, beta1, beta2, eps):
        w1 = (1 - beta1, beta1) if swap_betas else (beta1, 1 - beta1)
        m_new = w1[0] * m + w1[1] * grad
        v_new = beta2 * v + (1 - beta2) * (np.abs(grad) if abs_g else grad ** 2)
        mm, vv = (m, v) if old_moments else (m_new, v_new)
        m_hat = mm / (1 - beta1 ** t) if bias_m else mm
        v_hat = vv / (1 - beta2 ** t) if bias_v else vv
        if eps_where == "inside":
            denom = np.sqrt(v_hat + eps)
        elif eps_where == "before_correction":        # Keras's epsilon-hat
            denom = (np.sqrt(vv) + eps) / np.sqrt(1 - beta2 ** t)
        else:
            denom = np.sqrt(v_hat) + eps
        return theta - sign * lr * m_hat / denom, m_new, v_new
    return step


MISTAKES = (
    Mistake("no_bias_correction", "bias correction missing: divide m by (1 - beta1**t) and v "
            "by (1 - beta2**t) before the step (Kingma & Ba, Section 3)",
            _variant(bias_m=False, bias_v=False)),
    Mistake("no_bias_correction_m", "bias correction of m missing: m_hat = m / (1 - beta1**t)",
            _variant(bias_m=False)),
    Mistake("no_bias_correction_v", "bias correction of v missing: v_hat = v / (1 - beta2**t)",
            _variant(bias_v=False)),
    Mistake("eps_inside_sqrt", "epsilon inside the square root: use sqrt(v_hat) + eps",
            _variant(eps_where="inside")),
    Mistake("eps_hat", "epsilon added before bias correction, sqrt(v_t) + eps (Keras's "
            "epsilon-hat); Algorithm 1 and torch use sqrt(v_hat) + eps",
            _variant(eps_where="before_correction")),
    Mistake("old_moments", "the step used m_{t-1} and v_{t-1}: update both moments with g_t "
            "first, then step", _variant(old_moments=True)),
    Mistake("abs_not_square", "second moment of |g| instead of g^2: v_t = beta2 v + (1 - beta2) g**2",
            _variant(abs_g=True)),
    Mistake("betas_swapped", "beta1 and 1 - beta1 swapped: m_t = beta1 m + (1 - beta1) g",
            _variant(swap_betas=True)),
    Mistake("uphill", "step taken uphill: theta_t = theta_{t-1} MINUS lr m_hat / (...)",
            _variant(sign=-1.0)),
)

EXERCISE = Exercise(
    name="adam_step", against="minitwophase.Adam", reference=reference, cases=cases,
    mistakes=MISTAKES, outputs=("theta", "m", "v"), check_order=(1, 2, 0), shrink=shrink)


def check_adam_step(student_fn, seed=0):
    """Check ``adam_step(theta, grad, m, v, t, lr, beta1, beta2, eps) -> (theta, m, v)``."""
    return run_check(EXERCISE, student_fn, seed)
