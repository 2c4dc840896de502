# %% [markdown]
# # 01 Backpropagation by hand, and gradient checking
#
# You will learn:
# 1. how a network in minitwophase is a pure function of **one flat vector** `theta`,
#    and how `net.unflatten(theta)` gives named *views* into it;
# 2. how to write the backward pass of a tanh MLP with MSE loss by hand (the chain rule, one
#    matrix product at a time) and match the library to rounding error;
# 3. the layer protocol `forward(params, x) -> (out, cache)`, `backward(params, dout, cache)`;
# 4. how to *check* a gradient with centred finite differences, why the step size `h` matters
#    (a V-shaped error curve), and what a buggy backward pass looks like in the check.

# %%
import numpy as np
import matplotlib.pyplot as plt

from minitwophase.tutorial_support import QUICK, savefig
from minitwophase import datasets, nn

np.set_printoptions(precision=4, suppress=False)
data = datasets.load("digits")                     # 8x8 images, flattened to 64 inputs in [0, 1]
N = 8 if QUICK else 32                             # a few digits are enough to check gradients
X, y = data.X_train[:N], data.y_train[:N]
net = nn.Sequential([nn.Dense(64, 16), nn.Tanh(), nn.Dense(16, 10)])
theta = net.init(seed=0)
print(net)
print("X", X.shape, "labels", y)

# %% [markdown]
# ## The forward pass by hand
# `unflatten` returns one dict per layer (`{}` for Tanh, which has no parameters). The arrays are
# **views** into `theta`: no copies, so an optimizer that updates `theta` in place updates every
# layer at once. The flat order is layer by layer, `W` then `b`, C order.

# %%
(p1, _, p2) = net.unflatten(theta)
W1, b1, W2, b2 = p1["W"], p1["b"], p2["W"], p2["b"]
print("W1", W1.shape, "b1", b1.shape, "W2", W2.shape, "b2", b2.shape, "net.size", net.size)
print("W1 is a view into theta:", np.shares_memory(W1, theta))

z1 = X @ W1 + b1           # Dense: out = x @ W + b, W of shape (n_in, n_out)
a1 = np.tanh(z1)           # Tanh
out = a1 @ W2 + b2         # Dense
print("max |out - net.forward| =", np.max(np.abs(out - net.forward(theta, X))))

# %% [markdown]
# ## The backward pass by hand (Dense + Tanh + MSE)
# The loss is the mean over all $N C$ entries of $(\mathrm{out} - Y)^2$ with $Y$ the one-hot
# labels, so $\partial L / \partial\,\mathrm{out} = 2 (\mathrm{out} - Y) / (N C)$. Then, walking
# back through each layer ($\delta$ = the gradient arriving from above):
#
# | step | rule | why |
# |---|---|---|
# | Dense 2 | $dW_2 = a_1^\top \delta$, $db_2 = \sum_n \delta_n$, $da_1 = \delta W_2^\top$ | $\mathrm{out} = a_1 W_2 + b_2$ is linear |
# | Tanh | $dz_1 = da_1 \odot (1 - a_1^2)$ | $\tanh'(z) = 1 - \tanh^2 z$, elementwise |
# | Dense 1 | $dW_1 = X^\top dz_1$, $db_1 = \sum_n (dz_1)_n$ | ($dX$ is not needed: $X$ is data) |
#
# Every gradient has the shape of the thing it differentiates; that check alone catches
# most transposition mistakes.

# %%
Y = np.eye(10)[y]                                   # one-hot targets
loss = np.mean((out - Y) ** 2)
dout = 2.0 * (out - Y) / out.size
dW2, db2 = a1.T @ dout, dout.sum(axis=0)
da1 = dout @ W2.T
dz1 = da1 * (1.0 - a1 ** 2)
dW1, db1 = X.T @ dz1, dz1.sum(axis=0)
grad_by_hand = np.concatenate([dW1.ravel(), db1, dW2.ravel(), db2])   # the flat order

lib_loss, lib_grad = net.loss_and_grad(theta, X, y, loss="mse")
print(f"loss by hand {loss:.15f}, library {lib_loss:.15f}")
print("max |grad by hand - library| =", np.max(np.abs(grad_by_hand - lib_grad)))

# %% [markdown]
# ## The layer protocol
# The library does exactly the above, but each layer only knows its own piece. `forward`
# returns the output and a *cache* of what `backward` will need (Dense caches its input `x`,
# Tanh caches its output `tanh(z)`, since 1 - tanh^2 needs nothing else). `backward` takes
# dL/dout and returns dL/dx for the layer before, plus the parameter gradients.

# %%
layers, params = net.layers, net.unflatten(theta)
h, caches = X, []
for layer, p in zip(layers, params):
    h, cache = layer.forward(p, h)
    caches.append(cache)
print("Tanh cache is its output:", np.array_equal(caches[1], a1))
_, d = nn.mse(h, y)
grads = [None] * 3
for i in reversed(range(3)):
    d, grads[i] = layers[i].backward(params[i], d, caches[i])
print("dW1 from the layers equals dW1 by hand:", np.allclose(grads[0]["W"], dW1, rtol=0, atol=1e-15))

# %% [markdown]
# ## Gradient checking with centred differences
# $$\frac{\partial f}{\partial x_i} \approx \frac{f(x + h e_i) - f(x - h e_i)}{2h}.$$
# The truncation error is $O(h^2)$ (the even Taylor terms cancel); the rounding error is about
# $\epsilon |f| / h$, with $\epsilon = 2.2 \cdot 10^{-16}$. Their sum is smallest near
# $h \approx \epsilon^{1/3} \approx 10^{-5}$, the library default. We compare with the relative
# error $|a - n| / (|a| + |n|)$: about $10^{-7}$ or below is a correct gradient, $10^{-2}$ or
# above a bug.
#
# `check_layer` checks one layer alone, using L = sum(forward(x) * R) for a random R (so
# dL/dout = R); `check_network` checks the whole `loss_and_grad` in theta.

