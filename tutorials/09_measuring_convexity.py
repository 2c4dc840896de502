# %% [markdown]
# # 09 Measuring convexity: Hessian-vector products, Lanczos, and the paper's hypothesis
#
# The paper (Hrycej et al. 2025) *infers* convexity from the gradient norm: $\|g\|$ rises while
# the loss is non-convex, peaks, and falls once training enters a convex basin. With exact
# gradients we can *measure* it: the loss is locally convex at $\theta$ exactly when the Hessian
# $H(\theta)$ is positive semidefinite, i.e. when its smallest eigenvalue $\lambda_{\min} \ge 0$.
# For 100k parameters $H$ has $10^{10}$ entries, but we never need it: products $H v$ cost two
# gradients, and Lanczos turns products into eigenvalues.
#
# You will learn:
# 1. Hessian-vector products by central differences of gradients (Nocedal & Wright §8.1),
#    and why the step is $\sim u^{1/3}$ (the V curve of the error against the step);
# 2. Lanczos as the eigenvalue twin of linear CG (N&W §5.1, Golub & Van Loan §10.1): the
#    same Krylov space, the same recurrence, Ritz values converging to the extremes;
# 3. `curvature.extreme_eigenvalues`, `trace` and `spectral_density` on lesson 05's toy task
#    (checked against the dense Hessian) and on the MNIST-5k MLP of the main job;
# 4. the paper's hypothesis tested: is the loss convex after the gradient-norm peak?

# %%
import time

import numpy as np
import matplotlib.pyplot as plt

from minitwophase.tutorial_support import QUICK, savefig
import minitwophase as mtp
from minitwophase import curvature, datasets, toy_tanh
from minitwophase.curvature import plots
from minitwophase.models import build_model
from minitwophase.toy_tanh import N
from minitwophase.training.objective import Objective

# %% [markdown]
# ## The toy task of lesson 05
# One hidden tanh layer of 100 units, 10 inputs, 5 real-valued outputs from a random teacher
# network, MSE written by hand on top of the layers (`minitwophase/toy_tanh.py`; see lesson 05
# for the details).

# %%
net = toy_tanh.toy_net()


def mse_and_grad(theta, X, Y):
    return toy_tanh.mse_and_grad(net, theta, X, Y)


tasks = [toy_tanh.make_task(seed) for seed in range(5)]
X, Y = tasks[0]
fun = lambda t: mse_and_grad(t, X, Y)
theta0 = net.init(seed=0)
print(f"{net.size} parameters, {N} samples")

# %% [markdown]
# ## 1. Hessian-vector products from two gradients
# Taylor: $g(x + h v) = g(x) + h H v + \frac{h^2}{2} D^3 g[v, v] + O(h^3)$, so
#
# $$\begin{aligned}
# \text{forward:}\quad \frac{g(x + h v) - g(x)}{h} &= H v + O(h) + \text{rounding} \sim u \|g\| / h\\
# \text{central:}\quad \frac{g(x + h v) - g(x - h v)}{2h} &= H v + O(h^2) + \text{rounding} \sim u \|g\| / h
# \end{aligned}$$
#
# Balancing the two errors gives $h \sim u^{1/2}$ for forward and $h \sim u^{1/3}$ for central
# differences (N&W §8.1), where $u = 2^{-53}$. As a reference we use Richardson extrapolation of
# the central difference, $(4 D(h/2) - D(h)) / 3$ with $h = 10^{-3}$: error $O(h^4) \sim 10^{-12}$.

# %%
u = np.finfo(float).eps
v = np.random.default_rng(0).standard_normal(net.size)
v /= np.linalg.norm(v)
g0 = fun(theta0)[1]


def central(h):
    return (fun(theta0 + h * v)[1] - fun(theta0 - h * v)[1]) / (2 * h)


