# %% [markdown]
# # 02 Adam, line by line
#
# You will learn:
# 1. Adam as Kingma & Ba's Algorithm 1, six lines of NumPy, and that `mtp.Adam` is exactly that;
# 2. why the moments need **bias correction** (m_t and v_t start at zero);
# 3. that the first step moves every coordinate by about `lr`, whatever the gradient's size,
#    and that Adam is invariant to rescaling the loss;
# 4. where epsilon goes: PyTorch adds it to sqrt(v_hat), Keras/TensorFlow to sqrt(v_t) (the
#    paper's "epsilon hat"), and when that difference matters;
# 5. what Adam's path looks like on an ill-conditioned quadratic and on Rosenbrock's valley.

# %%
import numpy as np
import matplotlib.pyplot as plt

import minitwophase as mtp
from minitwophase.tutorial_support import QUICK, savefig
from minitwophase.plotting import COLORS                 # one colour per optimizer, every figure
from minitwophase import problems

np.set_printoptions(precision=5)
rosen = problems.rosenbrock(2)          # f(a, b) = 100 (b - a^2)^2 + (1 - a)^2, x0 = (-1.2, 1)

# %% [markdown]
# ## Algorithm 1, by hand
# With $g_t$ the gradient at step $t$ (Kingma & Ba 2015, Algorithm 1):
#
# $$\begin{aligned}
# m_t &= \beta_1 m_{t-1} + (1 - \beta_1) g_t && \text{(mean of } g\text{, exponentially weighted)}\\
# v_t &= \beta_2 v_{t-1} + (1 - \beta_2) g_t^2 && \text{(mean of } g^2\text{, elementwise)}\\
# \hat m_t &= m_t / (1 - \beta_1^t), \quad \hat v_t = v_t / (1 - \beta_2^t) && \text{(bias correction)}\\
# x_t &= x_{t-1} - \mathrm{lr}\, \hat m_t / (\sqrt{\hat v_t} + \epsilon)
# \end{aligned}$$
#
# We run it by hand next to `mtp.Adam` for a few steps on Rosenbrock.

# %%
lr, b1, b2, eps = 1e-2, 0.9, 0.999, 1e-8
x_hand, x_lib = rosen.x0.copy(), rosen.x0.copy()
m, v = np.zeros(2), np.zeros(2)
opt = mtp.Adam(lr=lr, betas=(b1, b2), eps=eps)
for t in range(1, 6):
    g = rosen.fun(x_hand)[1]
    m = b1 * m + (1 - b1) * g
    v = b2 * v + (1 - b2) * g * g
    m_hat, v_hat = m / (1 - b1 ** t), v / (1 - b2 ** t)
    step = lr * m_hat / (np.sqrt(v_hat) + eps)
    x_hand = x_hand - step
    opt.step(x_lib, rosen.fun(x_lib)[1])
    print(f"t={t} g={g} m={m} m_hat={m_hat} step={step}")
print("max |x by hand - mtp.Adam| =", np.max(np.abs(x_hand - x_lib)))

# %% [markdown]
# Look at the first step: m_1 = (1 - beta1) g and v_1 = (1 - beta2) g^2, so after bias
# correction m_hat = g and v_hat = g^2 exactly, and the step is lr g / (|g| + eps) ~ lr sign(g).
# Both coordinates moved by 0.01 although the gradient's entries differ by a factor of ~2.
# Adam's steps are set by `lr`, not by the size of the gradient: below, gradients across twelve
# orders of magnitude all move by ~lr, until |g| comes near eps = 1e-8 (the last entry).

# %%
g = np.array([1e3, 1.0, -1e-3, 1e-6, 1e-9])
x = np.zeros(5)
mtp.Adam(lr=lr).step(x, g)
print("gradient:        ", g)
print("first step / lr: ", -x / lr)

# %% [markdown]
# ## Why bias correction
# m_0 = v_0 = 0, so early on m_t and v_t are biased towards zero: for a constant gradient,
# m_t = (1 - beta1^t) g and v_t = (1 - beta2^t) g^2. Dividing by (1 - beta^t) removes exactly
# this factor (Kingma & Ba, Section 3). Without it the *ratio* m_t / sqrt(v_t) is
# (1 - beta1^t) / sqrt(1 - beta2^t), which is 0.1 / sqrt(0.001) = 3.2 at t = 1 and peaks near
# 6.6 around t = 12: the very first steps would be several times too large. We feed a noisy
# gradient g_t = 1 + 0.2 noise to a one-parameter Adam and read its state.

