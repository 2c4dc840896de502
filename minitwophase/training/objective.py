"""The training loss as a function of theta, with exact cost accounting.

Every method (Adam steps, the per-epoch gradient-norm measurement, every line-search trial of
CG) pays through this one object, which counts the samples pushed forward and backward.
Cost unit: one *epoch-equivalent* = one forward and one backward pass over all N training
samples, so cost = (forward_samples + backward_samples) / (2 N). A repeated call at the very
theta of the previous call is answered from a cache and costs nothing (as in the CG counters).

Layer: training (above nn/, optim/, swap.py); map: README "Where things go".
"""
from __future__ import annotations

import numpy as np


class Objective:
    def __init__(self, net, X, y, loss="mse", chunk_size=None):
        self.net, self.X, self.y = net, X, y
        self.loss, self.chunk_size = loss, chunk_size
        self.n = len(X)
        self.forward_samples = 0
        self.backward_samples = 0
        self._last = None                  # (theta copy, f, g) of the last full-batch call

    def __call__(self, theta):
        """Full-batch (loss, gradient) at theta: what CG and the gradient-norm check use."""
        if self._last is not None and np.array_equal(self._last[0], theta):
            return self._last[1], self._last[2].copy()
        f, g = self.net.loss_and_grad(theta, self.X, self.y, loss=self.loss, chunk_size=self.chunk_size)
        self._pay(self.n, backward=True)
        self._last = (theta.copy(), f, g.copy())
        return f, g

    def minibatch(self, theta, index):
        """(loss, gradient) on the samples ``index``: one Adam step's work."""
        f, g = self.net.loss_and_grad(theta, self.X[index], self.y[index], loss=self.loss,
                                      chunk_size=self.chunk_size)
        self._pay(len(index), backward=True)
        return f, g

    def _pay(self, samples, backward):
        self.forward_samples += samples
        if backward:
            self.backward_samples += samples

    @property
    def cost(self):
        """Work so far in epoch-equivalents of forward + backward passes."""
        return (self.forward_samples + self.backward_samples) / (2.0 * self.n)
