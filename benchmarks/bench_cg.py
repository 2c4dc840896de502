"""Evaluations of fun(x) -> (f, g) used by scipy's CG, L-BFGS-B and minitwophase's CG.

Run: python benchmarks/bench_cg.py [--betas]. Sections, all in one run:

1. One table, one row per problem (problems.standard_problems() and two learning problems on
   the bundled digits, digits_problems.py), one column per method, cell = nit/nfev (nfev per
   iteration), '!s' marking status s != 0; then totals, ratios to scipy CG and evaluations
   per iteration:
     scipy CG     scipy.optimize.minimize(method="CG")
     scipy CG/w2  scipy's CG forced onto the public scipy.optimize.line_search, replayed
                  (cg_variants.PublicSearchCG; tests check it equals scipy with its private
                  search disabled): the reference of the `wolfe` target
     L-BFGS-B     scipy.optimize.minimize(method="L-BFGS-B")
     wolfe        minimize_cg defaults (PR+, line_search="wolfe")
     golden       minimize_cg(line_search="golden"): the paper's search
     scipy        minimize_cg(beta="PR+", line_search="scipy"): the replay of scipy's CG
     hager-zhang  minimize_cg(beta="HZ", line_search="hager-zhang"): CG_DESCENT with the
                  constants chosen on problems.selection_problems() (select_hz_constants.py)
     HZ06         the same with HZ06's published defaults (select_hz_constants.PAPER)
2. Where CG_DESCENT's evaluations go, per problem (the rule's ``counts``): QuadStep probes,
   first trials, bracket expansion, secant^2, bisection, gradients re-evaluated after the
   search ("other"), and how many searches ended at their first trial.
3. Scale test on scipy's maximum-entropy test problem, s = 1e-50 ... 1e50, gtol = 1e-5 s:
   f(s x) from x0 / s, and s f(x) from x0; iterations and status, scipy CG and our default.
4. Preconditioning: an ill-scaled quadratic diag(s) A diag(s), plain and with the diagonal
   preconditioner s^2 (needs ``minimize_cg(precond=)``; says so when this build lacks it).
nfev counts actual calls of fun (one counting wrapper for all), gtol = 1e-5 in the inf-norm
unless stated. Constants were chosen on problems.selection_problems(), never on these problems.
--betas adds every beta with each search.
"""
import inspect
import sys

import numpy as np
import scipy.optimize as so

import minitwophase as mtp
from cg_variants import PublicSearchCG, run
from digits_problems import digits_problems
from minitwophase import problems as P
from minitwophase.optim.nonlinear_cg import NonlinearCG
from select_hz_constants import PAPER, HZVariant

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
        return dict(nit=r.nit, nfev=n[0], status=r.status, x=r.x)
    return go


def ours(beta, line_search):
    def go(p):
        fun, n = counted(p.fun)
        cg = NonlinearCG(fun, p.x0, beta=beta, line_search=line_search, gtol=GTOL)
        while not cg.done:
            cg.step()
        assert cg.nfev == n[0], "minimize_cg's nfev must equal the calls counted outside"
        return dict(nit=cg.nit, nfev=n[0], status=cg.status, x=cg.x,
                    counts=dict(getattr(cg.search, "counts", {})))
    return go


def public_search(p):
    fun, n = counted(p.fun)
    cg = run(PublicSearchCG(fun, p.x0, gtol=GTOL))
    return dict(nit=cg.nit, nfev=n[0], status=cg.status, x=cg.x)


def hz06(p):
    """CG_DESCENT with HZ06's published defaults (select_hz_constants.PAPER)."""
    opts = dict(PAPER)
    c2, restart = opts.pop("c2"), opts.pop("restart")
    fun, n = counted(p.fun)
    cg = HZVariant(fun, p.x0, beta="HZ", line_search="hager-zhang", gtol=GTOL, c2=c2,
                   restart_every=p.n if restart == "n" else None, rule_options=opts)
    while not cg.done:
        cg.step()
    return dict(nit=cg.nit, nfev=n[0], status=cg.status, x=cg.x, counts=dict(cg.search.counts))


METHODS = {"scipy CG": scipy_method("CG"), "scipy CG/w2": public_search,
           "L-BFGS-B": scipy_method("L-BFGS-B"),
           "wolfe": ours("PR+", "wolfe"), "golden": ours("PR+", "golden"),
           "scipy": ours("PR+", "scipy"), "hager-zhang": ours("HZ", "hager-zhang"),
           "HZ06": hz06}


def per_it(r):
    return r["nfev"] / max(r["nit"], 1)


