# %% [markdown]
# # 04 Nonlinear conjugate gradient: six betas, two line searches, one banana
#
# You will learn:
# 1. the nonlinear CG loop (Nocedal & Wright, Algorithm 5.4) as `minimize_cg` runs it, and
#    the six formulas for beta it offers (N&W (5.41)-(5.50));
# 2. why the line search matters: strong Wolfe steps (N&W (3.7)) against the paper's
#    golden-section search, counted in iterations *and* in function evaluations;
# 3. how to read the per-iteration record `res.history` (f, |g|, alpha, beta, restart, nfev);
# 4. what restarts are (Powell's test, N&W (5.52)) and where they happen on a real path.
#
# The test function is Rosenbrock's banana valley (Moré, Garbow & Hillstrom problem 1),
# f(x, y) = 100 (y - x^2)^2 + (1 - x)^2, from the standard start (-1.2, 1) to x* = (1, 1).

# %%
import numpy as np
import matplotlib.pyplot as plt
import scipy.optimize as so

from minitwophase.tutorial_support import QUICK, savefig
from minitwophase.plotting import COLORS                 # one colour per optimizer, every figure
import minitwophase as mtp
from minitwophase import problems

BETAS = ["FR", "PR", "PR+", "HS", "DY", "HZ"]
rosen2, rosen10 = problems.rosenbrock(2), problems.rosenbrock(10)
print(rosen2.name, "x0 =", rosen2.x0, " x* =", rosen2.x_star, " f* =", rosen2.f_star)

# %% [markdown]
# ## The algorithm in four lines (N&W Algorithm 5.4)
# $$d_0 = -g_0, \qquad x_{k+1} = x_k + \alpha_k d_k, \qquad d_{k+1} = -g_{k+1} + \beta_{k+1} d_k,$$
# $\alpha_k$ from a line search along $d_k$, with $y_k = g_{k+1} - g_k$ and
#
# | name | $\beta_{k+1}$ | N&W |
# |---|---|---|
# | FR (Fletcher-Reeves) | $g_{k+1}^\top g_{k+1} / g_k^\top g_k$ | (5.41a) |
# | PR (Polak-Ribiere) | $g_{k+1}^\top y_k / g_k^\top g_k$ | (5.44) |
# | PR+ | $\max(\beta^{PR}, 0)$ | (5.45) |
# | HS (Hestenes-Stiefel) | $g_{k+1}^\top y_k / d_k^\top y_k$ | (5.46) |
# | DY (Dai-Yuan) | $g_{k+1}^\top g_{k+1} / d_k^\top y_k$ | (5.49) |
# | HZ (Hager-Zhang) | $\left(y_k - 2 d_k \frac{\|y_k\|^2}{d_k^\top y_k}\right)^\top \frac{g_{k+1}}{d_k^\top y_k}$, truncated | (5.50) |
#
# On a quadratic with exact line searches all six equal linear CG's beta; on anything else
# they differ, and so do the paths. Each lives in `minitwophase/optim/cg_beta.py` in 1-3 lines.
# `minimize_cg(fun, x0, beta=..., line_search=...)` takes `fun(x) -> (f, g)` and returns a
# scipy `OptimizeResult`; `nit` counts iterations, `nfev` every fresh call of `fun`.

# %%
def row(name, res):
    return f"{name:<16} {res.nit:>5} {res.nfev:>6} {res.fun:>11.2e}  {res.get('restarts', '-'):>8}"


for prob in (rosen2, rosen10):
    print(f"\n{prob.name}, strong Wolfe line search, gtol 1e-5 (max-norm of g)")
    print(f"{'beta':<16} {'nit':>5} {'nfev':>6} {'f - f*':>11}  {'restarts':>8}")
    for beta in BETAS:
        print(row(beta, mtp.minimize_cg(prob.fun, prob.x0, beta=beta)))
    print(row("scipy CG", so.minimize(prob.fun, prob.x0, jac=True, method="CG")))

