# %% [markdown]
# # 03 Linear conjugate gradient on quadratics
#
# Nonlinear CG, the second phase of the two-phase algorithm, is built on *linear* CG: the
# method for minimizing $f(x) = \tfrac12 x^\top A x - b^\top x$ with $A$ symmetric positive
# definite (SPD), i.e. for solving $A x = b$. You will learn:
# 1. the CG iteration (Nocedal & Wright, Algorithm 5.2, eqs. 5.24) and `mtp.linear_cg`;
# 2. n-step termination, and termination in k steps when A has k distinct eigenvalues
#    (N&W Theorem 5.4);
# 3. how much better than steepest descent it is, and the condition-number bound (5.36)
#    $\|x_k - x^*\|_A \le 2 \left(\frac{\sqrt\kappa - 1}{\sqrt\kappa + 1}\right)^k \|x_0 - x^*\|_A$;
# 4. what floating point does to all this.

# %%
import numpy as np
import matplotlib.pyplot as plt
import scipy.sparse.linalg as sla

import minitwophase as mtp
from minitwophase.tutorial_support import QUICK, savefig
from minitwophase.plotting import COLORS                 # one colour per optimizer, every figure
from minitwophase.problems import log_spectrum, quadratic

# %% [markdown]
# ## The iteration
# From x_0, with residual r = A x - b (the gradient of f) and p_0 = -r_0, each step is
#
# $$\begin{aligned}
# \alpha_k &= \frac{r_k^\top r_k}{p_k^\top A p_k} && (5.24a)\ \text{exact minimizer of } f \text{ along } p_k\\
# x_{k+1} &= x_k + \alpha_k p_k && (5.24b)\\
# r_{k+1} &= r_k + \alpha_k A p_k && (5.24c)\\
# \beta_{k+1} &= \frac{r_{k+1}^\top r_{k+1}}{r_k^\top r_k} && (5.24d)\\
# p_{k+1} &= -r_{k+1} + \beta_{k+1} p_k && (5.24e)\ A\text{-conjugate to all earlier } p
# \end{aligned}$$
#
# One product A p per step, no matrix factorization: A can even be a function v -> A v.
# `problems.quadratic(eigenvalues)` builds A = Q diag(eigenvalues) Q^T with a random
# orthogonal Q, so we choose the spectrum and everything else is generic.

# %%
prob = quadratic(np.linspace(1.0, 100.0, 30), seed=0)      # n = 30, kappa = 100
res = mtp.linear_cg(prob.A, prob.b, tol=1e-10)
print(res.message, "iterations:", res.nit)
print("||x - x*|| =", np.linalg.norm(res.x - prob.x_star), " first residual norms:", res.residual_norms[:4])

# %% [markdown]
# ## n-step termination, and k distinct eigenvalues
# The search directions are A-conjugate, so x_k minimizes f over x_0 + span{p_0, ..., p_{k-1}},
# the Krylov space span{r_0, A r_0, ..., A^{k-1} r_0}. After n steps that is all of R^n
# (Theorem 5.1). Better: x_k - x* = P_k(A)(x_0 - x*) for the best polynomial P_k of degree k
# with P_k(0) = 1, so if A has only k distinct eigenvalues the polynomial with roots at those
# eigenvalues gives the exact solution after k steps (Theorem 5.4). In float64 the k-th
# residual is tiny but not exactly zero, so reaching a very small tol can take one more step.
# Note that ||r_k|| may go *up* for a while: CG minimizes the A-norm of the error, not ||r||.

# %%
n = 30
spectra = {"uniform in [1, 100] (30 distinct)": np.linspace(1.0, 100.0, n),
           "3 distinct: 1, 10, 100": np.array([1.0, 10.0, 100.0])[np.arange(n) % 3],
           "6 distinct in [1, 100]": np.logspace(0, 2, 6)[np.arange(n) % 6]}
fig, ax = plt.subplots(figsize=(6.5, 4.2))
for i, (label, lam) in enumerate(spectra.items()):
    p = quadratic(lam, seed=1)
    r = mtp.linear_cg(p.A, p.b, tol=1e-12).residual_norms / np.linalg.norm(p.b)
    k = np.unique(lam).size
    print(f"{label:34s} distinct eigenvalues {k:2d}, CG iterations to 1e-12: {r.size - 1}")
    ax.semilogy(r, "o-", ms=3, color=f"C{i}", label=label)
    ax.axvline(k, color=f"C{i}", ls=":", lw=1)
ax.set(xlabel="iteration k", ylabel=r"$\|r_k\| / \|b\|$", title=f"Linear CG, n = {n}: steps = number of distinct eigenvalues")
ax.legend(fontsize=8)
_ = savefig(fig, "03_termination.png")

