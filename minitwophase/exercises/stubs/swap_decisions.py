"""Exercise 9: the paper's swap rule from Adam to CG (Hrycej et al. 2025, Algorithm 1).

Once per epoch the training loop measures the gradient norm gn and runs

    gnmax <- max(gn, gnmax)          # gnmax starts at 0
    adam  <- gn > gnmax * gnfact     # gnfact = factor, 0.9 in the paper

and once adam is False it stays False: from then on the loop runs conjugate gradient.
Given the sequence of gradient norms (one per epoch) and the factor, return a sequence of
bools, one per epoch: True when that epoch's update has swapped (is on the CG side).

Run this file (from any directory) to check your answer: python swap_decisions.py
"""


def swap_decisions(grad_norms, factor=0.9):
    """Return [swapped after epoch 0, after epoch 1, ...] under the paper's rule."""
    # YOUR CODE HERE (a loop over the epochs)
    raise NotImplementedError("swap_decisions: keep the running peak, compare each norm "
                              "to factor * peak, never swap back")


if __name__ == "__main__":
    from minitwophase.exercises import check_swap_decisions
    result = check_swap_decisions(swap_decisions)
    print(result)
    raise SystemExit(0 if result.passed else 1)
