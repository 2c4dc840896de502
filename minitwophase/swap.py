"""When to swap from Adam to conjugate gradient: Hrycej et al. (2025), Algorithm 1.

``SwapDetector`` is the paper's rule, checked once per epoch (or every K Adam steps)::

    gnmax <- max(gn, gnmax)              # peak of the gradient norm so far, gn included
    adam  <- gn > gnmax * gnfact         # gnfact = 0.9; once False, never True again

i.e. swap at the first update with ``grad_norm <= factor * peak`` (so ``factor=1`` swaps at
update 0: the peak includes the current value). Rationale: while the loss falls the gradient
norm first rises (non-convex region), peaks, then falls towards zero (convex region), where
CG converges superlinearly and Adam does not.

``SmoothedSwapDetector`` (swap mode "smoothed", opt-in, for noisy norms) is ours: the paper
remarks that with a noisy loss it is more reliable to read the gradient norm as a function of
the loss, with some smoothing, but gives no method. Its class docstring says what it does.

Safeguard (the paper: if the gradient norm has no single peak, fall back to a non-convex
method): :meth:`SwapDetector.peak_report`, which calls ``peaks.find_peaks_report``.
The modes are one table, ``DETECTORS`` (name -> class; ``SWAP_MODES`` holds each class's
``DESCRIPTION``); ``make_detector(mode, factor, ...)`` builds one, ``detector_from_state(state_dict)``
restores one; ``SwapDetector.check_options`` holds the bounds of the options, read by
``training.TrainConfig`` too. Layer: algorithms (beside nn/, optim/).
"""
from __future__ import annotations

import math

import numpy as np

from ._json import jsonable
from ._validate import choice, positive_int, real_number
from .peaks import PeakReport, find_peaks_report  # noqa: F401  (PeakReport: re-exported)

DEFAULT_WINDOW = 10
DEFAULT_PATIENCE = 3
_TINY = np.finfo(np.float64).tiny    # log(0) guard: a zero loss or norm becomes log(tiny)
_DX_MIN = 1e-12                      # pairs with (almost) equal log loss carry no slope