reference = (4 * central(5e-4) - central(1e-3)) / 3
steps = np.logspace(-12, 0, 49)
err_fwd = [np.linalg.norm((fun(theta0 + h * v)[1] - g0) / h - reference) for h in steps]
err_ctr = [np.linalg.norm(central(h) - reference) for h in steps]
ours = curvature.hvp(fun, theta0, v)
step_ours = curvature.hvp.__globals__["EPS_SCALE"] * (1 + np.linalg.norm(theta0))
rel_ours = np.linalg.norm(ours - reference) / np.linalg.norm(reference)
print(f"|Hv| = {np.linalg.norm(reference):.3f}; curvature.hvp uses step {step_ours:.1e}, "
      f"relative error {rel_ours:.1e}")
print(f"best forward step {steps[np.argmin(err_fwd)]:.0e} (sqrt(u) = {np.sqrt(u):.0e}), "
      f"best central step {steps[np.argmin(err_ctr)]:.0e} (u^(1/3) = {u ** (1 / 3):.0e})")

fig, ax = plt.subplots(figsize=(7, 4.5))
ax.loglog(steps, err_fwd, "o-", ms=3, label="forward difference: O(h) + u/h")
ax.loglog(steps, err_ctr, "s-", ms=3, label="central difference: O(h^2) + u/h")
ax.axvline(step_ours, color="k", ls="--", lw=1, label="curvature.hvp's step u^(1/3) (1 + |x|)")
ax.set(xlabel="step h (along a unit direction)", ylabel="|error of H v|",
       title="Hessian-vector products by finite differences: the V curves")
ax.grid(alpha=0.3, which="both")
ax.legend(fontsize=8)
_ = savefig(fig, "09_hvp_error_vs_step.png")

# %% [markdown]
# ## 2. Lanczos is CG's twin
# Linear CG on $A x = b$ (lesson 03) and Lanczos on $A$ from $q_1 = b / \|b\|$ build the *same*
# Krylov space $\mathrm{span}\{b, A b, A^2 b, \dots\}$: CG's $k$-th residual is parallel to the $(k+1)$-th
# Lanczos vector, and CG's step lengths $\alpha_k$ and betas $\beta_k$ are the tridiagonal $T$'s
# entries in disguise (Golub & Van Loan §10.2):
#
# $$T_{kk} = \frac{1}{\alpha_k} + \frac{\beta_{k-1}}{\alpha_{k-1}}, \qquad T_{k,k+1} = \frac{\sqrt{\beta_k}}{\alpha_k}.$$
#
# CG uses the space to solve a system; Lanczos uses it to find eigenvalues: the eigenvalues
# of $T_k$ (Ritz values) approach $A$'s extreme eigenvalues first, long before $k = n$.

# %%
n = 300
rng = np.random.default_rng(1)
Qm, _ = np.linalg.qr(rng.standard_normal((n, n)))
lam_A = np.r_[np.linspace(0.01, 1.0, n - 3), 2.0, 4.0, 8.0]
A = (Qm * lam_A) @ Qm.T
b = rng.standard_normal(n)

K = 40
x, r = np.zeros(n), b.copy()            # linear CG, N&W Algorithm 5.2
p, residuals, alphas, betas = r.copy(), [], [], []
for k in range(K):
    residuals.append(r / np.linalg.norm(r))
    Ap = A @ p
    alpha = (r @ r) / (p @ Ap)
    x, r_new = x + alpha * p, r - alpha * Ap
    beta = (r_new @ r_new) / (r @ r)
    p, r = r_new + beta * p, r_new
    alphas.append(alpha)
    betas.append(beta)

res = curvature.lanczos(lambda q: A @ q, b, K, keep_basis=True)
cosines = np.abs(np.sum(np.array(residuals) * res.Q, axis=1))
T_from_cg = np.array([1 / alphas[0]] + [1 / alphas[k] + betas[k - 1] / alphas[k - 1] for k in range(1, K)])
off_from_cg = np.sqrt(betas[:K - 1]) / np.array(alphas[:K - 1])
gap = np.abs(T_from_cg - res.alpha) / np.abs(res.alpha)
parted = int(np.argmax(gap > 1e-8)) if np.any(gap > 1e-8) else K
print(f"steps 1-{parted}: |cos(r_k, q_(k+1))| >= {cosines[:parted].min():.10f}; T from CG's alpha, beta "
      f"equals Lanczos' T to {max(gap[:parted].max(), (np.abs(off_from_cg - res.beta) / res.beta)[:parted - 1].max()):.0e}")
