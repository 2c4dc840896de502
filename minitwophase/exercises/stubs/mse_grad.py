"""Exercise 3: gradient of the mean squared error on one-hot targets (the paper's loss).

out: network outputs, shape (N, C); y: integer class labels, shape (N,).
    L = mean over all N*C elements of (out - onehot(y))^2        (= torch F.mse_loss)
Return dL/dout, shape (N, C).

Run this file (from any directory) to check your answer: python mse_grad.py
"""
import numpy as np


def mse_grad(out, y):
    """Return dL/dout for L = mean((out - onehot(y))**2)."""
    # YOUR CODE HERE: build the one-hot targets, then differentiate the mean
    raise NotImplementedError("mse_grad: one-hot the labels, then 2 (out - target) over "
                              "the number of elements averaged")


if __name__ == "__main__":
    from minitwophase.exercises import check_mse_grad
    result = check_mse_grad(mse_grad)
    print(result)
    raise SystemExit(0 if result.passed else 1)
