# %% [markdown]
# # 05 The convexity hypothesis on toy tanh networks
#
# The paper's bet (Hrycej et al. 2025, Section 3 and Figs. 1-2): far from a minimum the loss
# is non-convex, near one it is convex, and the gradient norm shows the swap: while the loss
# falls, |g| first *rises*, peaks, then *falls* towards zero. Algorithm 1 turns that into a
# rule: run Adam, and swap to CG once |g| <= 0.9 x its peak so far.
#
# You will learn:
# 1. to build the paper's toy (one hidden tanh layer, 100 units, 5 random tasks) and read a
#    real-valued MSE written by hand on top of the layer protocol, checked by finite differences;
# 2. to read loss and gradient norm along a scaling parameter s, and why in one dimension the
#    peak of |dL/ds| *is* the concave -> convex swap;
# 3. to feed a training run into `mtp.SwapDetector` and `find_peaks_report`, and to see where
#    the paper's picture appears and where it does not.

# %%
import numpy as np
import matplotlib.pyplot as plt

from minitwophase.tutorial_support import QUICK, savefig
import minitwophase as mtp
from minitwophase import nn, toy_tanh
from minitwophase.plotting import COLORS, loss_axis      # the package's figure style
from minitwophase.peaks import find_peaks_report
from minitwophase.toy_tanh import D, HIDDEN, M, N    # inputs, hidden tanh units, outputs, samples

net = toy_tanh.toy_net(D, HIDDEN, M)        # Dense(D, HIDDEN), Tanh, Dense(HIDDEN, M)
print(net)

# %% [markdown]
# ## Five random tasks
# Our choice (the paper gives no details): inputs X ~ N(0, I), targets Y from a random
# "teacher" network (10-20-5 tanh, Glorot init, its own seed per task), each output column
# standardised to mean 0 and variance 1. The targets are real-valued, so the library's MSE on
# one-hot labels does not fit; we write $\mathrm{MSE}(\theta)$ = the mean over all $N M$ entries
# of $(\mathrm{net}(X) - Y)^2$ ourselves, with $\partial L / \partial\,\mathrm{out} = 2 (\mathrm{out} - Y) / (N M)$, and backpropagate it through
# the layers' own `forward`/`backward` (lesson 01), writing gradients into views of one vector.
# Both live in `minitwophase/toy_tanh.py` (one screen, read it: `make_task` and
# `mse_and_grad`), shared with lesson 09.

# %%
def mse_and_grad(theta, X, Y):
    return toy_tanh.mse_and_grad(net, theta, X, Y)


tasks = [toy_tanh.make_task(seed) for seed in range(5)]
X, Y = tasks[0]
theta = net.init(seed=0)
numeric = nn.numerical_gradient(lambda t: mse_and_grad(t, X[:20], Y[:20])[0], theta)
err = nn.relative_error(mse_and_grad(theta, X[:20], Y[:20])[1], numeric, norm=True)
print(f"gradient check on 20 samples, all {net.size} parameters: relative error {err:.1e}")

# %% [markdown]
# ## A scaling parameter: the ray from 0 through a minimum
# For each task we first find a (local) minimum theta* (full-batch Adam, then CG), then walk
# $\theta(s) = s\,\theta^*$ from $s = 0$ (all weights zero: the network outputs 0, loss = 1)
# through $s = 1$ (the minimum) to $s = 1.5$. Along the ray the loss $L(s)$ has slope
# $L'(s) = g(s)^\top \theta^*$ and curvature $L''(s)$. In one dimension the hypothesis is a
# theorem: where $L$ falls ($L' < 0$), $|L'|$ grows exactly where $L'' < 0$ (concave) and shrinks
# where $L'' > 0$ (convex), so the peak of $|L'|$ is the inflection point. The paper watches the full gradient norm |g(s)|, which
# also counts directions across the ray; the figure shows how well the two agree.

# %%
S = np.linspace(0.0, 1.5, 61 if QUICK else 151)
ADAM_STEPS, CG_ITERS = (200, 30) if QUICK else (1500, 400)
rays = []
for k, (X, Y) in enumerate(tasks):
    fun = lambda t, X=X, Y=Y: mse_and_grad(t, X, Y)
    theta, adam = net.init(seed=k), mtp.Adam(lr=1e-2)
    for _ in range(ADAM_STEPS):
        adam.step(theta, fun(theta)[1])
    star = mtp.minimize_cg(fun, theta, maxiter=CG_ITERS, gtol=1e-8).x
    vals = [fun(s * star) for s in S]
    L = np.array([v[0] for v in vals])
    gnorm = np.array([np.linalg.norm(v[1]) for v in vals])
    slope = np.array([v[1] @ star for v in vals])          # L'(s)
    curv = np.gradient(slope, S)                           # L''(s), finite differences
    rays.append((L, gnorm, slope, curv))
    i_pk, i_up = np.argmax(gnorm[S <= 1]), np.argmax(curv[S <= 1] > 0)
    print(f"task {k}: L(1) = {L[S == 1][0]:.1e}, |g| peaks at s = {S[i_pk]:.2f} (loss "
          f"{L[i_pk]:.3f}); L'' turns positive at s = {S[i_up]:.2f} (loss {L[i_up]:.3f})")

