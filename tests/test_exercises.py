"""The graded exercises' checkers: a correct student passes, each planted mistake fails with
its own diagnosis, an unfilled stub says so.

The "students" below are written from the textbook equations, independently of the package
and of the checkers' coded-up mistakes, the way a student would write them.
"""
import importlib

import numpy as np
import pytest
import scipy.optimize
from hypothesis import given
from hypothesis import strategies as st

import minitwophase.exercises as ex
from minitwophase.exercises import CHECKERS, CheckResult
from minitwophase.exercises import adam, cg_beta, dense, linear_cg, mse, softmax, swap, tanh, wolfe
from minitwophase.exercises.harness import run_check


def onehot(y, c):
    return np.eye(c)[y]


# ---------------------------------------------------------------- correct students
def dense_ok(x, W, b, dout):
    return dout @ W.T, np.einsum("ni,nj->ij", x, dout), dout.sum(axis=0)


def tanh_ok(x, dout):
    return dout / np.cosh(x) ** 2


def mse_ok(out, y):
    n, c = out.shape
    return 2.0 * (out - onehot(y, c)) / (n * c)


def softmax_ok(z, y):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return (e / e.sum(axis=1, keepdims=True) - onehot(y, z.shape[1])) / len(y)


def adam_ok(theta, grad, m, v, t, lr, beta1, beta2, eps):
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad * grad
    m_hat, v_hat = m / (1 - beta1 ** t), v / (1 - beta2 ** t)
    return theta - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


def cg_ok(A, b, x0, k):
    x = x0.astype(float)
    r = A @ x - b
    p = -r
    for _ in range(k):
        if not r.any():
            break
        alpha = (r @ r) / (p @ A @ p)
        x = x + alpha * p
        r_new = r + alpha * (A @ p)
        p = -r_new + (r_new @ r_new) / (r @ r) * p
        r = r_new
    return x


def fr_ok(g, g_old, d):
    return float(np.dot(g, g) / np.dot(g_old, g_old))


def pr_plus_ok(g, g_old, d):
    return max(0.0, float(g @ (g - g_old)) / float(g_old @ g_old))


def wolfe_ok(phi0, dphi0, alpha, phi_alpha, dphi_alpha, c1=1e-4, c2=0.9):
    return phi_alpha - phi0 <= c1 * alpha * dphi0 and abs(dphi_alpha) <= -c2 * dphi0


def swap_ok(grad_norms, factor=0.9):
    out, gnmax, adam_on = [], 0.0, True
    for gn in grad_norms:
        gnmax = max(gn, gnmax)
        adam_on = adam_on and gn > gnmax * factor
        out.append(not adam_on)
    return out


CORRECT = {
    "dense_backward": dense_ok, "tanh_backward": tanh_ok, "mse_grad": mse_ok,
    "softmax_ce_grad": softmax_ok, "adam_step": adam_ok, "linear_cg_steps": cg_ok,
    "beta_fletcher_reeves": fr_ok, "beta_polak_ribiere_plus": pr_plus_ok,
    "strong_wolfe": wolfe_ok, "swap_decisions": swap_ok,
}


# ---------------------------------------------------------------- planted mistakes
def dense_transposed_W(x, W, b, dout):
    return dout @ W, x.T @ dout, dout.sum(0)


def dense_db_mean(x, W, b, dout):
    return dout @ W.T, x.T @ dout, np.mean(dout, axis=0)


def dense_dW_over_n(x, W, b, dout):
    return dout @ W.T, x.T @ dout / len(x), dout.sum(0)


def tanh_uses_input(x, dout):
    return dout * (1 - x * x)


def tanh_no_dout(x, dout):
    return 1 - np.tanh(x) ** 2


def mse_classes_only(out, y):
    return 2 * (out - onehot(y, out.shape[1])) / out.shape[1]


def mse_no_two(out, y):
    return (out - onehot(y, out.shape[1])) / out.size


def mse_batch_only(out, y):
    return 2 * (out - onehot(y, out.shape[1])) / len(y)


def softmax_unshifted(z, y):
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    return (p - onehot(y, z.shape[1])) / len(y)


