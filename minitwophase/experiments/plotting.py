"""The comparison's figures; each function takes a list of Runs and a path and writes a PNG.

  plot_gradnorm_vs_loss  the paper's Fig. 5 (there: vit-mlp on CIFAR-10, "all variants ...
                         qualitatively similar"): gradient norm (y) against train loss (x),
                         log-log, one panel per method; Adam phase and CG phase in the phase
                         colours, the detector peak, the largest epoch-end |g| and the swap
                         marked (all read from Run.peaks, the run's one GradNormSummary).
  plot_loss_vs_cost      the paper's Fig. 6: train loss against cost (epoch-equivalents:
                         gradient evaluations over the training set, a forward pass alone
                         priced 1/(1+r); training/objective.py) and against wall time.
  plot_accuracy          validation accuracy against epochs.
Each ``plot_*(runs, path)`` saves the figure that ``*_figure(runs)`` returns (tests inspect those).
Colours come from the one style module, ``minitwophase.plotting``: one per optimizer (Adam,
CG, PCG, L-BFGS, SGD), per method (METHOD_COLORS) and per phase (PHASE_COLORS), so every
figure reads the same way; the loss axis of the gradient-norm plot is reversed so training
runs left to right; PNGs at style.DPI, and an SVG beside each.
Seeds of one method get shades of its colour (seed order: the colour itself, then darker),
each labelled. The star marks the detector peak, and only when a peak was passed; a triangle
marks the largest epoch-end |g| where it is another point (or no star is drawn); epoch 0 is a
ring (never checked). Chooses no backend: the CLI and the tests select Agg,
a notebook keeps its own. Layer: experiments (needs only matplotlib and numpy).
"""
from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import to_rgb
from matplotlib.ticker import FuncFormatter, NullFormatter

from .._json import write_atomic
from .. import plotting as style
from ..plotting import METHOD_COLORS, PHASE_COLORS   # one colour per optimizer, every figure

PHASE_NAMES = {"adam": "Adam", "sgd": "SGD", "cg": "CG", "pcg": "PCG", "lbfgs": "L-BFGS"}
FIGURES = {"gradnorm_vs_loss": "fig_gradnorm_vs_loss.png", "loss_vs_cost": "fig_loss_vs_cost.png",
           "accuracy": "fig_accuracy.png"}
# each also as SVG (for slides), listed here so a --no-plots run removes those too
FIGURES.update({key + "_svg": Path(name).with_suffix(".svg").name for key, name in list(FIGURES.items())})
_EXTRA = ("tab:brown", "tab:gray", "tab:olive", "tab:cyan")


def method_color(method, methods=()):
    if method in METHOD_COLORS:
        return METHOD_COLORS[method]
    unknown = [m for m in methods if m not in METHOD_COLORS]
    return _EXTRA[unknown.index(method) % len(_EXTRA)] if method in unknown else "black"


def _methods(runs):
    return list(dict.fromkeys(r.method for r in runs if r.rows))


def _row_of(run, epoch):
    for i, row in enumerate(run.rows):
        if row["epoch"] == epoch:
            return i
    return None


def _positive(a):
    """Log axes cannot show zero or NaN: mask them rather than crash or mislead."""
    a = np.asarray(a, dtype=float)
    return np.where(np.isfinite(a) & (a > 0), a, np.nan)


def _tidy_log_axis(axis):
    """Readable log ticks: matplotlib labels every minor tick (3x10^-2, 4x10^-2, ...) and
    they collide; label 1, 2, 5 x 10^k in plain numbers when the axis spans few decades."""
    lo, hi = axis.get_view_interval()
    if not (lo > 0 and hi > lo):
        return
    if np.log10(hi / lo) <= 2.5:
        def label(v, _pos):
            mantissa = round(v / 10 ** np.floor(np.log10(v) + 1e-9), 6)
            return f"{v:g}" if mantissa in (1, 2, 5) else ""
        axis.set_major_formatter(FuncFormatter(label))
        axis.set_minor_formatter(FuncFormatter(label))
    else:
        axis.set_minor_formatter(NullFormatter())