# %% [markdown]
# ## Against steepest descent with exact line search
# Steepest descent uses the same exact step length along p = -r but never remembers earlier
# directions, so it keeps undoing its own progress. Its A-norm error shrinks at best by
# (kappa - 1)/(kappa + 1) per step (N&W eq. 3.29), against CG's (sqrt(kappa) - 1)/(sqrt(kappa) + 1).
# For kappa = 100: 0.980 against 0.818. Four lines:

# %%
def steepest_descent(A, b, iters):
    x, xs = np.zeros_like(b), [np.zeros_like(b)]
    for _ in range(iters):
        r = A @ x - b
        x = x - (r @ r) / (r @ (A @ r)) * r          # exact line search along -r
        xs.append(x)
    return xs


def cg_iterates(A, b, iters):
    """x_0, ..., x_iters of linear CG: it is deterministic, so stopping it after k steps gives
    the k-th iterate (quadratic work, fine for a lesson)."""
    return [mtp.linear_cg(A, b, tol=0.0, maxiter=k).x for k in range(iters + 1)]


def a_norm_errors(xs, p):
    e = np.array(xs) - p.x_star
    err = np.sqrt(np.einsum("ki,ij,kj->k", e, p.A, e))
    return err / err[0]


K = 100 if QUICK else 200
kappa = 100.0
errs = {"CG": a_norm_errors(cg_iterates(prob.A, prob.b, 40), prob),
        "steepest descent": a_norm_errors(steepest_descent(prob.A, prob.b, K), prob)}
for name, e in errs.items():
    print(f"{name:17s}: ||x_k - x*||_A / ||x_0 - x*||_A at k = 10, 30: {e[10]:.2e}, {e[30]:.2e}")
rate = np.log(errs["steepest descent"][-1]) / K
print(f"steepest descent at its measured rate would need ~{np.log(1e-10) / rate:.0f} steps for 1e-10")

ks = np.arange(K + 1)
fig, ax = plt.subplots(figsize=(6.5, 4.2))
ax.semilogy(errs["CG"], "o-", ms=3, color=COLORS["CG"], label="CG")
ax.semilogy(errs["steepest descent"], "-", color="0.4", label="steepest descent (exact line search)")
ax.semilogy(ks, 2 * ((np.sqrt(kappa) - 1) / (np.sqrt(kappa) + 1)) ** ks, "--", color=COLORS["CG"],
            label=r"CG bound (5.36)")
ax.semilogy(ks, ((kappa - 1) / (kappa + 1)) ** ks, "--", color="0.4", label="SD bound (3.29)")
ax.set(xlabel="iteration k", ylabel=r"$\|x_k - x^*\|_A / \|x_0 - x^*\|_A$", ylim=(1e-16, 3),
       title=rf"n = 30, uniform spectrum, $\kappa$ = {kappa:g}")
ax.legend(fontsize=8)
_ = savefig(fig, "03_cg_vs_steepest_descent.png")

# %% [markdown]
# ## The condition-number bound (5.36)
# Chebyshev polynomials on [lambda_min, lambda_max] give (5.36). It only knows the two ends
# of the spectrum, so it is sharpest when eigenvalues fill the interval evenly; we use n = 200
# evenly spaced eigenvalues. Note the CG curve is not a straight line: as soon as the extreme
# eigenvalues are "found" by the Krylov space, CG speeds up (superlinear convergence).

# %%
n, K = (60, 40) if QUICK else (200, 90)
fig, ax = plt.subplots(figsize=(6.5, 4.2))
for i, kappa in enumerate((10.0, 100.0, 1000.0)):
    p = quadratic(np.linspace(1.0, kappa, n), seed=2)
    e = a_norm_errors(cg_iterates(p.A, p.b, K), p)
    bound = 2 * ((np.sqrt(kappa) - 1) / (np.sqrt(kappa) + 1)) ** np.arange(K + 1)
    print(f"kappa {kappa:6g}: k = 20: actual {e[20]:.2e}, bound {bound[20]:.2e}")
    ax.semilogy(e, "-", color=f"C{i}", label=rf"CG, $\kappa$ = {kappa:g}")
    ax.semilogy(bound, "--", color=f"C{i}", label=rf"bound (5.36), $\kappa$ = {kappa:g}")
ax.set(xlabel="iteration k", ylabel=r"$\|x_k - x^*\|_A / \|x_0 - x^*\|_A$", ylim=(1e-16, 3),
       title=f"Actual CG error against the bound (5.36), n = {n}")
ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
_ = savefig(fig, "03_condition_number_bound.png")