class SwapDetector:
    """The paper's swap rule (Algorithm 1), online; call ``update`` once per check (epoch).

    Swap at the first update whose grad_norm <= factor * peak, the peak being the largest
    grad_norm seen so far, this one included. The smoothed rule is its own class,
    ``SmoothedSwapDetector``; ``make_detector(mode, factor)`` builds either.

    Parameters
    ----------
    factor : float, default 0.9
        In (0, 1]; the paper's gnfact.

    Raises
    ------
    ValueError
        ``factor`` outside (0, 1], or (from ``update``) a non-finite or negative grad_norm,
        each naming the argument.

    Examples
    --------
    >>> import minitwophase as mtp
    >>> det = mtp.SwapDetector(factor=0.9)
    >>> [det.update(g) for g in (0.5, 1.0, 0.95, 0.85, 0.7)]    # 0.85 <= 0.9 * 1.0: swap
    [False, False, False, True, True]
    >>> det.peak, det.swap_index
    (1.0, 3)

    Notes
    -----
    ``update(grad_norm, loss=None) -> bool`` is True from the swap on (one-way). State:
    ``peak`` (largest grad_norm so far; 0.0 before any update, as the paper's gnmax),
    ``peak_index``, ``swap_index`` (0-based, None before the swap), ``swapped``,
    ``n_updates``, ``grad_norms``, ``losses`` (None where not given), ``values`` (what the
    rule compares with its peak: here the norms themselves). Values keep being recorded after
    the swap, so the history covers the CG phase too.
    """
    MODE = "paper"
    DESCRIPTION = "Algorithm 1 on the raw norm: swap once |g| <= factor x its running peak"

    def __init__(self, factor=0.9):
        self.factor = self.check_options(factor, self.MODE)[0]
        self.peak = 0.0
        self.peak_index = None
        self.swap_index = None
        self.grad_norms = []
        self.losses = []

    @staticmethod
    def check_options(factor, mode, factor_name="factor", mode_name="mode"):
        """The bounds of the detector's options, in one place: factor in (0, 1], mode a key of
        SWAP_MODES. Returns (factor, mode); TrainConfig calls it with its own field names."""
        return (real_number(factor, factor_name, low=0.0, high=1.0, low_open=True),
                choice(mode, mode_name, SWAP_MODES))

    @property
    def n_updates(self):
        return len(self.grad_norms)

    @property
    def swapped(self):
        return self.swap_index is not None

    @property
    def values(self):
        return self.grad_norms

    def _record(self, grad_norm, loss):
        """Check one update's arguments (the public boundary) and record them."""
        gn = real_number(grad_norm, "grad_norm", low=0.0)
        loss = None if loss is None else real_number(loss, "loss")
        self.grad_norms.append(gn)
        self.losses.append(loss)
        return gn

    def update(self, grad_norm, loss=None):
        """Record one check's gradient norm (and loss); return True from the swap on."""
        gn = self._record(grad_norm, loss)
        k = self.n_updates - 1                                      # this update's index
        if self.peak_index is None or gn > self.peak:               # gnmax <- max(gn, gnmax)
            self.peak, self.peak_index = gn, k
        adam = gn > self.peak * self.factor                         # adam <- gn > gnmax * gnfact
        if not adam and self.swap_index is None:
            self.swap_index = k                                     # one-way: never back to Adam
        return self.swapped

    def peak_report(self, smooth=5, prominence=0.25, count_from=0, unit="update"):
        """The single-peak safeguard on the norms seen so far (see ``peaks.find_peaks_report``)."""
        have_losses = self.losses and all(v is not None for v in self.losses)
        return find_peaks_report(self.grad_norms, self.losses if have_losses else None,
                                 smooth=smooth, prominence=prominence, count_from=count_from, unit=unit)

    def state_dict(self):
        """Plain JSON-ready state (NaN becomes None); ``detector_from_state`` restores it."""
        return jsonable({"mode": self.MODE, "factor": self.factor, "n_updates": self.n_updates,
                         "peak": self.peak, "peak_index": self.peak_index,
                         "swap_index": self.swap_index, "swapped": self.swapped,
                         "grad_norms": list(self.grad_norms), "losses": list(self.losses)})

    def load_state_dict(self, state):
        """Continue from ``state_dict()``'s output: later updates decide as if never stopped."""
        self.peak, self.peak_index, self.swap_index = state["peak"], state["peak_index"], state["swap_index"]
        self.grad_norms, self.losses = list(state["grad_norms"]), list(state["losses"])
        return self

    def __repr__(self):
        return (f"{type(self).__name__}(factor={self.factor}{self._extra()}, "
                f"n_updates={self.n_updates}, peak={self.peak:.6g}, swap_index={self.swap_index})")

    def _extra(self):
        return ""


def _theil_sen(x, y):
    """Robust line y = a + b x: b = median pairwise slope, a = median(y - b x).

    Returns (nan, median(y)) when all x are equal (no slope can be estimated).
    """
    i, j = np.triu_indices(len(x), 1)
    dx = x[j] - x[i]
    keep = np.abs(dx) > _DX_MIN
    if not keep.any():
        return math.nan, float(np.median(y))
    b = float(np.median((y[j] - y[i])[keep] / dx[keep]))
    return b, float(np.median(y - b * x))


