"""Curvature figures as pure functions of arrays; each returns a matplotlib Figure.

Built on ``matplotlib.figure.Figure`` (no pyplot, no backend chosen here): the caller saves
it (``fig.savefig(path)``) or shows it in a notebook.

  density_figure        spectral-density snapshots, log density (as Ghorbani et al. 2019 draw them)
  extremes_figure       lambda_min and lambda_max over epochs, their ratio, the peak and swap marked
  gradnorm_loss_figure  the paper's gradient norm against loss, checkpoints coloured by
                        lambda_min / lambda_max (blue convex, red non-convex)
"""
from __future__ import annotations

import numpy as np
from matplotlib.colors import SymLogNorm
from matplotlib.figure import Figure

from ..plotting import COLORS, loss_axis

from .probe import CONVEX_TOL

FLOOR = 1e-10            # log density: values below are drawn at the floor


def density_figure(densities, labels=None, title="Hessian spectral density (SLQ)"):
    """``densities``: SpectralDensity objects (or (grid, density) pairs), one curve each."""
    fig = Figure(figsize=(7.5, 4.5))
    ax = fig.add_subplot()
    labels = labels or [None] * len(densities)
    for d, label in zip(densities, labels):
        grid, dens = (d.grid, d.density) if hasattr(d, "grid") else d
        ax.plot(grid, np.maximum(dens, FLOOR), lw=1.2, label=label)
    ax.axvline(0.0, color="k", lw=0.6)
    ax.set(yscale="log", xlabel="eigenvalue", ylabel="density (log scale)", title=title)
    ax.set_ylim(bottom=max(FLOOR, ax.get_ylim()[0]))
    ax.grid(alpha=0.3)
    if any(labels):
        ax.legend(fontsize=8)
    return fig


def _mark(ax, peak_epoch, swap_epoch):
    if peak_epoch is not None:
        ax.axvline(peak_epoch, color="k", ls="--", lw=1, label=f"detector peak (epoch {peak_epoch})")
    if swap_epoch is not None:
        ax.axvline(swap_epoch, color=COLORS["CG"], ls="-", lw=1, label=f"swap (after epoch {swap_epoch})")


def extremes_figure(epochs, lambda_min, lambda_max, peak_epoch=None, swap_epoch=None,
                    title="Extreme Hessian eigenvalues along training", rel_tol=CONVEX_TOL):
    """Top: lambda_max and lambda_min (symlog); bottom: lambda_min / lambda_max and the
    convex_verdict band (ratio >= -rel_tol is convex)."""
    epochs, lo, hi = (np.asarray(a, dtype=float) for a in (epochs, lambda_min, lambda_max))
    fig = Figure(figsize=(8, 6.5))
    top, bottom = fig.subplots(2, 1, sharex=True)
    top.plot(epochs, hi, "o-", ms=3, color="tab:blue", label="lambda_max")
    top.plot(epochs, lo, "o-", ms=3, color="tab:red", label="lambda_min")
    top.axhline(0.0, color="k", lw=0.6)
    linthresh = max(1e-6, 1e-3 * np.nanmax(np.abs(hi))) if np.any(np.isfinite(hi)) else 1e-6
    top.set_yscale("symlog", linthresh=linthresh)
    top.set(ylabel="eigenvalue (symlog)", title=title)
    ratio = lo / hi
    bottom.plot(epochs, ratio, "o-", ms=3, color="tab:purple", label="lambda_min / lambda_max")
    bottom.axhspan(-rel_tol, max(1.0, np.nanmax(ratio) if ratio.size else 1.0), color="tab:blue",
                   alpha=0.08, label=f"convex (ratio >= -{rel_tol:g})")
    bottom.axhline(0.0, color="k", lw=0.6)
    bottom.set_yscale("symlog", linthresh=rel_tol)
    bottom.set(xlabel="epoch", ylabel="lambda_min / lambda_max (symlog)")
    for ax in (top, bottom):
        _mark(ax, peak_epoch, swap_epoch)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    return fig


def gradnorm_loss_figure(loss, grad_norm, ratio, title="Gradient norm against loss, coloured by curvature",
                         rel_tol=CONVEX_TOL):
    """Every checkpoint (loss, |g|) coloured by lambda_min / lambda_max: red < 0 (a saddle
    region), blue > 0, on a symmetric log scale that is linear inside the convex_verdict band
    |ratio| <= rel_tol, so small negative ratios still show red; nan ratios (no measurement)
    are drawn as the grey line only."""
    loss, gnorm, ratio = (np.asarray(a, dtype=float) for a in (loss, grad_norm, ratio))
    fig = Figure(figsize=(7.5, 5))
    ax = fig.add_subplot()
    ax.plot(loss, gnorm, "-", color="0.7", lw=1, zorder=1)
    ok = np.isfinite(ratio)
    lim = max(1e-3, np.nanmax(np.abs(ratio[ok]))) if ok.any() else 1.0
    sc = ax.scatter(loss[ok], gnorm[ok], c=ratio[ok], cmap="coolwarm_r",
                    norm=SymLogNorm(rel_tol, vmin=-lim, vmax=lim), s=28, edgecolors="k", linewidths=0.4, zorder=2)
    fig.colorbar(sc, ax=ax, label="lambda_min / lambda_max")
    ax.set(xscale="log", yscale="log", ylabel="gradient norm", title=title)
    loss_axis(ax)                          # training runs left to right
    ax.grid(alpha=0.3, which="both")
    return fig
