"""Exercise 6: linear conjugate gradient, Nocedal & Wright Algorithm 5.2 (= minitwophase.linear_cg).

Solve A x = b for SPD A, with the residual r = A x - b:
    r_0 = A x_0 - b,  p_0 = -r_0;  then for k = 0, 1, ...:
    alpha_k = r_k^T r_k / p_k^T A p_k                    (5.24a)
    x_{k+1} = x_k + alpha_k p_k                          (5.24b)
    r_{k+1} = r_k + alpha_k A p_k                        (5.24c)
    beta_{k+1} = r_{k+1}^T r_{k+1} / r_k^T r_k           (5.24d)
    p_{k+1} = -r_{k+1} + beta_{k+1} p_k                  (5.24e)
"""
import numpy as np

from ..optim import linear_cg
from .harness import Exercise, Mistake, run_check


def reference(A, b, x0, k):
    return linear_cg(A, b, x0, tol=0.0, maxiter=k).x


def cases(rng):
    """SPD matrices of growing size (eigenvalues in [1, 20]); for each, k = 0 .. n steps."""
    out = []
    for n, zero_start in [(2, True), (2, False), (3, False), (4, False), (6, False)]:
        q, _ = np.linalg.qr(rng.standard_normal((n, n)))
        A = (q * rng.uniform(1.0, 20.0, n)) @ q.T
        A = 0.5 * (A + A.T)
        b = rng.standard_normal(n)
        x0 = np.zeros(n) if zero_start else rng.standard_normal(n)
        out.extend({"A": A, "b": b, "x0": x0, "k": k} for k in range(n + 1))
    return out


def _variant(beta="cg", residual_sign=1.0, direction_sign=-1.0, from_zero=False, alpha="pAp"):
    """Algorithm 5.2 with one thing changed (the defaults are the correct algorithm)."""
    def solve(A, b, x0, k):
        x = np.zeros_like(b) if from_zero else x0.copy()
        r = A @ x - b
        p = -r
        for _ in range(k):
            rr = r @ r
            if rr == 0.0:
                break
            Ap = A @ p
            a = rr / (p @ Ap) if alpha == "pAp" else rr / (p @ p)
            x = x + a * p
            r = r + residual_sign * a * Ap
            rr_new = r @ r
            bk = {"cg": rr_new / rr, "none": 0.0, "inverted": rr / rr_new}[beta]
            p = direction_sign * r + bk * p
        return x
    return solve


MISTAKES = (
    Mistake("no_beta", "beta missing, p_{k+1} = -r_{k+1}: that is steepest descent; "
            "p_{k+1} = -r_{k+1} + beta_{k+1} p_k (5.24e)", _variant(beta="none")),
    Mistake("beta_inverted", "beta inverted: beta_{k+1} = r_{k+1}^T r_{k+1} / r_k^T r_k "
            "(new over old, 5.24d)", _variant(beta="inverted")),
    Mistake("residual_sign", "residual updated with the wrong sign: with r = A x - b, "
            "r_{k+1} = r_k + alpha_k A p_k (5.24c)", _variant(residual_sign=-1.0)),
    Mistake("direction_sign", "new direction +r_{k+1} + beta p_k: with r = A x - b the descent "
            "direction is -r_{k+1} + beta_{k+1} p_k (5.24e)", _variant(direction_sign=1.0)),
    Mistake("ignored_x0", "x0 ignored (started from zero): start from x_0 with r_0 = A x_0 - b",
            _variant(from_zero=True)),
    Mistake("alpha_no_curvature", "alpha = r^T r / p^T p: the exact step along p divides by "
            "the curvature p^T A p (5.24a)", _variant(alpha="pp")),
)

EXERCISE = Exercise(
    name="linear_cg_steps", against="minitwophase.linear_cg(A, b, x0, tol=0, maxiter=k).x",
    reference=reference, cases=cases, mistakes=MISTAKES, outputs=("x_k",))


def check_linear_cg_steps(student_fn, seed=0):
    """Check ``linear_cg_steps(A, b, x0, k) -> x_k`` (exactly k iterations of Algorithm 5.2)."""
    return run_check(EXERCISE, student_fn, seed)