def table(problems, methods, n_bench):
    res = {m: [go(p) for p in problems] for m, go in methods.items()}
    names = list(methods)
    print("| problem | " + " | ".join(names) + " |")
    print("|---" * (len(names) + 1) + "|")
    for i, p in enumerate(problems):
        cells = [f"{r[i]['nit']}/{r[i]['nfev']} ({per_it(r[i]):.1f})"
                 + ("" if r[i]["status"] == 0 else f"!{r[i]['status']}") for r in res.values()]
        print(f"| {p.name} | " + " | ".join(cells) + " |")
    ref = "scipy CG"
    for label, rows in ((f"bench_cg's {n_bench} problems", slice(0, n_bench)),
                        ("all, digits included", slice(None))):
        tot = {m: sum(r["nfev"] for r in res[m][rows]) for m in names}
        its = {m: sum(r["nit"] for r in res[m][rows]) for m in names}
        print(f"| **total nfev, {label}** | " + " | ".join(str(tot[m]) for m in names) + " |")
        print(f"| ratio to {ref}, {label} | "
              + " | ".join(f"{tot[m] / tot[ref]:.2f}" for m in names) + " |")
        print(f"| nfev per iteration, {label} | "
              + " | ".join(f"{tot[m] / max(its[m], 1):.2f}" for m in names) + " |")
    return res


def where_evaluations_go(problems, res, methods=("hager-zhang", "HZ06")):
    keys = ("quad", "initial", "bracket", "secant", "bisect")
    print("\nWhere CG_DESCENT's evaluations go (per iteration; 'other' = gradients re-evaluated"
          " after the search, and f(x_0); 'first ok' = searches ended at their first trial)\n")
    print("| method | problem | nit | nfev/it | " + " | ".join(keys) + " | other | first ok |")
    print("|---" * (len(keys) + 6) + "|")
    for m in methods:
        tot = dict.fromkeys(keys + ("other", "accepted initial", "nit", "nfev"), 0)
        for p, r in zip(problems, res[m]):
            c, it = r["counts"], max(r["nit"], 1)
            other = r["nfev"] - sum(c.get(k, 0) for k in keys)
            for k in keys:
                tot[k] += c.get(k, 0)
            tot["other"] += other
            tot["accepted initial"] += c.get("accepted initial", 0)
            tot["nit"] += r["nit"]
            tot["nfev"] += r["nfev"]
            print(f"| {m} | {p.name} | {r['nit']} | {per_it(r):.2f} | "
                  + " | ".join(f"{c.get(k, 0) / it:.2f}" for k in keys)
                  + f" | {other / it:.2f} | {c.get('accepted initial', 0) / it:.0%} |")
        it = tot["nit"]
        print(f"| {m} | **all** | {it} | {tot['nfev'] / it:.2f} | "
              + " | ".join(f"{tot[k] / it:.2f}" for k in keys)
              + f" | {tot['other'] / it:.2f} | {tot['accepted initial'] / it:.0%} |")


def max_entropy(s=1.0):
    """scipy's CG test problem (scipy/optimize/tests/test_optimize.py, CheckOptimize: the
    maximum-entropy translation model of Berger et al. 1996), as f(s x): solution / s."""
    F = np.array([[1, 1, 1], [1, 1, 0], [1, 0, 1], [1, 0, 0], [1, 0, 0]], dtype=float)
    K = np.array([1.0, 0.3, 0.5])

    def fun(x):
        z = F @ (s * x)
        with np.errstate(over="ignore"):    # scipy's formula overflows to inf far out
            log_z = np.log(np.sum(np.exp(z)))
        p = np.exp(z - log_z)
        return log_z - K @ (s * x), s * (F.T @ p - K)
    return fun


def scale_test():
    print("\nScale test on scipy's maximum-entropy problem, gtol = 1e-5 s; cell = nit/nfev, "
          "status. x scaled: f(s x) from x0 / s = 0 (the solution is x* / s); f scaled: "
          "s f(x) from x0 (scipy's test_initial_step_scaling convention)\n")
    print("| s | x scaled: scipy CG | x scaled: wolfe (ours) | f scaled: scipy CG | "
          "f scaled: wolfe (ours) |")
    print("|---|---|---|---|---|")
    base = max_entropy(1.0)
    for s in (1e-50, 1e-25, 1.0, 1e25, 1e50):
        cells = []
        for fun in (max_entropy(s), lambda x: tuple(s * v for v in base(x))):
            f1, n1 = counted(fun)
            r1 = so.minimize(f1, np.zeros(3), jac=True, method="CG", options={"gtol": 1e-5 * s})
            f2, n2 = counted(fun)
            r2 = mtp.minimize_cg(f2, np.zeros(3), gtol=1e-5 * s)
            cells += [f"{r1.nit}/{n1[0]}, {r1.status}", f"{r2.nit}/{n2[0]}, {r2.status}"]
        print(f"| {s:.0e} | " + " | ".join(cells) + " |")


def takes_precond():
    params = set(inspect.signature(mtp.minimize_cg).parameters)
    params |= set(inspect.signature(NonlinearCG.__init__).parameters)
    return "precond" in params


