# %% [markdown]
# # 07 Verifying another implementation against this reference
#
# You will learn:
# 1. what a **verification trace** is: one fixed-seed run recorded step by step (every Adam
#    minibatch step, every epoch's full-batch loss and gradient norm, every CG iteration's
#    alpha and beta), with the exact initial parameters and minibatch order beside it;
# 2. how to feed those exact inputs to *another* implementation (PyTorch if it is installed,
#    else an independent NumPy one written below) and produce a trace in the same schema,
#    with a CG of its own built on `scipy.optimize.line_search` from the constants the trace
#    header states (c1, c2, the first trial step, the descent test, ...);
# 3. how `compare_traces` judges agreement (tolerances, and why they are what they are) and
#    names the **first step where two implementations part**;
# 4. why a bug that is invisible in the loss curve is obvious in a trace.
#
# The schema is in `minitwophase/verification/trace.py`; the same two steps on the command line are
# `minitwophase trace ... --out ref.json` and `minitwophase compare-trace ref.json mine.csv`.

# %%
import importlib.util
import json
import os
import shutil
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from minitwophase.tutorial_support import QUICK, savefig
from minitwophase.plotting import COLORS                 # one colour per optimizer, every figure
from minitwophase.verification import compare as TC
from minitwophase.verification import trace as T
import scipy.optimize as so
import warnings

from minitwophase import cli

USE_TORCH = importlib.util.find_spec("torch") is not None and not os.environ.get("MINITWOPHASE_NO_TORCH")
# The paper's experiments swap after a fixed 30 % of the epochs; here a fixed half, so that
# both phases are long enough to see. (On digits the 0.9 rule swaps after epoch 2.)
CONFIG = dict(dataset="digits", model="mlp:32", method="fixed-split", split=0.5, seed=0,
              epochs=10 if QUICK else 36, batch_size=256 if QUICK else 128, lr=1e-3)
print("other implementation:", "PyTorch (float64)" if USE_TORCH else "independent NumPy (torch not installed)")

# %% [markdown]
# ## 1. The reference trace
# `trace_run` runs exactly `training.train`'s loop (a test checks the per-epoch numbers bit for
# bit) and records every step. `include_data=True` also stores the training set, so the other
# side needs nothing from this package but the files.

# %%
workdir = Path(tempfile.mkdtemp(prefix="minitwophase-07-"))
ref_trace = T.trace_run(**CONFIG, include_data=True)
paths = T.save_trace(ref_trace, workdir / "reference.json")
for p in paths:
    print(f"{p.name:16s} {p.stat().st_size / 1024:8.1f} kB")
ref = T.load_trace(workdir / "reference.json")          # what the other side receives
kinds = [r["kind"] for r in ref.records]
print(f"{len(kinds)} records: {kinds.count('minibatch')} Adam steps, {kinds.count('epoch')} epoch "
      f"checkpoints, {kinds.count('cg')} CG iterations; swap after epoch {ref.header['swap_epoch']}")
for r in ref.records[:3] + ref.records[-2:]:
    print(r)

# %% [markdown]
# ## 2. The inputs another implementation must consume
# * `theta0`: the flat parameter vector. The header's `layout` says where each tensor lives:
#   layers in order, `W` then `b`, C order; our Dense `W` is (n_in, n_out), so a PyTorch
#   `Linear.weight` is `W.T`.
# * `permutations[e - 1]`: the order of the training samples in epoch e; minibatch b is the
#   slice `[b * B : (b + 1) * B]` (the last one shorter).
# * the configuration: MSE, the mean over all $N C$ entries of $(\mathrm{out} - Y)^2$ (= `F.mse_loss`),
#   Adam(lr, betas, eps) as torch.optim.Adam, the swap rule, and CG's settings.

# %%
inp, hdr = ref.inputs, ref.header
for p in hdr["layout"]:
    print(p)
print("theta0", inp["theta0"].shape, "permutations", inp["permutations"].shape,
      "data", inp["X_train"].shape, inp["y_train"].shape)
