"""Exercise 1: backward pass of a fully connected layer.

Forward: out = x @ W + b, with x of shape (N, n_in), W (n_in, n_out), b (n_out,).
Given dout = dL/dout of shape (N, n_out), return the three gradients

    dx = dL/dx   (N, n_in)        dW = dL/dW   (n_in, n_out)        db = dL/db   (n_out,)

Chain rule: each out[n, j] = sum_i x[n, i] W[i, j] + b[j]. The loss is already a mean over
the batch, so dout carries the 1/N: do not average again.

Run this file (from any directory) to check your answer: python dense_backward.py
"""
import numpy as np


def dense_backward(x, W, b, dout):
    """Return (dx, dW, db) for out = x @ W + b."""
    # YOUR CODE HERE (three lines, no loops)
    raise NotImplementedError("dense_backward: dx from dout and W, dW from x and dout, "
                              "db by summing dout over the batch")


if __name__ == "__main__":
    from minitwophase.exercises import check_dense_backward
    result = check_dense_backward(dense_backward)
    print(result)
    raise SystemExit(0 if result.passed else 1)
