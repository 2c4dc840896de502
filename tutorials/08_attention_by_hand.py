# %% [markdown]
# # 08 Self-attention by hand: forward, backward, and the paper's four transformer variants
#
# You will learn:
# 1. scaled dot-product attention (Vaswani et al. 2017, eq. 1) written out for one head,
#    $A = \mathrm{softmax}(Q K^\top / \sqrt{d})$, $\mathrm{out} = A V$, on image patches as tokens;
# 2. the backward pass step by step, the heart of it being the **softmax Jacobian**
#    $J = \mathrm{diag}(a) - a a^\top$, applied row by row without ever forming $J$;
# 3. why sharing one matrix for queries and keys (the paper's "wkewq", $W_k = W_q$) makes the
#    gradient of $W_q$ the **sum of two terms**, and what the gradient check says if you forget one;
# 4. the four variants' parameter counts, against the $Q = KM/P$ column of the paper's Table 1.

# %%
import numpy as np
import matplotlib.pyplot as plt
from scipy.special import softmax

from minitwophase.tutorial_support import QUICK, savefig
from minitwophase import Adam, datasets, nn
from minitwophase.models import VIT_VARIANTS, build_model

np.set_printoptions(precision=4, suppress=True)
data = datasets.load("digits", layout="image")    # 8x8 digits, (N, 1, 8, 8)
rng = np.random.default_rng(0)

# %% [markdown]
# ## Tokens: patches of an image
# A vision transformer cuts an image into patches and projects each to a vector: one *token*
# per patch. Here: 4x4 patches of the 8x8 digits, so $T = 4$ tokens, projected to $d = 6$.

# %%
embed = nn.PatchEmbedding(1, 4, 6, class_token=False)
p_embed = {k: rng.standard_normal(s) * 0.5 for k, s in embed.param_shapes().items()}
x, _ = embed.forward(p_embed, data.X_train[:3])
print("tokens x:", x.shape, "(N, T, d)")

# %% [markdown]
# ## One head, forward by hand
# $Q = x W_q$, $K = x W_k$, $V = x W_v$; scores $S = Q K^\top / \sqrt{d}$ compare every query token with
# every key token; each row of $A = \mathrm{softmax}(S)$ is a probability vector over the keys; the output
# is the $A$-weighted mean of the value vectors, then projected by $W_o$.

# %%
d = 6
Wq, Wk, Wv, Wo = (rng.standard_normal((d, d)) / np.sqrt(d) for _ in range(4))
Q, K, V = x @ Wq, x @ Wk, x @ Wv
S = Q @ K.transpose(0, 2, 1) / np.sqrt(d)        # (N, T, T)
A = softmax(S, axis=-1)                          # rows sum to 1
O = A @ V
out = O @ Wo
print("rows of A sum to", A.sum(-1)[0])
layer = nn.SelfAttention(d, heads=1)
params = {"Wq": Wq, "Wk": Wk, "Wv": Wv, "Wo": Wo}
lib_out, cache = layer.forward(params, x)
print("max |by hand - nn.SelfAttention| =", np.abs(out - lib_out).max())

# %% [markdown]
# ## The softmax Jacobian
# For one row, $a = \mathrm{softmax}(s)$ has $\partial a_i/\partial s_j = a_i (\delta_{ij} - a_j)$, i.e. $J = \mathrm{diag}(a) - a a^\top$.
# So $ds = J^\top da = a \odot (da - \langle da, a\rangle)$: an elementwise product and one dot product per row,
# $O(T)$ instead of the $O(T^2)$ matrix. Check it against the explicit $J$ and finite differences.

# %%
s_row, g_row = rng.standard_normal(5), rng.standard_normal(5)
a_row = softmax(s_row)
J = np.diag(a_row) - np.outer(a_row, a_row)
rowwise = a_row * (g_row - g_row @ a_row)
numeric = nn.numerical_gradient(lambda s: softmax(s) @ g_row, s_row)
print("J^T g      ", J.T @ g_row)
print("row formula", rowwise)
print("finite diff", numeric)

