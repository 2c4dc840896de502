"""How the gradient-norm peak is shown: the |g| star only at a peak that was checked and
passed; epoch 0 drawn apart and said to be unchecked; smoothed mode draws its fitted curve with
the star on it; the summary never names a peak epoch beside "no peak passed"; every seed has its
own shade."""
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.colors import to_rgba

from minitwophase import datasets, models
from minitwophase.experiments import plotting
from minitwophase.experiments.report import runs_table, summarize
from minitwophase.peaks import find_peaks_report
from minitwophase.training import COLUMNS, Run, train


@pytest.fixture(scope="module")
def digits():
    return datasets.load("digits")


def _train(digits, **kw):
    net = models.build_model("mlp:16", digits.image_shape, digits.n_classes)
    return train(net, digits, **kw)


def _star(ax):
    return [l for l in ax.get_lines() if l.get_marker() == "*"]


def test_no_star_and_no_peak_epoch_when_no_peak_was_passed(digits):
    run = _train(digits, method="adam+cg", epochs=10, seed=0)
    assert run.peak_report["status"] == "falling_from_start"      # the measured premise
    g = run.column("grad_norm")
    assert g[0] > g[1:].max()        # epoch 0 is the highest point, and the rule never checks it
    assert run.peak_passed is False
    fig = plotting.gradnorm_vs_loss_figure([run])
    try:
        ax = fig.axes[0]
        assert not _star(ax)
        labels = [t.get_text() for t in ax.get_legend().get_texts()]
        assert any("no peak passed" in s for s in labels), labels
        init = next(l for l in ax.get_lines() if "epoch 0" in l.get_label())
        assert "not checked" in init.get_label()
        assert (init.get_xdata()[0], init.get_ydata()[0]) == (run.rows[0]["train_loss"], g[0])
    finally:
        plt.close(fig)
    digest = summarize([run])["runs"][0]
    assert digest["peak_epoch"] is None and "no peak passed" in digest["peak_message"]
    assert "none passed" in runs_table(summarize([run]))


def _synthetic(norms, peak_epoch, seed=0):
    rows = []
    for epoch, gn in enumerate(norms):
        row = dict.fromkeys(COLUMNS)
        row.update(epoch=epoch, phase="init" if epoch == 0 else "adam", train_loss=1.0 / (epoch + 1),
                   grad_norm=gn, val_loss=1.0, val_acc=0.5, cost=float(epoch), wall_time=0.0)
        rows.append(row)
    report = find_peaks_report(norms[1:], count_from=1, unit="epoch").to_dict()
    return Run(method="adam", seed=seed, config={}, rows=rows, status="completed",
               peak_epoch=peak_epoch, peak_report=report, peak_passed=report["single_peak"])


def test_the_star_sits_on_a_passed_peak():
    norms = [0.2, 0.3, 0.5, 0.9, 1.2, 1.0, 0.6, 0.4, 0.3, 0.2, 0.15, 0.1]
    run = _synthetic(norms, peak_epoch=4)
    assert run.peak_report["status"] == "single"
    fig = plotting.gradnorm_vs_loss_figure([run])
    try:
        (star,) = _star(fig.axes[0])
        assert (star.get_xdata()[0], star.get_ydata()[0]) == (1 / 5, 1.2)
    finally:
        plt.close(fig)
    assert summarize([run])["runs"][0]["peak_epoch"] == 4


def test_smoothed_mode_draws_its_curve_and_the_star_on_it(digits):
    run = _train(digits, method="adam+cg", epochs=25, seed=0, swap_mode="smoothed", lr=1e-3)
    sm = np.array(run.smoothed_grad_norm, dtype=float)          # rows: epoch, loss, fitted |g|
    assert np.isfinite(sm[:, 2]).sum() >= 10
    fig = plotting.gradnorm_vs_loss_figure([run])
    try:
        ax = fig.axes[0]
        curve = next(l for l in ax.get_lines() if l.get_label().startswith("smoothed"))
        ok = np.isfinite(sm[:, 2])
        np.testing.assert_array_equal(curve.get_ydata(), sm[ok, 2])
        np.testing.assert_array_equal(curve.get_xdata(), sm[ok, 1])
        stars = _star(ax)
        if run.peak_passed:
            i = list(sm[:, 0]).index(run.peak_epoch)
            assert (stars[0].get_xdata()[0], stars[0].get_ydata()[0]) == (sm[i, 1], sm[i, 2])
        else:
            assert not stars
    finally:
        plt.close(fig)


def test_each_seed_has_its_own_shade():
    norms = [0.2, 0.3, 0.5, 0.9, 1.2, 1.0, 0.6, 0.4]
    runs = [_synthetic(norms, 4, seed=s) for s in (0, 1, 2)]
    for figure in (plotting.gradnorm_vs_loss_figure, plotting.loss_vs_cost_figure,
                   plotting.accuracy_figure):
        fig = figure(runs)
        try:
            curves = [l for l in fig.axes[0].get_lines() if len(l.get_xdata()) > 2]
            colours = {to_rgba(l.get_color()) for l in curves}
            assert len(curves) == 3 and len(colours) == 3, figure.__name__
            labels = [l.get_label() for l in curves]
            assert all(f"seed {s}" in " ".join(labels) for s in (0, 1, 2)), labels
        finally:
            plt.close(fig)