# %% [markdown]
# ## The float64 caveat
# Everything above assumes exact arithmetic. In float64 the residuals slowly lose their mutual
# orthogonality, and with a few isolated large eigenvalues (a log-spaced spectrum) CG
# "rediscovers" them: it needs **more than n** iterations. This is not a bug in our code:
# scipy.sparse.linalg.cg takes exactly the same number of steps. (The project's tests found
# 71 iterations for n = 40, kappa = 1e3 with another right-hand side.) A uniform spectrum with
# the same kappa terminates on time.

# %%
n = 40
fig, ax = plt.subplots(figsize=(6.5, 4.2))
for i, (label, lam) in enumerate((("log-spaced", log_spectrum(n, 1e3)),
                                  ("uniform", np.linspace(1.0, 1e3, n)))):
    p = quadratic(lam, seed=0)
    res = mtp.linear_cg(p.A, p.b, tol=1e-8)
    count = [0]
    sla.cg(p.A, p.b, rtol=1e-8, maxiter=10 * n, callback=lambda xk: count.__setitem__(0, count[0] + 1))
    print(f"{label:10s} spectrum, n = {n}, kappa = 1e3: mtp.linear_cg {res.nit} iterations, scipy cg {count[0]}")
    ax.semilogy(res.residual_norms / np.linalg.norm(p.b), color=f"C{i}", label=f"{label} spectrum ({res.nit} iterations)")
ax.axvline(n, color="k", ls=":", lw=1, label="n = 40 (exact arithmetic)")
ax.axhline(1e-8, color="grey", ls="--", lw=0.8, label="tol = 1e-8")
ax.set(xlabel="iteration k", ylabel=r"$\|r_k\| / \|b\|$", title=r"Finite precision: n = 40, $\kappa = 10^3$")
ax.legend(fontsize=8)
_ = savefig(fig, "03_float64_caveat.png")

# %% [markdown]
# ### How many more than n? Condition number against iterations
# Take n = 20 with eigenvalues log-spaced in $[1, \kappa]$ and count the iterations to
# $\|r\| \le 10^{-10}\|b\|$ (the default tol). Measured with
# `python benchmarks/cg_float64_termination.py` over 20 random matrices and right-hand sides
# (median, range): $\kappa = 10^2$: 24 (24-25); $10^4$: 38 (38-40); $10^6$: **64** (61-71);
# $10^8$: 120 (107-136). So at $\kappa = 10^6$ float64 CG needs about three times n.
# To see that this is rounding and not the method, restore by hand what exact arithmetic
# keeps for free: project each new residual off all earlier ones (N&W Theorem 5.3 says they
# are mutually orthogonal). That CG stops at exactly n = 20 every time, and both agree with
# `numpy.linalg.solve`.

# %%
def reorthogonalized_cg(A, b, tol=1e-10):
    x, r, p, basis, k = np.zeros_like(b), -b, b.copy(), [-b / np.linalg.norm(b)], 0
    while np.linalg.norm(r) > tol * np.linalg.norm(b) and k < 10 * b.size:
        Ap = A @ p
        alpha = (r @ r) / (p @ Ap)
        x, r_new = x + alpha * p, r + alpha * Ap
        Q = np.array(basis)
        for _ in range(2):                                   # Gram-Schmidt, twice
            r_new = r_new - Q.T @ (Q @ r_new)
        p, r, k = -r_new + (r_new @ r_new) / (r @ r) * p, r_new, k + 1
        basis.append(r / np.linalg.norm(r))
    return x, k


for kappa in (1e2, 1e6):
    plain, orth = [], []
    for seed in range(3 if QUICK else 10):
        p = quadratic(log_spectrum(20, kappa), seed=seed)
        res = mtp.linear_cg(p.A, p.b)
        x_orth, k_orth = reorthogonalized_cg(p.A, p.b)
        x_ref = np.linalg.solve(p.A, p.b)
        assert np.allclose(res.x, x_ref, rtol=1e-7) and np.allclose(x_orth, x_ref, rtol=1e-7)
        plain.append(res.nit)
        orth.append(k_orth)
    print(f"n = 20, kappa = {kappa:.0e}: linear_cg {plain} iterations, re-orthogonalized {orth}")

# %% [markdown]
# ## What to try next
# - Cluster the spectrum: 25 eigenvalues in [1, 1.1] and 5 spread over [10, 1000]. How many
#   iterations? Compare with (5.36) and with Theorem 5.5 (N&W eq. 5.35).
# - Pass A as a function `lambda v: A @ v`, and count how many products CG asks for.
# - Replace `np.linspace(1, kappa, n)` by `log_spectrum(n, kappa)` in the bound cell.