# %%
T = 300 if QUICK else 3000
rng = np.random.default_rng(0)
opt, x = mtp.Adam(lr=lr), np.zeros(1)
rows = []
for t in range(1, T + 1):
    opt.step(x, np.array([1.0 + 0.2 * rng.standard_normal()]))
    m, v = opt.m[0], opt.v[0]
    m_hat, v_hat = m / (1 - b1 ** t), v / (1 - b2 ** t)
    rows.append((m, m_hat, v, v_hat, m_hat / (np.sqrt(v_hat) + eps), m / (np.sqrt(v) + eps)))
m, m_hat, v, v_hat, step_c, step_u = np.array(rows).T
ts = np.arange(1, T + 1)
for t in (1, 2, 5, 20, 100):
    print(f"t={t:3d}  m={m[t-1]:.3f} m_hat={m_hat[t-1]:.3f}  v={v[t-1]:.4f} v_hat={v_hat[t-1]:.3f}"
          f"  step/lr corrected {step_c[t-1]:.2f}, uncorrected {step_u[t-1]:.2f}")

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
ax1.semilogx(ts, m, label="$m_t$", color="C0", ls="--")
ax1.semilogx(ts, m_hat, label=r"$\hat m_t$", color="C0")
ax1.semilogx(ts, v, label="$v_t$", color="C1", ls="--")
ax1.semilogx(ts, v_hat, label=r"$\hat v_t$", color="C1")
ax1.axhline(1.04, color="grey", lw=0.8, ls=":", label=r"$E[g^2] = 1.04$")
ax1.set(xlabel="step t", ylabel="moment estimate", title=r"Moments of $g_t = 1 + 0.2\,\xi_t$, $\xi_t \sim N(0, 1)$",
        ylim=(0, 1.7))
ax1.legend(loc="upper left", ncol=3, fontsize=8)
ax2.semilogx(ts, step_u, color="C3", ls="--", label=r"uncorrected $m_t / \sqrt{v_t}$")
ax2.semilogx(ts, step_c, color="C2", label=r"corrected $\hat m_t / \sqrt{\hat v_t}$")
ax2.set(xlabel="step t", ylabel="step / lr", title="Step size relative to lr")
ax2.legend()
_ = savefig(fig, "02_bias_correction.png")

# %% [markdown]
# ## Invariance to rescaling the loss
# Multiply the loss by c: every g_t becomes c g_t, m_hat becomes c m_hat, sqrt(v_hat) becomes
# |c| sqrt(v_hat), and the step is unchanged (while eps << |c g|). Plain gradient descent would
# take steps c times larger.

# %%
def run_adam(scale, steps=200):
    x, opt = rosen.x0.copy(), mtp.Adam(lr=lr)
    for _ in range(steps):
        opt.step(x, scale * rosen.fun(x)[1])
    return x

for c in (1e-3, 1e3):
    print(f"loss x {c:g}: max |x - x(unscaled)| after 200 steps = {np.max(np.abs(run_adam(c) - run_adam(1.0))):.1e}")

# %% [markdown]
# ## Where epsilon goes: PyTorch vs Keras
# PyTorch (and `mtp.Adam()`) divide by sqrt(v_hat) + eps. Keras/TensorFlow fold the bias
# correction into the step size, lr_t = lr sqrt(1 - beta2^t) / (1 - beta1^t), and divide by
# sqrt(v_t) + eps, the "epsilon hat" at the end of Kingma & Ba's Section 2
# (`mtp.Adam(epsilon_hat=True)`; the paper this project reproduces trained in Keras). That equals
# the PyTorch form with eps replaced by eps / sqrt(1 - beta2^t): 32 eps at t = 1, 1.26 eps at
# t = 1000, eps in the limit. So the two agree unless |g| is within a few hundred eps of zero.
# Below we feed a constant gradient of every size from 1e-12 to 1e-2 (one coordinate each:
# Adam works elementwise) and compare the step sizes.

# %%
gs = np.logspace(-12, -2, 121)
fig, ax = plt.subplots(figsize=(6.5, 4.2))
for form, kwargs, color in (("PyTorch", {}, "C0"), ("Keras (epsilon_hat)", {"epsilon_hat": True}, "C3")):
    x, opt, prev = np.zeros_like(gs), mtp.Adam(lr=lr, **kwargs), np.zeros_like(gs)
    for t in range(1, 1001):
        opt.step(x, gs)
        if t in (1, 1000):
            ax.semilogx(gs, -(x - prev) / lr, ls="-" if t == 1 else "--", lw=3 if t == 1 else 1.5,
                        color=color, alpha=0.6 if t == 1 else 1.0, label=f"{form}, t = {t}")
            if t == 1:
                print(f"{form:20s} t=1: step/lr at |g| = 1e-7: {-(x - prev)[gs.searchsorted(1e-7)] / lr:.3f}")
        prev = x.copy()