def _save(fig, path, svg=False):
    """The PNG at style.DPI, by create-and-rename (write_atomic: an interrupted save leaves no
    half-written file); with ``svg`` the same figure beside it as SVG."""
    path = Path(path)
    try:
        write_atomic(path, lambda tmp: fig.savefig(tmp, dpi=style.DPI, format="png"))
        if svg:
            write_atomic(path.with_suffix(".svg"), lambda tmp: fig.savefig(tmp, format="svg"))
    finally:
        plt.close(fig)
    return path


def plot_gradnorm_vs_loss(runs, path):
    return _save(gradnorm_vs_loss_figure(runs), path, svg=True)


def _shade(color, k, n):
    """Seed k of n: seed 0 in the colour itself, later seeds darker, so each is its own."""
    rgb = np.array(to_rgb(color))
    return tuple(rgb * (1.0 - 0.55 * k / max(n - 1, 1)))


def gradnorm_vs_loss_figure(runs):
    """The star marks the detector peak only when one was passed (``run.peaks.peak_passed``:
    the checks rose to it and the single-peak check found a peak); a triangle marks the
    largest epoch-end |g| when it is another point or there is no star; epoch 0, the initial point, is drawn
    apart as a ring: the rule never checks it. Swap mode "smoothed" adds the fitted curve the
    rule read, and its star sits on that curve."""
    methods = _methods(runs)
    fig, axes = plt.subplots(1, max(len(methods), 1), figsize=(4.6 * max(len(methods), 1), 4.2),
                             squeeze=False, sharey=True)
    for ax, method in zip(axes[0], methods):
        group = [r for r in runs if r.method == method and r.rows]
        n = len(group)
        for k, run in enumerate(group):
            loss, gnorm = _positive(run.column("train_loss")), _positive(run.column("grad_norm"))
            phases = [r["phase"] for r in run.rows]
            cg = np.array([p in ("cg", "pcg", "lbfgs") for p in phases])      # the second phase
            # the CG curve starts at the last Adam point so the two phases join up
            first_cg = int(np.argmax(cg)) if cg.any() else len(cg)
            adam_idx = np.arange(0, first_cg)
            cg_idx = np.arange(max(first_cg - 1, 0), len(cg)) if cg.any() else np.array([], int)
            measured = np.isfinite(gnorm)            # --gradnorm-every: join the measured epochs
            adam_idx, cg_idx = adam_idx[measured[adam_idx]], cg_idx[measured[cg_idx]]
            first = (lambda s: s if k == 0 else None)
            seed = f" (seed {run.seed})" if n > 1 else ""
            opening = "SGD" if "sgd" in phases else "Adam"
            ax.plot(loss[adam_idx], gnorm[adam_idx], "-", marker=".", ms=3, lw=1.2,
                    color=_shade(PHASE_COLORS[opening.lower()], k, n), label=opening + " phase" + seed)
            if cg_idx.size:
                ax.plot(loss[cg_idx], gnorm[cg_idx], "--", marker=".", ms=3, lw=1.2,
                        color=_shade(PHASE_COLORS.get(phases[-1], PHASE_COLORS["cg"]), k, n),
                        label=PHASE_NAMES[phases[-1]] + " phase" + seed)
            if phases[0] == "init":
                ax.plot(loss[:1], gnorm[:1], "o", ms=7, mfc="none", mec="black", color="black", zorder=5,
                        label=first("epoch 0 (initial point; not checked by the rule)"))
            sm = getattr(run, "smoothed_grad_norm", None)
            sm = np.array(sm, dtype=float).reshape(-1, 3) if sm else None
            if sm is not None:
                ok = np.isfinite(sm[:, 2])
                ax.plot(sm[ok, 1], sm[ok, 2], ":", lw=1.6, color=_shade("black", k, n + 1),
                        label=first("smoothed gradient norm (what the rule reads)"))
            peaks = run.peaks                        # the run's one GradNormSummary
            peak = _row_of(run, peaks.detector_epoch) if peaks.peak_passed else None
            if peak is not None:
                if sm is not None:                   # smoothed mode: the star on the fit
                    i = int(np.flatnonzero(sm[:, 0] == peaks.detector_epoch)[0])
                    x, y = sm[i, 1], sm[i, 2]
                else:
                    x, y = loss[peak], gnorm[peak]
                ax.plot(x, y, "*", ms=14, mec="black", color="gold",
                        label=first("detector peak"), zorder=5)
            largest = _row_of(run, peaks.largest_epoch) if peaks.largest_epoch is not None else None
            if largest is not None and (peak is None or sm is not None or largest != peak):
                ax.plot(loss[largest], gnorm[largest], "^", ms=8, mfc="none", mec="black", zorder=5,
                        label=first("largest epoch-end |g|" + (" (up to the swap)" if run.swap_epoch else "")))
            swap = None if run.swap_epoch is None else _row_of(run, run.swap_epoch)
            if swap is not None:
                ax.plot(loss[swap], gnorm[swap], "D", ms=8, mec="black", color="white",
                        label=first("swap (last Adam epoch)"), zorder=5)
        if not any(r.peaks.peak_passed for r in group):
            verdicts = ", ".join(sorted({r.peaks.verdict for r in group}))
            ax.plot([], [], " ", label=f"no peak passed (single-peak check: {verdicts}), so no star")
        ax.set_xscale("log")
        ax.set_yscale("log")
        seeds = ", ".join(str(r.seed) for r in group)
        ax.set_title(f"{method} (seed {seeds})", fontsize=10)
        style.loss_axis(ax)
        ax.grid(True, which="both", alpha=0.25)
        ax.legend(fontsize=style.LEGEND_FONTSIZE - 1, loc="best")
    for ax in axes[0]:
        _tidy_log_axis(ax.xaxis)
        _tidy_log_axis(ax.yaxis)
    axes[0][0].set_ylabel("full-batch gradient norm ||g||")
    fig.suptitle("Gradient norm against loss: rising = non-convex, falling = convex region",
                 fontsize=10)
    fig.tight_layout()
    return fig


