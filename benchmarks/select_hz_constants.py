"""Choose the constants of line_search="hager-zhang" (CG_DESCENT) on a held-out selection set.

Run: python benchmarks/select_hz_constants.py. Candidates are CG_DESCENT's own parameters
(Hager & Zhang 2006, ACM TOMS 32(1), Section 3 and its parameter list): QuadStep on/off, the
curvature constant sigma, the switch to the approximate Wolfe conditions (HZ06's rule with
omega = 1e-3, or from the first iteration: omega = inf), the expansion factor rho, psi2 of
I2, CG_DESCENT 1.4's periodic restart d = -g every n iterations (its restart_fac = 1) or
none, and whether the first trial and the expansion points may end the search when they meet
(T1)/(T2) (HZ05 Section 4 ends the search at any such point; CG_DESCENT's code tests the first
trial only after a QuadStep, which is its default and HZ06's). Every candidate runs CG_DESCENT (beta="HZ") on ``problems.selection_problems()``, which
shares no problem with ``standard_problems()`` (bench_cg.py's benchmark), so the choice is not
fitted to the benchmark. Ranking: fewest runs that fail (status != 0), then fewest
evaluations of fun in total. Deterministic.
"""
import itertools

import numpy as np

from minitwophase import problems as P
from minitwophase.optim.nonlinear_cg import NonlinearCG

GTOL = 1e-5
PAPER = dict(quad_step=True, c2=0.9, omega=1e-3, rho=5.0, psi2=2.0, restart="n",
             accept_initial=False)
GRID = dict(quad_step=(True, False), c2=(0.9, 0.5, 0.2), omega=(1e-3, np.inf),
            rho=(5.0, 2.0), psi2=(2.0, 1.0), restart=(None, "n"), accept_initial=(False, True))


class HZVariant(NonlinearCG):
    """CG_DESCENT with some of the rule's class constants replaced (``rule_options``)."""

    def __init__(self, *args, rule_options=None, **kwargs):
        self.rule_options = rule_options or {}
        super().__init__(*args, **kwargs)

    def make_rule(self, rule):
        return type("HZ", (rule,), dict(self.rule_options))(self.c1, self.c2, self.xtol)


def run(p, c2=0.9, restart=None, **rule_options):
    cg = HZVariant(p.fun, p.x0, beta="HZ", line_search="hager-zhang", gtol=GTOL, c2=c2,
                   restart_every=p.n if restart == "n" else None, rule_options=rule_options)
    while not cg.done:
        cg.step()
    return cg


def main():
    problems = P.selection_problems()
    print(f"selection set: {', '.join(p.name for p in problems)}\n")
    rows = []
    for values in itertools.product(*GRID.values()):
        opts = dict(zip(GRID, values))
        runs = [run(p, **opts) for p in problems]
        rows.append((sum(cg.status != 0 for cg in runs), sum(cg.nfev for cg in runs), opts,
                     [cg.nfev for cg in runs]))
    rows.sort(key=lambda r: (r[0], r[1]))
    print("| rank | " + " | ".join(GRID) + " | failed | total nfev |")
    print("|---" * (len(GRID) + 3) + "|")
    for i, (failed, total, o, _) in enumerate(rows, 1):
        tag = " (HZ06's defaults)" if o == PAPER else ""
        print(f"| {i} | " + " | ".join(str(v) for v in o.values()) + f" | {failed} | {total}{tag} |")
    print(f"\nchosen: {rows[0][2]}; per problem: {rows[0][3]}")


if __name__ == "__main__":
    main()
