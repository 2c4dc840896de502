"""Exercise 2: backward pass of the tanh nonlinearity.

Forward: out = tanh(x), elementwise, any shape. Given dout = dL/dout (x's shape), return
dx = dL/dx. Hint: d tanh(x) / dx = 1 - tanh(x)^2 = 1 / cosh(x)^2.

Run this file (from any directory) to check your answer: python tanh_backward.py
"""
import numpy as np


def tanh_backward(x, dout):
    """Return dL/dx for out = tanh(x)."""
    # YOUR CODE HERE (one line)
    raise NotImplementedError("tanh_backward: multiply dout by the derivative of tanh at x")


if __name__ == "__main__":
    from minitwophase.exercises import check_tanh_backward
    result = check_tanh_backward(tanh_backward)
    print(result)
    raise SystemExit(0 if result.passed else 1)
