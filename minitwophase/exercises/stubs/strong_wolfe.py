"""Exercise 8: the strong Wolfe conditions (Nocedal & Wright 3.7).

A line search along a descent direction p looks at phi(alpha) = f(x + alpha p), with
phi'(0) < 0. Given phi(0), phi'(0), a step alpha > 0, phi(alpha), phi'(alpha) and constants
0 < c1 < c2 < 1, return True when alpha satisfies BOTH

    sufficient decrease:  phi(alpha) <= phi(0) + c1 alpha phi'(0)
    curvature (strong):   |phi'(alpha)| <= c2 |phi'(0)|

and False otherwise (a Python bool).

Run this file (from any directory) to check your answer: python strong_wolfe.py
"""


def strong_wolfe(phi0, dphi0, alpha, phi_alpha, dphi_alpha, c1=1e-4, c2=0.9):
    """Does alpha satisfy the strong Wolfe conditions?"""
    # YOUR CODE HERE (two comparisons)
    raise NotImplementedError("strong_wolfe: sufficient decrease AND the strong curvature "
                              "condition")


if __name__ == "__main__":
    from minitwophase.exercises import check_strong_wolfe
    result = check_strong_wolfe(strong_wolfe)
    print(result)
    raise SystemExit(0 if result.passed else 1)
