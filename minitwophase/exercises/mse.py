"""Exercise 3: the gradient of the MSE loss (the paper's loss, = torch F.mse_loss).

    L = mean over all N*C elements of (out - onehot(y))^2
    dL/dout = 2 (out - onehot(y)) / (N C)
"""
import numpy as np

from ..nn.losses import mse
from .harness import Exercise, Mistake, drop_along, run_check


def reference(out, y):
    return mse(out, y)[1]


def label_cases(rng, key="out", scale=1.0):
    """(N, C) network outputs and labels, smallest first; N >= 2 so a missing batch mean shows."""
    shapes = [(2, 2), (2, 3), (3, 4), (4, 3), (5, 5), (8, 10)]
    return [{key: scale * rng.standard_normal((n, c)), "y": rng.integers(0, c, n)}
            for n, c in shapes * 2]


def shrink(case):
    key = next(iter(case))
    yield from drop_along(case, {key: 0, "y": 0})


def onehot(out, y):
    t = np.zeros_like(out)
    t[np.arange(len(y)), y] = 1.0
    return t


MISTAKES = (
    Mistake("no_mean", "forgot to average: the loss is a mean over all N*C elements, "
            "so divide by N*C", lambda out, y: 2 * (out - onehot(out, y))),
    Mistake("batch_only", "divided by N only: the loss averages over all N*C elements "
            "(= torch F.mse_loss), divide by N*C",
            lambda out, y: 2 * (out - onehot(out, y)) / out.shape[0]),
    Mistake("classes_only", "forgot to average over the batch (divided by C only): "
            "divide by N*C", lambda out, y: 2 * (out - onehot(out, y)) / out.shape[1]),
    Mistake("no_two", "factor 2 missing: d/dz (z - t)^2 = 2 (z - t)",
            lambda out, y: (out - onehot(out, y)) / out.size),
    Mistake("sign", "sign flipped: the gradient is 2 (out - target) / (N C), not target - out",
            lambda out, y: 2 * (onehot(out, y) - out) / out.size),
    Mistake("raw_labels", "used the labels y as targets: the target is one_hot(y), "
            "1 at column y[n] and 0 elsewhere",
            lambda out, y: 2 * (out - y[:, None]) / out.size),
)

EXERCISE = Exercise(
    name="mse_grad", against="minitwophase.nn.losses.mse", reference=reference,
    cases=label_cases, mistakes=MISTAKES, outputs=("dout",), shrink=shrink)


def check_mse_grad(student_fn, seed=0):
    """Check ``mse_grad(out, y) -> dL/dout``; returns a CheckResult."""
    return run_check(EXERCISE, student_fn, seed)
