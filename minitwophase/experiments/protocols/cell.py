"""A protocol's unit: one ``Cell`` (data set x model under one head and initial scale), the
paper's setup shared by every cell (``SETUP``), the paper's check interval (``PAPER_STEPS``),
and the words every protocol's table uses for them.

Layer: experiments; map: docs/architecture.md.
"""
from __future__ import annotations

from dataclasses import dataclass

from ...models import DEFAULT_HEAD

# The paper's setup (its "Experimental setup": MSE, batch 512, a 30 % split, the 0.9 rule),
# the same for every cell and method. Adam's lr and CG's beta and line search the paper
# leaves open: ours are the package defaults.
SETUP = dict(loss="mse", batch_size=512, lr=1e-3, split=0.3, swap_factor=0.9, swap_mode="paper",
             cg_beta="PR+", cg_line_search="wolfe")
PAPER_STEPS = 118      # the paper's check interval: one full-MNIST epoch, ceil(60000 / 512) steps


@dataclass(frozen=True)
class Cell:
    dataset: str
    model: str
    epochs: int
    chunk_size: int | None = None    # full-batch passes in chunks (same gradient, less memory); None: the trainer's
    check_every: int | None = None   # Adam steps between swap checks; None: once per epoch
    # Two choices the paper leaves silent, stated per cell: the output head (models.py) and the
    # initial scale (x the Glorot/He draw; the paper: "small random values"). The defaults are
    # the package's: MSE on raw outputs, the standard scale.
    head: str = DEFAULT_HEAD
    init_scale: float = 1.0

    @property
    def name(self):                  # a file name: "digits-vit-nomlp-width8-heads2" for options
        return cell_name(self.dataset, self.model, self.head, self.init_scale).replace(
            ":", "-").replace(",", "-").replace("=", "")


def cell_name(dataset, model, head=DEFAULT_HEAD, init_scale=1.0):
    """"digits-mlp"; a non-default head or initial scale is added: "digits-mlp-softmax-init0.1"."""
    name = f"{dataset}-{model}"
    if head != DEFAULT_HEAD:
        name += f"-{head}"
    if init_scale != 1.0:
        name += f"-init{init_scale:g}"
    return name


def model_label(cell):
    """A table's model column: the model, with its head and initial scale when not the defaults."""
    extra = [x for x in (cell.get("head", DEFAULT_HEAD) != DEFAULT_HEAD and f"{cell['head']} head",
                         cell.get("init_scale", 1.0) != 1.0 and f"init {cell['init_scale']:g}") if x]
    return cell["model"] + (f" ({', '.join(extra)})" if extra else "")


def choices_line(cells):
    """The head and initial scale of the cells, as one line of a table's protocol section."""
    pairs = sorted({(c.get("head", DEFAULT_HEAD), c.get("init_scale", 1.0)) for c in cells})
    return ("- output head and initial scale (both silent in the paper): "
            + "; ".join(f"{h} head ({'MSE on probabilities' if h == 'softmax' else 'MSE on raw outputs'}), "
                        f"initial scale {s:g} x Glorot/He" for h, s in pairs) + ".")


def overdetermination(n_train, n_outputs, n_params):
    """The paper's Q = K*M/P: training samples x outputs / parameters."""
    return n_train * n_outputs / n_params


def check_interval(dataset, n_train, batch_size=512):
    """The paper's granularity in Adam steps: once per epoch on full MNIST (an epoch is 118
    steps there), else every 118 steps."""
    steps = -(-n_train // batch_size)
    return None if steps == PAPER_STEPS else PAPER_STEPS
