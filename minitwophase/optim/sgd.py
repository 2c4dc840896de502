"""Stochastic gradient descent with classical (heavy-ball) momentum, in place on a flat vector.

    v_{t+1} = mu v_t - lr g_t,    theta_{t+1} = theta_t + v_{t+1}

Polyak (1964); in this form Sutskever, Martens, Dahl & Hinton (ICML 2013), eq. (1);
Goodfellow, Bengio & Courville, Deep Learning (2016), Algorithm 8.2. ``momentum=0`` is plain
SGD. torch.optim.SGD(momentum=mu) keeps b = mu b + g and steps theta -= lr b instead: the same
iterates while lr is constant (v = -lr b), equal to rounding (tests/test_sgd.py).
"""
from __future__ import annotations

import numpy as np

from .._validate import real_number


class SGD:
    """``opt.step(theta, grad)`` updates ``theta`` in place. State: ``t`` (steps taken) and
    ``velocity`` (v, None before the first step); ``reset()`` forgets them.

    Heavy-ball momentum (Polyak 1964; Sutskever et al. 2013, eq. (1)):
    v <- momentum v - lr g, then theta <- theta + v. ``momentum=0`` is plain SGD.
    ``step`` returns theta, updated in place.

    Parameters
    ----------
    lr : float, default 1e-2
        Learning rate, >= 0.
    momentum : float, default 0.9
        mu in [0, 1).

    Raises
    ------
    TypeError
        lr or momentum not a real number; (from ``step``) theta not a float ndarray.
    ValueError
        lr below 0 or momentum outside [0, 1), naming it; (from ``step``) a grad of another
        shape than theta, or not finite.

    Examples
    --------
    >>> import numpy as np
    >>> from minitwophase.optim import SGD
    >>> opt = SGD(lr=0.5, momentum=0.5)
    >>> theta = np.array([1.0])
    >>> opt.step(theta, np.array([1.0]))        # v = -0.5
    array([0.5])
    >>> opt.step(theta, np.array([1.0]))        # v = 0.5 * (-0.5) - 0.5 = -0.75
    array([-0.25])
    >>> opt.t, theta
    (2, array([-0.25]))
    """

    def __init__(self, lr=1e-2, momentum=0.9):
        self.lr = real_number(lr, "lr", low=0.0)
        self.momentum = real_number(momentum, "momentum", low=0.0, high=1.0, high_open=True)
        self.reset()

    def reset(self):
        self.t, self.velocity = 0, None

    def step(self, theta, grad):
        """One momentum update of ``theta`` in place; returns ``theta``."""
        if not isinstance(theta, np.ndarray) or not np.issubdtype(theta.dtype, np.floating):
            kind = theta.dtype if isinstance(theta, np.ndarray) else type(theta).__name__
            raise TypeError(f"theta must be a float ndarray (updated in place), got {kind}")
        grad = np.asarray(grad)
        if grad.shape != theta.shape:
            raise ValueError(f"grad must have theta's shape {theta.shape}, got {grad.shape}")
        if not np.all(np.isfinite(grad)):
            raise ValueError("grad must be finite, got NaN/inf value(s)")
        if self.velocity is None:
            self.velocity = np.zeros_like(theta)
        self.t += 1
        self.velocity *= self.momentum
        self.velocity -= self.lr * grad.astype(theta.dtype, copy=False)   # v = mu v - lr g
        theta += self.velocity                                            # theta += v
        return theta

    def state_dict(self):
        """Copies of the step count and the velocity."""
        return {"t": self.t, "velocity": None if self.velocity is None else self.velocity.copy()}

    def load_state_dict(self, state):
        self.t = state["t"]
        self.velocity = None if state["velocity"] is None else np.array(state["velocity"], dtype=float)
        return self

    def __repr__(self):
        return f"SGD(lr={self.lr}, momentum={self.momentum}, t={self.t})"