print(f"from step {parted + 1} on they part: plain CG's residuals lose orthogonality once a Ritz "
      f"value has converged (Paige), Lanczos here reorthogonalises; at step {K}: cos {cosines[-1]:.2e}")

fig, ax = plt.subplots(figsize=(7, 4.5))
for k in range(1, K + 1):
    theta_k = np.linalg.eigvalsh(np.diag(res.alpha[:k]) + np.diag(res.beta[:k - 1], 1)
                                 + np.diag(res.beta[:k - 1], -1))
    ax.plot(np.full(k, k), theta_k, "k.", ms=2)
for lam in (lam_A.min(), 2.0, 4.0, 8.0):
    ax.axhline(lam, color="tab:red", lw=0.6)
ax.set(xlabel="Lanczos step k", ylabel="Ritz values (eigenvalues of T_k)", yscale="log",
       title="Ritz values converge to the extreme eigenvalues first (red: A's)")
ax.grid(alpha=0.3)
_ = savefig(fig, "09_lanczos_ritz_values.png")

# %% [markdown]
# ## 3. Extreme eigenvalues, trace and density on the toy task, against the dense Hessian
# The toy has 1605 parameters, small enough to build $H$ column by column (1605 products) and
# hand it to `numpy.linalg.eigvalsh`: the ground truth for the product-only estimates.

# %%
def dense_hessian(fun, x):
    H = np.column_stack([curvature.hvp(fun, x, e) for e in np.eye(x.size)])
    return 0.5 * (H + H.T)


# a trained point: Adam then CG, as in lesson 05
theta_star, adam = net.init(seed=0), mtp.Adam(lr=1e-2)
for _ in range(100 if QUICK else 1500):
    adam.step(theta_star, fun(theta_star)[1])
theta_star = mtp.minimize_cg(fun, theta_star, maxiter=30 if QUICK else 400, gtol=1e-8).x

dense = {}
for name, th in (("init", theta0), ("trained", theta_star)):
    lam = np.linalg.eigvalsh(dense_hessian(fun, th))
    dense[name] = lam
    for method in ("lanczos",) if QUICK and name == "trained" else ("eigsh", "lanczos"):
        r = curvature.extreme_eigenvalues(fun, th, tol=1e-6, method=method)
        print(f"{name:8s} {method:8s} lambda_min {r.lambda_min:+.8e} (dense {lam[0]:+.8e}), "
              f"lambda_max {r.lambda_max:.8e} (dense {lam[-1]:.8e}), {r.n_hvp} HVPs, "
              f"converged {r.converged}")
    t = curvature.trace(fun, th, n_samples=50)
    print(f"{name:8s} Hutchinson trace {t.value:.4f} +- {t.stderr:.4f} (dense {lam.sum():.4f})")

# %%
dens = {name: curvature.spectral_density(fun, th, n_vectors=4, steps=60, seed=0)
        for name, th in (("init", theta0), ("trained", theta_star))}
fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
for ax, (name, d) in zip(axes, dens.items()):
    lam = dense[name]
    hist, edges = np.histogram(lam, bins=120, range=(d.grid[0], d.grid[-1]))
    ax.stairs(np.maximum(hist / (lam.size * np.diff(edges)), 1e-10), edges, color="0.6",
              fill=True, alpha=0.5, label="dense eigvalsh histogram")
    ax.plot(d.grid, np.maximum(d.density, 1e-10), color="tab:blue", label="SLQ, 4 probes x 60 steps")
    ax.set(yscale="log", ylim=(1e-5, None), xlabel="eigenvalue", ylabel="density",
           title=f"toy task, {name}: negative mass {d.mass_below(-1e-3 * lam[-1]):.3f} "
                 f"(dense {np.mean(lam < -1e-3 * lam[-1]):.3f})")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
