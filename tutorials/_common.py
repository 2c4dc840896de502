"""Shared by the tutorials: quick mode and where figures go.

MINITWOPHASE_QUICK=1 shrinks every lesson to seconds (the tests use it);
MINITWOPHASE_FIGURES=DIR writes the figures there instead of the repository's figures/.
"""
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless: the tutorials also run as plain scripts and in CI

QUICK = os.environ.get("MINITWOPHASE_QUICK", "") == "1"
FIGURES = Path(os.environ.get("MINITWOPHASE_FIGURES", Path(__file__).resolve().parent.parent / "figures"))


def savefig(fig, name):
    """Save ``fig`` as FIGURES/name (PNG) and return the path."""
    FIGURES.mkdir(parents=True, exist_ok=True)
    path = FIGURES / name
    fig.savefig(path, dpi=110, bbox_inches="tight")
    print(f"wrote {path}")
    return path
