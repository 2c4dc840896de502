"""Moré–Thuente: equal to scipy's private MINPACK-2 port step for step (allowed in tests only),
strong Wolfe steps checked independently, honest counters, NaN handled."""
import pathlib

import numpy as np
import pytest
from hypothesis import assume, given, strategies as st

import minitwophase
from minitwophase.optim.line_function import LineFunction
from minitwophase.optim.more_thuente import LastPointOnly, dcstep, more_thuente

from line_functions import counted, nan_beyond_two, wave, waves


def minpack_port():
    """scipy's private Python port of MINPACK-2 (scipy >= 1.11): a test-only reference."""
    return pytest.importorskip("scipy.optimize._dcsrch")

finite = st.floats(-1e3, 1e3, allow_nan=False)


@given(st.lists(finite, min_size=9, max_size=9), st.booleans())
def test_dcstep_equals_minpack_port_bitwise(v, brackt):
    stx, fx, dx, sty, fy, dy, stp, fp, dp = v
    assume(stp != stx and dx != 0 and (not brackt or sty != stp))
    _dcsrch = minpack_port()
    lo, hi = sorted((stx, stp))
    with np.errstate(all="ignore"):
        ours = dcstep(stx, fx, dx, sty, fy, dy, stp, fp, dp, brackt, lo - 10, hi + 10)
        ref = _dcsrch.dcstep(stx, fx, dx, sty, fy, dy, stp, fp, dp, brackt, lo - 10, hi + 10)
    np.testing.assert_array_equal(np.array(ours[:7], float), np.array(ref[:7], float))
    assert ours[7] == ref[7]


@given(waves, st.floats(1e-3, 10.0), st.sampled_from([0.1, 0.4, 0.9]))
def test_same_steps_as_scipys_dcsrch_and_strong_wolfe(fun, stp0, c2):
    _dcsrch = minpack_port()
    f0, g0 = fun(np.zeros(1))
    assume(g0[0] < 0)
    seen = []

    def phi(a):
        seen.append(a)
        return fun(np.array([a]))[0]

    ref, *_ = _dcsrch.DCSRCH(phi, lambda a: fun(np.array([a]))[1][0], 1e-4, c2, 1e-14,
                             1e-100, 1e100)(stp0, phi0=f0, derphi0=g0[0])
    f, calls = counted(fun)
    line = LineFunction(f, np.zeros(1), f0, g0, np.ones(1))
    alpha, why = more_thuente(line, stp0, 1e-4, c2, 1e-14, 1e-100, 1e100)
    assert (alpha is None) == (ref is None)
    if ref is not None:
        assert alpha == ref and why is None
        assert line.trials == list(dict.fromkeys(seen))   # same trials, repeats cached
        f1, g1 = fun(np.array([alpha]))                  # independent re-evaluation
        assert f1 <= f0 + 1e-4 * alpha * g0[0]             # N&W (3.7a)
        assert abs(g1[0]) <= c2 * abs(g0[0])               # N&W (3.7b)
    assert line.nfev == len(calls) == len(line.trials)


@given(waves, st.floats(1e-3, 10.0), st.sampled_from([0.1, 0.4, 0.9]))
def test_last_point_view_makes_the_calls_scipy_makes(fun, stp0, c2):
    """Through LastPointOnly the search calls fun exactly where DCSRCH, behind a cache of the
    last point only (scipy's ScalarFunction), calls it: revisits of stx included."""
    _dcsrch = minpack_port()
    f0, g0 = fun(np.zeros(1))
    assume(g0[0] < 0)
    calls_ref, last = [], [None, None]

    def at(a):                       # ScalarFunction's rule: a fresh call unless x is the last x
        if a != last[0]:
            calls_ref.append(a)
            last[:] = a, fun(np.array([a]))
        return last[1]
    ref, *_ = _dcsrch.DCSRCH(lambda a: at(a)[0], lambda a: at(a)[1][0], 1e-4, c2, 1e-14,
                             1e-100, 1e100)(stp0, phi0=f0, derphi0=g0[0])
    f, calls = counted(fun)
    line = LineFunction(f, np.zeros(1), f0, g0, np.ones(1))
    view = LastPointOnly(line)
    alpha, _ = more_thuente(view, stp0, 1e-4, c2, 1e-14, 1e-100, 1e100)
    assert alpha == ref and line.trials == calls_ref and line.nfev == len(calls)


def test_nan_region_is_backed_off():
    fun = nan_beyond_two
    f, calls = counted(fun)
    line = LineFunction(f, np.zeros(1), 2.25, np.array([-3.0]), np.ones(1))
    alpha, why = more_thuente(line, 10.0, stpmax=100.0)
    assert why is None and 0 < alpha < 2 and line.nonfinite >= 1
    assert line.nfev == len(calls)
    assert fun(np.array([alpha]))[0] < 2.25


def test_reports_instead_of_raising():
    fun = wave(1.0, -1.0, 0.0, 1.0, 0.0)          # phi'(0) = +1: not a descent direction
    f0, g0 = fun(np.zeros(1))
    line = LineFunction(fun, np.zeros(1), f0, g0, np.ones(1))
    alpha, why = more_thuente(line, 1.0)
    assert alpha is None and "descent" in why and line.nfev == 0
    alpha, why = more_thuente(line, 1e3, stpmax=50.0)
    assert alpha is None and "outside" in why


def test_library_does_not_import_scipys_private_search():
    src = pathlib.Path(minitwophase.__file__).parent / "optim"
    imports = [ln for path in src.glob("*.py") for ln in path.read_text().splitlines()
               if "import" in ln]
    assert imports and not [ln for ln in imports
                            if "optimize._" in ln or "_dcsrch" in ln or "_linesearch" in ln]
