"""Exercise 2: the tanh layer's backward pass.

    out = tanh(x),   dL/dx = dL/dout * (1 - tanh(x)^2)      (elementwise; tanh' = 1 - tanh^2)
"""
import numpy as np

from ..nn import Tanh
from .harness import Exercise, Mistake, drop_along, run_check


def reference(x, dout):
    layer = Tanh()
    _, cache = layer.forward({}, x)
    return layer.backward({}, dout, cache)[0]


def cases(rng):
    shapes = [(3,), (2, 3), (4, 5), (2, 3, 4), (16, 8)]
    out = []
    for shape in shapes * 2:
        out.append({"x": 1.5 * rng.standard_normal(shape), "dout": rng.standard_normal(shape)})
    # saturated units: tanh' underflows towards 0, the code must not overflow on the way
    out.append({"x": np.array([-30.0, -5.0, 0.0, 5.0, 30.0]), "dout": np.ones(5)})
    return out


def shrink(case):
    yield from drop_along(case, {"x": 0, "dout": 0})
    if np.ndim(case["x"]) > 1:
        yield from drop_along(case, {"x": -1, "dout": -1})


def _t(x):
    return np.tanh(x)


MISTAKES = (
    Mistake("input_not_output",
            "used 1 - x^2: the derivative is 1 - tanh(x)^2 (cache the forward output tanh(x))",
            lambda x, dout: dout * (1 - x ** 2)),
    Mistake("not_squared", "1 - tanh(x) is not squared: tanh'(x) = 1 - tanh(x)^2",
            lambda x, dout: dout * (1 - _t(x))),
    Mistake("no_chain_rule", "forgot the chain rule: multiply tanh'(x) by dout",
            lambda x, dout: 1 - _t(x) ** 2),
    Mistake("plus_sign", "sign: 1 + tanh(x)^2; tanh'(x) = 1 - tanh(x)^2",
            lambda x, dout: dout * (1 + _t(x) ** 2)),
    Mistake("sech_not_squared", "1 / cosh(x) is sech(x); tanh'(x) = sech(x)^2 = 1 / cosh(x)^2",
            lambda x, dout: dout / np.cosh(x)),
)

EXERCISE = Exercise(
    name="tanh_backward", against="minitwophase.nn.Tanh.backward", reference=reference,
    cases=cases, mistakes=MISTAKES, outputs=("dx",), shrink=shrink)


def check_tanh_backward(student_fn, seed=0):
    """Check ``tanh_backward(x, dout) -> dx``; returns a CheckResult."""
    return run_check(EXERCISE, student_fn, seed)
