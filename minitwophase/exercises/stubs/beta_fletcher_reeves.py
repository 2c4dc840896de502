"""Exercise 7a: the Fletcher-Reeves beta of nonlinear CG (Nocedal & Wright 5.41a).

Nonlinear CG moves along d_{k+1} = -g_{k+1} + beta_{k+1} d_k. Given g = g_{k+1} (the new
gradient), g_old = g_k and d = d_k (the last direction), return

    beta_FR = g_{k+1}^T g_{k+1} / g_k^T g_k

as a float. (Not every beta formula uses every argument.)

Run this file (from any directory) to check your answer: python beta_fletcher_reeves.py
"""
import numpy as np


def beta_fletcher_reeves(g, g_old, d):
    """Return beta_FR."""
    # YOUR CODE HERE (one line)
    raise NotImplementedError("beta_fletcher_reeves: the ratio of two squared gradient norms")


if __name__ == "__main__":
    from minitwophase.exercises import check_beta_fletcher_reeves
    result = check_beta_fletcher_reeves(beta_fletcher_reeves)
    print(result)
    raise SystemExit(0 if result.passed else 1)