def softmax_no_mean(z, y):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True) - onehot(y, z.shape[1])


def softmax_axis0(z, y):
    e = np.exp(z - z.max(axis=0))
    return (e / e.sum(axis=0) - onehot(y, z.shape[1])) / len(y)


def adam_no_bias_correction(theta, grad, m, v, t, lr, beta1, beta2, eps):
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad ** 2
    return theta - lr * m / (np.sqrt(v) + eps), m, v


def adam_eps_in_sqrt(theta, grad, m, v, t, lr, beta1, beta2, eps):
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad ** 2
    return theta - lr * (m / (1 - beta1 ** t)) / np.sqrt(v / (1 - beta2 ** t) + eps), m, v


def adam_keras_eps(theta, grad, m, v, t, lr, beta1, beta2, eps):
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad ** 2
    lr_t = lr * np.sqrt(1 - beta2 ** t) / (1 - beta1 ** t)
    return theta - lr_t * m / (np.sqrt(v) + eps), m, v


def adam_stale_moments(theta, grad, m, v, t, lr, beta1, beta2, eps):
    step = lr * (m / (1 - beta1 ** t)) / (np.sqrt(v / (1 - beta2 ** t)) + eps)
    return theta - step, beta1 * m + (1 - beta1) * grad, beta2 * v + (1 - beta2) * grad ** 2


def adam_two_bugs(theta, grad, m, v, t, lr, beta1, beta2, eps):
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad ** 2
    return theta - lr * m / np.sqrt(v + eps), m, v     # no bias correction AND eps inside


def cg_steepest_descent(A, b, x0, k):
    x = x0.copy()
    for _ in range(k):
        r = A @ x - b
        if not r.any():
            break
        x = x - (r @ r) / (r @ A @ r) * r
    return x


def cg_beta_inverted(A, b, x0, k):
    x, r = x0.copy(), A @ x0 - b
    p = -r
    for _ in range(k):
        alpha = (r @ r) / (p @ A @ p)
        x = x + alpha * p
        r_new = r + alpha * A @ p
        p = -r_new + (r @ r) / (r_new @ r_new) * p
        r = r_new
    return x


def cg_from_zero(A, b, x0, k):
    return cg_ok(A, b, np.zeros_like(x0), k)


def pr_unclipped(g, g_old, d):
    return g @ (g - g_old) / (g_old @ g_old)


def pr_plus_y_flipped(g, g_old, d):
    return max(0.0, g @ (g_old - g) / (g_old @ g_old))


def fr_inverted(g, g_old, d):
    return np.dot(g_old, g_old) / np.dot(g, g)


def fr_unsquared(g, g_old, d):
    return np.linalg.norm(g) / np.linalg.norm(g_old)


def wolfe_weak(phi0, dphi0, alpha, phi_alpha, dphi_alpha, c1, c2):
    return phi_alpha <= phi0 + c1 * alpha * dphi0 and dphi_alpha >= c2 * dphi0


def wolfe_no_alpha(phi0, dphi0, alpha, phi_alpha, dphi_alpha, c1, c2):
    return phi_alpha <= phi0 + c1 * dphi0 and abs(dphi_alpha) <= c2 * abs(dphi0)


def wolfe_armijo_only(phi0, dphi0, alpha, phi_alpha, dphi_alpha, c1, c2):
    return phi_alpha <= phi0 + c1 * alpha * dphi0


def swap_first_norm(grad_norms, factor=0.9):
    out, swapped = [], False
    for gn in grad_norms:
        swapped = swapped or gn <= factor * grad_norms[0]
        out.append(swapped)
    return out


def swap_peak_late(grad_norms, factor=0.9):
    out, gnmax, swapped = [], 0.0, False
    for gn in grad_norms:
        swapped = swapped or gn <= factor * gnmax
        gnmax = max(gnmax, gn)
        out.append(swapped)
    return out


def swap_not_one_way(grad_norms, factor=0.9):
    peaks = np.maximum.accumulate(grad_norms)
    return list(np.asarray(grad_norms) <= factor * peaks)


