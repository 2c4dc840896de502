"""What the lessons in tutorials/ share: quick mode and where their figures go.

    from minitwophase.tutorial_support import QUICK, savefig

A package module, so a lesson runs from any directory, as a script or as a notebook (a
notebook kernel has no ``__file__`` to find a helper beside it). It selects no matplotlib
backend: in Jupyter or VS Code ``savefig`` also shows the figure inline, as a PNG output.

  MINITWOPHASE_QUICK=1        shrink every lesson to seconds (the tests use it)
  MINITWOPHASE_FIGURES=DIR    where figures are written; default ``minitwophase-figures/`` in
                              the working directory. The repository's committed figures are
                              regenerated only on purpose: MINITWOPHASE_FIGURES=figures from
                              the repository's root.
Layer: teaching (needs only matplotlib; IPython when it is there).
"""
from __future__ import annotations

import io
import os
from pathlib import Path

QUICK = os.environ.get("MINITWOPHASE_QUICK", "") == "1"
DEFAULT_FIGURES = "minitwophase-figures"
DPI = 110


def figures_dir(directory=None):
    """The folder figures go to: ``directory``, else $MINITWOPHASE_FIGURES, else the default."""
    return Path(directory or os.environ.get("MINITWOPHASE_FIGURES") or DEFAULT_FIGURES)


def in_notebook():
    """True inside a Jupyter kernel (Jupyter, VS Code notebooks), where output can be a PNG."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and hasattr(shell, "kernel")


def savefig(fig, name, directory=None):
    """Write ``fig`` as a PNG named ``name`` into ``figures_dir(directory)`` and return the
    path; in a notebook also display it inline (and close it, so it is not shown twice)."""
    folder = figures_dir(directory)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    fig.savefig(path, dpi=DPI, bbox_inches="tight")
    print(f"wrote {path}")
    if in_notebook():
        import matplotlib.pyplot as plt
        from IPython.display import Image, display
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight")
        display(Image(data=buf.getvalue(), format="png"))
        plt.close(fig)
    return path
