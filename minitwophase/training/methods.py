"""The methods compared, each a schedule of phases: the one table of methods (``METHODS``).

A schedule is a tuple of steps ``(phase, ends)``: ``phase`` names a phase of phases.py
("adam" / "sgd": one epoch on minibatches, "cg" / "pcg" / "lbfgs": one iteration on the full batch), run once
per epoch until ``ends(epoch, swapped, config)`` is True after an epoch, then the next step
takes over (one-way). The last step runs to the end of the budget. ``swapped`` is the swap
rule's verdict at that epoch (swap.SwapDetector, fed by phases.SwapCheck).

  "adam"         Adam for every epoch (the swap rule still watches, for the plots).
  "adam+cg"      Adam until the swap rule fires, then nonlinear CG: the paper's Algorithm 1.
  "fixed-split"  Adam for round(split x epochs) epochs (or split_epoch), then CG (the paper's
                 experiments: 0.3).
  "adam+pcg"     as "adam+cg", with CG preconditioned by Adam's sqrt(v_hat) + eps at the swap
                 (phases.PCGPhase; N&W Section 5.2).
  "fixed-split-pcg"  as "fixed-split", with that preconditioned CG.
  "cg"           CG from the first epoch.
  "adam+lbfgs"   Adam until the swap rule fires, then L-BFGS: does CG matter after the swap,
                 or would any curvature-aware method do?
  "sgd"          SGD with classical momentum every epoch (--lr, --momentum): the textbook baseline.

A new method is a new row here (and, if it needs one, a new phase in phases.py).
"""
from __future__ import annotations

from typing import NamedTuple


def never(epoch, swapped, config):
    return False


def at_swap(epoch, swapped, config):
    """The paper's Algorithm 1: leave Adam once the swap rule has fired (even at the last epoch)."""
    return swapped


def at_split(epoch, swapped, config):
    """After round(split x epochs) Adam epochs, or split_epoch when it is set (never at the
    last epoch: then nothing follows)."""
    return epoch == config.adam_epochs < config.epochs


class Method(NamedTuple):
    description: str
    schedule: tuple      # ((phase name, ends), ...)


METHODS = {
    "adam": Method("Adam every epoch", (("adam", never),)),
    "adam+cg": Method("Adam until the gradient-norm swap rule fires, then CG (Algorithm 1)",
                      (("adam", at_swap), ("cg", never))),
    "fixed-split": Method("Adam for a fixed share (--split) of the epochs, then CG",
                          (("adam", at_split), ("cg", never))),
    "adam+pcg": Method("Adam until the gradient-norm swap rule fires, then CG preconditioned by "
                       "Adam's sqrt(v_hat) + eps at the swap", (("adam", at_swap), ("pcg", never))),
    "fixed-split-pcg": Method("Adam for a fixed share (--split) of the epochs, then CG "
                              "preconditioned by Adam's sqrt(v_hat) + eps", (("adam", at_split), ("pcg", never))),
    "cg": Method("nonlinear CG from the first epoch", (("cg", never),)),
    "adam+lbfgs": Method("Adam until the gradient-norm swap rule fires, then L-BFGS",
                         (("adam", at_swap), ("lbfgs", never))),
    "sgd": Method("SGD with classical momentum every epoch (--lr, --momentum)", (("sgd", never),)),
}