# %% [markdown]
# All six reach the minimum. PR, PR+, HS and HZ restart themselves (their beta drops towards
# 0 when steps stall, N&W Section 5.2); FR and DY tend to "jam" in runs of tiny steps, so the
# library adds Powell's restart for them: d = -g whenever |g_{k+1}^T g_k| >= 0.2 ||g_{k+1}||^2 (N&W
# (5.52)), i.e. when successive gradients are far from orthogonal. That is why FR and DY show
# many restarts. (The extended Rosenbrock function with n = 10 is five independent copies of
# the 2-D banana; from the standard start the counts are close to the 2-D ones.)
#
# **An honest note.** scipy's CG needs about as many evaluations as our best beta on the 2-D
# banana and fewer on n = 10, and on the project's eight-problem benchmark
# (`benchmarks/bench_cg.py`, see docs/architecture.md) our default needs more evaluations than scipy's:
# scipy first tries MINPACK's Moré–Thuente line search and falls back to the public
# `scipy.optimize.line_search` that our default (`line_search="wolfe"`) uses. The next
# section replays scipy's CG with that search written out. The totals over the eight problems:

# %%
totals = {b: 0 for b in BETAS + ["scipy CG"]}
for prob in problems.standard_problems():
    for beta in BETAS:
        totals[beta] += mtp.minimize_cg(prob.fun, prob.x0, beta=beta).nfev
    totals["scipy CG"] += so.minimize(prob.fun, prob.x0, jac=True, method="CG").nfev
print("total evaluations over problems.standard_problems():", totals)

# %% [markdown]
# ## Replaying scipy's CG iterate for iterate
# `line_search="scipy"` is MINPACK-2's Moré–Thuente search (Moré & Thuente 1994), hand-written
# in `optim/more_thuente.py` with each case of its step update cited, run with scipy CG's
# constants (c1 = 1e-4, c2 = 0.4), its first trial step min(1, 1.01 * 2 (f_k - f_{k-1}) /
# g_k^T d_k), its descent test (a step is refused if the next PR+ direction would lack
# sufficient descent) and its fallback to `scipy.optimize.line_search`. Inside our stepper the
# run is scipy's, step for step, and it also records what scipy does not: the history, the
# restarts and, through the `on_search` hook, every trial step of every line search.

# %%
scipy_xs = []
ref = so.minimize(rosen2.fun, rosen2.x0, jac=True, method="CG",
                  callback=lambda xk: scipy_xs.append(xk.copy()))   # scipy passes x_k
trials, xs_replay = [], []
ours = mtp.minimize_cg(rosen2.fun, rosen2.x0, line_search="scipy",
                       callback=lambda xk: xs_replay.append(xk),
                       on_search=lambda cg, line, alpha: trials.append(list(line.trials)))
gaps = [float(np.abs(a - b).max()) for a, b in zip(xs_replay, scipy_xs)]
print(f"scipy CG: nit {ref.nit}, nfev {ref.nfev}; replay: nit {ours.nit}, nfev {ours.nfev}")
print(f"largest |x_ours - x_scipy| over all {len(gaps)} iterates: {max(gaps):.1e}")
for k, t in enumerate(trials[:4]):
    print(f"  line search {k}: trial steps {[f'{a:.3g}' for a in t]}")

# %% [markdown]
# The differences are exactly zero: the same floating-point operations in the same order.
# nfev may differ by one or two: scipy evaluates again a point it saw before but not last;
# our line function answers it from its cache.
# CG_DESCENT (Hager & Zhang 2005, 2006) is `beta="HZ", line_search="hager-zhang"`: its
# approximate Wolfe conditions test slopes only, which still works when f has stopped
# changing in float64 near a minimizer. Evaluations per line search on n = 10:

# %%
per_search = {}
for name, kw in (("scipy (Moré–Thuente)", dict(line_search="scipy")),
                 ("wolfe (default)", dict()),
                 ("CG_DESCENT", dict(beta="HZ", line_search="hager-zhang"))):
    counts = []
    res = mtp.minimize_cg(rosen10.fun, rosen10.x0, on_search=lambda cg, line, a: counts.append(line.nfev), **kw)
    per_search[name] = counts
    print(f"{name:<22} nit {res.nit:>4}  nfev {res.nfev:>4}  {res.message}")
fig, ax = plt.subplots(figsize=(7, 4))
top = max(max(c) for c in per_search.values())
for i, (name, counts) in enumerate(per_search.items()):
    h = np.bincount(counts, minlength=top + 1)
    ax.bar(np.arange(top + 1) + (i - 1) * 0.27, h, width=0.27, label=name)
