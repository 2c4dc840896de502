"""Choose NonlinearCG's Wolfe-search defaults on a held-out selection set.

Run: python benchmarks/select_cg_defaults.py [--breakdown]. The candidates are the options
around scipy.optimize.line_search (cg_variants.VariantCG; the library keeps the chosen ones):
the first trial step
(``initial_step``), the curvature constant c2, what to do when the descent test refuses every
Wolfe step (``fallback``), Powell's restart (``powell_nu``) and the bracketing limit
(``ls_maxiter``). Every candidate runs with the default beta (PR+) on
``problems.selection_problems()``, which shares no problem with ``standard_problems()`` (the
benchmark of bench_cg.py), so the choice is not fitted to the benchmark. Ranking: fewest runs
that fail (status != 0), then fewest evaluations of fun in total. Deterministic.

--breakdown prints, for the chosen and the old defaults, where the evaluations go on the
benchmark and the selection sets (per line search: evaluations, first trial accepted,
first trial failing sufficient decrease, doublings of the bracketing phase, Wolfe steps
refused by the descent test) and the restarts by reason.
"""
import collections
import itertools
import sys

import scipy.optimize as so

from cg_variants import INITIAL_STEPS, VariantCG
from minitwophase import problems as P

GTOL = 1e-5
OLD = dict(initial_step="scipy", c2=0.4, descent_test="search", fallback="steepest",
           powell_nu="auto", ls_maxiter=20)
GRID = dict(initial_step=INITIAL_STEPS, c2=(0.1, 0.2, 0.4), descent_test=("search", "restart"),
            fallback=("steepest", "same"), powell_nu=("auto", 0.2), ls_maxiter=(10, 20))


def run(p, **options):
    cg = VariantCG(p.fun, p.x0, beta=options.pop("beta", "PR+"), gtol=GTOL, **options)
    while not cg.done:
        cg.step()
    return cg


def scipy_cg(p):
    n = [0]

    def fun(x):
        n[0] += 1
        return p.fun(x)
    r = so.minimize(fun, p.x0, jac=True, method="CG", options={"gtol": GTOL})
    return n[0], r.status


def select():
    problems = P.selection_problems()
    ref = [scipy_cg(p) for p in problems]
    print(f"selection set: {', '.join(p.name for p in problems)}")
    print(f"scipy CG on it: total nfev {sum(n for n, _ in ref)}, "
          f"status != 0 on {sum(s != 0 for _, s in ref)} problem(s)\n")
    rows = []
    for values in itertools.product(*GRID.values()):
        opts = dict(zip(GRID, values))
        runs = [run(p, **opts) for p in problems]
        failed = sum(cg.status != 0 for cg in runs)
        rows.append((failed, sum(cg.nfev for cg in runs), opts, [cg.nfev for cg in runs]))
    rows.sort(key=lambda r: (r[0], r[1]))
    print("| rank | " + " | ".join(GRID) + " | failed | total nfev |")
    print("|---" * (len(GRID) + 3) + "|")
    for i, (failed, total, o, _) in enumerate(rows, 1):
        old = " (old default)" if o == OLD else ""
        print(f"| {i} | " + " | ".join(str(v) for v in o.values()) + f" | {failed} | {total}{old} |")
    print(f"\nchosen: {rows[0][2]}; per problem: {rows[0][3]}")
    return rows[0][2]


def breakdown(problems, **options):
    c = collections.Counter()

    def on_search(cg, line, alpha):          # NonlinearCG's recording hook
        c["line searches"] += 1
        c["searches with 1 evaluation"] += len(line.trials) == 1
        if line.trials:
            a = line.trials[0]
            c["first trial fails sufficient decrease"] += (
                line.phi(a) > line.phi(0.0) + 1e-4 * a * line.slope(0.0))
        c["doublings"] += sum(b == 2 * a for a, b in zip(line.trials, line.trials[1:]))
        c["Wolfe steps refused by descent test"] += line.rejected

    for p in problems:
        cg = run(p, on_search=on_search, **options)
        c["nfev"] += cg.nfev
        c["iterations"] += cg.nit
        for h in cg.history[1:]:
            if h.restart not in ("", "initial"):
                c[f"restart {h.restart}"] += 1
    return c


def main():
    chosen = select()
    if "--breakdown" in sys.argv:
        for set_name, problems in (("benchmark", P.standard_problems()),
                                   ("selection", P.selection_problems())):
            for label, opts in (("old defaults", OLD), ("chosen", chosen)):
                c = breakdown(problems, **opts)
                print(f"\n{set_name} set, {label}: " + ", ".join(f"{k} {v}" for k, v in c.items())
                      + f"; evaluations per search {c['nfev'] / c['line searches']:.2f}")


if __name__ == "__main__":
    main()
