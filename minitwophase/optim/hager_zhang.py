"""The approximate-Wolfe line search of CG_DESCENT (Hager & Zhang).

W. W. Hager and H. Zhang (2005), "A new conjugate gradient method with guaranteed descent and
an efficient line search", SIAM J. Optim. 16(1), 170-192 (HZ05), and (2006), "Algorithm 851:
CG_DESCENT", ACM TOMS 32(1), 113-137 (HZ06, with its code, version 1.4). A step alpha is
accepted when
    (T1) the Wolfe conditions: phi(a) - phi(0) <= delta a phi'(0), phi'(a) >= sigma phi'(0), or
    (T2) the approximate Wolfe conditions (HZ05 (4.1)):
         (2 delta - 1) phi'(0) >= phi'(a) >= sigma phi'(0)  and  phi(a) <= phi(0) + eps_k.
(T2) only tests slopes, so it still works where f has stopped changing in float64 (near a
minimizer), which is where (T1)'s test on f differences fails. The search keeps an interval
[a, b] with phi(a) <= phi(0) + eps_k, phi'(a) < 0 <= phi'(b) and shrinks it with a double
secant step (secant^2) and bisection (HZ05 Section 4, HZ06 Section 3, steps L0-L3).

Which trials are tested for (T1)/(T2): HZ05's Section 4 stops the search at any point that
meets them; CG_DESCENT's code tests the points ``update`` makes (secant^2, bisection) and the
first trial c only when it came from QuadStep (I1) and phi(c) <= phi(0) (its expansion
evaluates only the slope, so it has no f to test). Here f comes with every slope, so
``accept_initial=True`` tests c and bracket's expansion points too, at no extra cost.
``counts`` (a dict, optional) receives where the evaluations went: "initial" (c),
"bracket" (expansion), "secant" (secant^2's updates), "bisect" (U3 and L2), and
"accepted initial" (searches that stopped at c).
Without (T2) (Wolfe mode) the interval search runs on psi(a) = phi(a) - delta a phi'(0)
(cg_lineW: "psi is minimized instead of phi"), whose minimizer meets (T1)'s decrease test.
"""
from __future__ import annotations

import numpy as np


class _Found(Exception):
    """Raised by the evaluation that meets (T1) or (T2): the search stops there."""


class _OutOfBudget(Exception):
    pass