ax.set(xlabel="evaluations in one line search", ylabel="line searches",
       title="rosenbrock(n=10): cost of each line search")
ax.legend()
_ = savefig(fig, "04_line_search_costs.png")

# %% [markdown]
# ## Paths on the banana
# A `callback` sees every iterate; the history's `restart` field says which directions were
# reset to -g ("" = a true CG direction, "initial" = d_0). Row k of `res.history` describes
# the step x_{k-1} -> x_k, so a restart in row k means the step *from* x_{k-1} was steepest
# descent. Contours are log-spaced: f is below 1e-2 along the valley floor and ~1e3 on the
# walls, so linear spacing would show only the walls.

# %%
def run(beta, line_search="wolfe", prob=rosen2):
    xs = [prob.x0.copy()]
    res = mtp.minimize_cg(prob.fun, prob.x0, beta=beta, line_search=line_search,
                          callback=lambda xk: xs.append(xk))
    return res, np.array(xs)


def banana(ax):
    grid = 120 if QUICK else 400                     # quick mode: a coarser contour grid
    u, v = np.meshgrid(np.linspace(-1.6, 1.6, grid), np.linspace(-0.6, 1.6, grid))
    f = 100 * (v - u ** 2) ** 2 + (1 - u) ** 2
    ax.contour(u, v, f, levels=np.logspace(-2, 3, 11), colors="0.6", linewidths=0.6)
    ax.plot(*rosen2.x0, "ks", ms=5)
    ax.plot(1, 1, "k*", ms=12)
    ax.set(xlabel="x", ylabel="y")


def restart_points(res, xs):
    return np.array([xs[r.k - 1] for r in res.history[2:] if r.restart])


fig, axes = plt.subplots(2, 3, figsize=(13, 7.5), sharex=True, sharey=True)
for ax, beta in zip(axes.flat, BETAS):
    res, xs = run(beta)
    banana(ax)
    ax.plot(xs[:, 0], xs[:, 1], "o-", color=COLORS["CG"], ms=3, lw=1, label="CG iterates")
    rp = restart_points(res, xs)
    if len(rp):
        ax.plot(rp[:, 0], rp[:, 1], "x", color="black", ms=8, mew=2, label="restart (d = -g)")
    ax.set_title(f"{beta}: {res.nit} iterations, {res.nfev} evaluations")
    ax.legend(loc="lower right", fontsize=8)
fig.suptitle("Nonlinear CG on 2-D Rosenbrock, strong Wolfe steps (start: square, minimum: star;\n"
             "contours of f log-spaced from 1e-2 to 1e3)")
_ = savefig(fig, "04_rosenbrock_paths.png")

# %% [markdown]
# ## Wolfe against golden section
# The strong Wolfe conditions (N&W (3.7)) accept any step with enough decrease,
# $f(x + a d) \le f(x) + c_1 a\, g^\top d$, and a flattened slope,
# $|g(x + a d)^\top d| \le c_2 |g^\top d|$ (here $c_1 = 10^{-4}$, $c_2 = 0.2$): typically 2-5
# evaluations. The paper's golden-section search
# (Numerical Recipes 10.1) brackets the minimum along d, then shrinks the bracket to relative
# width ~1.5e-8: a near-*exact* line search, at ~40 evaluations per iteration. The history:

# %%
runs = {ls: run("PR+", ls) for ls in ("wolfe", "golden")}
for ls, (res, _) in runs.items():
    print(f"\nPR+ with {ls}: {res.message}  nit={res.nit} nfev={res.nfev}")
    print(f"{'k':>3} {'f':>10} {'|g|':>9} {'alpha':>9} {'beta':>7} {'nfev':>4}  restart")
    for r in res.history[:6]:
        print(f"{r.k:>3} {r.f:>10.3e} {r.gnorm:>9.2e} {r.alpha:>9.2e} {r.beta:>7.3f} {r.nfev:>4}  {r.restart}")

print("\nline search: iterations / evaluations per beta on 2-D Rosenbrock")
for beta in BETAS:
    w, g = run(beta, "wolfe")[0], run(beta, "golden")[0]
    print(f"{beta:<4} wolfe {w.nit:>3} / {w.nfev:>4}   golden {g.nit:>3} / {g.nfev:>5}")

