"""The phases a method's schedule is made of (methods.py), and the swap check they feed.

A phase is built once per run, ``Phase(config, objective, check, on_minibatch)``, keeps its
optimizer's state, runs one epoch per call, ``phase.run(theta, epoch, stop_at_swap) ->
EpochResult``, and pays for every pass over data through the one Objective (objective.py).
A new phase: a class with that interface, registered in ``PHASES``.

  AdamPhase  one epoch of Adam (Kingma & Ba Alg. 1) on shuffled minibatches, then the
             full-batch loss and gradient norm at its end (the epoch's row).
  CGPhase    one nonlinear CG iteration on the full batch (N&W Alg. 5.4, optim.NonlinearCG);
             its state (direction, previous gradient, restarts) carries over between epochs.
  PCGPhase   CGPhase preconditioned by Adam's second moments at the swap (N&W Section 5.2):
             M = diag(sqrt(v_hat) + eps), fixed for the whole CG phase. The trainer hands it
             the phase before it (``take_over``), whose Adam state it reads.
  SGDPhase   as AdamPhase with SGD + classical momentum (optim.SGD; lr, momentum).
  LBFGSPhase one L-BFGS iteration on the full batch (N&W Alg. 7.5, optim.LBFGS, memory
             ``lbfgs_memory``, strong Wolfe search, gtol ``cg_gtol``); its pairs carry over.
  Every phase and the SwapCheck have ``state_dict()`` / ``load_state_dict(state)``: the
  state carried from one epoch to the next (optimizer moments, minibatch generator, CG
  direction, ...), so a run saved after an epoch continues bit for bit (checkpoint.py).
  ``gradnorm_every=K``: AdamPhase measures the full-batch gradient (for the row's grad_norm
  and the swap rule) only after epochs that are multiples of K; after the others the row gets
  the full-batch loss from a forward pass alone (priced as one) and grad_norm None.
  SwapCheck  feeds the swap rule (swap.SwapDetector) and remembers in which epoch each check
             happened; its ``summary`` is the run's one reading of the gradient-norm history
             (peaks.GradNormSummary). Checks: once per Adam epoch on the row's measurement (default), or with
             ``check_every=K`` after every K-th Adam step on a full-batch gradient of its own
             (paid for in the cost; free when it falls on an epoch's end, where the objective's
             cache answers); after the swap once per CG epoch, which only extends the record.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..optim import SGD, Adam
from ..optim.lbfgs import LBFGS
from ..optim.nonlinear_cg import NonlinearCG
from ..peaks import checks_words, summarize_grad_norms
from ..swap import detector_from_state


class EpochResult(NamedTuple):
    theta: np.ndarray
    f: float | None            # full-batch loss at the epoch's end (None: CG had already stopped)
    grad_norm: float | None
    swapped: bool              # the swap rule's verdict after this epoch
    cg_record: object = None   # optim.nonlinear_cg.CGRecord of the epoch's CG iteration
    done: bool = False         # CG stopped (converged or failed): the run ends
    status: str = ""           # then: the run's status and why
    message: str = ""


def _finite_or_raise(f, gnorm, epoch):
    if not (np.isfinite(f) and np.isfinite(gnorm)):
        raise FloatingPointError(f"the training loss turned NaN/inf in epoch {epoch}")


class SwapCheck:
    """Feeds the swap rule and remembers the epoch of each check; ``summary`` reads the run's
    gradient-norm history once (peaks.summarize_grad_norms) with the rule's peak as it held
    it when the run left its first phase (``at_swap``), or at the end."""

    def __init__(self, detector, every=None, epochs=None):
        self.detector, self.every, self.epochs_every = detector, every, epochs
        self.epochs = []                     # epoch of each detector update
        self.judged = None                   # peak() when the run left its first phase

    def __call__(self, epoch, f, grad_norm):
        self.epochs.append(epoch)
        return self.detector.update(grad_norm, loss=f)

    @property
    def checks(self):
        """What the rule checks, in words (the summary's "over N checks of ...")."""
        return checks_words(self.every, getattr(self.detector, "window", None), self.epochs_every)

    def peak(self):
        """The rule's running peak now: (value, epoch, number of checks, epoch of the first
        check with a value, whether the peak is that first check)."""
        det, i = self.detector, self.detector.peak_index
        first = next((j for j, v in enumerate(det.values) if np.isfinite(v)), None)
        return (None if i is None else det.peak, None if i is None else self.epochs[i],
                det.n_updates, None if first is None else self.epochs[first], i is not None and i == first)

    def at_swap(self):
        """Keep the peak the swap was judged on (the rule goes on recording in the CG phase)."""
        self.judged = self.peak()

    def state_dict(self):
        return {"detector": self.detector.state_dict(), "epochs": list(self.epochs),
                "judged": None if self.judged is None else list(self.judged)}

    def load_state_dict(self, state):
        self.detector = detector_from_state(state["detector"])
        self.epochs = list(state["epochs"])
        self.judged = None if state["judged"] is None else tuple(state["judged"])
        return self

    def summary(self, rows, swap_epoch=None):
        """The run's GradNormSummary from its rows so far (history.Run.rows)."""
        column = lambda key: [np.nan if r.get(key) is None else r[key] for r in rows]
        return summarize_grad_norms(column("epoch"), column("grad_norm"), column("train_loss"),
                                    *(self.judged or self.peak()), self.checks, swap_epoch)


class AdamPhase:
    def __init__(self, config, objective, check, on_minibatch=None):
        self.objective, self.check, self.on_minibatch = objective, check, on_minibatch
        self.batch_size, self.check_every = config.batch_size, config.check_every
        self.gradnorm_every = config.gradnorm_every or 1
        self.adam = self.make_optimizer(config)     # Adam; SGDPhase swaps in its optimizer
        self.shuffle = np.random.default_rng([config.seed, 1])   # independent of the init stream

    def state_dict(self):
        return {"optimizer": self.adam.state_dict(), "shuffle": self.shuffle.bit_generator.state}

    def load_state_dict(self, state):
        self.adam.load_state_dict(state["optimizer"])
        self.shuffle.bit_generator.state = state["shuffle"]
        return self

    @staticmethod
    def make_optimizer(config):
        return Adam(lr=config.lr)

    def _measure(self, theta, epoch):
        f, g = self.objective(theta)
        gnorm = float(np.linalg.norm(g))
        _finite_or_raise(f, gnorm, epoch)
        return f, gnorm

    def _loss(self, theta, epoch):
        """The full-batch loss alone (a forward pass; free after a check at this theta)."""
        f = self.objective.value(theta)
        _finite_or_raise(f, 0.0, epoch)
        return f

    def run(self, theta, epoch, stop_at_swap=False):
        n, swapped = self.objective.n, self.check.detector.swapped
        order = self.shuffle.permutation(n)                     # a fresh permutation per epoch
        for i in range(0, n, self.batch_size):
            index = order[i:i + self.batch_size]
            f_batch, g_batch = self.objective.minibatch(theta, index)
            if not np.all(np.isfinite(g_batch)):
                raise FloatingPointError(f"a minibatch gradient turned NaN/inf in epoch {epoch}")
            self.adam.step(theta, g_batch)
            if self.on_minibatch is not None:
                self.on_minibatch(epoch, index, f_batch, g_batch, theta)
            if self.check_every is not None and self.adam.t % self.check_every == 0:
                swapped = self.check(epoch, *self._measure(theta, epoch))
                if swapped and stop_at_swap:
                    break                                       # the epoch ends at the swap
        if epoch % self.gradnorm_every:                         # no gradient this epoch
            return EpochResult(theta, self._loss(theta, epoch), None, swapped)
        f, gnorm = self._measure(theta, epoch)                  # cached after a check there
        if self.check_every is None:
            swapped = self.check(epoch, f, gnorm)
        return EpochResult(theta, f, gnorm, swapped)


class CGPhase:
    # NonlinearCG.status -> run status; any other (2: no step along d or -g lowers the loss)
    # is FAILED
    STATUS = {0: "converged", 1: "completed", 3: "diverged"}
    FAILED = "cg stalled"
    LABEL = "CG"

    def __init__(self, config, objective, check, on_minibatch=None):   # no minibatches in CG
        self.config, self.objective, self.check = config, objective, check
        self.cg = None

    def state_dict(self):
        return {"stepper": None if self.cg is None else self.cg.state_dict()}

    def load_state_dict(self, state):
        st = state["stepper"]
        self.cg = None if st is None else self.make_stepper(self.config, st["x"], state=st)
        return self

    def run(self, theta, epoch, stop_at_swap=False):
        if self.cg is None:   # its first evaluation reuses the last measurement (cached, free)
            self.cg = self.make_stepper(self.config, theta)
        cg = self.cg
        rec = cg.step() if not cg.done else None
        theta = cg.x.copy()
        swapped = self.check(epoch, cg.f, rec.gnorm) if rec is not None else self.check.detector.swapped
        status = self.STATUS.get(cg.status, self.FAILED) if cg.done else ""
        return EpochResult(theta, None if rec is None else cg.f, None if rec is None else rec.gnorm,
                           swapped, rec, cg.done, status, cg.message if cg.done else "")

    def make_stepper(self, c, theta, **options):
        fun, jac = self.evaluations(c.cg_line_search)
        return NonlinearCG(fun, theta, beta=c.cg_beta, line_search=c.cg_line_search,
                           gtol=c.cg_gtol, jac=jac, **options)

    def evaluations(self, line_search):
        """(fun, jac) for NonlinearCG. Golden section needs only f at its trial points, so it
        gets ``fun = objective.value`` (a forward pass) and ``jac = objective.gradient`` (one
        per iteration). The Wolfe-type searches need f and g at almost every trial, and with a
        separate jac the forward pass would be paid twice: they get fun(x) -> (f, g)."""
        if line_search in FORWARD_ONLY_SEARCHES:
            return self.objective.value, self.objective.gradient
        return self.objective, None


# The line searches whose trial points need f alone (see CGPhase.evaluations).
FORWARD_ONLY_SEARCHES = frozenset({"golden"})


def adam_scaling(adam):
    """sqrt(v_hat) + eps of an Adam optimizer (Kingma & Ba Alg. 1's denominator), the diagonal
    of PCGPhase's preconditioner; None before Adam's first step (then M = I)."""
    if adam.t == 0 or adam.v is None:
        return None
    return np.sqrt(adam.v / (1.0 - adam.beta2 ** adam.t)) + adam.eps


class PCGPhase(CGPhase):
    """Preconditioned nonlinear CG (N&W Section 5.2: the residual g replaced by M^{-1} g in
    the direction and the beta formulas) with M = diag(sqrt(v_hat) + eps) from Adam at the
    swap. Adam's denominator as CG's preconditioner is this project's choice, not the
    paper's: Adam has already measured each parameter's gradient scale, and CG keeps it fixed,
    so the phase stays a CG on one fixed metric."""
    LABEL = "PCG"

    def __init__(self, config, objective, check, on_minibatch=None):
        super().__init__(config, objective, check, on_minibatch)
        self.precond = None                       # the diagonal m of M (None: M = I)

    def take_over(self, previous):
        """Called by the trainer when this phase takes over from ``previous``."""
        adam = getattr(previous, "adam", None)
        self.precond = None if adam is None else adam_scaling(adam)

    def state_dict(self):
        return {**super().state_dict(), "precond": None if self.precond is None else self.precond.copy()}

    def load_state_dict(self, state):
        self.precond = None if state["precond"] is None else np.array(state["precond"], dtype=float)
        return super().load_state_dict(state)

    def make_stepper(self, c, theta, **options):
        m = np.ones_like(theta) if self.precond is None else self.precond
        return super().make_stepper(c, theta, precond=m, **options)


class SGDPhase(AdamPhase):
    @staticmethod
    def make_optimizer(config):
        return SGD(lr=config.lr, momentum=config.momentum)


class LBFGSPhase(CGPhase):
    FAILED = "lbfgs stalled"
    LABEL = "L-BFGS"

    def make_stepper(self, c, theta, **options):
        return LBFGS(self.objective, theta, m=c.lbfgs_memory, gtol=c.cg_gtol, **options)


PHASES = {"adam": AdamPhase, "sgd": SGDPhase, "cg": CGPhase, "pcg": PCGPhase, "lbfgs": LBFGSPhase}
