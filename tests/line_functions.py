"""Random smooth 1-D test functions for the line-search properties (shared by the tests)."""
import numpy as np
from hypothesis import strategies as st


def wave(q, s, amp, w, p):
    """f(x) = q x^2 / 2 - s x + amp sin(w x + p) on x in R^1 (bounded below for q > 0)."""
    def fun(x):
        x0 = x[0]
        f = 0.5 * q * x0 * x0 - s * x0 + amp * np.sin(w * x0 + p)
        return float(f), np.array([q * x0 - s + amp * w * np.cos(w * x0 + p)])
    return fun


waves = st.builds(wave, q=st.floats(0.1, 100.0), s=st.floats(0.5, 50.0),
                  amp=st.floats(0.0, 2.0), w=st.floats(0.1, 10.0), p=st.floats(0.0, 6.28))


def counted(fun):
    calls = []

    def f(x):
        calls.append(np.array(x, copy=True))
        return fun(x)
    return f, calls


def nan_beyond_two(x):
    """Finite only for x < 2 (NaN beyond, as a blown-up loss); minimum at 1.5, f(0) = 2.25."""
    if x[0] >= 2:
        return np.nan, np.full(1, np.nan)
    return float((x[0] - 1.5) ** 2), 2 * (x - 1.5)