# %% [markdown]
# With (near-)exact steps g_{k+1}^T d_k = 0, so d_k^T y_k = g_k^T g_k: HS becomes PR and DY
# becomes FR, and the golden rows come in pairs. Near-exact steps save iterations where
# beta is poor (FR, DY) but not for PR+ (compare the rows above), and every iteration costs
# about ten times more evaluations. Golden section also gets a Powell restart for every beta
# (a large g_{k+1}^T g_k after an exact step flags lost conjugacy).

# %%
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.8))
banana(ax1)
for (ls, (res, xs)), c in zip(runs.items(), ("tab:blue", "tab:orange")):
    ax1.plot(xs[:, 0], xs[:, 1], "o-", color=c, ms=3, lw=1, label=f"PR+ {ls} ({res.nit} it.)")
    ax2.plot([r.k for r in res.history], np.cumsum([r.nfev for r in res.history]), "o-",
             color=c, ms=3, label=f"{ls}: {res.nfev} evaluations")
ax1.legend(loc="lower right")
ax1.set_title("the same beta (PR+), two line searches")
ax2.set(yscale="log", xlabel="iteration k", ylabel="cumulative evaluations of f and g",
        title="golden needs ~10x more evaluations per iteration")
ax2.legend()
ax2.grid(alpha=0.3)
_ = savefig(fig, "04_wolfe_vs_golden.png")

# %% [markdown]
# ## Convergence: f - f* against iteration
# Far from x* CG makes slow, roughly linear progress; near x*, where f is convex and nearly
# quadratic, it speeds up (with regular restarts N&W Section 5.2 show n-step quadratic
# convergence). Crosses mark the iterates from which a restarted (d = -g) step was taken.

# %%
fig, axes = plt.subplots(1, 2, figsize=(12, 4.8), sharey=True)
for beta, c in zip(BETAS, plt.cm.tab10.colors):
    res = run(beta)[0]
    k = np.array([r.k for r in res.history])
    gap = np.maximum(np.array([r.f for r in res.history]) - rosen2.f_star, 1e-18)
    cost = np.cumsum([r.nfev for r in res.history])
    rs = np.array([i for i, r in enumerate(res.history) if i >= 2 and r.restart])
    for ax, x in zip(axes, (k, cost)):
        ax.plot(x, gap, "-", color=c, label=beta)
        if len(rs):
            ax.plot(x[rs - 1], gap[rs - 1], "x", color=c, ms=6, mew=1.5)
axes[0].set(yscale="log", xlabel="iteration k", ylabel="f(x_k) - f*")
axes[1].set(xlabel="cumulative evaluations")
for ax in axes:
    ax.grid(alpha=0.3, which="both")
    ax.legend(title="beta (x = restart)")
fig.suptitle("2-D Rosenbrock, strong Wolfe steps")
_ = savefig(fig, "04_convergence.png")

# %% [markdown]
# ## What the figures show
# - All six betas follow the valley floor. FR and DY take many short steps along it, most of
#   them restarted by Powell's test (red crosses); PR, PR+, HS and HZ need (almost) no restart.
#   A beta of exactly 0 without a restart flag in the history is PR+'s own truncation.
# - Golden section is not an iteration saver for a good beta; it is ~40 evaluations per
#   line search. The paper uses it; `minimize_cg` defaults to strong Wolfe for that reason.
# - f - f* falls slowly while the path bends around the banana, then drops by many orders
#   of magnitude in the last few iterations: the convex-basin speed-up the paper builds on.
#
# ## What to try next
# - `problems.rosenbrock(10)` with `x0 = rosen10.x0 + 0.1 * np.random.default_rng(0).standard_normal(10)`:
#   break the symmetry between the five bananas and redo the table.
# - `mtp.minimize_cg(..., powell_nu=None)` for FR and DY: how many more iterations without
#   Powell's restart?
# - `restart_every=2` (periodic restarts, N&W Section 5.2) or `c2=0.9` (a loose Wolfe search).
# - `problems.quadratic(problems.log_spectrum(50, 1e3))`: in exact arithmetic with exact
#   steps every beta is linear CG and stops within n = 50 iterations (N&W Theorem 5.1). Count
#   the iterations with Wolfe and golden steps, and with `mtp.linear_cg(q.A, q.b)`: rounding
#   alone costs conjugacy at condition number 1e3.
