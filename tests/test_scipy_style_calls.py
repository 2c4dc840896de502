"""Issue 13, defect 8: scipy-style calls (jac=, case-insensitive names, sparse matrices and
LinearOperators), the package's submodules reachable from the root, documented layers."""
import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as sla
from scipy.optimize import minimize, rosen, rosen_der

import minitwophase as mtp
from minitwophase import nn


def _fg(x):
    return rosen(x), rosen_der(x)


def test_minimize_cg_takes_jac_as_scipy_does():
    x0 = np.array([-1.2, 1.0])
    ours = mtp.minimize_cg(rosen, x0, jac=rosen_der)
    ref = minimize(rosen, x0, jac=rosen_der, method="CG")     # independent: scipy's CG
    assert ours.success and ref.success
    np.testing.assert_allclose(ours.x, ref.x, atol=1e-4)
    np.testing.assert_allclose(ours.x, [1.0, 1.0], atol=1e-4)
    both = mtp.minimize_cg(_fg, x0, jac=True)                # scipy: fun returns (f, g)
    np.testing.assert_array_equal(both.x, mtp.minimize_cg(_fg, x0).x)


def test_minimize_cg_says_what_fun_must_return():
    with pytest.raises(TypeError, match=r"fun must return \(f, g\).*jac="):
        mtp.minimize_cg(rosen, np.array([-1.2, 1.0]))
    with pytest.raises(TypeError, match="jac must be"):
        mtp.minimize_cg(rosen, np.array([-1.2, 1.0]), jac="2-point")


@pytest.mark.parametrize("spelling", ["pr+", "Pr+", "fr", "hz"])
def test_beta_names_are_case_insensitive(spelling):
    res = mtp.minimize_cg(_fg, np.array([-1.2, 1.0]), beta=spelling)
    assert res.success
    np.testing.assert_array_equal(res.x, mtp.minimize_cg(_fg, np.array([-1.2, 1.0]),
                                                         beta=spelling.upper()).x)


def test_line_search_names_are_case_insensitive():
    res = mtp.minimize_cg(_fg, np.array([-1.2, 1.0]), line_search="Wolfe")
    assert res.success


def _spd(n=20, seed=0):
    rng = np.random.default_rng(seed)
    M = rng.standard_normal((n, n))
    return M @ M.T + n * np.eye(n), rng.standard_normal(n)


def test_linear_cg_takes_scipy_sparse_matrices_and_linear_operators():
    A, b = _spd()
    x_ref = np.linalg.solve(A, b)                             # independent: LAPACK
    for op in (sp.csr_matrix(A), sp.csr_array(A), sla.aslinearoperator(A)):
        res = mtp.linear_cg(op, b, tol=1e-12)
        assert res.success, type(op)
        np.testing.assert_allclose(res.x, x_ref, rtol=1e-9)
    with pytest.raises(ValueError, match="A must have shape"):
        mtp.linear_cg(sp.csr_matrix(np.eye(3)), b)


def test_the_root_exposes_the_submodules():
    for name in ("datasets", "training", "models", "problems", "optim", "swap", "peaks"):
        assert hasattr(mtp, name), name
    assert mtp.datasets.load is not None


@pytest.mark.parametrize("cls", [nn.Sequential, nn.Dense, nn.ReLU, nn.Tanh, nn.Flatten])
def test_public_layers_have_docstrings(cls):
    assert cls.__doc__ and len(cls.__doc__.strip()) > 20, cls


def test_train_config_takes_beta_and_line_search_in_any_case():
    from minitwophase.training import TrainConfig
    cfg = TrainConfig(cg_beta="pr+", cg_line_search="Wolfe").validate()
    assert (cfg.cg_beta, cfg.cg_line_search) == ("PR+", "wolfe")