_ = savefig(fig, "09_density_toy.png")

# %% [markdown]
# ## 4. The MNIST-5k MLP of the main job
# 784-128-10 tanh, MSE, 101,770 parameters: no dense Hessian now (it would be 83 GB).
# `curvature.probe` is the measurement the trainer will call: one Lanczos run for both
# extremes (tol 1e-3) plus a short density probe.

# %%
data = datasets.load("mnist5k")
big = build_model("mlp", (1, 28, 28), 10)
subset = slice(0, 500) if QUICK else slice(None)
objective = Objective(big, data.X_train[subset], data.y_train[subset], "mse")
theta_big = big.init(seed=0)
rec = curvature.probe(objective, theta_big, seed=0)
print(f"MNIST-5k MLP at init ({objective.n} images): lambda_min {rec.lambda_min:.4f}, lambda_max "
      f"{rec.lambda_max:.4f}, ratio {rec.ratio:.3f}, negative mass {rec.negative_mass:.3f}; "
      f"{rec.n_hvp} HVPs, {rec.seconds:.1f} s")
print(curvature.convex_verdict(rec).message)

# %% [markdown]
# ## 5. The hypothesis on the toy tasks: convex after the gradient-norm peak?
# Lesson 05's training run: minibatch Adam (batch 100, $\mathrm{lr} = 10^{-3}$) on each task, full-batch $\|g\|$
# into the 0.9 rule after every epoch; here we also measure $\lambda_{\min} / \lambda_{\max}$ at every
# checkpoint. Two starts: Glorot's init scaled by 0.1 (near the saddle at $\theta = 0$, where
# lesson 05 saw the paper's rise-then-fall) and the default init. The rule
# `convex_verdict` uses: convex iff $\lambda_{\min} \ge -10^{-3} \lambda_{\max}$.

# %%
EPOCHS = 20 if QUICK else 300
EVERY = [e for e in range(EPOCHS + 1) if e <= 40 or e % 10 == 0]
TASKS = range(1) if QUICK else range(5)


