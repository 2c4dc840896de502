"""nit / nfev of every beta x line search of minitwophase's CG against scipy (same gtol).

Run: python benchmarks/bench_cg.py. nfev counts actual calls of fun(x) -> (f, g) made by each
method (a counting wrapper, the same for all), so cached values are never counted.
"scipy CG" uses MINPACK's line search first (scipy's fallback is line_search_wolfe2); the
column "scipy CG/w2" forces that fallback (scipy internals, shown only when patchable) to
separate the cost of the line search from the rest of the algorithm. Our defaults were
chosen on a different problem set (benchmarks/select_cg_defaults.py), never on this one.
"""
import numpy as np
import scipy.optimize as so

import minitwophase as mtp
from minitwophase import problems as P

GTOL = 1e-5
BETAS = ["FR", "PR", "PR+", "HS", "DY", "HZ"]


def counted(fun):
    n = [0]

    def f(x):
        n[0] += 1
        return fun(x)
    return f, n


def run_scipy(p, method, force_wolfe2=False):
    fun, n = counted(p.fun)
    opts = {"gtol": GTOL}        # inf-norm of the (projected) gradient for all three
    if force_wolfe2:
        import scipy.optimize._optimize as internals
        saved = internals.line_search_wolfe1
        internals.line_search_wolfe1 = lambda *a, **k: (None,) * 6
        try:
            r = so.minimize(fun, p.x0, jac=True, method=method, options=opts)
        finally:
            internals.line_search_wolfe1 = saved
    else:
        r = so.minimize(fun, p.x0, jac=True, method=method, options=opts)
    return r.nit, n[0], r.status


def run_ours(p, beta, ls):
    fun, n = counted(p.fun)
    r = mtp.minimize_cg(fun, p.x0, beta=beta, line_search=ls, gtol=GTOL)
    assert r.nfev == n[0]
    return r.nit, n[0], r.status


def main():
    problems = P.standard_problems()
    cols = [("scipy CG", lambda p: run_scipy(p, "CG")),
            ("scipy CG/w2", lambda p: run_scipy(p, "CG", force_wolfe2=True)),
            ("BFGS", lambda p: run_scipy(p, "BFGS")),
            ("L-BFGS-B", lambda p: run_scipy(p, "L-BFGS-B"))]
    cols += [(f"{b} {ls}", (lambda b, ls: lambda p: run_ours(p, b, ls))(b, ls))
             for ls in ("wolfe", "golden") for b in BETAS]
    table = {name: [f(p) for p in problems] for name, f in cols}
    names = [p.name for p in problems]
    print(f"gtol = {GTOL} (inf-norm); cell = nit/nfev, '!s' marks status s != 0\n")
    print("| method | " + " | ".join(names) + " | total nfev |")
    print("|---" * (len(names) + 2) + "|")
    for name, rows in table.items():
        cells = [f"{nit}/{nfev}" + ("" if st == 0 else f"!{st}") for nit, nfev, st in rows]
        print(f"| {name} | " + " | ".join(cells) + f" | {sum(r[1] for r in rows)} |")
    ref, ref_ok = [r[1] for r in table["scipy CG"]], [r[2] == 0 for r in table["scipy CG"]]
    ok_names = ", ".join(nm for nm, ok in zip(names, ref_ok) if not ok) or "none"
    print(f"\nscipy CG failed (status != 0) on: {ok_names}; there the ratio is against a "
          "failed run, marked 'vs failed'.")
    print("\nTarget 1: default (PR+, wolfe) nfev <= 1.2x scipy CG's on every problem:")
    verdicts = []
    for nm, (_, n_ours, st), n_ref, ok in zip(names, table["PR+ wolfe"], ref, ref_ok):
        q = n_ours / n_ref
        verdicts.append(q <= 1.2)
        print(f"  {nm}: {n_ours}/{n_ref} = {q:.2f}x {'PASS' if q <= 1.2 else 'MISS'}"
              + ("" if ok else " (vs failed scipy run)") + ("" if st == 0 else f" (ours status {st})"))
    print(f"  Target 1: {'PASS' if all(verdicts) else 'MISS'} "
          f"({sum(verdicts)}/{len(verdicts)} problems within 1.2x)")
    ours = {k: [r[1] for r in v] for k, v in table.items() if k.split()[0] in BETAS}
    best = min(ours, key=lambda k: sum(ours[k]))
    conv = lambda ns: sum(n for n, ok in zip(ns, ref_ok) if ok)
    print(f"Target 2: best configuration's total below scipy CG's total ({sum(ref)}): {best} = "
          f"{sum(ours[best])} -> {'PASS' if sum(ours[best]) < sum(ref) else 'MISS'}")
    best_c = min(ours, key=lambda k: conv(ours[k]))
    print(f"  over the problems where scipy CG converged only: scipy CG {conv(ref)}, "
          f"PR+ wolfe {conv(ours['PR+ wolfe'])}, best {best_c} {conv(ours[best_c])} -> "
          f"{'PASS' if conv(ours[best_c]) < conv(ref) else 'MISS'}")

if __name__ == "__main__":
    main()
