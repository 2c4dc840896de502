"""line_search="scipy" replays scipy.optimize.minimize(method="CG") on every problem of
problems.py: the same calls of fun, point for point and bit for bit, so the same iterates,
nit, status and nfev on any processor and BLAS (both runs see the same f and g, so any
difference would be an operation ordered differently, or a call scipy makes and we do not).
Where scipy's last search fails (status 2), our CG retries once along -g before giving up
(module docstring of nonlinear_cg), so the calls agree up to scipy's last one.
Also the benchmark's "scipy CG/w2" replay."""
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.optimize as so

import minitwophase as mtp
from minitwophase import problems as P

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from cg_variants import PublicSearchCG, run  # noqa: E402

from line_functions import counted  # noqa: E402

ALL = P.standard_problems() + P.selection_problems()


def _iterates(xs):
    return lambda r: xs.append(np.copy(r.x if isinstance(r, so.OptimizeResult) else r))


def assert_replays(p, norm=np.inf):
    f_ref, calls_ref = counted(p.fun)
    xs_ref, xs = [], []
    ref = so.minimize(f_ref, p.x0, jac=True, method="CG",
                      options={"gtol": 1e-5, "norm": norm}, callback=_iterates(xs_ref))
    f, calls = counted(p.fun)
    res = mtp.minimize_cg(f, p.x0, beta="PR+", line_search="scipy", gtol=1e-5, norm=norm,
                          callback=_iterates(xs))
    assert res.nfev == len(calls)
    for k, (x_ref, x) in enumerate(zip(calls_ref, calls)):     # scipy's calls, in order
        np.testing.assert_array_equal(x, x_ref, err_msg=f"call {k} of fun differs")
    for k, (x_ref, x) in enumerate(zip(xs_ref, xs)):
        np.testing.assert_array_equal(x, x_ref, err_msg=f"iterate {k + 1} differs")
    if ref.status != 0:               # scipy's search failed; ours retried along -g
        assert ref.status == 2 and res.status in (0, 2) and res.nit >= ref.nit
        assert len(calls) > len(calls_ref) and res.fun <= ref.fun
        return
    assert res.status == 0 and res.nit == ref.nit and res.nfev == len(calls_ref)
    np.testing.assert_array_equal(res.x, ref.x)
    assert res.fun == ref.fun


@pytest.mark.parametrize("p", ALL, ids=lambda p: p.name)
def test_replays_scipy_cg(p):
    assert_replays(p)


@pytest.mark.parametrize("norm", [2, 1, -np.inf])
@pytest.mark.parametrize("p", P.standard_problems()[:6], ids=lambda p: p.name)
def test_replay_stops_where_scipy_stops_in_other_norms(p, norm):
    assert_replays(p, norm)


def test_stop_test_norm_is_scipys_bit_for_bit():
    """||g|| in the stop test uses scipy's operations (vecnorm), not np.linalg.norm's, which
    differs from it in the last bits for ord=2 on about a third of these vectors."""
    from scipy.optimize._optimize import vecnorm
    from minitwophase.optim.stepper import gradient_norm
    rng = np.random.default_rng(0)
    for _ in range(300):
        g = rng.standard_normal(rng.integers(1, 300)) * 10.0 ** rng.integers(-8, 8)
        for order in (np.inf, -np.inf, 1, 2, 3):
            assert gradient_norm(g, order) == vecnorm(g, ord=order)


@pytest.mark.parametrize("p", P.standard_problems()[:6], ids=lambda p: p.name)
def test_public_search_replay_equals_scipy_without_its_private_search(p, monkeypatch):
    import scipy.optimize._optimize as internals
    monkeypatch.setattr(internals, "line_search_wolfe1", lambda *a, **k: (None,) * 6)
    f_ref, calls_ref = counted(p.fun)
    ref = so.minimize(f_ref, p.x0, jac=True, method="CG", options={"gtol": 1e-5})
    cg = run(PublicSearchCG(p.fun, p.x0, gtol=1e-5))
    assert ref.status == cg.status == 0 and ref.nit == cg.nit
    np.testing.assert_array_equal(cg.x, ref.x)
    assert abs(cg.nfev - len(calls_ref)) <= 2


def test_replay_records_what_scipy_does_not():
    p = P.rosenbrock(2)
    res = mtp.minimize_cg(p.fun, p.x0, line_search="scipy")
    h = res.history
    assert len(h) == res.nit + 1 and sum(r.nfev for r in h) == res.nfev
    assert all(r.alpha > 0 for r in h[1:]) and all(r.beta >= 0 for r in h[1:])
