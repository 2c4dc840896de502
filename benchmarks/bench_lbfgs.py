"""L-BFGS (minitwophase.optim.minimize_lbfgs) against scipy's L-BFGS-B on the test problems.

Both stop on max|g| <= 1e-5 only (L-BFGS-B's ftol set to 0), memory m = 10. Prints one row per
problem: iterations and evaluations of f and g for each, and the gap in f. Run:
    python benchmarks/bench_lbfgs.py
"""
import numpy as np
import scipy.optimize as so

from minitwophase import problems
from minitwophase.optim import minimize_lbfgs


def main():
    print("| problem | L-BFGS-B nit / nfev | `wolfe` nit / nfev | `scipy` (Moré–Thuente) nit / nfev "
          "| max abs f difference |")
    print("|---|---|---|---|---|")
    tot = np.zeros(6, dtype=int)
    for p in problems.standard_problems():
        ref = so.minimize(p.fun, p.x0, jac=True, method="L-BFGS-B",
                          options=dict(gtol=1e-5, ftol=0.0, maxiter=15000, maxcor=10))
        w = minimize_lbfgs(p.fun, p.x0, m=10, gtol=1e-5)
        mt = minimize_lbfgs(p.fun, p.x0, m=10, gtol=1e-5, line_search="scipy")
        assert ref.status == w.status == mt.status == 0
        row = (ref.nit, ref.nfev, w.nit, w.nfev, mt.nit, mt.nfev)
        tot += row
        gap = max(abs(w.fun - ref.fun), abs(mt.fun - ref.fun))
        print(f"| {p.name} | {row[0]} / {row[1]} | {row[2]} / {row[3]} | {row[4]} / {row[5]} | {gap:.1e} |")
    print(f"| total | {tot[0]} / {tot[1]} | {tot[2]} / {tot[3]} | {tot[4]} / {tot[5]} | |")


if __name__ == "__main__":
    main()
