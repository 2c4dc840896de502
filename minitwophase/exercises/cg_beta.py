"""Exercise 7: the beta of nonlinear CG, d_{k+1} = -g_{k+1} + beta_{k+1} d_k (N&W Chapter 5.2).

With g = g_{k+1}, g_old = g_k, y = g - g_old:
    Fletcher-Reeves   beta_FR  = g^T g / g_old^T g_old                (5.41a)
    Polak-Ribiere+    beta_PR+ = max(g^T y / g_old^T g_old, 0)        (5.44), (5.45)
"""
import numpy as np

from ..optim.cg_beta import fletcher_reeves, polak_ribiere_plus
from .harness import Exercise, Mistake, drop_along, run_check


def reference_fr(g, g_old, d):
    return fletcher_reeves(g, g_old, d, g - g_old)


def reference_pr_plus(g, g_old, d):
    return polak_ribiere_plus(g, g_old, d, g - g_old)


def cases(rng):
    """Random gradients, then gradients that shrink along g_old, where beta_PR < 0."""
    out = []
    for n in (2, 3, 5, 8) * 3:
        g_old = rng.standard_normal(n)
        d = -g_old + 0.5 * rng.standard_normal(n)
        out.append({"g": rng.standard_normal(n), "g_old": g_old, "d": d})
    for n in (2, 3, 5, 8) * 2:
        g_old = rng.standard_normal(n)
        g = rng.uniform(0.2, 0.8) * g_old + 0.1 * rng.standard_normal(n)   # g^T y < 0
        out.append({"g": g, "g_old": g_old, "d": -g_old + 0.5 * rng.standard_normal(n)})
    return out


def shrink(case):
    yield from drop_along(case, {"g": 0, "g_old": 0, "d": 0})


def _pr(g, g_old):
    return g @ (g - g_old) / (g_old @ g_old)


MISTAKES_PR_PLUS = (
    Mistake("not_clipped", "beta not clipped at 0 (PR instead of PR+): beta = max(beta_PR, 0)",
            lambda g, g_old, d: _pr(g, g_old)),
    Mistake("min_clip", "clipped with min instead of max: PR+ = max(beta_PR, 0) (5.45)",
            lambda g, g_old, d: min(_pr(g, g_old), 0.0)),
    Mistake("fletcher_reeves", "numerator g^T g is Fletcher-Reeves; PR's numerator is "
            "g^T (g - g_old) (5.44)", lambda g, g_old, d: max(g @ g / (g_old @ g_old), 0.0)),
    Mistake("y_sign", "y = g_old - g: the sign of y flipped; y_k = g_{k+1} - g_k",
            lambda g, g_old, d: max(-_pr(g, g_old), 0.0)),
    Mistake("new_denominator", "denominator uses the new gradient: beta_PR divides by "
            "g_k^T g_k, the OLD gradient's squared norm",
            lambda g, g_old, d: max(g @ (g - g_old) / (g @ g), 0.0)),
)

MISTAKES_FR = (
    Mistake("inverted", "ratio inverted: beta_FR = g_{k+1}^T g_{k+1} / g_k^T g_k (new over old)",
            lambda g, g_old, d: g_old @ g_old / (g @ g)),
    Mistake("not_squared", "norms not squared: beta_FR = ||g_{k+1}||^2 / ||g_k||^2",
            lambda g, g_old, d: np.linalg.norm(g) / np.linalg.norm(g_old)),
    Mistake("polak_ribiere", "numerator g^T (g - g_old) is Polak-Ribiere's; "
            "Fletcher-Reeves uses g^T g (5.41a)", lambda g, g_old, d: _pr(g, g_old)),
    Mistake("cross_numerator", "numerator g_{k+1}^T g_k: FR's numerator is the NEW gradient's "
            "squared norm g_{k+1}^T g_{k+1}", lambda g, g_old, d: g @ g_old / (g_old @ g_old)),
    Mistake("direction_denominator", "denominator d^T d: FR divides by the old gradient's "
            "g_k^T g_k", lambda g, g_old, d: g @ g / (d @ d)),
)

EXERCISE_FR = Exercise(
    name="beta_fletcher_reeves", against="minitwophase.optim.cg_beta.fletcher_reeves",
    reference=reference_fr, cases=cases, mistakes=MISTAKES_FR, outputs=("beta",), shrink=shrink)
EXERCISE_PR_PLUS = Exercise(
    name="beta_polak_ribiere_plus", against="minitwophase.optim.cg_beta.polak_ribiere_plus",
    reference=reference_pr_plus, cases=cases, mistakes=MISTAKES_PR_PLUS, outputs=("beta",),
    shrink=shrink)


def check_beta_fletcher_reeves(student_fn, seed=0):
    """Check ``beta_fletcher_reeves(g, g_old, d) -> float``; returns a CheckResult."""
    return run_check(EXERCISE_FR, student_fn, seed)


def check_beta_polak_ribiere_plus(student_fn, seed=0):
    """Check ``beta_polak_ribiere_plus(g, g_old, d) -> float``; returns a CheckResult."""
    return run_check(EXERCISE_PR_PLUS, student_fn, seed)