PLANTED = [
    ("dense_backward", dense_transposed_W, "dx_W_not_transposed", "dout @ W.T"),
    ("dense_backward", dense_db_mean, "db_mean", "sum(axis=0)"),
    ("dense_backward", dense_dW_over_n, "dW_divided_by_n", "dW divided by the batch size"),
    ("tanh_backward", tanh_uses_input, "input_not_output", "1 - tanh(x)^2"),
    ("tanh_backward", tanh_no_dout, "no_chain_rule", "chain rule"),
    ("mse_grad", mse_classes_only, "classes_only", "forgot to average over the batch"),
    ("mse_grad", mse_no_two, "no_two", "factor 2 missing"),
    ("mse_grad", mse_batch_only, "batch_only", "divided by N only"),
    ("softmax_ce_grad", softmax_unshifted, "no_shift", "subtract each row's max"),
    ("softmax_ce_grad", softmax_no_mean, "no_mean", "forgot to average over the batch"),
    ("softmax_ce_grad", softmax_axis0, "wrong_axis", "axis 0"),
    ("adam_step", adam_no_bias_correction, "no_bias_correction", "bias correction missing"),
    ("adam_step", adam_eps_in_sqrt, "eps_inside_sqrt", "epsilon inside the square root"),
    ("adam_step", adam_keras_eps, "eps_hat", "epsilon-hat"),
    ("adam_step", adam_stale_moments, "old_moments", "m_{t-1}"),
    ("linear_cg_steps", cg_steepest_descent, "no_beta", "steepest descent"),
    ("linear_cg_steps", cg_beta_inverted, "beta_inverted", "beta inverted"),
    ("linear_cg_steps", cg_from_zero, "ignored_x0", "x0 ignored"),
    ("beta_polak_ribiere_plus", pr_unclipped, "not_clipped", "PR instead of PR+"),
    ("beta_polak_ribiere_plus", pr_plus_y_flipped, "y_sign", "sign of y"),
    ("beta_fletcher_reeves", fr_inverted, "inverted", "ratio inverted"),
    ("beta_fletcher_reeves", fr_unsquared, "not_squared", "not squared"),
    ("strong_wolfe", wolfe_weak, "weak_wolfe", "without absolute value (weak Wolfe"),
    ("strong_wolfe", wolfe_no_alpha, "no_alpha", "without alpha"),
    ("strong_wolfe", wolfe_armijo_only, "armijo_only", "Armijo condition alone"),
    ("swap_decisions", swap_first_norm, "first_norm", "first norm instead of the running peak"),
    ("swap_decisions", swap_peak_late, "peak_after_compare",
     "peak not updated before the comparison"),
    ("swap_decisions", swap_not_one_way, "not_one_way", "not one-way"),
]

ALL_EXERCISES = [dense.EXERCISE, tanh.EXERCISE, mse.EXERCISE, softmax.EXERCISE, adam.EXERCISE,
                 linear_cg.EXERCISE, cg_beta.EXERCISE_FR, cg_beta.EXERCISE_PR_PLUS,
                 wolfe.EXERCISE, swap.EXERCISE]


# ---------------------------------------------------------------- tests
def test_the_table_lists_every_exercise_with_a_stub_and_a_checker():
    assert list(CHECKERS) == [e.name for e in ALL_EXERCISES]
    for name, checker in CHECKERS.items():
        assert getattr(ex, f"check_{name}") is checker
        assert importlib.import_module(f"minitwophase.exercises.stubs.{name}")


@pytest.mark.parametrize("name", list(CHECKERS))
def test_a_correct_student_passes(name):
    result = CHECKERS[name](CORRECT[name])
    assert isinstance(result, CheckResult)
    assert result.passed, str(result)
    assert "PASSED" in str(result) and str(result.n_cases) in str(result)


@pytest.mark.parametrize("exercise", ALL_EXERCISES, ids=lambda e: e.name)
def test_the_reference_itself_passes(exercise):
    assert run_check(exercise, exercise.reference).passed


