"""The three curvature figures of a run measured with ``--curvature-every`` (drawn by
curvature/plots.py from the run's rows and snapshots):

  fig_curvature_gradnorm_<run>.png  (a) the paper's gradient norm against loss, each measured
                                    checkpoint coloured by lambda_min / lambda_max
  fig_curvature_extremes_<run>.png  (b) lambda_min, lambda_max over epochs, peak and swap marked
  fig_curvature_density_<run>.png   (c) spectral-density snapshots before, at and after the
                                    swap (log density); with no swap: first, middle, last

<run> is "<method>_seed<seed>" ("+" written as "-"). Layer: experiments.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .._json import write_atomic
from ..curvature.density import smooth
from ..plotting import DPI
from ..curvature.plots import density_figure, extremes_figure, gradnorm_loss_figure


def _save(fig, path):
    """Create-and-rename (write_atomic): an interrupted save leaves no half-written PNG."""
    write_atomic(Path(path), lambda tmp: fig.savefig(tmp, dpi=DPI, format="png"))
    return path


def snapshot_density(snap):
    """A SpectralDensity from a run.curvature snapshot (its nodes, weights and sigma)."""
    return smooth(np.asarray(snap["nodes"]), np.asarray(snap["weights"]), sigma=snap["sigma"])


def density_snapshots(run):
    """(snapshot, label) before, at and after the swap: the last measured point before the
    swap, the swap, the first after it and the end; with no swap the first, middle and last."""
    snaps = run.curvature or []
    if not snaps:
        return []
    if run.swap_epoch is None:
        picked = [snaps[0], snaps[len(snaps) // 2], snaps[-1]]
    else:
        before = [s for s in snaps if s["epoch"] < run.swap_epoch]
        at = [s for s in snaps if s["epoch"] == run.swap_epoch]
        after = [s for s in snaps if s["epoch"] > run.swap_epoch]
        picked = before[-1:] + at + after[:1] + after[-1:]
    out, seen = [], set()
    for s in picked:
        if s["epoch"] not in seen:
            seen.add(s["epoch"])
            tag = "swap" if s["epoch"] == run.swap_epoch else s["phase"]
            out.append((s, f"epoch {s['epoch']} ({tag}, {s['verdict']})"))
    return out


def plot_curvature(runs, out_dir):
    """The three figures of every run with curvature measured; returns their paths."""
    out, paths = Path(out_dir), []
    for run in runs:
        snaps = run.curvature or []
        if not snaps:
            continue
        name = f"{run.method.replace('+', '-')}_seed{run.seed}"
        rows = run.rows
        ratio = np.array([np.nan if r.get("curvature_ratio") is None else r["curvature_ratio"] for r in rows])
        fig = gradnorm_loss_figure(run.column("train_loss"), run.column("grad_norm"), ratio,
                                   title=f"{run.label}: gradient norm against loss, coloured by curvature")
        paths.append(_save(fig, out / f"fig_curvature_gradnorm_{name}.png"))
        fig = extremes_figure([s["epoch"] for s in snaps], [s["lambda_min"] for s in snaps],
                              [s["lambda_max"] for s in snaps], peak_epoch=run.peaks.detector_epoch,
                              swap_epoch=run.swap_epoch, title=f"{run.label}: extreme Hessian eigenvalues")
        paths.append(_save(fig, out / f"fig_curvature_extremes_{name}.png"))
        picked = density_snapshots(run)
        fig = density_figure([snapshot_density(s) for s, _ in picked], [label for _, label in picked],
                             title=f"{run.label}: Hessian spectral density (SLQ)")
        paths.append(_save(fig, out / f"fig_curvature_density_{name}.png"))
    return paths
