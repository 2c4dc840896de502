"""Exercise 8: the strong Wolfe conditions, Nocedal & Wright (3.7), for phi(a) = f(x + a p).

    sufficient decrease   phi(alpha) <= phi(0) + c1 alpha phi'(0)        (3.7a)
    curvature             |phi'(alpha)| <= c2 |phi'(0)|                   (3.7b)
with 0 < c1 < c2 < 1 and phi'(0) < 0. The weak Wolfe conditions (3.6) keep (3.7a) and ask only
phi'(alpha) >= c2 phi'(0). The package does not expose this predicate (its line search is
scipy's): the reference is written here and tested against scipy.optimize.line_search.
"""
import numpy as np

from .harness import Exercise, Mistake, run_check


def reference(phi0, dphi0, alpha, phi_alpha, dphi_alpha, c1, c2):
    sufficient_decrease = phi_alpha <= phi0 + c1 * alpha * dphi0       # (3.7a)
    curvature = abs(dphi_alpha) <= c2 * abs(dphi0)                    # (3.7b)
    return bool(sufficient_decrease and curvature)


def cases(rng):
    """Points on both sides of each condition's boundary, so that every clause matters."""
    out = []
    consts = [(1e-4, 0.9), (1e-4, 0.1), (0.01, 0.4), (0.1, 0.5), (0.3, 0.7)]
    for i in range(80):
        c1, c2 = consts[i % len(consts)]
        dphi0 = -np.exp(rng.normal())
        alpha = np.exp(rng.uniform(-3, 2))
        phi0 = rng.normal()
        # phi(alpha) around the sufficient-decrease line, above and below it
        phi_alpha = phi0 + c1 * alpha * dphi0 + abs(alpha * dphi0) * rng.uniform(-0.6, 0.3)
        # phi'(alpha) = u phi'(0): u in (-c2, c2) strong Wolfe holds, u < -c2 only weak holds
        dphi_alpha = dphi0 * rng.uniform(-1.5, 1.5)
        out.append({"phi0": phi0, "dphi0": dphi0, "alpha": alpha, "phi_alpha": phi_alpha,
                    "dphi_alpha": dphi_alpha, "c1": c1, "c2": c2})
    for i in range(20):     # near-exact line searches: phi'(alpha) ~ 0, a large decrease
        c1, c2 = consts[i % len(consts)]
        dphi0, alpha, phi0 = -np.exp(rng.normal()), np.exp(rng.uniform(-3, 2)), rng.normal()
        out.append({"phi0": phi0, "dphi0": dphi0, "alpha": alpha,
                    "phi_alpha": phi0 + alpha * dphi0 * rng.uniform(0.2, 1.0),
                    "dphi_alpha": dphi0 * rng.uniform(-1e-5, 1e-5), "c1": c1, "c2": c2})
    for i in range(40):     # curvature holds, phi(alpha) near phi(0): only (3.7a) decides
        c1, c2 = consts[i % len(consts)]
        dphi0, alpha, phi0 = -np.exp(rng.normal()), np.exp(rng.uniform(-3, 2)), rng.normal()
        band = c1 * abs(dphi0) * max(alpha, 1.0)      # covers phi(0) -+ c1 alpha phi'(0)
        out.append({"phi0": phi0, "dphi0": dphi0, "alpha": alpha,
                    "phi_alpha": phi0 + band * rng.uniform(-3.0, 3.0),
                    "dphi_alpha": dphi0 * rng.uniform(-0.5, 0.5) * c2, "c1": c1, "c2": c2})
    return out


def _variant(curvature="strong", decrease="alpha", swap=False):
    def predicate(phi0, dphi0, alpha, phi_alpha, dphi_alpha, c1, c2):
        if swap:
            c1, c2 = c2, c1
        bound = {"alpha": phi0 + c1 * alpha * dphi0, "no_alpha": phi0 + c1 * dphi0,
                 "plus": phi0 - c1 * alpha * dphi0}
        ok_decrease = True if decrease == "none" else phi_alpha <= bound[decrease]
        ok_curvature = {"strong": abs(dphi_alpha) <= c2 * abs(dphi0),
                        "weak": dphi_alpha >= c2 * dphi0,
                        "no_abs_right": abs(dphi_alpha) <= c2 * dphi0,
                        "none": True}[curvature]
        return bool(ok_decrease and ok_curvature)
    return predicate


MISTAKES = (
    Mistake("weak_wolfe", "curvature condition without absolute value (weak Wolfe, 3.6b): "
            "strong Wolfe asks |phi'(alpha)| <= c2 |phi'(0)| (3.7b)", _variant(curvature="weak")),
    Mistake("no_alpha", "sufficient decrease without alpha: phi(alpha) <= phi(0) + "
            "c1 ALPHA phi'(0) (3.7a)", _variant(decrease="no_alpha")),
    Mistake("constants_swapped", "c1 and c2 swapped: c1 (small, e.g. 1e-4) is for sufficient "
            "decrease, c2 (e.g. 0.9) for curvature", _variant(swap=True)),
    Mistake("armijo_only", "curvature condition missing: that is the Armijo condition alone; "
            "add |phi'(alpha)| <= c2 |phi'(0)|", _variant(curvature="none")),
    Mistake("curvature_only", "sufficient-decrease condition missing: add "
            "phi(alpha) <= phi(0) + c1 alpha phi'(0)", _variant(decrease="none")),
    Mistake("no_abs_right", "no absolute value on the right: phi'(0) < 0, so c2 phi'(0) < 0 "
            "and |phi'(alpha)| <= c2 phi'(0) never holds; use c2 |phi'(0)|",
            _variant(curvature="no_abs_right")),
    Mistake("decrease_sign", "sufficient-decrease bound above phi(0): phi'(0) < 0, the bound is "
            "phi(0) + c1 alpha phi'(0), below phi(0)", _variant(decrease="plus")),
)

EXERCISE = Exercise(
    name="strong_wolfe", against="N&W (3.7), cross-checked against scipy.optimize.line_search",
    reference=reference, cases=cases, mistakes=MISTAKES, outputs=("return value",), kind="bool")


def check_strong_wolfe(student_fn, seed=0):
    """Check ``strong_wolfe(phi0, dphi0, alpha, phi_alpha, dphi_alpha, c1, c2) -> bool``."""
    return run_check(EXERCISE, student_fn, seed)
