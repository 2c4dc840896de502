"""plotting.py: the three figures are drawn from Runs, with log axes, phase colours and the
peak/swap markers where they belong, and written as non-empty PNGs."""
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import to_rgba

from minitwophase import plotting as style
from minitwophase.experiments import plotting
from minitwophase.training import COLUMNS, Run

PNG = b"\x89PNG\r\n\x1a\n"


def make_run(method, seed, n_adam, n_cg, swap=True):
    rows = []
    for epoch in range(n_adam + n_cg + 1):
        phase = "init" if epoch == 0 else ("adam" if epoch <= n_adam else "cg")
        row = dict.fromkeys(COLUMNS)
        # norm rises to a peak at epoch 2, then falls: the paper's picture
        row.update(epoch=epoch, phase=phase, train_loss=1.0 / (epoch + 1),
                   grad_norm=[0.5, 0.8, 1.0, 0.7][epoch] if epoch < 4 else 0.7 / epoch,
                   val_loss=1.0, val_acc=epoch / 20, cost=1.0 + 2 * epoch, wall_time=0.1 * epoch)
        rows.append(row)
    return Run(method=method, seed=seed, config={}, rows=rows, status="completed",
               swap_epoch=n_adam if (swap and n_cg) else None, peak_epoch=2, peak_passed=True)


def runs():
    return [make_run("adam", 0, 8, 0), make_run("adam+cg", 0, 3, 5), make_run("adam+cg", 1, 3, 5)]


def _lines(ax, color):
    return [l for l in ax.get_lines() if to_rgba(l.get_color()) == to_rgba(color)]


def test_gradnorm_figure_has_phases_peak_and_swap():
    fig = plotting.gradnorm_vs_loss_figure(runs())
    try:
        adam_ax, cg_ax = fig.axes
        assert adam_ax.get_xscale() == cg_ax.get_xscale() == "log" == cg_ax.get_yscale()
        assert "loss" in cg_ax.get_xlabel() and "gradient norm" in adam_ax.get_ylabel()
        # adam+cg panel: per seed one Adam line (epochs 0..3) and one CG line (3..8, joined)
        # seed 0 in the phase colour, seed 1 in a darker shade of it
        shades = lambda c: [c, plotting._shade(c, 1, 2)]
        adam_lines = [l for c in shades(plotting.PHASE_COLORS["adam"]) for l in _lines(cg_ax, c)]
        cg_lines = [l for c in shades(plotting.PHASE_COLORS["cg"]) for l in _lines(cg_ax, c)]
        assert [len(l.get_xdata()) for l in adam_lines] == [4, 4]
        assert [len(l.get_xdata()) for l in cg_lines] == [6, 6]
        assert cg_lines[0].get_xdata()[0] == adam_lines[0].get_xdata()[-1]
        labels = [t.get_text() for t in cg_ax.get_legend().get_texts()]
        assert labels == ["Adam phase (seed 0)", "CG phase (seed 0)",
                          "epoch 0 (initial point; not checked by the rule)", "detector peak",
                          "swap (last Adam epoch)", "Adam phase (seed 1)", "CG phase (seed 1)"]
        peak = next(l for l in cg_ax.get_lines() if l.get_label() == "detector peak")
        assert (peak.get_xdata()[0], peak.get_ydata()[0]) == (1 / 3, 1.0)
        swap = next(l for l in cg_ax.get_lines() if l.get_label().startswith("swap"))
        assert swap.get_xdata()[0] == 1 / 4
        # the pure-Adam panel has no CG line and no swap marker
        assert not _lines(adam_ax, plotting.PHASE_COLORS["cg"])
        assert "swap (last Adam epoch)" not in [t.get_text() for t in adam_ax.get_legend().get_texts()]
    finally:
        plt.close(fig)


def test_loss_vs_cost_uses_method_colours_and_cost_axis():
    fig = plotting.loss_vs_cost_figure(runs())
    try:
        ax = fig.axes[0]
        assert ax.get_yscale() == "log" and "cost" in ax.get_xlabel()
        c = plotting.METHOD_COLORS["adam+cg"]
        orange = _lines(ax, c) + _lines(ax, plotting._shade(c, 1, 2))
        curves = [l for l in orange if l.get_linestyle() == "-"]
        assert len(curves) == 2
        assert np.array_equal(curves[0].get_xdata(), 1.0 + 2 * np.arange(9))
        assert "wall time" in fig.axes[1].get_xlabel()
    finally:
        plt.close(fig)


def test_plot_all_writes_non_empty_pngs(tmp_path):
    odd = make_run("cg", 0, 0, 4, swap=False)
    odd.rows[2]["train_loss"] = float("nan")         # a NaN must not break a log axis
    paths = plotting.plot_all(runs() + [odd, make_run("my-method", 0, 3, 0)], tmp_path)
    assert [p.name for p in paths] == [n for n in plotting.FIGURES.values() if n.endswith(".png")]
    assert all((tmp_path / n).stat().st_size > 0 for n in plotting.FIGURES.values())   # and SVGs
    for p in paths:
        data = p.read_bytes()
        assert data.startswith(PNG) and len(data) > 5000


def test_unknown_methods_get_distinct_colours():
    a = plotting.method_color("x", ["adam", "x", "y"])
    b = plotting.method_color("y", ["adam", "x", "y"])
    assert a != b and plotting.method_color("adam") == style.COLORS["Adam"]


def test_one_style_time_left_to_right_and_one_colour_per_optimizer(tmp_path):
    fig, seen_cg = plotting.gradnorm_vs_loss_figure(runs()), False
    try:
        for ax in fig.axes:
            if ax.get_legend() is None:
                continue
            assert ax.xaxis_inverted(), "loss falls to the right: training runs left to right"
            assert "left to right" in ax.get_xlabel()
            colours = {line.get_label().split(" (")[0]: to_rgba(line.get_color()) for line in ax.lines
                       if line.get_label() and not line.get_label().endswith("seed 1)")}
            assert colours["Adam phase"] == to_rgba(style.COLORS["Adam"])
            seen_cg = seen_cg or "CG phase" in colours
            assert colours.get("CG phase", to_rgba(style.COLORS["CG"])) == to_rgba(style.COLORS["CG"])
    finally:
        plt.close(fig)
    assert seen_cg
    assert len(set(style.COLORS.values())) == len(style.COLORS) == 5
    assert plotting.METHOD_COLORS["adam+cg"] == style.COLORS["CG"] == plotting.PHASE_COLORS["cg"]
    path = plotting.plot_gradnorm_vs_loss(runs(), tmp_path / "g.png")
    assert path.with_suffix(".svg").read_text().lstrip().startswith("<?xml")
    import matplotlib.image
    assert style.DPI >= 150 and matplotlib.image.imread(path).shape[1] >= 150 * 4