def approximate_wolfe(line, c, eps_k, approx=True, delta=0.1, sigma=0.9, theta=0.5,
                      gamma=0.66, rho=5.0, max_evals=50, quad=False, accept_initial=False,
                      counts=None):
    """CG_DESCENT's line search on ``line`` from the first trial step ``c`` (HZ06 L0-L3).

    eps_k: the tolerance on f of (T2) (HZ06: eps C_k); approx: test (T2) besides (T1);
    quad: c came from QuadStep (I1), so c itself may be accepted; accept_initial: test c and
    the expansion points as every other trial (HZ05 Section 4); counts: see the module.
    Returns (alpha, None), alpha meeting (T1) or (T2), or (None, reason).
    """
    counts = {} if counts is None else counts
    phase = ["initial"]               # where the next evaluation is booked
    f0, s0 = line.phi(0.0), line.slope(0.0)
    if not s0 < 0:
        return None, f"Hager-Zhang: d is not a descent direction (phi'(0) = {s0})"
    if not (np.isfinite(c) and c > 0):
        return None, f"Hager-Zhang: the first trial step must be finite and > 0, got {c}"
    fmax, start = f0 + eps_k, line.nfev
    tilt = 0.0 if approx else delta * s0      # Wolfe mode: search psi = phi - tilt a

    def value(a):
        return line.phi(a) - tilt * a

    def slope(a):
        return line.slope(a) - tilt

    def accepted(a):
        fa, sa = line.phi(a), line.slope(a)
        t1 = fa - f0 <= delta * a * s0 and sa >= sigma * s0
        t2 = approx and (2 * delta - 1) * s0 >= sa >= sigma * s0 and fa <= fmax
        return t1 or t2

    def evaluate(a, test=True):
        """psi(a), psi'(a); stops the search (raises _Found) if (T1) or (T2) holds at a and
        ``test`` (a bool, or a function of a) allows it."""
        if line.nfev - start >= max_evals:
            raise _OutOfBudget
        before = line.nfev
        fa, sa = value(a), slope(a)
        counts[phase[0]] = counts.get(phase[0], 0) + line.nfev - before
        if (test(a) if callable(test) else test) and accepted(a):
            raise _Found(a)
        return fa, sa

    def bisect(a, b, test=True):
        """HZ05 update U3 (HZ06 U3a-c): psi'(b) < 0 but psi(b) too high: shrink towards a."""
        phase[0] = "bisect"
        while True:
            d = (1 - theta) * a + theta * b
            if not a < d < b:
                raise _OutOfBudget        # [a, b] has collapsed to adjacent floats
            fd, sd = evaluate(d, test)
            if sd >= 0:
                return a, d
            if fd <= fmax:
                a = d
            else:
                b = d

    def update(a, b, c, label="secant"):
        """HZ05 'update' (HZ06 U0-U3): the part of [a, b] on c's side that keeps the
        invariant psi(a) <= phi(0) + eps_k, psi'(a) < 0 <= psi'(b)."""
        if not a < c < b:                 # U0 (also catches a NaN secant step)
            return a, b
        phase[0] = label
        fc, sc = evaluate(c)
        if sc >= 0:                       # U1
            return a, c
        if fc <= fmax:                    # U2
            return c, b
        return bisect(a, c)               # U3

    def secant(a, b):
        """Zero of the linear interpolant of psi' through a and b (HZ05 (4.2))."""
        sa, sb = slope(a), slope(b)
        return (a * sb - b * sa) / (sb - sa) if sb != sa else np.nan

    def secant2(a, b):
        """HZ05 secant^2 (HZ06 S1-S4): a secant step, then a second one on the side it moved."""
        c = secant(a, b)
        A, B = update(a, b, c)            # S1
        if c == B:
            return update(A, B, secant(b, B))   # S2, S4
        if c == A:
            return update(A, B, secant(a, A))   # S3, S4
        return A, B

    def bracket(c):
        """HZ06 B0-B3: expand c by rho until psi' >= 0 (or psi rises above phi(0) + eps_k).
        Its points are tested only after a QuadStep, and only where phi <= fquad (cg_line)."""
        c0 = c

        def test(a):                      # called after phi(a), so phi(c0) is known
            return accept_initial or quad and line.phi(a) <= min(line.phi(c0), f0)
        a = 0.0
        while True:
            fc, sc = evaluate(c, test)
            phase[0] = "bracket"
            if sc >= 0:                   # B1: a = the last c with psi <= phi(0) + eps_k
                return a, c
            if fc > fmax:                 # B2: psi' < 0 but psi too high: bisect [0, c]
                return bisect(0.0, c, test)
            a, c = c, rho * c             # B3

    try:
        a, b = bracket(c)                 # L0
        while True:
            A, B = secant2(a, b)          # L1
            if B - A > gamma * (b - a):   # L2: secant^2 shrank [a, b] too little: bisect
                if not A < (A + B) / 2 < B:
                    raise _OutOfBudget    # [A, B] has collapsed to adjacent floats
                A, B = update(A, B, (A + B) / 2, "bisect")
            a, b = A, B                   # L3
    except _Found as hit:
        if hit.args[0] == c:
            counts["accepted initial"] = counts.get("accepted initial", 0) + 1
        return float(hit.args[0]), None
    except _OutOfBudget:
        return None, (f"Hager-Zhang: no (approximate) Wolfe step within {line.nfev - start} "
                      "evaluations")


def initial_step(k_first, x, f, g, d, line, alpha_prev, psi0=0.01, psi1=0.1, psi2=2.0,
                 quad_step=True, f_prev=None, quad_cutoff=1e-12):
    """CG_DESCENT's first trial step (HZ06 Section 3, I0-I2); returns (c, from_quad_step).

    I0 (first iteration): psi0 ||x_0||_inf / ||g_0||_inf, or psi0 |f| / ||g_0||^2 if x_0 = 0,
    else 1. I1 (QuadStep): if phi(psi1 alpha_{k-1}) <= phi(0) and the quadratic through
    phi(0), phi'(0), phi(psi1 alpha_{k-1}) is strictly convex, its minimizer. CG_DESCENT
    tries I1 only while the relative change |f_k - f_{k-1}| / |f_k| exceeds QuadCutOff =
    1e-12 (HZ06's parameter list): below it the quadratic's curvature is lost to rounding.
    Its probe needs only f: ``line.value`` (fun alone when the objective offers f alone).
    I2: otherwise psi2 alpha_{k-1}.
    """
    if k_first:
        xn, gn = np.abs(x).max(), np.abs(g).max()
        if xn > 0:
            return psi0 * xn / gn, False
        return (psi0 * abs(f) / (g @ g) if f != 0 else 1.0), False
    change = 1.0 if f_prev is None or f == 0 else abs((f - f_prev) / f)
    if quad_step and change > quad_cutoff:
        t = psi1 * alpha_prev
        ft, s0 = line.value(t), float(g @ d)
        q = (ft - f - s0 * t) / t ** 2   # phi(t) = f + s0 t + q t^2
        if ft <= f and q > 0:
            return -s0 / (2 * q), True
    return psi2 * alpha_prev, False
