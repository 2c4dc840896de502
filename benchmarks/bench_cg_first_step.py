"""Evaluations per CG iteration on a small MLP: the default search's first trial and the golden
tolerance, before and after, in one process.

Run: python benchmarks/bench_cg_first_step.py [--iters 40] [--adam 300]
Problems: benchmarks/digits_problems.py's MLP 64-16-10 on digits[:500] (MSE), and the same MLP
with a softmax output (MSE on probabilities, a Keras classifier with activation="softmax"; the
softmax layer is local to this script), each from its init and from the point Adam (lr 1e-2)
reaches after --adam steps (late in training the accepted steps are long, where a first trial
capped at 1 doubles its way up).
Rows:
  wolfe (scipy's first trial)  before: min(1, 1.01 * 2 (f_k - f_{k-1}) / phi'(0)) (scipy's CG)
  wolfe (scale-free)           after: line_search.first_step (N&W (3.60) capped at 2 alpha_{k-1},
                               CG_DESCENT's I0 at k = 0), the default
  golden xtol=sqrt(eps)        before: the old tolerance
  golden xtol=2e-4             after: Numerical Recipes' linmin TOL, the default; with jac= its
                               probes are f alone (forward passes), counted separately
Prints nfev / nit, njev / nit and the loss reached after the same number of iterations, and the
ratio after / before.
"""
import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cg_variants import VariantCG  # noqa: E402
from digits_problems import digits_problems  # noqa: E402

import minitwophase as mtp  # noqa: E402
from minitwophase import nn  # noqa: E402
from minitwophase.datasets import load_digits  # noqa: E402
from minitwophase.optim.nonlinear_cg import NonlinearCG  # noqa: E402
from minitwophase.problems import Problem  # noqa: E402


def softmax_mlp():
    d = load_digits()
    net = nn.Sequential([nn.Dense(64, 16), nn.Tanh(), nn.Dense(16, 10), nn.Softmax()])
    X, y = d.X_train[:500], d.y_train[:500]
    return Problem("MLP 64-16-10 + softmax digits[:500] (MSE)",
                   lambda t: net.loss_and_grad(t, X, y, loss="mse"), net.init(seed=0), None,
                   np.nan)


def adam_point(p, steps):
    theta, opt = p.x0.copy(), mtp.Adam(lr=1e-2)
    for _ in range(steps):
        opt.step(theta, p.fun(theta)[1])
    return theta


def run(cg, iters):
    while not cg.done and cg.nit < iters:
        cg.step()
    return cg


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--iters", type=int, default=40)
    ap.add_argument("--adam", type=int, default=300)
    a = ap.parse_args()
    for p in (digits_problems()[1], softmax_mlp()):
        compare(p, a)


def compare(p, a):
    f_only = lambda x: p.fun(x)[0]           # noqa: E731  (a forward pass; loss_and_grad here)
    grad = lambda x: p.fun(x)[1]             # noqa: E731
    eps = np.sqrt(np.finfo(float).eps)
    for start, x0 in (("init", p.x0), (f"Adam {a.adam} steps", adam_point(p, a.adam))):
        print(f"\n{p.name}, from {start} (f = {p.fun(x0)[0]:.5f}), {a.iters} CG iterations")
        print(f"{'search':<32} {'nit':>4} {'nfev/it':>8} {'njev/it':>8} {'loss':>10} status")
        rows = {
            "wolfe (scipy's first trial)": VariantCG(p.fun, x0, initial_step="scipy"),
            "wolfe (scale-free)": NonlinearCG(p.fun, x0),
            "golden xtol=sqrt(eps)": NonlinearCG(f_only, x0, line_search="golden", jac=grad,
                                                 xtol=eps),
            "golden xtol=2e-4": NonlinearCG(f_only, x0, line_search="golden", jac=grad),
        }
        per = {}
        for name, cg in rows.items():
            run(cg, a.iters)
            per[name] = cg.nfev / max(cg.nit, 1)
            print(f"{name:<32} {cg.nit:>4} {per[name]:>8.2f} {cg.njev / max(cg.nit, 1):>8.2f} "
                  f"{cg.f:>10.6f} {cg.status}")
        w_before, w_after, g_before, g_after = (per[k] for k in rows)
        print(f"ratio nfev/it after/before: wolfe {w_after / w_before:.2f}, "
              f"golden {g_after / g_before:.2f}")


if __name__ == "__main__":
    main()