# %% [markdown]
# ## The backward pass, step by step
# Take $L = \sum \mathrm{out} \odot R$ for a fixed random $R$, so $\partial L/\partial \mathrm{out} = R$. Walking back:
#
# | step | rule |
# |---|---|
# | $\mathrm{out} = O W_o$ | $dW_o = O^\top d\mathrm{out}$, $dO = d\mathrm{out}\, W_o^\top$ |
# | $O = A V$ | $dA = dO\, V^\top$, $dV = A^\top dO$ |
# | $A = \mathrm{softmax}(S)$ | $dS = A \odot (dA - \mathrm{rowsum}(dA \odot A))$ |
# | $S = Q K^\top / \sqrt{d}$ | $dQ = dS\, K / \sqrt{d}$, $dK = dS^\top Q / \sqrt{d}$ |
# | $Q = x W_q$ etc. | $dW_q = x^\top dQ$, $dx = dQ\, W_q^\top + dK\, W_k^\top + dV\, W_v^\top$ |
#
# ($x^\top dQ$ sums over samples and tokens: reshape $(N, T, d)$ to $(N T, d)$ first.)

# %%
R = rng.standard_normal(out.shape)
flat = lambda t: t.reshape(-1, d)                # noqa: E731  (N*T, d)
dWo = flat(O).T @ flat(R)
dO = R @ Wo.T
dA = dO @ V.transpose(0, 2, 1)
dV = A.transpose(0, 2, 1) @ dO
dS = A * (dA - np.sum(dA * A, axis=-1, keepdims=True))
dQ = dS @ K / np.sqrt(d)
dK = dS.transpose(0, 2, 1) @ Q / np.sqrt(d)
by_hand = {"Wq": flat(x).T @ flat(dQ), "Wk": flat(x).T @ flat(dK), "Wv": flat(x).T @ flat(dV), "Wo": dWo}
_, lib_grads = layer.backward(params, R, cache)
for name in by_hand:
    print(f"d{name}: max |by hand - library| = {np.abs(by_hand[name] - lib_grads[name]).max():.1e}")
print("layer against finite differences:", {k: f"{v:.1e}" for k, v in nn.check_layer(layer, x).items()})

# %% [markdown]
# ## Sharing $W_q$ and $W_k$: the gradient has two terms
# With $W_k = W_q$ (symmetric similarity, Bermeitinger et al. 2024) the matrix appears twice in
# $S = (x W_q)(x W_q)^\top / \sqrt{d}$, so by the product rule $dW_q = x^\top dQ + x^\top dK$. A classic bug
# is to keep only the query term. The gradient check tells them apart at once.

# %%
shared = nn.SelfAttention(d, heads=1, shared_qk=True)
p_shared = {"Wq": Wq, "Wv": Wv, "Wo": Wo}
out_s, cache_s = shared.forward(p_shared, x)
_, g_shared = shared.backward(p_shared, R, cache_s)
numeric = nn.numerical_gradient(lambda W: np.sum(shared.forward({**p_shared, "Wq": W}, x)[0] * R), Wq)
A_s = cache_s[4][:, 0]                           # (N, T, T), the one head's attention
Qs = x @ Wq
dA_s = (R @ Wo.T) @ (x @ Wv).transpose(0, 2, 1)
dS_s = A_s * (dA_s - np.sum(dA_s * A_s, axis=-1, keepdims=True)) / np.sqrt(d)
query_term = flat(x).T @ flat(dS_s @ Qs)
key_term = flat(x).T @ flat(dS_s.transpose(0, 2, 1) @ Qs)
errors = {"query term only": nn.relative_error(query_term, numeric, norm=True),
          "both terms": nn.relative_error(query_term + key_term, numeric, norm=True),
          "library": nn.relative_error(g_shared["Wq"], numeric, norm=True)}
for name, err in errors.items():
    print(f"dWq, {name:16}: relative error vs finite differences {err:.1e}")

# %% [markdown]
# ## Without $W_v$ and $W_o$ ("wvwo")
# With `value=False` each head returns $A_h$ times its own slice of the input tokens: every output
# token is a convex combination of input tokens (the rows of $A$ are probability vectors).

