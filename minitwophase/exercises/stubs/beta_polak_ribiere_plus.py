"""Exercise 7b: the PR+ beta of nonlinear CG (Nocedal & Wright 5.44 and 5.45).

Nonlinear CG moves along d_{k+1} = -g_{k+1} + beta_{k+1} d_k. Given g = g_{k+1} (the new
gradient), g_old = g_k and d = d_k (the last direction), with y_k = g_{k+1} - g_k, return

    beta_PR  = g_{k+1}^T y_k / g_k^T g_k
    beta_PR+ = max(beta_PR, 0)

as a float. The clip at 0 restarts CG along -g whenever beta_PR would be negative
(Powell 1986; Gilbert & Nocedal 1992).

Run this file (from any directory) to check your answer: python beta_polak_ribiere_plus.py
"""
import numpy as np


def beta_polak_ribiere_plus(g, g_old, d):
    """Return beta_PR+."""
    # YOUR CODE HERE (two lines)
    raise NotImplementedError("beta_polak_ribiere_plus: Polak-Ribiere's beta, then clip it")


if __name__ == "__main__":
    from minitwophase.exercises import check_beta_polak_ribiere_plus
    result = check_beta_polak_ribiere_plus(beta_polak_ribiere_plus)
    print(result)
    raise SystemExit(0 if result.passed else 1)
