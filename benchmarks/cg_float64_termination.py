"""What float64 does to linear CG's n-step termination (N&W Theorem 5.1 holds in exact
arithmetic only).

    python benchmarks/cg_float64_termination.py [--n 20] [--seeds 20] [--tol 1e-10]

For each condition number kappa: SPD matrices of size n with eigenvalues log-spaced in
[1, kappa] (problems.log_spectrum) and random orthogonal eigenvectors (problems.spd_matrix,
seed s), right-hand side b ~ N(0, I) from seed 1000 + s. Prints, over the seeds, the median
and range of the iterations mtp.linear_cg needs to reach ||r|| <= tol ||b||, the same for CG
whose every new residual is re-orthogonalized against the earlier ones (what exact arithmetic
keeps for free), and the largest relative error of x against numpy.linalg.solve.
The numbers are quoted in linear_cg's docstring and in tutorials/03.
"""
from __future__ import annotations

import argparse

import numpy as np

import minitwophase as mtp
from minitwophase.problems import log_spectrum, spd_matrix


def reorthogonalized_cg(A, b, tol, maxiter):
    """N&W Algorithm 5.2 from x0 = 0, each new residual projected (twice, classical
    Gram-Schmidt) off the earlier residuals: the orthogonality exact arithmetic guarantees."""
    x, r = np.zeros_like(b), -b
    p, basis, k = b.copy(), [-b / np.linalg.norm(b)], 0
    while np.linalg.norm(r) > tol * np.linalg.norm(b) and k < maxiter:
        Ap = A @ p
        alpha = (r @ r) / (p @ Ap)
        x = x + alpha * p
        r_new = r + alpha * Ap
        Q = np.array(basis)
        for _ in range(2):
            r_new = r_new - Q.T @ (Q @ r_new)
        p = -r_new + (r_new @ r_new) / (r @ r) * p
        r, k = r_new, k + 1
        basis.append(r / np.linalg.norm(r))
    return x, k


def measure(n, kappa, seeds, tol):
    plain, reorth, err = [], [], 0.0
    for s in range(seeds):
        A = spd_matrix(log_spectrum(n, kappa), s)
        b = np.random.default_rng(1000 + s).standard_normal(n)
        res = mtp.linear_cg(A, b, tol=tol)
        x_ref = np.linalg.solve(A, b)
        plain.append(res.nit)
        reorth.append(reorthogonalized_cg(A, b, tol, 10 * n)[1])
        err = max(err, np.linalg.norm(res.x - x_ref) / np.linalg.norm(x_ref))
    return plain, reorth, err


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=20)
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--tol", type=float, default=1e-10)
    args = ap.parse_args(argv)
    print(f"n = {args.n}, tol = {args.tol:g}, {args.seeds} seeds; iterations: median (min-max)")
    for kappa in (1e2, 1e4, 1e6, 1e8):
        plain, reorth, err = measure(args.n, kappa, args.seeds, args.tol)
        fmt = lambda v: f"{np.median(v):g} ({min(v)}-{max(v)})"
        print(f"kappa {kappa:7.0e}: linear_cg {fmt(plain):>16}   re-orthogonalized {fmt(reorth):>12}"
              f"   max |x - solve| / |x| {err:.1e}")


if __name__ == "__main__":
    main()