@pytest.mark.parametrize("name, student, key, phrase", PLANTED,
                         ids=[f"{p[0]}-{p[2]}" for p in PLANTED])
def test_a_planted_mistake_fails_with_its_diagnosis(name, student, key, phrase):
    result = CHECKERS[name](student)
    assert not result.passed and not result.not_implemented
    assert result.mistake == key, str(result)
    text = str(result)
    assert phrase in text
    assert "first wrong element" in text and "expected" in text and "input:" in text
    for arg in result.case:                # the input that showed it is printed in full
        assert f"    {arg} = " in text


@pytest.mark.parametrize("exercise", ALL_EXERCISES, ids=lambda e: e.name)
def test_every_known_mistake_is_told_apart_from_the_others(exercise):
    """Each coded-up mistake, fed in as a student, is diagnosed as itself and nothing else:
    the cases separate every pair of known mistakes (and each from the reference)."""
    assert len(exercise.mistakes) >= 2
    for m in exercise.mistakes:
        result = run_check(exercise, m.fn)
        assert not result.passed
        assert result.mistake == m.key, f"{m.key}: {result}"
        assert m.cause not in result.possible


@pytest.mark.parametrize("name", list(CHECKERS))
def test_an_unfilled_stub_reports_not_implemented(name):
    stub = importlib.import_module(f"minitwophase.exercises.stubs.{name}")
    result = CHECKERS[name](getattr(stub, name))
    assert result.not_implemented and not result.passed
    assert str(result).startswith(f"check_{name}: not implemented yet (")


def test_two_mistakes_at_once_are_not_blamed_on_one():
    result = ex.check_adam_step(adam_two_bugs)
    assert not result.passed and result.mistake is None and result.cause is None
    assert "no single known mistake" in str(result) or "none of the known" in str(result)


def test_the_report_names_the_first_wrong_element_with_its_values():
    result = ex.check_dense_backward(dense_db_mean)
    assert result.where.startswith("db[")
    x, W, b, dout = result.case.values()
    idx = int(result.where[3:-1])
    assert result.expected == pytest.approx(dout[:, idx].sum())
    assert result.got == pytest.approx(dout[:, idx].mean())
    assert f"first wrong element: {result.where}: expected" in str(result)


def test_a_failing_input_is_shrunk_and_still_fails():
    result = ex.check_adam_step(adam_no_bias_correction)
    assert result.shrunk and result.case["theta"].shape == (1,)    # from 3 coordinates
    assert not np.allclose(adam_no_bias_correction(*result.case.values())[0],
                           adam_ok(*result.case.values())[0])
    result = ex.check_mse_grad(mse_classes_only)
    out, y = result.case.values()
    assert out.shape[0] == 2          # N = 1 would hide a missing batch mean: kept at 2
    assert not np.allclose(mse_classes_only(out, y), mse_ok(out, y))
    result = ex.check_swap_decisions(swap_peak_late)
    assert result.case["grad_norms"].tolist() == [3.0] and result.case["factor"] == 1.0


def test_a_crash_is_reported_with_the_input_not_raised():
    def broken(x, W, b, dout):
        return dout @ W, x.T @ dout, dout.sum(0)   # fine on square W, crashes otherwise
    def index_bug(x, W, b, dout):
        return dout @ W.T, x.T @ dout, dout[:, W.shape[0]]
    result = ex.check_dense_backward(index_bug)
    assert not result.passed and result.error.startswith("raised IndexError")
    assert "your function raised IndexError" in str(result) and "test_exercises.py" in str(result)
    result = ex.check_dense_backward(broken)
    assert result.mistake == "dx_W_not_transposed"


def test_a_wrong_return_type_is_named():
    result = ex.check_dense_backward(lambda x, W, b, dout: dout @ W.T)
    assert not result.passed and result.where is None
    assert ("your function returned the wrong kind of value: must return a tuple of 3 values "
            "(dx, dW, db), got ndarray") in str(result)
    result = ex.check_strong_wolfe(lambda *a: 1.0)
    assert not result.passed and "must be a bool, got float" in str(result)
    result = ex.check_swap_decisions(lambda norms, factor: np.ones(len(norms)) * 0.5)
    assert not result.passed and "swapped must hold bools, got dtype float64" in str(result)
    assert ex.check_swap_decisions(lambda n, f: np.array(swap_ok(n, f), dtype=int)).passed


