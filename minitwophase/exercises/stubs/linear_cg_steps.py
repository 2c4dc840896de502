"""Exercise 6: linear conjugate gradient, Nocedal & Wright Algorithm 5.2.

Solve A x = b for symmetric positive definite A, i.e. minimise 0.5 x^T A x - b^T x. With the
residual r = A x - b (the gradient):

    r_0 = A x_0 - b,   p_0 = -r_0
    alpha_k = r_k^T r_k / p_k^T A p_k
    x_{k+1} = x_k + alpha_k p_k
    r_{k+1} = r_k + alpha_k A p_k
    beta_{k+1} = r_{k+1}^T r_{k+1} / r_k^T r_k
    p_{k+1} = -r_{k+1} + beta_{k+1} p_k

Return x_k after exactly k iterations from x0 (k = 0 returns x0; stop early only if the
residual is exactly zero). In exact arithmetic x_n solves the system.

Run this file (from any directory) to check your answer: python linear_cg_steps.py
"""
import numpy as np


def linear_cg_steps(A, b, x0, k):
    """Return x_k, the k-th iterate of linear CG started at x0."""
    # YOUR CODE HERE (a loop over the k iterations; one product A @ p per iteration)
    raise NotImplementedError("linear_cg_steps: r = A x0 - b, p = -r, then k times: alpha, "
                              "x, r, beta, p")


if __name__ == "__main__":
    from minitwophase.exercises import check_linear_cg_steps
    result = check_linear_cg_steps(linear_cg_steps)
    print(result)
    raise SystemExit(0 if result.passed else 1)