# %%
rng = np.random.default_rng(1)
print("Dense:", nn.check_layer(nn.Dense(5, 3), rng.standard_normal((4, 5))))
print("Tanh: ", nn.check_layer(nn.Tanh(), rng.standard_normal((4, 5))))
print("network (norm-wise):", nn.check_network(net, theta, X, y, loss="mse", norm=True))

# %% [markdown]
# Now sweep the step size. The norm-wise relative error ||a - n|| / (||a|| + ||n||) is used
# here because a single tiny gradient entry would otherwise dominate the picture.

# %%
hs = np.logspace(-12, -1, 12 if QUICK else 34)
f = lambda t: net.loss_value(t, X, y, loss="mse")   # noqa: E731
errors = [nn.relative_error(lib_grad, nn.numerical_gradient(f, theta, h), norm=True) for h in hs]
best = hs[int(np.argmin(errors))]
print(f"smallest error {min(errors):.2e} at h = {best:.1e}; at h = 1e-5: "
      f"{errors[int(np.argmin(np.abs(np.log(hs / 1e-5))))]:.2e}")

fig, ax = plt.subplots(figsize=(6, 4))
ax.loglog(hs, errors, "o", label="measured")
ax.loglog(hs, errors[-1] * (hs / hs[-1]) ** 2, "--", color="C1", label=r"truncation $\propto h^2$")
ax.loglog(hs, errors[0] * hs[0] / hs, ":", color="C2", lw=2, label=r"rounding $\propto \epsilon / h$")
ax.axvline(np.finfo(float).eps ** (1 / 3), color="k", lw=0.8, label=r"$h = \epsilon^{1/3}$")
ax.set(xlabel="finite-difference step h", ylabel="relative error (norm-wise)",
       title="Centred differences: truncation vs rounding", ylim=(min(errors) / 30, 1))
ax.legend()
_ = savefig(fig, "01_gradient_check_step_size.png")

# %% [markdown]
# ## What a bug looks like
# Two classic mistakes: a Dense layer that forgets the transpose in dL/dx (`dout @ W` instead
# of `dout @ W.T`; with a square W the shapes still fit, so nothing crashes) and a Tanh that
# forgets the factor 1 - tanh^2. Both run, both train *somewhere*, and only the check tells.

# %%
class ForgotTranspose(nn.Dense):
    def backward(self, params, dout, cache, grads=None, need_dx=True):
        _, grads = super().backward(params, dout, cache, grads, need_dx)
        return dout @ params["W"], grads              # BUG: should be params["W"].T


class ForgotDerivative(nn.Tanh):
    def backward(self, params, dout, cache, grads=None, need_dx=True):
        return dout, {}                               # BUG: should be dout * (1 - out**2)


x = rng.standard_normal((4, 6))
print("Dense, forgotten transpose:", nn.check_layer(ForgotTranspose(6, 6), x))
print("Tanh, forgotten 1 - tanh^2: ", nn.check_layer(ForgotDerivative(), x))

nets = {"correct": net,
        "forgotten transpose": nn.Sequential([nn.Dense(64, 16), nn.Tanh(), ForgotTranspose(16, 16),
                                              nn.Tanh(), nn.Dense(16, 10)]),
        "forgotten 1 - tanh^2": nn.Sequential([nn.Dense(64, 16), ForgotDerivative(), nn.Dense(16, 10)])}
fig, ax = plt.subplots(figsize=(6, 4))
for name, model in nets.items():
    t = model.init(seed=0)
    a = model.loss_and_grad(t, X, y, loss="mse")[1]
    n = nn.numerical_gradient(lambda v: model.loss_value(v, X, y, loss="mse"), t)
    elementwise = np.abs(a - n) / np.maximum(np.abs(a) + np.abs(n), 1e-8)
    print(f"{name:22s} norm-wise relative error {nn.relative_error(a, n, norm=True):.1e}")
    ax.hist(np.log10(np.maximum(elementwise, 1e-16)), bins=32, range=(-16, 0), histtype="step",
            lw=2, label=name)
ax.axvline(-7, color="k", lw=0.8, ls="--")
ax.text(-6.8, ax.get_ylim()[1] * 0.9, "above 1e-7: suspect", fontsize=8)
ax.text(-15.8, ax.get_ylim()[1] * 0.5, "error exactly 0\n(pixels that are\nalways blank)", fontsize=8)
ax.set(xlabel=r"$\log_{10}$ elementwise relative error", ylabel="number of parameters",
       title="Gradient check of a correct and two buggy networks")
ax.legend()
_ = savefig(fig, "01_buggy_backward.png")

# %% [markdown]
# Note the *pattern*: with the forgotten transpose, the last layer's gradients are still right
# (the bug only corrupts what flows backwards past it), so part of the histogram stays near
# 1e-10. A check that reports which parameters fail points you to the layer. The bar at the
# far left holds the first-layer weights of pixels that are blank in all N digits: both
# gradients are exactly 0 there, so even a buggy network passes on them.
#
# ## What to try next
# - Repeat the h sweep with `nn.Sequential(..., dtype=np.float32)`: where does the V move?
# - Replace Tanh by `nn.ReLU()`: why can the check fail at a kink, and how rarely does it?
# - Write the backward pass for `loss="cross_entropy"` by hand (dL/dz = (softmax - Y) / N).
