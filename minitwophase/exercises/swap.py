"""Exercise 9: the paper's swap rule, Hrycej et al. (2025) Algorithm 1 (= minitwophase.SwapDetector).

Once per epoch, with the epoch's gradient norm gn:
    gnmax <- max(gn, gnmax)          # the running peak, this epoch included (gnmax starts at 0)
    adam  <- gn > gnmax * gnfact     # gnfact = 0.9; once False, never True again (one-way)
So update k is on the CG side ("swapped") from the first k with gn <= factor * peak on.
"""
import numpy as np

from ..swap import SwapDetector
from .harness import Exercise, Mistake, run_check


def reference(grad_norms, factor):
    det = SwapDetector(factor=factor)
    return np.array([det.update(g) for g in grad_norms], dtype=bool)


def cases(rng):
    out = [
        {"grad_norms": np.array([1.0, 2.0, 4.0, 3.0, 2.0, 1.0]), "factor": 0.5},  # 2 == 0.5 * 4
        {"grad_norms": np.array([3.0, 2.0, 1.0]), "factor": 1.0},      # factor 1 swaps at once
        {"grad_norms": np.array([2.0, 4.0, 3.5, 8.0, 6.0]), "factor": 0.75},   # 6 == 0.75 * 8
        {"grad_norms": np.array([1.0, 3.0, 2.0, 5.0, 6.0, 4.0]), "factor": 0.9},  # rises again
    ]
    for n in (6, 8, 10, 12, 16, 20) * 3:     # noisy rise-then-fall bumps, the paper's picture
        t = np.arange(n)
        top = rng.integers(1, n - 2)
        bump = np.exp(-0.5 * ((t - top) / rng.uniform(1.0, 4.0)) ** 2)
        norms = (0.5 + bump) * np.exp(0.1 * rng.standard_normal(n))
        out.append({"grad_norms": norms, "factor": float(rng.choice([0.9, 0.8, 0.95]))})
    return out


def shrink(case):
    """Shorter prefixes (the decisions before the end do not depend on what comes later)."""
    for n in range(1, len(case["grad_norms"])):
        yield {"grad_norms": case["grad_norms"][:n], "factor": case["factor"]}


def _variant(peak="running", one_way=True, strict=False, late=False):
    def decisions(grad_norms, factor):
        out, gnmax, swapped = [], 0.0, False
        for k, gn in enumerate(grad_norms):
            before = gnmax
            gnmax = max(gn, gnmax)
            ref = {"running": gnmax, "before": before, "first": grad_norms[0],
                   "global": max(grad_norms)}[peak]
            hit = gn < factor * ref if strict else gn <= factor * ref
            if late:
                out.append(swapped)
                swapped = swapped or hit
                continue
            swapped = (swapped or hit) if one_way else hit
            out.append(swapped)
        return np.array(out, dtype=bool)
    return decisions


MISTAKES = (
    Mistake("first_norm", "swap compares to the first norm instead of the running peak: "
            "gnmax <- max(gn, gnmax) every update", _variant(peak="first")),
    Mistake("peak_after_compare", "peak not updated before the comparison: gnmax <- "
            "max(gn, gnmax) comes first, so factor = 1 swaps at once", _variant(peak="before")),
    Mistake("whole_sequence_peak", "peak taken over the whole sequence, which looks into the "
            "future: the peak is the largest norm seen so far", _variant(peak="global")),
    Mistake("not_one_way", "not one-way: once swapped, training stays on CG even if the norm "
            "rises again", _variant(one_way=False)),
    Mistake("strict", "strict inequality: the paper swaps when gn <= gnfact * gnmax "
            "(adam <- gn > gnmax * gnfact)", _variant(strict=True)),
    Mistake("one_late", "swap marked one update late: the update whose norm falls to "
            "factor * peak is already on the CG side", _variant(late=True)),
)

EXERCISE = Exercise(
    name="swap_decisions", against="minitwophase.SwapDetector (paper mode)", reference=reference,
    cases=cases, mistakes=MISTAKES, outputs=("swapped",), kind="bool", shrink=shrink)


def check_swap_decisions(student_fn, seed=0):
    """Check ``swap_decisions(grad_norms, factor) -> sequence of bool`` (True from the swap on)."""
    return run_check(EXERCISE, student_fn, seed)
