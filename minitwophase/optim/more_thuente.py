"""The Moré–Thuente line search: MINPACK-2's dcsrch and dcstep, written out in NumPy.

J. J. Moré and D. J. Thuente (1994), "Line search algorithms with guaranteed sufficient
decrease", ACM TOMS 20(3), 286-307 (M&T below). It finds alpha with
    phi(alpha) <= phi(0) + ftol alpha phi'(0)   and   |phi'(alpha)| <= gtol |phi'(0)|
(the strong Wolfe conditions, N&W (3.7)) by keeping an interval [stx, sty] that contains such
a step and shrinking it with safeguarded cubic/quadratic steps. This is the search scipy's CG
and BFGS try first (scipy.optimize's private line_search_wolfe1); the arithmetic below
follows MINPACK-2 expression by expression, so a run reproduces scipy's iterates bit for bit.
"""
from __future__ import annotations

import numpy as np

XTRAPL, XTRAPU = 1.1, 4.0      # M&T Section 4: extrapolate within [1.1, 4] (stp - stx)
P66 = 0.66                     # bisect when the interval has not shrunk to 0.66 of its width


def dcstep(stx, fx, dx, sty, fy, dy, stp, fp, dp, brackt, stpmin, stpmax):
    """One safeguarded trial step and interval update (M&T Section 4, MINPACK-2 dcstep).

    stx: best step so far (fx, dx), sty: the other end (fy, dy), stp: the current trial
    (fp, dp). Returns the updated (stx, fx, dx, sty, fy, dy), the next step and brackt.
    """
    sgnd = np.sign(dp) * np.sign(dx)
    if fp > fx:
        # Case 1 (M&T 4.1): higher f, the minimizer is bracketed. Cubic step if it is closer
        # to stx than the quadratic (through fx, dx, fp) step, else their average.
        theta = 3.0 * (fx - fp) / (stp - stx) + dx + dp
        s = max(abs(theta), abs(dx), abs(dp))
        gamma = s * np.sqrt((theta / s) ** 2 - (dx / s) * (dp / s))
        if stp < stx:
            gamma = -gamma
        p = (gamma - dx) + theta
        q = ((gamma - dx) + gamma) + dp
        stpc = stx + (p / q) * (stp - stx)
        stpq = stx + ((dx / ((fx - fp) / (stp - stx) + dx)) / 2.0) * (stp - stx)
        stpf = stpc if abs(stpc - stx) <= abs(stpq - stx) else stpc + (stpq - stpc) / 2.0
        brackt = True
    elif sgnd < 0.0:
        # Case 2 (M&T 4.2): lower f, derivatives of opposite sign: bracketed. Cubic step if it
        # is farther from stp than the secant step, else the secant step.
        theta = 3 * (fx - fp) / (stp - stx) + dx + dp
        s = max(abs(theta), abs(dx), abs(dp))
        gamma = s * np.sqrt((theta / s) ** 2 - (dx / s) * (dp / s))
        if stp > stx:
            gamma = -gamma
        p = (gamma - dp) + theta
        q = ((gamma - dp) + gamma) + dx
        stpc = stp + (p / q) * (stx - stp)
        stpq = stp + (dp / (dp - dx)) * (stx - stp)
        stpf = stpc if abs(stpc - stp) > abs(stpq - stp) else stpq
        brackt = True
    elif abs(dp) < abs(dx):
        # Case 3 (M&T 4.3): lower f, same sign, |derivative| decreasing. The cubic step is used
        # only if the cubic tends to infinity in the step's direction or its minimizer lies
        # beyond stp; otherwise stpmin/stpmax stands in for it.
        theta = 3 * (fx - fp) / (stp - stx) + dx + dp
        s = max(abs(theta), abs(dx), abs(dp))
        gamma = s * np.sqrt(max(0, (theta / s) ** 2 - (dx / s) * (dp / s)))
        if stp > stx:
            gamma = -gamma
        p = (gamma - dp) + theta
        q = (gamma + (dx - dp)) + gamma
        r = p / q
        if r < 0 and gamma != 0:
            stpc = stp + r * (stx - stp)
        elif stp > stx:
            stpc = stpmax
        else:
            stpc = stpmin
        stpq = stp + (dp / (dp - dx)) * (stx - stp)
        if brackt:     # the step closer to stp, kept inside 0.66 of the way to sty
            stpf = stpc if abs(stpc - stp) < abs(stpq - stp) else stpq
            if stp > stx:
                stpf = min(stp + P66 * (sty - stp), stpf)
            else:
                stpf = max(stp + P66 * (sty - stp), stpf)
        else:          # the step farther from stp, inside [stpmin, stpmax]
            stpf = stpc if abs(stpc - stp) > abs(stpq - stp) else stpq
            stpf = min(max(stpf, stpmin), stpmax)
    else:
        # Case 4 (M&T 4.4): lower f, same sign, |derivative| not decreasing. Bracketed: the
        # cubic step through (stp, sty); not bracketed: stpmax or stpmin.
        if brackt:
            theta = 3.0 * (fp - fy) / (sty - stp) + dy + dp
            s = max(abs(theta), abs(dy), abs(dp))
            gamma = s * np.sqrt((theta / s) ** 2 - (dy / s) * (dp / s))
            if stp > sty:
                gamma = -gamma
            p = (gamma - dp) + theta
            q = ((gamma - dp) + gamma) + dy
            stpf = stp + (p / q) * (sty - stp)
        elif stp > stx:
            stpf = stpmax
        else:
            stpf = stpmin
    # The interval update (M&T's updating algorithm, cases U1-U3)
    if fp > fx:
        sty, fy, dy = stp, fp, dp
    else:
        if sgnd < 0:
            sty, fy, dy = stx, fx, dx
        stx, fx, dx = stp, fp, dp
    return stx, fx, dx, sty, fy, dy, stpf, brackt