def test_a_student_who_modifies_the_inputs_in_place_is_judged_fairly():
    def adam_in_place(theta, grad, m, v, t, lr, beta1, beta2, eps):
        m *= beta1
        m += (1 - beta1) * grad
        v *= beta2
        v += (1 - beta2) * grad ** 2
        theta -= lr * (m / (1 - beta1 ** t)) / (np.sqrt(v / (1 - beta2 ** t)) + eps)
        return theta, m, v
    assert ex.check_adam_step(adam_in_place).passed


def test_bad_arguments_name_themselves():
    with pytest.raises(TypeError, match="student_fn must be a function"):
        ex.check_tanh_backward(None)
    with pytest.raises(TypeError, match="seed must be an int"):
        ex.check_tanh_backward(tanh_ok, seed=1.5)


def test_same_seed_same_report():
    a, b = ex.check_adam_step(adam_eps_in_sqrt), ex.check_adam_step(adam_eps_in_sqrt)
    assert str(a) == str(b)
    assert str(ex.check_adam_step(adam_eps_in_sqrt, seed=1)) != str(a)


@given(seed=st.integers(0, 2 ** 32 - 1))
def test_any_seed_passes_correct_students_and_diagnoses_planted_ones(seed):
    for name, student in CORRECT.items():
        assert CHECKERS[name](student, seed=seed).passed, name
    for name, student, key, _ in PLANTED:
        assert CHECKERS[name](student, seed=seed).mistake == key, (name, key)


# ---------------------------------------------------------------- the Wolfe reference
# It is written in the exercise (the package has no such predicate): check it independently.
def test_wolfe_reference_accepts_what_scipy_line_search_returns():
    rosen, rosen_der = scipy.optimize.rosen, scipy.optimize.rosen_der
    rng = np.random.default_rng(0)
    accepted = 0
    for _ in range(30):
        x = rng.uniform(-2, 2, 4)
        p = -rosen_der(x) / np.linalg.norm(rosen_der(x))
        for c1, c2 in [(1e-4, 0.9), (1e-4, 0.1), (0.01, 0.4)]:
            alpha = scipy.optimize.line_search(rosen, rosen_der, x, p, c1=c1, c2=c2)[0]
            if alpha is None:
                continue
            args = (rosen(x), rosen_der(x) @ p, alpha, rosen(x + alpha * p),
                    rosen_der(x + alpha * p) @ p, c1, c2)
            assert wolfe.reference(*args) is True
            accepted += 1
    assert accepted > 60


def test_wolfe_reference_on_a_quadratic_by_hand():
    # phi(a) = (a - 1)^2: phi(0) = 1, phi'(0) = -2; the minimiser a = 1 has phi' = 0.
    def case(a, c1=1e-4, c2=0.5):
        return wolfe.reference(1.0, -2.0, a, (a - 1) ** 2, 2 * (a - 1), c1, c2)
    assert case(1.0)                  # exact minimiser
    assert case(0.6) and case(1.4)    # |phi'| = 0.8 <= 0.5 * 2
    assert not case(0.4)              # |phi'| = 1.2 > 1: too short (curvature fails)
    assert not case(1.6)              # phi' = +1.2 > 1: too long for strong Wolfe ...
    assert wolfe_weak(1.0, -2.0, 1.6, 0.36, 1.2, 1e-4, 0.5)   # ... though weak Wolfe holds
    assert not case(2.0)              # phi(2) = 1 = phi(0): no sufficient decrease


def test_swap_reference_is_the_papers_rule_on_a_hand_example():
    # peak 4 at epoch 2; 0.9 * 4 = 3.6; epoch 3 (3.5) is the first at or below it
    decisions = swap.reference(np.array([1.0, 2.0, 4.0, 3.5, 5.0, 1.0]), 0.9)
    assert decisions.tolist() == [False, False, False, True, True, True]
