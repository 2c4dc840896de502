"""The curvature measured along training (``--curvature-every``), in words and tables.

Per run: was the swap made where the measurement calls the loss convex
(``curvature.convex_verdict``: lambda_min >= -rel_tol lambda_max), and by what margin
(lambda_min / lambda_max + rel_tol, in units of lambda_max: >= 0 convex); and the measured
points (initialisation, largest epoch-end |g| up to the swap, swap, end, every K epochs) as a table.

Layer: experiments (above training/); map: docs/architecture.md.
"""
from __future__ import annotations

ROLE_NAMES = {"init": "initialisation", "peak": "largest epoch-end |g|", "swap": "swap",
              "end": "end", "scheduled": "every K"}


def _g(value, spec=".3g"):
    return "n/a" if value is None else format(value, spec)


def swap_sentence(run):
    """One line per run: the swap-time verdict (or why there is none)."""
    head = f"{run.method} seed {run.seed}"
    if run.curvature is None:
        return f"{head}: curvature not measured"
    s = run.swap_curvature
    if s is None:
        return f"{head}: no swap (nothing to judge); {len(run.curvature)} point(s) measured"
    where = "convex" if s["convex"] else "NON-CONVEX"
    unsure = "" if s["converged"] else "; NOT converged within the product budget"
    return (f"{head}: swap after epoch {s['epoch']} in a region the measurement calls {where} "
            f"({s['verdict']}); margin {s['margin']:+.3g} lambda_max "
            f"(lambda_min/lambda_max = {s['ratio']:.3g} vs -{s['rel_tol']:g}; lambda_min = "
            f"{s['lambda_min']:.3g}, lambda_max = {s['lambda_max']:.3g}, negative mass "
            f"{s['negative_mass']:.3g}{unsure})")


def points_table(run):
    """Markdown rows of every measured point of one run."""
    head = ("| epoch | point | phase | train loss | grad norm | lambda_min | lambda_max | ratio | "
            "neg. mass | verdict | HVPs |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for s in run.curvature or []:
        roles = ", ".join(ROLE_NAMES.get(r, r) for r in s["roles"])
        lines.append(f"| {s['epoch']} | {roles} | {s['phase']} | {_g(s['train_loss'], '.4g')} | "
                     f"{_g(s['grad_norm'], '.3g')} | {_g(s['lambda_min'], '.4g')} | "
                     f"{_g(s['lambda_max'], '.4g')} | {_g(s['ratio'], '.3g')} | "
                     f"{_g(s['negative_mass'], '.3g')} | {s['verdict']}{'' if s['converged'] else ' (not converged)'} | "
                     f"{s['n_hvp']} |")
    return "\n".join(lines)


def curvature_digest(run):
    """JSON-ready per-run summary: the swap verdict and the named points' scalars."""
    if run.curvature is None:
        return None
    keys = ("epoch", "lambda_min", "lambda_max", "ratio", "negative_mass", "verdict", "margin")
    points = {}
    for s in run.curvature:
        for role in s["roles"]:
            if role != "scheduled":
                points[role] = {k: s[k] for k in keys}
    return {"swap": run.swap_curvature, "points": points, "measured": len(run.curvature),
            "diag_cost": run.rows[-1].get("diag_cost") if run.rows else None,
            "sentence": swap_sentence(run)}


def curvature_markdown(runs):
    """The summary.md section (empty when nothing was measured)."""
    runs = [r for r in runs if r.curvature is not None]
    if not runs:
        return []
    lines = ["## Curvature (measured)", "",
             "Hessian of the full training loss by Lanczos on finite-difference Hessian-vector "
             "products (curvature.probe), paid in diag_cost, not in cost. Convex: lambda_min >= "
             "-1e-3 lambda_max (curvature.convex_verdict); margin = lambda_min/lambda_max + 1e-3.", ""]
    for r in runs:
        lines += [f"### {r.method} seed {r.seed}", "", swap_sentence(r), "", points_table(r), ""]
    return lines