def more_thuente(line, stp, ftol=1e-4, gtol=0.9, xtol=1e-14, stpmin=1e-8, stpmax=50.0,
                 maxiter=100):
    """Moré–Thuente search on ``line`` (a LineFunction) from the trial step ``stp``
    (MINPACK-2 dcsrch; defaults as scipy's line_search_wolfe1). Returns (alpha, None) with
    alpha satisfying the strong Wolfe conditions, or (None, reason)."""
    finit, ginit = line.phi(0.0), line.slope(0.0)
    if not stpmin <= stp <= stpmax:
        return None, f"Moré–Thuente: the first trial step {stp} lies outside [{stpmin}, {stpmax}]"
    if not ginit < 0:
        return None, f"Moré–Thuente: d is not a descent direction (phi'(0) = {ginit})"
    gtest = ftol * ginit
    brackt, stage = False, 1
    width = stpmax - stpmin
    width1 = width / 0.5
    stx = sty = 0.0
    fx = fy = finit
    gx = gy = ginit
    stmin, stmax = 0.0, stp + XTRAPU * stp
    for _ in range(maxiter):
        f, g = line.phi(stp), line.slope(stp)
        if not np.isfinite(f):         # not in MINPACK: NaN/inf backs off halfway to stx
            brackt, sty, fy, gy = True, stp, np.inf, np.inf
            stmin, stmax = min(stx, sty), max(stx, sty)
            stp = stx + 0.5 * (stp - stx)
            continue
        ftest = finit + stp * gtest
        if stage == 1 and f <= ftest and g >= 0:
            stage = 2                  # M&T Section 3: psi(stp) <= 0 and phi' >= 0 seen
        if f <= ftest and abs(g) <= gtol * -ginit:
            return float(stp), None    # both conditions hold: converged
        if brackt and (stp <= stmin or stp >= stmax):
            return None, "Moré–Thuente: rounding errors prevent progress"
        if brackt and stmax - stmin <= xtol * stmax:
            return None, "Moré–Thuente: the bracket is narrower than xtol"
        if stp == stpmax and f <= ftest and g <= gtest:
            return None, "Moré–Thuente: the step reached stpmax"
        if stp == stpmin and (f > ftest or g >= gtest):
            return None, "Moré–Thuente: the step reached stpmin"
        with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
            if stage == 1 and fx >= f > ftest:
                # M&T Section 3: while no step with psi <= 0 and phi' >= 0 has been seen,
                # step on the modified function psi(a) = phi(a) - phi(0) - ftol a phi'(0)
                stx, fxm, gxm, sty, fym, gym, stp, brackt = dcstep(
                    stx, fx - stx * gtest, gx - gtest, sty, fy - sty * gtest, gy - gtest,
                    stp, f - stp * gtest, g - gtest, brackt, stmin, stmax)
                fx, fy = fxm + stx * gtest, fym + sty * gtest
                gx, gy = gxm + gtest, gym + gtest
            else:
                stx, fx, gx, sty, fy, gy, stp, brackt = dcstep(
                    stx, fx, gx, sty, fy, gy, stp, f, g, brackt, stmin, stmax)
        if brackt:
            if abs(sty - stx) >= P66 * width1:   # too little shrinkage: bisect
                stp = stx + 0.5 * (sty - stx)
            width1, width = width, abs(sty - stx)
            stmin, stmax = min(stx, sty), max(stx, sty)
        else:
            stmin, stmax = stp + XTRAPL * (stp - stx), stp + XTRAPU * (stp - stx)
        stp = min(max(stp, stpmin), stpmax)
        if brackt and (stp <= stmin or stp >= stmax) or brackt and stmax - stmin <= xtol * stmax:
            stp = stx                  # no further progress possible: the best step so far
        if not np.isfinite(stp):
            return None, "Moré–Thuente: the trial step is not finite"
    return None, f"Moré–Thuente: no strong Wolfe step within {maxiter} evaluations"


class LastPointOnly:
    """A LineFunction as scipy's searches see their objective: scipy's ScalarFunction keeps f
    and g for the last point x only, compared as arrays. So a search that returns to an
    earlier step (MINPACK's stp = stx, line_search_wolfe2 restarting from wolfe1's first
    trial) calls fun there again, and a step whose x_k + alpha d rounds to the last x (steps
    one ulp apart once the bracket has collapsed) calls nothing. scipy's CG replay searches
    through this view, so it makes scipy's calls in scipy's order and counts them as scipy.
    ``canonical(alpha)``: the step actually evaluated at alpha's point (same x, same result)."""

    def __init__(self, line):
        self.line = line
        self._x, self._alpha = line.x, 0.0     # x_k: its f and g are scipy's old_fval, gfk
        self._alias = {}

    def _at(self, alpha):
        alpha = float(alpha)
        if alpha != self._alpha and alpha != 0.0:   # phi(0), phi'(0): scipy passes them in
            x = self.line.x + alpha * self.line.d   # the x scipy's phi(alpha) asks for
            if np.array_equal(x, self._x):
                self._alias[alpha] = self._alpha
                return self._alpha
            self.line.evaluate(alpha)
            self._x, self._alpha = x, alpha
        return alpha

    def canonical(self, alpha):
        return None if alpha is None else self._alias.get(float(alpha), alpha)

    def phi(self, alpha):
        return self.line.phi(self._at(alpha))

    def slope(self, alpha):
        return self.line.slope(self._at(alpha))

    def grad(self, alpha):
        return self.line.grad(self._at(alpha))

    @property
    def rejected(self):
        return self.line.rejected

    @rejected.setter
    def rejected(self, count):
        self.line.rejected = count