def _by_method(ax, runs, x_key, y_key, mark_swap=True):
    methods = _methods(runs)
    for method in methods:
        group = [r for r in runs if r.method == method and r.rows]
        for k, run in enumerate(group):
            x, y = run.column(x_key), run.column(y_key)
            color = _shade(method_color(method, methods), k, len(group))
            ax.plot(x, y, style.METHOD_LINESTYLES.get(method, "-"), lw=1.3, color=color,
                    label=method if len(group) == 1 else f"{method} seed {run.seed}")
            swap = None if run.swap_epoch is None else _row_of(run, run.swap_epoch)
            if mark_swap and swap is not None:
                ax.plot(x[swap], y[swap], "D", ms=6, color=color, mec="black", zorder=5,
                        label="swap to CG" if method == methods[-1] and k == 0 else None)
    ax.grid(True, which="both", alpha=0.25)


def plot_loss_vs_cost(runs, path):
    return _save(loss_vs_cost_figure(runs), path, svg=True)


def loss_vs_cost_figure(runs):
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.2))
    _by_method(axes[0], runs, "cost", "train_loss")
    axes[0].set_xlabel("cost (epoch-equivalents: gradient evaluations over the training set)")
    _by_method(axes[1], runs, "wall_time", "train_loss")
    axes[1].set_xlabel("training wall time (s)")
    for ax in axes:
        ax.set_yscale("log")
        ax.set_ylabel("train loss (full batch)")
        ax.legend(fontsize=style.LEGEND_FONTSIZE)
        _tidy_log_axis(ax.yaxis)
    fig.suptitle("Train loss at equal cost (line-search evaluations included)", fontsize=10)
    fig.tight_layout()
    return fig


def plot_accuracy(runs, path):
    return _save(accuracy_figure(runs), path, svg=True)


def accuracy_figure(runs):
    fig, ax = plt.subplots(figsize=(6, 4.2))
    _by_method(ax, runs, "epoch", "val_acc")
    ax.set_xlabel("epoch")
    ax.set_ylabel("validation accuracy")
    ax.legend(fontsize=style.LEGEND_FONTSIZE)
    ax.set_title("Validation accuracy against epochs", fontsize=10)
    fig.tight_layout()
    return fig


def plot_all(runs, out_dir):
    """All three figures (and the curvature figures of measured runs) into ``out_dir``; returns their paths."""
    from .curvature_plots import plot_curvature     # only runs measured with --curvature-every
    out = Path(out_dir)
    return [plot_gradnorm_vs_loss(runs, out / FIGURES["gradnorm_vs_loss"]),
            plot_loss_vs_cost(runs, out / FIGURES["loss_vs_cost"]),
            plot_accuracy(runs, out / FIGURES["accuracy"])] + plot_curvature(runs, out)
