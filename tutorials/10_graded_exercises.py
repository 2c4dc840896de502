# %% [markdown]
# # 10 Graded exercises: fill a stub, check it, read the diagnosis
#
# You will learn:
# 1. the course workflow: hand out the stubs, a student fills one in and runs it, a grader
#    checks a whole folder;
# 2. what a checker reports: the **first wrong element** (index, expected, got), the **input**
#    that showed it, and its **likely cause**;
# 3. how that cause is found: each known mistake is coded up and re-run on the same inputs,
#    and named only if it reproduces the student's output on every case;
# 4. why a checker with aimed inputs catches bugs that a loss curve never shows.
#
# Nine exercises (ten functions: the CG beta comes as Fletcher-Reeves and PR+), each checked
# against the package's verified implementation:
#
# | stub | what the student writes | checked against |
# |---|---|---|
# | `dense_backward` | $dx = \delta W^\top$, $dW = x^\top \delta$, $db = \sum_n \delta_n$ | `nn.Dense.backward` |
# | `tanh_backward` | $dx = \delta\,(1 - \tanh^2 x)$ | `nn.Tanh.backward` |
# | `mse_grad` | $\partial L/\partial o = 2(o - \mathrm{onehot}(y))/(NC)$ | `nn.losses.mse` |
# | `softmax_ce_grad` | $\partial L/\partial z = (\mathrm{softmax}(z) - \mathrm{onehot}(y))/N$ | `nn.losses.cross_entropy` |
# | `adam_step` | Kingma & Ba, Algorithm 1 | `mtp.Adam` |
# | `linear_cg_steps` | Nocedal & Wright, Algorithm 5.2 | `mtp.linear_cg` |
# | `beta_fletcher_reeves`, `beta_polak_ribiere_plus` | N&W (5.41a), (5.44)-(5.45) | `optim.cg_beta` |
# | `strong_wolfe` | N&W (3.7) | written from (3.7), tested against `scipy.optimize.line_search` |
# | `swap_decisions` | the paper's Algorithm 1 | `mtp.SwapDetector` |

# %%
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from minitwophase.tutorial_support import QUICK, savefig
from minitwophase import exercises, problems
from minitwophase.exercises import adam as adam_exercise
from minitwophase.exercises.command import main as exercises_cli

for name, checker in exercises.CHECKERS.items():
    print(f"{name:26s} -> exercises.{checker.__name__}")

# %% [markdown]
# ## 1. The workflow
# On the command line (from any directory, once the package is installed):
#
#     python -m minitwophase.exercises start hw      # copies the ten stubs into hw/
#     python hw/adam_step.py                         # a student checks one exercise
#     python -m minitwophase.exercises check hw      # a grader checks the whole folder
#
# Each stub states the equations in its docstring, raises `NotImplementedError` with a hint,
# and ends with `print(check_<name>(<name>))`. In Python, the same checker is one call. An
# unfilled stub is reported as such, not as a crash:

# %%
from minitwophase.exercises.stubs.adam_step import adam_step as unfilled
print(exercises.check_adam_step(unfilled))

# %% [markdown]
# ## 2. A first attempt: bias correction forgotten
# A student writes the two moment updates and the step, and forgets to divide by
# $1 - \beta^t$. On the first step $m_1 = (1-\beta_1) g$ and $v_1 = (1-\beta_2) g^2$, so the
# step comes out $(1-\beta_1)/\sqrt{1-\beta_2} \approx 3.2$ times too large.

