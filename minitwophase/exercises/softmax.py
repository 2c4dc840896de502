"""Exercise 4: the gradient of softmax cross-entropy, a mean over the batch (= F.cross_entropy).

    p = softmax(z) row by row (shift each row by its max first, so exp cannot overflow)
    L = mean_n( -log p[n, y_n] ),     dL/dz = (p - onehot(y)) / N
"""
import numpy as np

from ..nn.losses import cross_entropy
from .harness import Exercise, Mistake, drop_along, run_check
from .mse import onehot, label_cases


def reference(z, y):
    return cross_entropy(z, y)[1]


def cases(rng):
    out = label_cases(rng, key="z", scale=2.0)
    # large logits last: only a missing (or global) max shift fails on them
    for n, c in [(3, 4), (4, 5)]:
        z = 3.0 * rng.standard_normal((n, c))
        z[0] += 1000.0          # exp(1000) overflows float64
        out.append({"z": z, "y": rng.integers(0, c, n)})
    return out


def shrink(case):
    yield from drop_along(case, {"z": 0, "y": 0})


def _softmax(z, axis=1, shift=True):
    e = np.exp(z - z.max(axis=axis, keepdims=True) if shift else z)
    return e / e.sum(axis=axis, keepdims=True)


MISTAKES = (
    Mistake("no_mean", "forgot to average over the batch: divide by N (the loss is a mean)",
            lambda z, y: _softmax(z) - onehot(z, y)),
    Mistake("no_onehot", "forgot to subtract one_hot(y): dL/dz = (softmax(z) - onehot(y)) / N",
            lambda z, y: _softmax(z) / z.shape[0]),
    Mistake("wrong_axis", "softmax over the batch axis 0: normalise each row (axis 1) "
            "over the classes", lambda z, y: (_softmax(z, axis=0) - onehot(z, y)) / z.shape[0]),
    Mistake("sign", "sign flipped: the gradient is softmax(z) - onehot(y), not onehot - softmax",
            lambda z, y: (onehot(z, y) - _softmax(z)) / z.shape[0]),
    Mistake("mean_over_all", "divided by N*C: cross-entropy averages over the N samples only",
            lambda z, y: (_softmax(z) - onehot(z, y)) / z.size),
    Mistake("no_shift", "exp overflowed (NaN): subtract each row's max before exp; softmax "
            "is unchanged by the shift (log-sum-exp trick)",
            lambda z, y: (_softmax(z, shift=False) - onehot(z, y)) / z.shape[0]),
    Mistake("global_shift", "shifted by the max of the whole batch: rows far below it "
            "underflow to 0/0; subtract each row's own max",
            lambda z, y: (_softmax(z - z.max(), shift=False) - onehot(z, y)) / z.shape[0]),
)

EXERCISE = Exercise(
    name="softmax_ce_grad", against="minitwophase.nn.losses.cross_entropy",
    reference=reference, cases=cases, mistakes=MISTAKES, outputs=("dz",), shrink=shrink)


def check_softmax_ce_grad(student_fn, seed=0):
    """Check ``softmax_ce_grad(z, y) -> dL/dz``; returns a CheckResult."""
    return run_check(EXERCISE, student_fn, seed)