assert T.data_fingerprint(inp["X_train"], inp["y_train"]) == hdr["data_sha256"]   # same data


# %% [markdown]
# ## 3. Another implementation
# A tanh MLP with MSE, written without minitwophase's network code: in PyTorch (autograd,
# `torch.optim.Adam`, float64) when available, otherwise by hand in NumPy. It exposes the
# parameters as the same flat vector only at the border, to read `theta0` and to hand its loss
# and gradient to the CG below (the trace only needs alpha, beta and the new loss and gradient norm).

# %%
def unpack(theta, layout):
    """Flat theta -> [(W, b), ...] copies, W of shape (n_in, n_out)."""
    t = [theta[p["offset"]:p["offset"] + p["size"]].reshape(p["shape"]) for p in layout]
    return [(t[i].copy(), t[i + 1].copy()) for i in range(0, len(t), 2)]


class TorchMLP:
    def __init__(self, theta0, layout, X, y, dtype="float64"):
        import torch
        torch.set_num_threads(1)                            # tiny matrices: threads only cost time
        self.torch, dt = torch, getattr(torch, dtype)
        self.layers = []
        for W, b in unpack(theta0, layout):
            lin = torch.nn.Linear(*W.shape).to(dt)
            with torch.no_grad():
                lin.weight.copy_(torch.tensor(W.T))          # torch keeps (n_out, n_in)
                lin.bias.copy_(torch.tensor(b))
            self.layers.append(lin)
        self.X = torch.tensor(X, dtype=dt)
        self.Y = torch.nn.functional.one_hot(torch.tensor(y), self.layers[-1].out_features).to(dt)
        self.new_adam()

    def params(self):
        return [p for lin in self.layers for p in (lin.weight, lin.bias)]

    def new_adam(self, lr=1e-3):
        self.opt = self.torch.optim.Adam(self.params(), lr=lr)

    def loss_grad(self, idx=None):
        """Loss and 2-norm of its gradient on the samples idx (None: all); keeps .grad."""
        h = self.X if idx is None else self.X[self.torch.as_tensor(idx)]
        Y = self.Y if idx is None else self.Y[self.torch.as_tensor(idx)]
        for lin in self.layers[:-1]:
            h = self.torch.tanh(lin(h))
        for p in self.params():
            p.grad = None
        loss = self.torch.nn.functional.mse_loss(self.layers[-1](h), Y)
        loss.backward()
        return loss.item(), self.flat(grad=True)

    def adam_step(self):
        self.opt.step()

    def flat(self, grad=False):
        parts = [(lin.weight.grad.T, lin.bias.grad) if grad else (lin.weight.detach().T, lin.bias.detach())
                 for lin in self.layers]
        return np.concatenate([t.double().numpy().ravel() for pair in parts for t in pair])

    def set_flat(self, theta):
        with self.torch.no_grad():
            for lin, (W, b) in zip(self.layers, unpack(theta, LAYOUT)):
                lin.weight.copy_(self.torch.tensor(W.T))
                lin.bias.copy_(self.torch.tensor(b))