def preconditioned():
    print("\nPreconditioned CG on an ill-scaled quadratic diag(s) A diag(s) (A: n = 50, cond "
          "1e2; s log-spaced in [0.1, 10]); cell = nit/nfev, status\n")
    base = P.quadratic(P.log_spectrum(50, 1e2), seed=0)
    s = np.logspace(-1, 1, base.n)
    A, b = base.A, base.b

    def fun(x):                        # f(x) = 0.5 (Sx)^T A (Sx) - b^T (Sx)
        y = s * x
        Ay = A @ y
        return 0.5 * (y @ Ay) - b @ y, s * (Ay - b)
    runs = [("A itself (the target)", base.fun, {}), ("diag(s) A diag(s), plain", fun, {})]
    if takes_precond():
        runs.append(("diag(s) A diag(s), precond=s**2", fun, dict(precond=s ** 2)))
    print("| problem | wolfe | scipy CG |")
    print("|---|---|---|")
    for name, f, kw in runs:
        fo, no = counted(f)
        r = mtp.minimize_cg(fo, np.zeros(base.n), gtol=GTOL, **kw)
        cell_ref = "(no preconditioner)"
        if not kw:
            fs, ns = counted(f)
            rs = so.minimize(fs, np.zeros(base.n), jac=True, method="CG",
                             options={"gtol": GTOL})
            cell_ref = f"{rs.nit}/{ns[0]}, {rs.status}"
        print(f"| {name} | {r.nit}/{no[0]}, {r.status} | {cell_ref} |")
    if not takes_precond():
        print("\nprecond: not available in this build")


def verdicts(problems, res, n_bench):
    ref = res["scipy CG"]
    print("\nTargets")
    w2, ours_w = res["scipy CG/w2"][:n_bench], res["wolfe"][:n_bench]
    tw, t2 = sum(r["nfev"] for r in ours_w), sum(r["nfev"] for r in w2)
    worst = [f"{p.name} {a['nfev'] / b['nfev']:.2f}x" for p, a, b in zip(problems, ours_w, w2)
             if a["nfev"] > 1.3 * b["nfev"]]
    print(f"- wolfe vs scipy CG/w2 on bench_cg's problems: total {tw}/{t2} = {tw / t2:.3f}x "
          f"(target <= 1.1x: {'HOLDS' if tw <= 1.1 * t2 else 'MISSED'}); each <= 1.3x: "
          + ("HOLDS" if not worst else "MISSED on " + ", ".join(worst)))
    bad = []
    for p, a, b in zip(problems, res["scipy"], ref):
        if b["status"] != 0:
            continue
        if a["nit"] != b["nit"] or a["nfev"] != b["nfev"] or not np.array_equal(a["x"], b["x"]):
            bad.append(f"{p.name} (nit {a['nit']}/{b['nit']}, nfev {a['nfev']}/{b['nfev']})")
    skipped = [p.name for p, b in zip(problems, ref) if b["status"] != 0]
    print("- scipy replay (same nit, nfev and x bit for bit) where scipy's CG converges: "
          f"{'HOLDS' if not bad else 'MISSED on ' + '; '.join(bad)}"
          f" (scipy's CG fails on: {', '.join(skipped) or 'none'})")
    for m in ("hager-zhang", "HZ06"):
        for label, rows in ((f"bench_cg's {n_bench} problems", slice(0, n_bench)),
                            ("all, digits included", slice(None))):
            th = sum(r["nfev"] for r in res[m][rows])
            ts = sum(r["nfev"] for r in ref[rows])
            print(f"- {m} vs scipy CG, {label}: {th}/{ts} = {th / ts:.3f}x "
                  f"(target <= 0.8x: {'HOLDS' if th <= 0.8 * ts else 'MISSED'})")
        failed = [p.name for p, r in zip(problems, res[m]) if r["status"] != 0]
        print(f"- {m}: every run converges: "
              + ("HOLDS" if not failed else "MISSED on " + ", ".join(failed)))


def main():
    bench = P.standard_problems()
    problems = bench + digits_problems()
    print(f"gtol = {GTOL} (inf-norm); cell = nit/nfev (nfev per iteration), '!s' marks "
          "status s != 0\n")
    res = table(problems, METHODS, len(bench))
    where_evaluations_go(problems, res)
    scale_test()
    preconditioned()
    verdicts(problems, res, len(bench))
    if "--betas" in sys.argv:
        print("\nEvery beta with each of our searches, bench_cg's problems:\n")
        table(bench, {f"{b} {ls}": ours(b, ls) for ls in ("wolfe", "scipy", "hager-zhang",
                                                          "golden")
                      for b in ("FR", "PR", "PR+", "HS", "DY", "HZ")}, len(bench))


if __name__ == "__main__":
    main()