# %%
def adam_step_v1(theta, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad ** 2
    return theta - lr * m / (np.sqrt(v) + eps), m, v


result = exercises.check_adam_step(adam_step_v1)
print(result)

# %% [markdown]
# The report names the first wrong element, `theta[0]`, with both values, and prints the
# input that showed it: the first step ($t = 1$) from $m = v = 0$, shrunk from three
# coordinates to one (the checker drops coordinates while the input still fails). The
# moments `m` and `v` are compared first and were right, so the error is in the step.
#
# **How the cause was found.** The checker holds a table of known mistakes, each coded up as
# a wrong Adam. It ran every one on the same inputs and kept those that reproduce the
# student's output on *all* cases. We can redo that test by hand:

# %%
known = {m.key: m for m in adam_exercise.MISTAKES}
for key in ("no_bias_correction", "eps_inside_sqrt"):
    wrong = known[key].fn(*result.case.values())[0]
    print(f"{key:20s} gives theta = {wrong}  student: {adam_step_v1(*result.case.values())[0]}")

# %% [markdown]
# ## 3. A second attempt: epsilon in the wrong place
# The student adds bias correction and, while at it, moves epsilon under the square root.
# On gradients of ordinary size the difference is invisible ($\sqrt{\hat v} \gg \epsilon$);
# the checker's cases include gradients down to $10^{-7}$, where $\epsilon = 10^{-8}$ is not
# negligible.

# %%
def adam_step_v2(theta, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad ** 2
    m_hat, v_hat = m / (1 - beta1 ** t), v / (1 - beta2 ** t)
    return theta - lr * m_hat / np.sqrt(v_hat + eps), m, v


print(exercises.check_adam_step(adam_step_v2))

# %% [markdown]
# ## 4. The third attempt passes

# %%
def adam_step_v3(theta, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad ** 2
    m_hat, v_hat = m / (1 - beta1 ** t), v / (1 - beta2 ** t)
    return theta - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


print(exercises.check_adam_step(adam_step_v3))

# %% [markdown]
# ## 5. Why not just look at the loss curve?
# We run all three versions for a few hundred steps on Rosenbrock's function
# $f(a, b) = 100 (b - a^2)^2 + (1 - a)^2$ from $(-1.2, 1)$ with $\mathrm{lr} = 10^{-2}$. The
# loss curves of v2 and v3 are indistinguishable: here the epsilon bug moves $\theta$ by
# $10^{-10}$ to $10^{-9}$, far below what a plot shows, yet it is a wrong Adam, and it matters where
# gradients are tiny (late in training, or for rarely active units). v1 does show in the
# curve, and on this function it even ends *lower*: a wrong optimizer can look like a better
# one, so a loss curve is no test of an implementation.

# %%
rosen = problems.rosenbrock(2)
steps = 300 if QUICK else 3000
runs = {}
for label, step in (("v3 (correct)", adam_step_v3), ("v1: no bias correction", adam_step_v1),
                    ("v2: eps inside sqrt", adam_step_v2)):
    x, m, v, path, losses = rosen.x0.copy(), np.zeros(2), np.zeros(2), [], []
    for t in range(1, steps + 1):
        f, g = rosen.fun(x)
        x, m, v = step(x, g, m, v, t, lr=1e-2)
        path.append(x)
        losses.append(f)
    runs[label] = (np.array(path), np.array(losses))

ref_path = runs["v3 (correct)"][0]
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
for (label, (path, losses)), colour in zip(runs.items(), ("k", "tab:red", "tab:blue")):
    dashed = "--" if label.startswith("v2") else "-"
    ax1.semilogy(losses, dashed, color=colour, label=label, lw=1.5)
    if not label.startswith("v3"):
        ax2.semilogy(np.max(np.abs(path - ref_path), axis=1) + 1e-18, color=colour,
                     label=label, lw=1.5)
ax1.set(xlabel="step", ylabel="f(x)", title="Loss curves: v2 hides behind v3")
ax2.set(xlabel="step", ylabel="max |x - x_correct|", title="Distance from the correct Adam")
ax1.legend()
ax2.legend()
fig.tight_layout()
_ = savefig(fig, "10_buggy_adam_on_rosenbrock.png")
for label, (path, losses) in runs.items():
    print(f"{label:24s} final f = {losses[-1]:.6g}, "
          f"max |x - x_correct| = {np.max(np.abs(path - ref_path)):.3g}")

# %% [markdown]
# ## 6. Grading a folder
# A grader copies the stubs, collects the students' files and checks them all at once; the
# exit code is 0 only when every exercise found passes. Here one student has solved the tanh
# exercise and left the others unfilled.

# %%
with tempfile.TemporaryDirectory() as tmp:
    hw = Path(tmp) / "hw"
    exercises_cli(["start", str(hw)])
    (hw / "tanh_backward.py").write_text(
        "import numpy as np\n\n"
        "def tanh_backward(x, dout):\n"
        "    return dout * (1 - np.tanh(x) ** 2)\n")
    code = exercises_cli(["check", str(hw)])
print("exit code", code)

# %% [markdown]
# ## For the teacher
# * Cases come from NumPy's seeded generator (seed 0 unless `seed=` says otherwise), so a
#   student and the grader see the same report; `check_...(fn, seed=1)` draws fresh cases.
# * The generators aim at the known mistakes: gradients from $10^{-7}$ to $10$ (epsilon's
#   place), batches of $N \ge 2$ (a missing batch mean), logits near 1000 (an unshifted
#   softmax), gradients that shrink along $g_k$ (a negative $\beta_{PR}$, so PR+ must clip),
#   steps with $\phi'(\alpha) > c_2|\phi'(0)|$ (weak instead of strong Wolfe), norms exactly at
#   $0.9\times$ the peak and factor 1 (the paper's $\le$ and the peak's update order).
# * To add a known mistake, append a `Mistake(key, cause, fn)` to the exercise's `MISTAKES`;
#   `tests/test_exercises.py` then requires that the cases tell it apart from every other one.
# * Two mistakes at once match no single entry: the report then says so and lists what matches
#   on the failing input, rather than guessing.
#
# **Try it:** `python -m minitwophase.exercises start hw`, then fill `hw/swap_decisions.py`
# with the paper's rule, but update the peak *after* the comparison. Which input does the
# checker show you, and why does factor 1 expose the mistake?