class NumpyMLP:
    """The same by hand: forward, backward (chain rule), Adam (Kingma & Ba, Algorithm 1)."""

    def __init__(self, theta0, layout, X, y, dtype="float64"):
        self.dt = np.dtype(dtype)
        self.layers = [(W.astype(self.dt), b.astype(self.dt)) for W, b in unpack(theta0, layout)]
        self.X = X.astype(self.dt)
        self.Y = np.eye(self.layers[-1][0].shape[1], dtype=self.dt)[y]
        self.new_adam()

    def new_adam(self, lr=1e-3, b1=0.9, b2=0.999, eps=1e-8):
        self.lr, self.b1, self.b2, self.eps, self.t = lr, b1, b2, eps, 0
        self.m = [np.zeros_like(a) for W, b in self.layers for a in (W, b)]
        self.v = [np.zeros_like(a) for a in self.m]

    def loss_grad(self, idx=None):
        X = self.X if idx is None else self.X[idx]
        Y = self.Y if idx is None else self.Y[idx]
        hs = [X]
        for i, (W, b) in enumerate(self.layers):
            z = hs[-1] @ W + b
            hs.append(np.tanh(z) if i < len(self.layers) - 1 else z)
        diff = hs[-1] - Y
        dz = 2 * diff / diff.size                           # d mean((out - Y)^2) / d out
        self.grads = []
        for i in range(len(self.layers) - 1, -1, -1):
            W, _ = self.layers[i]
            self.grads[:0] = [hs[i].T @ dz, dz.sum(axis=0)]
            if i:
                dz = (dz @ W.T) * (1 - hs[i] ** 2)          # tanh' = 1 - tanh^2
        return float(np.mean(diff ** 2)), np.concatenate([g.ravel() for g in self.grads]).astype(float)

    def adam_step(self):
        self.t += 1
        params = [a for W, b in self.layers for a in (W, b)]
        for p, g, m, v in zip(params, self.grads, self.m, self.v):
            m[...] = self.b1 * m + (1 - self.b1) * g
            v[...] = self.b2 * v + (1 - self.b2) * g * g
            m_hat, v_hat = m / (1 - self.b1 ** self.t), v / (1 - self.b2 ** self.t)
            p -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)

    def flat(self, grad=False):
        arrays = self.grads if grad else [a for W, b in self.layers for a in (W, b)]
        return np.concatenate([a.ravel() for a in arrays]).astype(float)

    def set_flat(self, theta):
        self.layers = [(W.astype(self.dt), b.astype(self.dt)) for W, b in unpack(theta, LAYOUT)]


LAYOUT = hdr["layout"]
MLP = TorchMLP if USE_TORCH else NumpyMLP


# %% [markdown]
# ### A CG of your own, from the header's constants
# Nonlinear CG has many knobs, and two correct implementations only agree if every one of them
# is the same. The header's `constants` states them, read from the objects the run used:

# %%
K = hdr["constants"]["cg"]
for key in ("beta", "beta_formula", "gtol", "norm", "sigma", "descent_test", "powell_nu", "on_failure"):
    print(f"{key:13s} {K[key]}")
for key, value in K["line_search"].items():
    if key != "rule":
        print(f"line_search.{key:6s} {value}")

# %% [markdown]
# PR+ (N&W (5.45)) with $\beta_{k+1} = \max\{0, g_{k+1}^\top (g_{k+1} - g_k) / \|g_k\|^2\}$,
# $d_{k+1} = -g_{k+1} + \beta_{k+1} d_k$, reset to $-g_{k+1}$ unless
# $g_{k+1}^\top d_{k+1} \le -\sigma \|g_{k+1}\|^2$; the step by `scipy.optimize.line_search`
# (strong Wolfe, N&W (3.7)) with the stated $c_1, c_2$, bracketing limit and first trial step
# (N&W (3.60) capped at twice the previous step; CG_DESCENT's I0 at $k = 0$), run on
# $t \mapsto \phi(t \alpha_0)$ so that its own first trial $t = 1$ is that step. Nothing below
# comes from minitwophase's optimizers.