class SmoothedSwapDetector(SwapDetector):
    """Swap mode "smoothed": the gradient norm read as a function of the loss, smoothed.

    At each update, over the trailing ``window`` pairs ``(x, y) = (log loss, log grad_norm)``:

    1. fit a robust line ``y = a + b x`` (Theil-Sen: median of pairwise slopes, so a few
       outlier epochs cannot tilt it);
    2. smoothed value ``s = a + b * median(x)``: the fit at the window's median loss, where its
       variance is smallest (about 1/4 of that at the newest loss; on our noisy synthetic
       bumps, evaluating at the newest loss instead swapped before the true peak on up to half
       the runs);
    3. smoothed peak = largest ``s`` so far; swap once ``s <= factor * peak`` has held for
       ``patience`` consecutive updates *and* the slope ``b > 0`` at each of them, i.e. the
       gradient norm falls as the loss falls: the convex side of the peak (near a quadratic
       minimum ``loss ~ grad_norm**2``, so ``b -> 1/2``; on the non-convex side ``b < 0``).

    Defaults ``window=10, patience=3``: log space turns multiplicative noise into additive
    noise and makes ``factor`` a fixed offset ``log(factor)``. The price is a lag of about
    ``(window - 1) / 2 + patience - 1`` updates (about 7) over the noise-free paper rule. With
    15-20 % log-noise on the norm, these defaults swapped after the true peak on every run of
    a bump whose rise spans about 40 updates (tests/test_swap.py); for slower bumps or heavier
    noise raise ``window``. Nothing is smoothed before ``window`` updates have been seen, and a
    window whose losses are all equal has no slope, so it cannot swap. Causal: only past and
    current values are used. ``loss`` is required. State as SwapDetector's, with ``peak`` the
    smoothed maximum, ``values`` = ``smoothed`` (the fitted norm, NaN before the window fills;
    ``peak_index`` then lags the true peak by about (window - 1) / 2) and ``slopes``.

    Parameters
    ----------
    factor : float, default 0.9
        In (0, 1]; the paper's gnfact, applied to the smoothed norm.
    window : int, default 10
        Trailing updates per fit, >= 3.
    patience : int, default 3
        Consecutive updates the swap condition must hold, >= 1.

    Raises
    ------
    TypeError
        window or patience not an int, factor not a real number, naming it.
    ValueError
        factor outside (0, 1], window below 3 or patience below 1, naming it; from
        ``update``, a missing (None), negative or non-finite loss, or a negative or
        non-finite grad_norm.

    Examples
    --------
    Losses 4^-k; the norm rises as 1/loss (log-log slope -1) to its peak 16 at update 2,
    then falls as sqrt(loss) (slope 1/2). With window 3 the fit is exact on each straight
    stretch and the smoothed value is the norm at the window's middle update:

    >>> import numpy as np
    >>> from minitwophase.swap import SmoothedSwapDetector
    >>> det = SmoothedSwapDetector(factor=0.9, window=3, patience=1)
    >>> norms = [1.0, 4.0, 16.0, 8.0, 4.0, 2.0]
    >>> [det.update(g, loss=4.0 ** -k) for k, g in enumerate(norms)]
    [False, False, False, False, False, True]
    >>> np.round(det.smoothed, 3)        # update 3 mixes both sides: 4^1.25
    array([  nan,   nan, 4.   , 5.657, 8.   , 4.   ])
    >>> round(det.peak, 9), det.peak_index, det.swap_index     # 4 <= 0.9 * 8, slope 1/2 > 0
    (8.0, 4, 5)

    The paper's rule on the raw norms swaps at update 3 (8 <= 0.9 * 16).
    """
    MODE = "smoothed"
    DESCRIPTION = "robust (Theil-Sen) fit of log|g| against log loss over a trailing window"

    def __init__(self, factor=0.9, window=DEFAULT_WINDOW, patience=DEFAULT_PATIENCE):
        super().__init__(factor)
        self.window = positive_int(window, "window", minimum=3)
        self.patience = positive_int(patience, "patience")
        self.smoothed, self.slopes = [], []
        self._streak = 0    # consecutive updates meeting the smoothed swap condition

    @property
    def values(self):
        return self.smoothed

    def update(self, grad_norm, loss=None):
        """Record one check's gradient norm and loss; return True from the swap on."""
        if loss is None:
            raise ValueError("loss is required with mode='smoothed' (it reads the "
                             "gradient norm as a function of the loss), got None")
        real_number(loss, "loss", low=0.0)
        self._record(grad_norm, loss)
        k = self.n_updates - 1
        if k + 1 < self.window:
            self.smoothed.append(math.nan)
            self.slopes.append(math.nan)
            return self.swapped
        x = np.log(np.maximum(self.losses[-self.window:], _TINY))
        y = np.log(np.maximum(self.grad_norms[-self.window:], _TINY))
        b, a = _theil_sen(x, y)
        s = a + (0.0 if math.isnan(b) else b) * float(np.median(x))
        self.smoothed.append(math.exp(s))
        self.slopes.append(b)
        if self.peak_index is None or s > math.log(max(self.peak, _TINY)):
            self.peak, self.peak_index = math.exp(s), k
        # below factor * smoothed peak, on the convex side (b > 0; NaN compares False)
        ok = s <= math.log(self.factor) + math.log(max(self.peak, _TINY)) and b > 0
        self._streak = self._streak + 1 if ok else 0
        if self._streak >= self.patience and self.swap_index is None:
            self.swap_index = k                                     # one-way
        return self.swapped

    def state_dict(self):
        return {**super().state_dict(), "window": self.window, "patience": self.patience,
                "streak": self._streak, "smoothed": jsonable(self.smoothed),
                "slopes": jsonable(self.slopes)}

    def load_state_dict(self, state):
        super().load_state_dict(state)
        nan = lambda values: [math.nan if v is None else v for v in values]
        self.smoothed, self.slopes = nan(state["smoothed"]), nan(state["slopes"])
        self._streak = state["streak"]
        return self

    def _extra(self):
        return f", window={self.window}, patience={self.patience}"


