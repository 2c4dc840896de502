"""The training loss as a function of theta, and the ledger of what it cost.

Every method (Adam steps, the per-epoch gradient-norm measurement, every line-search trial of
CG) pays through this one object. It keeps the raw counts:
  forward_samples   samples pushed forward (every evaluation: f alone or f with g)
  backward_samples  samples pushed backward (evaluations that also give the gradient)
  macs              multiply-adds: m (F + 2 B), m = nn.macs.macs_per_sample of one forward
                    pass (the usual count: a backward pass does two products per forward
                    product, dL/dx and dL/dW)
and prices them in one unit, the *epoch-equivalent*: one gradient evaluation (a forward and a
backward pass) over all N training samples,

    cost = (F + r B) / ((1 + r) N),     r = backward_ratio = (time of backward) / (time of forward)

so a full-batch gradient costs 1 whatever r is, and a forward pass alone (f only: a
golden-section probe, a validation-style evaluation) costs 1 / (1 + r). r is a measured time
ratio (benchmarks/bench_passes.py prints it per model; models.BACKWARD_RATIO keeps it), not
an assumption: multiply-adds say r = 2, but on this NumPy code the measured ratio is lower
(the first layer needs no dL/dx, elementwise layers are cheap backwards), and time is what a
user pays. With r = 1 this is the plain count (F + B) / (2N). The raw counts are kept so a
table can be re-priced with another r.

A repeated call at the very theta of the previous call is answered from a cache and costs
nothing (as in the CG counters): ``value`` after ``__call__`` at the same theta is free, and so
is a second ``value``; ``__call__`` after ``value`` pays a full evaluation (the forward pass
has to be redone to keep the activations the backward pass needs).

A diagnostic (curvature probes, extra swap checks) pays through a ledger of its own:
``objective.spawn()`` is a fresh Objective on the same data, loss and pricing.

Layer: training (above nn/, optim/, swap.py); map: docs/architecture.md.
"""
from __future__ import annotations

import numpy as np

from .._validate import real_number
from ..nn.macs import macs_per_sample


class Objective:
    def __init__(self, net, X, y, loss="mse", chunk_size=None, backward_ratio=1.0):
        self.net, self.X, self.y = net, X, y
        self.loss, self.chunk_size = loss, chunk_size
        self.backward_ratio = real_number(backward_ratio, "backward_ratio", low=0.0, low_open=True)
        self.n = len(X)
        self.forward_samples = 0
        self.backward_samples = 0
        self._macs_per_sample = None
        self._last = None                  # (theta copy, f, g) of the last full-batch (f, g)
        self._last_f = None                # (theta copy, f) of the last full-batch f alone

    def spawn(self, samples=None):
        """A fresh ledger on the same data (its first ``samples`` rows when given), loss,
        chunking and pricing (for diagnostics)."""
        n = self.n if samples is None else min(samples, self.n)
        return Objective(self.net, self.X[:n], self.y[:n], self.loss, self.chunk_size, self.backward_ratio)

    def __call__(self, theta):
        """Full-batch (loss, gradient) at theta: a forward and a backward pass over N samples."""
        if self._last is not None and np.array_equal(self._last[0], theta):
            return self._last[1], self._last[2].copy()
        f, g = self.net.loss_and_grad(theta, self.X, self.y, loss=self.loss, chunk_size=self.chunk_size)
        self._pay(self.n, backward=True)
        self._last = (theta.copy(), f, g.copy())
        return f, g

    def value(self, theta):
        """Full-batch loss alone at theta: a forward pass only (a golden-section or QuadStep
        probe needs no more). Free at the theta of the last call of either kind."""
        for last in (self._last, self._last_f):
            if last is not None and np.array_equal(last[0], theta):
                return last[1]
        f = self.net.loss_value(theta, self.X, self.y, loss=self.loss, chunk_size=self.chunk_size)
        self._pay(self.n, backward=False)
        self._last_f = (theta.copy(), f)
        return f

    def gradient(self, theta):
        """Full-batch gradient at theta (a forward and a backward pass, or free from the cache)."""
        return self(theta)[1]

    def minibatch(self, theta, index):
        """(loss, gradient) on the samples ``index``: one Adam step's work."""
        f, g = self.net.loss_and_grad(theta, self.X[index], self.y[index], loss=self.loss,
                                      chunk_size=self.chunk_size)
        self._pay(len(index), backward=True)
        return f, g

    def state_dict(self):
        """The ledger and the cache (a resumed run pays exactly what the uninterrupted one
        would: an evaluation at the cached theta stays free)."""
        copy = lambda last: None if last is None else [a.copy() if isinstance(a, np.ndarray) else a for a in last]
        return {"forward_samples": self.forward_samples, "backward_samples": self.backward_samples,
                "last": copy(self._last), "last_f": copy(self._last_f)}

    def load_state_dict(self, state):
        self.forward_samples, self.backward_samples = state["forward_samples"], state["backward_samples"]
        copy = lambda last: None if last is None else tuple(
            a.copy() if isinstance(a, np.ndarray) else a for a in last)
        self._last, self._last_f = copy(state["last"]), copy(state["last_f"])
        return self

    def _pay(self, samples, backward):
        self.forward_samples += samples
        if backward:
            self.backward_samples += samples

    @property
    def forward_passes(self):
        """Samples pushed forward, in full-batch passes (F / N)."""
        return self.forward_samples / self.n

    @property
    def backward_passes(self):
        """Samples pushed backward, in full-batch passes (B / N)."""
        return self.backward_samples / self.n

    @property
    def macs(self):
        """Multiply-adds so far: m (F + 2 B) (module docstring)."""
        if self._macs_per_sample is None:
            self._macs_per_sample = macs_per_sample(self.net, self.X.shape[1:])
        return self._macs_per_sample * (self.forward_samples + 2 * self.backward_samples)

    @property
    def cost(self):
        """Work so far in epoch-equivalents: (F + r B) / ((1 + r) N) (module docstring)."""
        r = self.backward_ratio
        return (self.forward_samples + r * self.backward_samples) / ((1.0 + r) * self.n)
