"""line_search="scipy" replays scipy.optimize.minimize(method="CG") on every problem of
problems.py where scipy's CG converges: same nit and status, the same x (to 1e-8 relative;
in practice bit for bit), nfev within 2. Also the benchmark's "scipy CG/w2" replay."""
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


@pytest.mark.parametrize("p", ALL, ids=lambda p: p.name)
def test_replays_scipy_cg(p):
    f_ref, calls_ref = counted(p.fun)
    ref = so.minimize(f_ref, p.x0, jac=True, method="CG", options={"gtol": 1e-5})
    f, calls = counted(p.fun)
    res = mtp.minimize_cg(f, p.x0, beta="PR+", line_search="scipy", gtol=1e-5)
    assert res.nfev == len(calls)
    if ref.status != 0:                      # variably_dimensioned: scipy stops on precision loss
        assert "variably_dimensioned" in p.name and res.status in (0, 2)
        return
    assert res.status == ref.status == 0 and res.nit == ref.nit
    np.testing.assert_allclose(res.x, ref.x, rtol=1e-8, atol=1e-8 * np.abs(ref.x).max())
    assert abs(res.nfev - len(calls_ref)) <= 2
    assert res.fun == pytest.approx(ref.fun, rel=1e-8, abs=1e-14)


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