# %%
class IndependentCG:
    """PR+ CG on NumPy + scipy.optimize.line_search, configured from header constants ``k``."""

    def __init__(self, fun, x, k):
        ls = k["line_search"]
        assert k["beta"] == "PR+" and ls["name"] == "wolfe" and k["norm"] == "inf"
        assert k["powell_nu"] is None and k["restart_every"] is None
        self.fun, self.k, self.ls = fun, k, ls
        self.x = np.array(x, dtype=float)
        self.f, self.g = fun(self.x)
        self.d, self.beta, self.restarted = -self.g, 0.0, True          # d_0 = -g_0
        self.f_prev = self.alpha_prev = self.slope_prev = None          # first_trial_step's
        self.done = self.converged(self.g)

    def converged(self, g):
        return np.linalg.norm(g, np.inf) <= self.k["gtol"]

    def next_direction(self, g_new):
        beta = max(0.0, g_new @ (g_new - self.g) / (self.g @ self.g))   # PR+
        d_new = -g_new + beta * self.d
        if g_new @ d_new > -self.k["sigma"] * (g_new @ g_new):         # descent test: restart
            return 0.0, -g_new, True
        return beta, d_new, False

    def first_trial(self, d):                        # first_trial_step in the header
        s0 = self.g @ d
        if self.alpha_prev is None:                  # k = 0: CG_DESCENT's I0
            for a in (0.01 * np.abs(self.x).max() / np.abs(d).max(), 0.01 * abs(self.f) / abs(s0)):
                if np.isfinite(a) and a > 0:
                    return a
            return 1.0
        a = 2 * (self.f - self.f_prev) / s0          # N&W (3.60)
        if not (np.isfinite(a) and a > 0):
            a = self.alpha_prev * self.slope_prev / s0   # N&W (3.59)
        return min(a, 2 * self.alpha_prev) if np.isfinite(a) and a > 0 else 2 * self.alpha_prev

    def search(self, d, use_test, alpha0=None):
        alpha0 = self.first_trial(d) if alpha0 is None else alpha0
        cache, refused = {}, [0]

        def fg(a):                                   # phi(a) = f(x + a d): one call per point
            if a not in cache:
                cache[a] = self.fun(self.x + a * d)
            return cache[a]

        def accept(t, a, f, g):                      # line_search.accept in the header
            g_new = fg(float(a[0]))[1]
            ok = self.converged(g_new) or not self.next_direction(g_new)[2]
            refused[0] += not ok
            return ok
        t = so.line_search(lambda a: fg(float(a[0]))[0], lambda a: np.array([fg(float(a[0]))[1] @ d]),
                           np.zeros(1), np.array([alpha0]), gfk=np.array([self.g @ d]),
                           old_fval=self.f, c1=self.ls["c1"], c2=self.ls["c2"],
                           amax=self.ls["amax"], maxiter=self.ls["maxiter"],
                           extra_condition=accept if use_test else None)[0]
        if t is None and refused[0] and use_test:    # every Wolfe step refused: again without
            return self.search(d, False, alpha0)
        return None if t is None else float(t * alpha0)

    def step(self):
        """One iteration: (f, ||g||_2, alpha, the beta of the direction used), or None."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)   # scipy's "did not converge"
            alpha = self.search(self.d, True)
            if alpha is None and not self.restarted:           # on_failure: once along -g
                self.d, self.beta, self.restarted = -self.g, 0.0, True
                alpha = self.search(self.d, True)
        if alpha is None:
            self.done = True
            return None
        x_new = self.x + alpha * self.d
        f_new, g_new = self.fun(x_new)
        used = self.beta
        self.alpha_prev, self.slope_prev = alpha, self.g @ self.d
        self.beta, d_new, self.restarted = self.next_direction(g_new)
        self.f_prev, self.x, self.f, self.g, self.d = self.f, x_new, f_new, g_new, d_new
        self.done = self.converged(g_new)
        return f_new, np.linalg.norm(g_new), alpha, used


# %% [markdown]
# The driver: the two-phase schedule written from the configuration alone, recording the
# trace in the schema (`TraceRecorder` is a convenience; any code that writes the eight CSV
# columns `step, epoch, phase, kind, loss, grad_norm, step_size, beta` will do).
# `fresh_adam_each_epoch` is the bug we inject later: creating the optimizer *inside* the epoch
# loop, a classic slip that restarts Adam's moments and bias correction every epoch.

# %%
def run_other(ref, dtype="float64", fresh_adam_each_epoch=False, cg_constants=None):
    c, inp = ref.header["config"], ref.inputs
    net = MLP(inp["theta0"], LAYOUT, inp["X_train"], inp["y_train"], dtype)
    B, rec = c["batch_size"], T.TraceRecorder()
    f, g = net.loss_grad()
    rec.init(f, np.linalg.norm(g))
    n_adam = round(c["split"] * c["epochs"]) if c["method"] == "fixed-split" else c["epochs"]
    peak, phase, cg = 0.0, "adam", None
    for epoch in range(1, c["epochs"] + 1):
        if phase == "adam":
            if fresh_adam_each_epoch:
                net.new_adam(c["lr"])                      # the bug
            for order in np.array_split(inp["permutations"][epoch - 1],
                                        range(B, len(inp["permutations"][epoch - 1]), B)):
                old = net.flat()
                f, g = net.loss_grad(order)
                net.adam_step()
                rec.minibatch(epoch, f, np.linalg.norm(g), np.linalg.norm(net.flat() - old))
            f, g = net.loss_grad()
            gn = np.linalg.norm(g)
            rec.epoch(epoch, f, gn)
            peak = max(peak, gn)                            # Algorithm 1: gnmax <- max(gn, gnmax)
            if (c["method"] == "adam+cg" and gn <= c["swap_factor"] * peak) or epoch == n_adam:
                phase = "cg"
            continue
        if cg is None:
            def fun(theta):
                net.set_flat(theta)
                return net.loss_grad()
            cg = IndependentCG(fun, net.flat(), cg_constants or ref.header["constants"]["cg"])
        out = None if cg.done else cg.step()
        if out is None:                                     # converged or a line search failed
            break
        rec.cg(epoch, *out)
    return T.Trace({"config": dict(c)}, rec.records)


good = run_other(ref)
good_path = workdir / "other.json"
T.save_trace(good, good_path)                           # a JSON or a CSV file is what you'd hand over
report_good = TC.compare_traces(workdir / "reference.json", good_path)
print(report_good.text())
cg_diff = max(np.nanmax(np.r_[report_good.rel_diff[k][[r["step"] for r in ref.records if r["phase"] == "cg"]], 0.0])
              for k in T.FIELDS)
print(f"largest relative difference in the CG phase: {cg_diff:.1e}")

# %% [markdown]
# The same judgement on the command line, from the CSV another framework would write:

# %%
T.save_trace(good, workdir / "other.json")
code = cli.main(["compare-trace", str(workdir / "reference.json"), str(workdir / "other.csv")])
print("exit code", code)
assert code == 0

# %% [markdown]
# Without the header one has to guess. scipy's own CG uses $c_2 = 0.4$, the textbook value for
# quasi-Newton methods is $0.9$; either guess makes the CG phase part at its first iterations,
# while the Adam phase still agrees:

# %%
for c2 in (0.4, 0.9):
    guess = json.loads(json.dumps(hdr["constants"]["cg"]))
    guess["line_search"]["c2"] = c2
    rep = TC.compare_traces(ref, run_other(ref, cg_constants=guess))
    print(f"c2 = {c2}: {rep.verdict}")
    assert not rep.agree and rep.first["phase"] == "cg"

# %% [markdown]
# ## 4. Reading the report: tolerances
# A field passes where $|\mathrm{other} - \mathrm{ref}| \le \mathrm{atol} + \mathrm{rtol}\,|\mathrm{ref}|$; default rtol $10^{-9}$ for every field
# (atol 1e-12 for beta only, which PR+ clips at 0). Why 1e-9: two correct float64
# implementations differ only by rounding (a different summation order in a matrix product,
# ~1e-16 relative per operation). In the Adam phase that stays near 1e-15 for thousands of
# steps. In the CG phase it grows about tenfold every 6-8 iterations, because every rounding
# difference in beta or in the line search feeds all later directions: so keep the CG phase
# of a verification run short (here it is), or compare `phases=("init", "adam")` and loosen
# rtol for CG. A float32 implementation, by contrast, parts at once:

# %%
single = run_other(ref, dtype="float32")
report_single = TC.compare_traces(ref, single)
print(report_single.verdict)

# %% [markdown]
# ## 5. A bug that the loss curve hides
# Now the optimizer is re-created every epoch. Training still works and the loss still falls
# (here it even ends lower), so no loss-based check would flag it; the trace pinpoints the very first step that differs, and
# which quantity: the loss of that step is still equal (it is measured *before* the update),
# the step size is not.

# %%
buggy = run_other(ref, fresh_adam_each_epoch=True)
report_bug = TC.compare_traces(ref, buggy)
print(report_bug.text())
f = report_bug.first
first_step_epoch2 = next(r["step"] for r in ref.records if r["epoch"] == 2)
print(f"first minibatch step of epoch 2 is step {first_step_epoch2}; the report names step {f['step']}")
assert report_good.agree and not report_bug.agree and f["step"] == first_step_epoch2
assert f["field"] == "step_size" and not report_single.agree
final = [t.records[-1]["loss"] for t in (ref, good, buggy)]
print("final loss: reference {:.6f}, good {:.6f}, buggy {:.6f}".format(*final))


# %% [markdown]
# ## 6. The picture
# Left: minibatch loss per step, reference and buggy: both plausible, nothing flags the bug.
# Right: the largest relative difference over the four fields at each step (exact agreement
# drawn at 1e-17), with the tolerance and the CG phase shaded.

# %%
def worst(report):
    stacked = np.vstack([report.rel_diff[k] for k in T.FIELDS])
    ok = ~np.all(np.isnan(stacked), axis=0)
    out = np.full(stacked.shape[1], np.nan)
    out[ok] = np.nanmax(stacked[:, ok], axis=0)
    return np.maximum(out, 1e-17)


steps = np.arange(len(ref.records))
mb = [r["step"] for r in ref.records if r["kind"] == "minibatch"]
cg_steps = [r["step"] for r in ref.records if r["phase"] == "cg"]
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.2))
ax1.plot(mb, [ref.records[s]["loss"] for s in mb], label="reference", lw=2)
ax1.plot(mb, [buggy.records[s]["loss"] for s in mb], "--", label="buggy (Adam re-created each epoch)")
ax1.set(xlabel="step", ylabel="minibatch loss (Adam phase)", yscale="log",
        title="Both loss curves look healthy (the bug even ends lower)")
ax1.legend()
name = "PyTorch float64" if USE_TORCH else "NumPy float64"
for rep, label, style in ((report_good, f"{name} (correct)", "o-"), (report_single, "float32", "s-"),
                          (report_bug, "buggy", "^-")):
    ax2.semilogy(steps[:rep.n_compared], worst(rep), style, ms=2.5, lw=1, label=label)
    if rep.first is not None:
        ax2.axvline(rep.first["step"], color=ax2.lines[-1].get_color(), ls=":", lw=1)
ax2.axhline(TC.DEFAULT_RTOL["loss"], color="k", ls="--", lw=1, label="rtol 1e-9")
if cg_steps:
    ax2.axvspan(cg_steps[0] - 0.5, cg_steps[-1] + 0.5, color=COLORS["CG"], alpha=0.15, label="CG phase")
ax2.set(xlabel="step (record)", ylabel="max relative difference over fields",
        title="The trace names the first step that parts (dotted)", ylim=(1e-18, 1e2))
ax2.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
fig.tight_layout()
_ = savefig(fig, "07_trace_differences.png")
shutil.rmtree(workdir)                                  # the traces were only for this lesson

# %% [markdown]
# ## What to take away
# * Hand over **inputs**, not just a configuration: `theta0`, the minibatch order and the data
#   hash remove every source of difference except the implementation itself.
# * Compare **every step**, not the final loss: the buggy run ends at a similar loss, while the
#   trace points at the first minibatch of epoch 2 and at the step size.
# * Float64 implementations of the same algorithm agree to ~1e-15 through Adam; CG amplifies
#   rounding, so verify with a short CG phase and read the tolerance note in `trace.py`.
# * Build your CG from the header's `constants` (c1, c2, first trial step, descent test,
#   restarts, stopping and failure rules): a CG on `scipy.optimize.line_search` then agrees
#   to ~1e-12 over 18 iterations; one guessed constant and it parts.