# %%
fig, axes = plt.subplots(2, 2, figsize=(12, 8.5))
before = S <= 1
for k, (L, gnorm, slope, curv) in enumerate(rays):
    c = plt.cm.tab10(k)
    axes[0, 0].plot(S, L, color=c, label=f"task {k}")
    axes[0, 1].plot(S, gnorm, color=c, label=f"|g(s)| task {k}")
    rescaled = np.abs(slope) * gnorm[before].max() / np.abs(slope[before]).max()
    axes[0, 1].plot(S, rescaled, ":", color=c, lw=1)
    axes[1, 0].plot(S, curv, color=c)
    axes[1, 1].plot(L[before], gnorm[before], "-", color=c, label=f"task {k}, s in [0, 1]")
    axes[1, 1].plot(L[~before], gnorm[~before], "--", color=c, lw=0.8)
axes[0, 0].set(xlabel="scaling parameter s", ylabel="loss L(s)", title="loss along theta = s theta*")
axes[0, 1].set(xlabel="scaling parameter s", ylabel="gradient norm |g|",
               title="|g(s)| (solid); |L'(s)| rescaled to the same peak (dotted)")
axes[1, 0].axhline(0, color="k", lw=0.6)
axes[1, 0].set(xlabel="scaling parameter s", ylabel="L''(s)",
               title="curvature along the ray (< 0: non-convex)")
axes[1, 1].set(xscale="log", ylabel="gradient norm |g|",
               title="|g| against loss (dashed: s > 1, past the minimum)")
loss_axis(axes[1, 1], "loss (axis reversed: s grows left to right)")
for ax in axes.flat:
    ax.grid(alpha=0.3)
axes[0, 0].legend()
axes[1, 1].legend(fontsize=8)
fig.suptitle("Toy 10-100-5 tanh networks, 5 random teacher tasks: the ray from 0 through a minimum")
fig.tight_layout()
_ = savefig(fig, "05_scaling_loss_gradnorm.png")

# %% [markdown]
# ## Training: Adam, the 0.9 rule, then CG
# Now a real training run on task 0: minibatch Adam (batch 100, lr 1e-3), one "epoch" = one
# pass over the 500 samples; after each epoch the full-batch gradient norm goes into
# `SwapDetector` (the paper's Algorithm 1: checked after every Adam epoch, so the initial
# point is drawn but never fed in). After the swap, one `NonlinearCG` iteration (PR+,
# strong Wolfe, full batch) per epoch, as the package's trainer does. Two starts: the default
# Glorot init, and the same init scaled by 0.1, close to the saddle at theta = 0.

# %%
EPOCHS = 60 if QUICK else 300
X, Y = tasks[0]
fun = lambda t: mse_and_grad(t, X, Y)