ax.axvline(eps, color="grey", lw=0.8, ls=":")
ax.text(eps / 1.3, 0.5, "eps = 1e-8", fontsize=8, color="grey", ha="right")
ax.set(xlabel="gradient |g| (constant over time)", ylabel="step / lr",
       title="Epsilon placement matters only for tiny gradients")
ax.legend(loc="upper left", fontsize=8)
_ = savefig(fig, "02_epsilon_placement.png")

# %% [markdown]
# With a constant gradient, PyTorch's m_hat = g and v_hat = g^2 at *every* t, so its two curves
# coincide: the step halves where |g| = eps. The Keras curve at t = 1 sits 32x further right
# (effective eps = eps / sqrt(0.001)); by t = 1000 it has nearly caught up. When does this
# matter? Late in training, where some weights see almost no gradient, and in any comparison
# of the paper's Keras numbers with a PyTorch reproduction.

# %% [markdown]
# ## Adam's path on two 2-D problems
# On an ill-conditioned quadratic (eigenvalues 1 and 50, rotated axes) and on Rosenbrock's
# curved valley; contours are log10(f - f*). The first steps are ~lr per coordinate in the
# direction -sign(g): a 45-degree diagonal, not the gradient direction (Adam depends on the
# coordinate axes; rotate the problem and the path changes). On Rosenbrock it zigzags across
# the valley until m averages the oscillation out, then follows the valley floor.

# %%
quad = problems.quadratic([1.0, 50.0], seed=0)
steps = 600 if QUICK else 3000
fig, axes = plt.subplots(1, 2, figsize=(11, 4.5))
for ax, prob, x0, rate in ((axes[0], quad, quad.x_star + [1.5, 1.0], 0.05), (axes[1], rosen, rosen.x0, 0.03)):
    x, opt, path = np.array(x0, dtype=float), mtp.Adam(lr=rate), [np.array(x0, dtype=float)]
    for _ in range(steps):
        opt.step(x, prob.fun(x)[1])
        path.append(x.copy())
    path = np.array(path)
    lo, hi = np.minimum(path.min(0), prob.x_star) - 0.3, np.maximum(path.max(0), prob.x_star) + 0.3
    grid = 80 if QUICK else 200
    A, B = np.meshgrid(np.linspace(lo[0], hi[0], grid), np.linspace(lo[1], hi[1], grid))
    F = np.array([prob.fun(p)[0] for p in np.c_[A.ravel(), B.ravel()]]).reshape(A.shape)
    ax.contour(A, B, np.log10(F - prob.f_star + 1e-3), levels=25, cmap="viridis", linewidths=0.6)
    ax.plot(path[:, 0], path[:, 1], ".-", ms=2, lw=0.7, color=COLORS["Adam"], label=f"Adam, lr {rate}, {steps} steps")
    ax.plot(*x0, "ko", label="start")
    ax.plot(*prob.x_star, "k*", ms=12, label="minimum")
    ax.set(xlabel="$x_1$", ylabel="$x_2$", title=f"{prob.name}: final |x - x*| = {np.linalg.norm(x - prob.x_star):.1e}")
    ax.legend(fontsize=8)
_ = savefig(fig, "02_adam_trajectories.png")

# %% [markdown]
# ## Optional: the same numbers from PyTorch
# If PyTorch is installed, torch.optim.Adam (float64) fed the same gradients lands on the same
# iterates to rounding error. The lesson runs without it (and quick mode skips the slow import).

# %%
try:
    if QUICK:
        raise ImportError("quick mode")
    import torch
except ImportError as why:
    print(f"skipping the PyTorch cross-check ({why})")
else:
    p = torch.tensor(rosen.x0, dtype=torch.float64, requires_grad=True)
    topt = torch.optim.Adam([p], lr=lr)
    x, opt = rosen.x0.copy(), mtp.Adam(lr=lr)
    for _ in range(500):
        p.grad = torch.from_numpy(rosen.fun(p.detach().numpy())[1])
        topt.step()
        opt.step(x, rosen.fun(x)[1])
    print("after 500 steps, max |torch - mtp.Adam| =", np.max(np.abs(p.detach().numpy() - x)))

# %% [markdown]
# ## What to try next
# - Set betas=(0.9, 0.99) or (0.0, 0.999) in the bias-correction cell: what is beta1 for?
# - Find a learning rate at which Adam on Rosenbrock stalls in the valley, then one at which it
#   overshoots. How does the final f - f* depend on lr? (Adam with a fixed lr does not converge
#   to the exact minimizer on noisy problems; here the gradient is exact.)
# - Rerun the epsilon experiment with Keras's own default eps = 1e-7.