def train_and_probe(X, Y, init_scale, seed=0):
    fun = lambda t: mse_and_grad(t, X, Y)
    theta, adam, rng = init_scale * net.init(seed=seed), mtp.Adam(lr=1e-3), np.random.default_rng(seed)
    det, rows = mtp.SwapDetector(0.9), []
    for epoch in range(EPOCHS + 1):
        if epoch > 0:
            for batch in np.split(rng.permutation(N), N // 100):
                adam.step(theta, mse_and_grad(theta, X[batch], Y[batch])[1])
        L, g = fun(theta)
        if epoch > 0:
            det.update(np.linalg.norm(g), L)
        if epoch in EVERY:
            r = curvature.probe(fun, theta, seed=epoch, n_vectors=1, steps=30)
            rows.append((epoch, L, np.linalg.norm(g), r.lambda_min, r.lambda_max, r.negative_mass))
    return np.array(rows), det.peak_index + 1, det.swap_index + 1


start = time.perf_counter()
results = {(k, s): train_and_probe(*tasks[k], s) for k in TASKS for s in (0.1, 1.0)}
print(f"trained and probed {len(results)} runs in {time.perf_counter() - start:.0f} s\n")
print("| task | init x | peak epoch | swap epoch | ratio at peak | ratio at swap | convex at swap | "
      f"first convex epoch | convex at every checkpoint after the swap | ratio at epoch {EPOCHS} |")
print("|---|---|---|---|---|---|---|---|---|---|")
for (k, s), (rows, peak, swap) in results.items():
    ep, ratio = rows[:, 0], rows[:, 3] / rows[:, 4]
    convex = ratio >= -1e-3
    at = lambda e: ratio[np.searchsorted(ep, e)] if e in ep else np.nan
    first = ep[convex][0] if convex.any() else None
    after = convex[ep >= swap].all()
    print(f"| {k} | {s} | {peak} | {swap} | {at(peak):+.3g} | {at(swap):+.3g} | "
          f"{'yes' if at(swap) >= -1e-3 else 'no'} | {first} | {'yes' if after else 'no'} | {ratio[-1]:+.3g} |")

# %%
for s in (0.1, 1.0):
    rows, peak, swap = results[(0, s)]
    fig = plots.extremes_figure(rows[:, 0], rows[:, 3], rows[:, 4], peak_epoch=peak, swap_epoch=swap,
                                title=f"toy task 0, init x {s}: extreme Hessian eigenvalues")
    savefig(fig, f"09_extremes_toy_init{s}.png")
rows, peak, swap = results[(0, 0.1)]
fig = plots.gradnorm_loss_figure(rows[:, 1], rows[:, 2], rows[:, 3] / rows[:, 4],
                                 title="toy task 0, init x 0.1: |g| against loss, coloured by curvature")
_ = savefig(fig, "09_gradnorm_vs_loss_curvature.png")

# %% [markdown]
# ## What the measurements say
# Full mode, measured (quick mode trains less; same picture):
# - **Products.** Central differences with `curvature.hvp`'s step $u^{1/3} (1 + \|\theta\|)$ sit at
#   the bottom of the central V curve: $4 \times 10^{-11}$ relative error against the Richardson reference
#   (forward differences bottom out near $10^{-8}$ at a step $\sim 10^{-7}$). Against PyTorch's double
#   backward the tests see $\sim 10^{-10}$ on small networks and on the MNIST-5k MLP.
# - **Twins.** For 13 steps CG's $\alpha$, $\beta$ give Lanczos' $T$ to $4 \times 10^{-11}$ and CG's residuals are
#   Lanczos' vectors; then plain CG loses orthogonality (its Ritz values have converged),
#   while `curvature.lanczos` reorthogonalises and keeps going.
# - **Extremes on the toy** match `eigvalsh` of the dense Hessian to $10^{-7}$ relative or
#   better, but not for the same price: at the trained point $\lambda_{\min} = -4.06 \times 10^{-5}$ sits
#   inside a cluster of near-zero eigenvalues, and restarted eigsh (ncv 20) had not converged after 1000
#   products (nan, converged False), where the unrestarted Lanczos needed 531. Hutchinson's
#   trace is within one standard error of the dense trace at both points. The SLQ density
#   follows the dense histogram; its negative mass (0.58 at init, dense 0.53) carries the
#   sampling error of 4 probes.
# - **MNIST-5k MLP at init**: $\lambda_{\min} = -1.19$, $\lambda_{\max} = 17.0$, ratio $-0.07$, in 81
#   products: a saddle region, as expected at a random start.
# - **The hypothesis, on lesson 05's toy tasks: it does not hold here.** In all 10 runs (5
#   tasks x 2 inits) the Hessian at the gradient-norm peak is indefinite
#   ($\lambda_{\min} / \lambda_{\max}$ from $-0.3$ to $-0.7$), and at the 0.9 rule's swap it still is ($-0.29$ to $-0.36$): the swap
#   happens in a clearly non-convex region. The ratio then climbs towards 0 but after 300 Adam
#   epochs is still $-0.002$ to $-0.004$, outside the $10^{-3}$ band: no run was ever measured convex
#   during Adam. Only the point polished by 1500 Adam steps and 400 CG iterations (section 3)
#   is convex up to flat directions (ratio $-1.7 \times 10^{-5}$, no negative mass). So the gradient-norm
#   peak marks where the loss starts falling fast, not where it turns convex; here convexity
#   at the measurement's resolution appears only very close to a minimum. (The main job on
#   MNIST-5k says the same: `benchmarks/curvature_along_training.py`, docs/results.md.)
#
# ## What to try next
# - `curvature.extreme_eigenvalues(objective, theta, method="eigsh")` at a few epochs of the
#   main job (`benchmarks/curvature_along_training.py` does exactly that).
# - Cross-entropy instead of MSE: is the trained point still convex?
# - More probes in `spectral_density` (`n_vectors`): how fast does the negative mass settle?
