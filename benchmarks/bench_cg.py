"""Evaluations of fun(x) -> (f, g) used by scipy's CG, L-BFGS-B and minitwophase's CG.

Run: python benchmarks/bench_cg.py [--betas]. One table, one row per problem
(problems.standard_problems() and two learning problems on the bundled digits,
digits_problems.py), one column per method, cell = nit/nfev with '!s' marking status s != 0:
  scipy CG       scipy.optimize.minimize(method="CG") (Moré–Thuente first, then the public
                 scipy.optimize.line_search)
  scipy CG/w2    scipy's CG forced onto the public search only, computed by replaying it
                 (cg_variants.PublicSearchCG; tests check it equals scipy with its private
                 search disabled)
  L-BFGS-B       scipy.optimize.minimize(method="L-BFGS-B")
  wolfe          minimize_cg defaults (PR+, line_search="wolfe")
  scipy          minimize_cg(beta="PR+", line_search="scipy"): the replay of scipy's CG
  hager-zhang    minimize_cg(beta="HZ", line_search="hager-zhang"): CG_DESCENT
nfev counts actual calls of fun (one counting wrapper for all), gtol = 1e-5 in the inf-norm
for all. Defaults were chosen on problems.selection_problems() (select_cg_defaults.py,
select_hz_constants.py), never on these problems. --betas adds every beta with each search.
"""
import sys

import numpy as np
import scipy.optimize as so

import minitwophase as mtp
from cg_variants import PublicSearchCG, run
from digits_problems import digits_problems
from minitwophase import problems as P

GTOL = 1e-5


def counted(fun):
    n = [0]

    def f(x):
        n[0] += 1
        return fun(x)
    return f, n


def scipy_method(method):
    def go(p):
        fun, n = counted(p.fun)
        r = so.minimize(fun, p.x0, jac=True, method=method, options={"gtol": GTOL})
        return r.nit, n[0], r.status, r.x
    return go


def public_search(p):
    fun, n = counted(p.fun)
    cg = run(PublicSearchCG(fun, p.x0, gtol=GTOL))
    return cg.nit, n[0], cg.status, cg.x


def ours(beta, line_search):
    def go(p):
        fun, n = counted(p.fun)
        r = mtp.minimize_cg(fun, p.x0, beta=beta, line_search=line_search, gtol=GTOL)
        assert r.nfev == n[0], "minimize_cg's nfev must equal the calls counted outside"
        return r.nit, n[0], r.status, r.x
    return go


METHODS = {"scipy CG": scipy_method("CG"), "scipy CG/w2": public_search,
           "L-BFGS-B": scipy_method("L-BFGS-B"), "wolfe": ours("PR+", "wolfe"),
           "scipy": ours("PR+", "scipy"), "hager-zhang": ours("HZ", "hager-zhang")}


def table(problems, methods):
    res = {m: [go(p) for p in problems] for m, go in methods.items()}
    names = list(methods)
    print("| problem | " + " | ".join(names) + " |")
    print("|---" * (len(names) + 1) + "|")
    for i, p in enumerate(problems):
        cells = [f"{r[i][0]}/{r[i][1]}" + ("" if r[i][2] == 0 else f"!{r[i][2]}")
                 for r in res.values()]
        print(f"| {p.name} | " + " | ".join(cells) + " |")
    n_std = len(P.standard_problems())
    for label, rows in (("total, bench_cg's problems", slice(0, n_std)),
                        ("total, all", slice(None))):
        print(f"| **{label}** | " + " | ".join(str(sum(r[1] for r in res[m][rows]))
                                              for m in names) + " |")
    for ref in ("scipy CG", "scipy CG/w2", "L-BFGS-B"):
        tot_ref = sum(r[1] for r in res[ref])
        print(f"| ratio to {ref} (all) | " + " | ".join(
            f"{sum(r[1] for r in res[m]) / tot_ref:.2f}" for m in names) + " |")
    return res


def verdicts(problems, res):
    n_std = len(P.standard_problems())
    ref, w2, ours_w = res["scipy CG"], res["scipy CG/w2"], res["wolfe"]
    print("\nTargets")
    tw, t2 = sum(r[1] for r in ours_w[:n_std]), sum(r[1] for r in w2[:n_std])
    per = [(p.name, a[1] / b[1]) for p, a, b in zip(problems[:n_std], ours_w, w2)]
    worst = [f"{nm} {q:.2f}x" for nm, q in per if q > 1.3]
    print(f"- wolfe vs scipy CG/w2 on bench_cg's problems: total {tw}/{t2} = {tw / t2:.3f}x "
          f"(target <= 1.1x: {'HOLDS' if tw <= 1.1 * t2 else 'MISSED'}); each <= 1.3x: "
          + ("HOLDS" if not worst else "MISSED on " + ", ".join(worst)))
    bad = []
    for p, a, b in zip(problems, res["scipy"], ref):
        if b[2] != 0:
            continue
        rel = np.linalg.norm(a[3] - b[3]) / max(np.linalg.norm(b[3]), 1e-300)
        if a[0] != b[0] or a[2] != b[2] or rel > 1e-8 or abs(a[1] - b[1]) > 2:
            bad.append(f"{p.name} (nit {a[0]}/{b[0]}, nfev {a[1]}/{b[1]}, rel {rel:.1e})")
    skipped = [p.name for p, b in zip(problems, ref) if b[2] != 0]
    print("- scipy replay (same nit and status, x within 1e-8 relative, nfev within 2) where "
          f"scipy's CG converges: {'HOLDS' if not bad else 'MISSED on ' + '; '.join(bad)}"
          f" (scipy's CG fails on: {', '.join(skipped) or 'none'})")
    for label, rows in (("bench_cg's problems", slice(0, n_std)), ("all problems", slice(None))):
        th = sum(r[1] for r in res["hager-zhang"][rows])
        ts = sum(r[1] for r in ref[rows])
        print(f"- hager-zhang (CG_DESCENT) vs scipy CG, {label}: {th}/{ts} = {th / ts:.3f}x "
              f"(target <= 0.8x: {'HOLDS' if th <= 0.8 * ts else 'MISSED'})")
    failed = [p.name for p, r in zip(problems, res["hager-zhang"]) if r[2] != 0]
    print("- hager-zhang: every run converges: "
          + ("HOLDS" if not failed else "MISSED on " + ", ".join(failed)))
    th = sum(r[1] for r in res["hager-zhang"])
    tl = sum(r[1] for r in res["L-BFGS-B"])
    print(f"- hager-zhang vs L-BFGS-B, all problems: {th}/{tl} = {th / tl:.2f}x")


def main():
    problems = P.standard_problems() + digits_problems()
    print(f"gtol = {GTOL} (inf-norm); cell = nit/nfev, '!s' marks status s != 0\n")
    res = table(problems, METHODS)
    verdicts(problems, res)
    if "--betas" in sys.argv:
        print("\nEvery beta with each of our searches, bench_cg's problems:\n")
        table(P.standard_problems(), {f"{b} {ls}": ours(b, ls) for ls in
                                      ("wolfe", "scipy", "hager-zhang", "golden")
                                      for b in ("FR", "PR", "PR+", "HS", "DY", "HZ")})


if __name__ == "__main__":
    main()
