"""One figure style for every plot of the package and the lessons.

  COLORS           one colour per optimizer, the same in every figure: Adam, CG, PCG,
                   L-BFGS, SGD (a two-phase method is drawn in the colour of its second
                   optimizer; its Adam phase in Adam's)
  METHOD_COLORS    the training methods' colours, read from COLORS
  DPI              PNGs are written at this resolution (slides need >= 150)
  loss_axis(ax)    the loss axis of a gradient-norm-against-loss plot, inverted so that
                   time (falling loss) runs left to right, and labelled so
Layer: base (matplotlib only, imported lazily by the figures that use it).
"""
from __future__ import annotations

COLORS = {
    "Adam": "#1f77b4",      # blue
    "CG": "#d62728",        # red
    "PCG": "#9467bd",       # purple
    "L-BFGS": "#2ca02c",    # green
    "SGD": "#ff7f0e",       # orange
}
METHOD_COLORS = {
    "adam": COLORS["Adam"],
    "adam+cg": COLORS["CG"],
    "fixed-split": "#8c564b",   # brown: CG after a fixed share of Adam epochs
    "cg": COLORS["CG"],         # drawn dashed (METHOD_LINESTYLES) where it meets adam+cg
    "adam+pcg": COLORS["PCG"],
    "fixed-split-pcg": "#e377c2",   # pink: PCG after a fixed share of Adam epochs
    "adam+lbfgs": COLORS["L-BFGS"],
    "sgd": COLORS["SGD"],
}
METHOD_LINESTYLES = {"cg": "--"}
PHASE_COLORS = {"adam": COLORS["Adam"], "sgd": COLORS["SGD"], "cg": COLORS["CG"],
                "pcg": COLORS["PCG"], "lbfgs": COLORS["L-BFGS"]}
DPI = 160
LEGEND_FONTSIZE = 9
LOSS_AXIS_LABEL = "training loss (axis reversed: training runs left to right)"


def loss_axis(ax, label=LOSS_AXIS_LABEL):
    """Invert ``ax``'s x axis (the loss) so that training runs left to right, and label it."""
    if not ax.xaxis_inverted():
        ax.invert_xaxis()
    ax.set_xlabel(label)
    return ax
