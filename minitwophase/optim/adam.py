"""Adam: Kingma & Ba (2015), "Adam: A Method for Stochastic Optimization", Algorithm 1.

    m_t = beta1 m_{t-1} + (1 - beta1) g_t            first moment
    v_t = beta2 v_{t-1} + (1 - beta2) g_t**2         second (raw) moment
    m_hat = m_t / (1 - beta1**t),  v_hat = v_t / (1 - beta2**t)     bias correction
    theta_t = theta_{t-1} - lr m_hat / (sqrt(v_hat) + eps)

This is torch.optim.Adam (no weight decay, no amsgrad). With ``epsilon_hat=True`` eps is the
paper's epsilon-hat (end of Section 2), added to sqrt(v_t) *before* bias correction, as
Keras/TensorFlow do (the paper names no framework; its companion paper, Bermeitinger et al.
2024, says Keras):

    theta_t = theta_{t-1} - lr sqrt(1 - beta2**t) / (1 - beta1**t) * m_t / (sqrt(v_t) + eps)

which equals the standard form with eps replaced by eps / sqrt(1 - beta2**t). The two forms
differ only while eps matters, i.e. where |g| is tiny. (Keras's own default eps is 1e-7.)
"""
from __future__ import annotations

import numpy as np

from .._validate import real_number, step_arguments


class Adam:
    """Adam optimizer acting in place on a flat parameter vector (Kingma & Ba, Algorithm 1).

    ``opt.step(theta, grad)`` updates ``theta`` (a float ndarray) in place:
    theta -= lr * m_hat / (sqrt(v_hat) + eps), equal to ``torch.optim.Adam``. State, readable
    at any time: ``t`` (steps taken), ``m`` and ``v`` (first and second moment estimates, None
    before the first step). ``reset()`` forgets them.

    Parameters
    ----------
    lr : float, default 1e-3
        Step size, >= 0.
    betas : pair of float, default (0.9, 0.999)
        Decay rates of the first and second moment estimates, each in [0, 1).
    eps : float, default 1e-8
        Added to sqrt(v_hat) (PyTorch's placement), >= 0.
    epsilon_hat : bool, default False
        True adds eps to sqrt(v_t) before bias correction instead (Keras/TensorFlow's
        "epsilon hat"; lesson 02 shows when the two differ).

    Raises
    ------
    ValueError
        A value out of range, naming the argument (``lr must lie in [0.0, inf), got -1.0``).
    TypeError
        ``betas`` not a pair, or ``epsilon_hat`` not a bool.

    Examples
    --------
    >>> import numpy as np, minitwophase as mtp
    >>> theta = np.array([1.0, -2.0])
    >>> opt = mtp.Adam(lr=0.1)
    >>> opt.step(theta, np.array([0.5, -3.0]))     # the first step moves each coordinate by lr
    array([ 0.9, -1.9])
    >>> theta                                      # in place
    array([ 0.9, -1.9])
    >>> opt.t
    1
    """

    def __init__(self, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, epsilon_hat=False):
        self.lr = real_number(lr, "lr", low=0.0)
        if isinstance(betas, (str, bytes)) or not hasattr(betas, "__len__") or len(betas) != 2:
            raise TypeError(f"betas must be a pair (beta1, beta2), got {betas!r}")
        self.beta1 = real_number(betas[0], "betas[0]", low=0.0, high=1.0, high_open=True)
        self.beta2 = real_number(betas[1], "betas[1]", low=0.0, high=1.0, high_open=True)
        self.eps = real_number(eps, "eps", low=0.0)
        if not isinstance(epsilon_hat, bool):
            raise TypeError(f"epsilon_hat must be a bool, got {type(epsilon_hat).__name__}")
        self.epsilon_hat = epsilon_hat
        self.reset()

    @property
    def betas(self):
        return (self.beta1, self.beta2)

    def reset(self):
        """Forget the step count and both moments (the next step is step 1 again)."""
        self.t = 0
        self.m = None
        self.v = None

    def step(self, theta, grad, check=True):
        """One Adam update of ``theta`` in place (Kingma & Ba, Algorithm 1); returns ``theta``.

        ``check=True`` (the public boundary) first checks the arguments with
        ``_validate.step_arguments``: a writeable float ``theta`` of the earlier steps' shape,
        a finite ``grad`` of its shape (refused before the state is touched). A caller that
        already guarantees both may pass ``check=False``: the update is then the same, bit for
        bit, with nothing checked.
        """
        if check:
            grad = step_arguments(theta, grad, None if self.m is None else self.m.shape)
        if self.m is None:                       # m_0 = v_0 = 0
            self.m, self.v = np.zeros_like(theta), np.zeros_like(theta)
        b1, b2 = self.beta1, self.beta2
        self.t += 1                                          # t <- t + 1
        self.m *= b1
        self.m += (1.0 - b1) * grad                          # m_t = b1 m_{t-1} + (1 - b1) g_t
        self.v *= b2
        self.v += (1.0 - b2) * (grad * grad)                 # v_t = b2 v_{t-1} + (1 - b2) g_t^2
        bc1, bc2 = 1.0 - b1 ** self.t, 1.0 - b2 ** self.t    # bias corrections
        if self.epsilon_hat:                     # Section 2: alpha_t and epsilon-hat
            theta -= (self.lr * np.sqrt(bc2) / bc1) * self.m / (np.sqrt(self.v) + self.eps)
        else:                                    # lr m_hat / (sqrt(v_hat) + eps)
            theta -= (self.lr / bc1) * self.m / (np.sqrt(self.v) / np.sqrt(bc2) + self.eps)
        return theta

    def state_dict(self):
        """Copies of the step count and both moments (as torch's Optimizer.state_dict)."""
        return {"t": self.t, "m": None if self.m is None else self.m.copy(),
                "v": None if self.v is None else self.v.copy()}

    def load_state_dict(self, state):
        """Continue from ``state_dict()``'s output: the next step is step t + 1."""
        self.t = state["t"]
        self.m = None if state["m"] is None else np.array(state["m"], dtype=float)
        self.v = None if state["v"] is None else np.array(state["v"], dtype=float)
        return self

    def __repr__(self):
        return (f"Adam(lr={self.lr}, betas={self.betas}, eps={self.eps}, "
                f"epsilon_hat={self.epsilon_hat}, t={self.t})")