#: The one table of swap rules, mode name -> class; SWAP_MODES (name -> description) is read
#: by the CLI's --swap-mode and TrainConfig.
DETECTORS = {cls.MODE: cls for cls in (SwapDetector, SmoothedSwapDetector)}
SWAP_MODES = {mode: cls.DESCRIPTION for mode, cls in DETECTORS.items()}


def make_detector(mode="paper", factor=0.9, window=None, patience=None):
    """The detector of swap mode ``mode``; ``window`` and ``patience`` belong to "smoothed".

    Parameters
    ----------
    mode : {"paper", "smoothed"}, default "paper"
        "paper": ``SwapDetector`` (Algorithm 1 on the raw norm); "smoothed":
        ``SmoothedSwapDetector``.
    factor : float, default 0.9
        In (0, 1]; the paper's gnfact.
    window, patience : int, optional
        Only with mode "smoothed"; None: its defaults, 10 and 3.

    Returns
    -------
    detector : SwapDetector or SmoothedSwapDetector
        A fresh detector (no updates yet).

    Raises
    ------
    ValueError
        An unknown mode, factor outside (0, 1], window or patience given with mode "paper",
        or (smoothed) window below 3 or patience below 1, naming the argument.
    TypeError
        factor not a real number, or window or patience not an int.

    Examples
    --------
    >>> from minitwophase.swap import make_detector
    >>> make_detector("paper", factor=0.8)
    SwapDetector(factor=0.8, n_updates=0, peak=0, swap_index=None)
    >>> make_detector("smoothed")
    SmoothedSwapDetector(factor=0.9, window=10, patience=3, n_updates=0, peak=0, swap_index=None)
    """
    factor, mode = SwapDetector.check_options(factor, mode)
    if mode == "paper":
        for name, val in (("window", window), ("patience", patience)):
            if val is not None:
                raise ValueError(f"{name} is only used with mode='smoothed', got "
                                 f"{name}={val!r} with mode='paper'")
        return SwapDetector(factor)
    return DETECTORS[mode](factor, DEFAULT_WINDOW if window is None else window,
                           DEFAULT_PATIENCE if patience is None else patience)


def detector_from_state(state):
    """The detector ``state_dict()`` described, ready to continue (resumable runs)."""
    options = {k: state[k] for k in ("window", "patience") if state.get(k) is not None}
    return make_detector(state["mode"], state["factor"], **options).load_state_dict(state)