def train(init_scale, swap=True, seed=0):
    theta, adam = init_scale * net.init(seed=seed), mtp.Adam(lr=1e-3)
    det, rng, cg = mtp.SwapDetector(factor=0.9), np.random.default_rng(seed), None
    L, g = fun(theta)
    start = (L, np.linalg.norm(g))                         # epoch 0, drawn but not fed in
    for epoch in range(1, EPOCHS + 1):
        if not (swap and det.swapped):                     # phase 1: one epoch of Adam
            perm = rng.permutation(N)
            for b in np.split(perm, N // 100):
                adam.step(theta, mse_and_grad(theta, X[b], Y[b])[1])
            L, g = fun(theta)
        else:                                              # phase 2: one CG iteration
            if cg is None:
                cg = mtp.optim.NonlinearCG(fun, theta, gtol=0.0)
            if not cg.done:
                cg.step()
            L, g = cg.f, cg.g
        det.update(np.linalg.norm(g), L)                   # update i is epoch i + 1
    return det, cg, start


runs = {scale: train(scale) for scale in (0.1, 1.0)}
adam_only = {scale: train(scale, swap=False)[0] for scale in (0.1, 1.0)}   # for comparison
for scale, (det, cg, start) in runs.items():
    print(f"\ninit x {scale}: |g| = {start[1]:.3f} at the start, peak at epoch "
          f"{det.peak_index + 1} (|g| = {det.peak:.3f}), swap after epoch "
          f"{det.swap_index + 1}, final loss {det.losses[-1]:.2e}; CG used "
          f"{cg.nfev if cg else 0} evaluations in {cg.nit if cg else 0} iterations")
    print("  find_peaks_report:", find_peaks_report(det.grad_norms, det.losses, count_from=1,
                                                    unit="epoch").message)
    print(f"  Adam alone for {EPOCHS} epochs: final loss {adam_only[scale].losses[-1]:.2e};",
          adam_only[scale].peak_report(count_from=1, unit="epoch").message)

# %%
fig, axes = plt.subplots(1, 2, figsize=(12, 4.8))
for (scale, (det, cg, start)), ax in zip(runs.items(), axes):
    L, G = np.r_[start[0], det.losses], np.r_[start[1], det.grad_norms]   # index = epoch
    sw, pk = det.swap_index + 1, det.peak_index + 1
    ax.plot(np.r_[start[0], adam_only[scale].losses], np.r_[start[1], adam_only[scale].grad_norms],
            "-", color="0.6", lw=1, label="Adam alone (no swap), for comparison")
    ax.plot(L[:sw + 1], G[:sw + 1], "o-", ms=3, color=COLORS["Adam"], label="Adam epochs")
    ax.plot(L[sw:], G[sw:], "o-", ms=3, color=COLORS["CG"], label="CG epochs (one iteration each)")
    ax.plot(L[0], G[0], "ks", ms=6, mfc="none", label="start (epoch 0, not checked)")
    ax.plot(L[pk], G[pk], "k^", ms=10, label=f"peak (epoch {pk})")
    ax.plot(L[sw], G[sw], "r*", ms=14, label=f"swap: |g| <= 0.9 x peak (after epoch {sw})")
    ax.set(xscale="log", yscale="log",
           ylabel="gradient norm (full batch)", title=f"task 0, init scaled by {scale}")
    loss_axis(ax)                       # training runs left to right, as in every such plot
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
fig.suptitle("Gradient norm against loss during training (time runs left to right)")
_ = savefig(fig, "05_training_swap.png")

# %% [markdown]
# ## What the figures show (full mode; quick mode trains less, same shapes)
# - **Along the ray** all five tasks draw the paper's picture, nearly identically: the loss
#   falls from 1 at s = 0 to ~1e-5 at s = 1; |g| rises from 0, peaks at s ~ 0.5 (loss ~0.49),
#   then falls to 0 at the minimum; against the loss it is one clean hump. The |g| peak sits
#   just past the inflection point of L(s) (s ~ 0.47, where |L'| peaks): the full gradient
#   norm is a good proxy for the 1-D curvature sign here. Not a match to the paper: part of
#   this is built in. theta = 0 is a stationary point (tanh(0) = 0 and zero output weights
#   kill every gradient term once Y is centred), so every ray from 0 starts at a saddle with
#   |g| = 0; and five standardised teacher tasks are too alike to show how general it is.
# - **In training** the picture depends on the start. From the init scaled by 0.1 the norm
#   rises for 7 epochs, peaks at loss ~0.63 (close to the ray's peak), the 0.9 rule swaps 3
#   epochs later, and `find_peaks_report` finds one peak: the paper's story, except that the
#   non-convex phase is 7 epochs of 300, not a large part of training. From the default
#   Glorot init the norm is largest at the start and only falls ("falls from the first check
#   on", as in the main job's MNIST run): the rule swaps after epoch 2 and the paper's
#   safeguard would flag the run. The grey Adam-only runs show the same peaks.
# - After the swap CG takes the loss to ~2e-5 while Adam alone stalls near 1e-2 with a noisy
#   norm. Cost: Adam alone used 300 epochs plus 300 full-batch norm checks; CG used ~700
#   full-batch evaluations (printed above), a comparable budget, but compare costs, not
#   epochs, before concluding anything.
#
# ## What to try next
# - Replace the teacher by pure-noise targets (`Y = rng.standard_normal((N, M))`): a
#   memorisation task with a harder, rougher minimum.
# - Scale the teacher's weights by 3 (copy `make_task` from `minitwophase/toy_tanh.py` here):
#   targets more nonlinear, is the hump still single?
# - Walk the ray through a *different* point, e.g. theta(s) = s * net.init(seed): is there
#   still a hump without a minimum at s = 1?
# - `minitwophase.swap.SmoothedSwapDetector()` (fed `update(gn, loss)`) on the same run, and `factor=0.5`.