# %%
bare = nn.SelfAttention(d, heads=2, shared_qk=True, value=False)
out_b, _ = bare.forward({"Wq": Wq}, x)
inside = np.all(out_b <= x.max(axis=1, keepdims=True) + 1e-12) and np.all(out_b >= x.min(axis=1, keepdims=True) - 1e-12)
print("every output inside the range of the input tokens:", inside)

# %% [markdown]
# ## The paper's four variants: parameter counts against Table 1's $Q$
# $Q = K M / P$ (training samples times outputs over parameters). Our architecture (8x8 patches
# on images zero-padded to 32x32, class token, pre-LN, see `minitwophase.models`) reproduces
# every $Q$ of the table to its printed precision.

# %%
PAPER_Q = {"vit-mlp": (3.9, 3.1, 29.7), "vit-nomlp": (11.0, 7.9, 72.6),
           "vit-nomlp-wkewq": (14.1, 9.9, 88.4), "vit-nomlp-wkewq-wvwo": (33.5, 19.1, 156.4)}
SETS = (("MNIST", (1, 28, 28), 10, 60000), ("CIFAR-10", (3, 32, 32), 10, 50000),
        ("CIFAR-100", (3, 32, 32), 100, 50000))
counts = {}
print(f"{'model':22} " + " ".join(f"{name:>18}" for name, *_ in SETS))
for model in VIT_VARIANTS:
    cells = []
    for (name, shape, classes, k), q_paper in zip(SETS, PAPER_Q[model]):
        p = build_model(model, shape, classes).size
        counts[model, name] = p
        cells.append(f"{p:7d} Q {k * classes / p:5.1f}/{q_paper:5.1f}")
    print(f"{model:22} " + " ".join(cells))
print("(P, then Q ours / Q in the paper)")

# %% [markdown]
# ## A small transformer learns the digits
# A two-layer vit-nomlp-wkewq (4x4 patches on the 8x8 digits) trained by Adam, batch 64,
# mean squared error as in the paper: the explicit backward above is all it needs.

# %%
net = build_model("vit-nomlp-wkewq:depth=2,width=16,heads=2,patch=4", data.image_shape, 10)
theta, opt = net.init(0), Adam(lr=3e-3)
epochs = 3 if QUICK else 40
losses = []
for epoch in range(epochs):
    order = np.random.default_rng(epoch).permutation(len(data.y_train))
    for i in range(0, len(order), 64):
        idx = order[i:i + 64]
        _, g = net.loss_and_grad(theta, data.X_train[idx], data.y_train[idx], loss="mse")
        opt.step(theta, g)
    losses.append(net.loss_value(theta, data.X_train, data.y_train, loss="mse"))
print(f"{net.size} parameters; train loss {losses[0]:.4f} -> {losses[-1]:.4f}, "
      f"validation accuracy {net.accuracy(theta, data.X_val, data.y_val):.3f}")

# %%
fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))
axes[0].imshow(A[0], cmap="viridis", vmin=0, vmax=1)
axes[0].set(title="attention A of one digit (rows: queries)", xlabel="key token", ylabel="query token",
            xticks=range(4), yticks=range(4))
names = list(VIT_VARIANTS)
axes[1].bar(range(4), [counts[m, "MNIST"] / 1000 for m in names], color="tab:blue")
axes[1].set_xticks(range(4), [m.replace("vit-", "") for m in names], rotation=15, fontsize=8)
axes[1].set(title="parameters on MNIST (thousands)")
axes[2].plot(range(1, epochs + 1), losses, marker="o")
axes[2].set(title="vit-nomlp-wkewq on digits, Adam", xlabel="epoch", ylabel="train MSE", yscale="log")
fig.tight_layout()
_ = savefig(fig, "08_attention.png")

# %% [markdown]
# ## Exercises
# 1. Drop `key_term` from the shared-matrix gradient in `minitwophase/nn/attention.py`
#    (the line `dq += dk`) and run `nn.check_layer` on `SelfAttention(6, 2, shared_qk=True)`.
# 2. Add a bias to the keys (`bias=True`): why is $\partial L/\partial b_k$ exactly zero? (Hint: what does
#    adding the same number to every score of a row do to the softmax?)
# 3. Count by hand the parameters of vit-nomlp on CIFAR-100 and check $Q = 72.6$.
