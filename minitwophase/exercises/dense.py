"""Exercise 1: the Dense layer's backward pass (out = x @ W + b, W of shape (n_in, n_out)).

    dL/dx = dL/dout @ W^T      dL/dW = x^T @ dL/dout      dL/db = sum over the batch of dL/dout
"""
import numpy as np

from ..nn import Dense
from .harness import Exercise, Mistake, drop_along, run_check


def reference(x, W, b, dout):
    dx, grads = Dense(*W.shape).backward({"W": W, "b": b}, dout, x)
    return dx, grads["W"], grads["b"]


def cases(rng):
    # square W first: there a transposed W gives wrong numbers rather than a shape error
    shapes = [(2, 2, 2), (3, 2, 2), (4, 3, 3), (3, 2, 3), (4, 3, 2), (5, 4, 3), (8, 6, 5)]
    out = []
    for n, n_in, n_out in shapes * 2:
        out.append({"x": rng.standard_normal((n, n_in)),
                    "W": rng.standard_normal((n_in, n_out)) / np.sqrt(n_in),
                    "b": rng.standard_normal(n_out),
                    "dout": rng.standard_normal((n, n_out))})
    return out


def shrink(case):
    yield from drop_along(case, {"x": 0, "dout": 0})            # a sample
    yield from drop_along(case, {"x": 1, "W": 0})               # an input feature
    yield from drop_along(case, {"W": 1, "b": 0, "dout": 1})    # an output unit


MISTAKES = (
    Mistake("dx_W_not_transposed",
            "transposed W: dx = dout @ W; with W of shape (n_in, n_out), dL/dx = dout @ W.T",
            lambda x, W, b, dout: (dout @ W, x.T @ dout, dout.sum(0))),
    Mistake("dW_transposed",
            "dW = dout.T @ x has shape (n_out, n_in); dL/dW = x.T @ dout, the shape of W",
            lambda x, W, b, dout: (dout @ W.T, dout.T @ x, dout.sum(0))),
    Mistake("db_mean",
            "db averaged over the batch: the loss already averaged, so db = dout.sum(axis=0)",
            lambda x, W, b, dout: (dout @ W.T, x.T @ dout, dout.mean(0))),
    Mistake("dW_divided_by_n",
            "dW divided by the batch size: the loss already averaged, so dW = x.T @ dout",
            lambda x, W, b, dout: (dout @ W.T, x.T @ dout / x.shape[0], dout.sum(0))),
    Mistake("db_wrong_axis",
            "db summed over the wrong axis (the outputs, axis 1): sum over the batch, axis 0",
            lambda x, W, b, dout: (dout @ W.T, x.T @ dout, dout.sum(1))),
)

EXERCISE = Exercise(
    name="dense_backward", against="minitwophase.nn.Dense.backward", reference=reference,
    cases=cases, mistakes=MISTAKES, outputs=("dx", "dW", "db"), check_order=(1, 2, 0),
    shrink=shrink)


def check_dense_backward(student_fn, seed=0):
    """Check ``dense_backward(x, W, b, dout) -> (dx, dW, db)``; returns a CheckResult."""
    return run_check(EXERCISE, student_fn, seed)
