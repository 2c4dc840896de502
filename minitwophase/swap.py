"""When to swap from Adam to conjugate gradient: Hrycej et al. (2025), Algorithm 1.

The paper's rule (``mode="paper"``, the default), checked once per epoch::

    gnmax <- max(gn, gnmax)              # peak of the gradient norm so far, gn included
    adam  <- gn > gnmax * gnfact         # gnfact = 0.9; once False, never True again

i.e. swap at the first update with ``grad_norm <= factor * peak`` (so ``factor=1`` swaps at
update 0: the peak includes the current value). Rationale: while the loss falls the gradient
norm first rises (non-convex region), peaks, then falls towards zero (convex region), where
CG converges superlinearly and Adam does not.

``mode="smoothed"`` (opt-in, for noisy minibatch norms). The paper remarks that with a noisy
loss it is more reliable to read the gradient norm *as a function of the loss*, with some
smoothing, but gives no method; this is ours. At each update, over the trailing ``window``
pairs ``(x, y) = (log loss, log grad_norm)``:

1. fit a robust line ``y = a + b x`` (Theil-Sen: median of pairwise slopes, so a few outlier
   epochs cannot tilt it);
2. smoothed value ``s = a + b * median(x)``: the fit at the window's median loss, where its
   variance is smallest (about 1/4 of that at the newest loss; on our noisy synthetic bumps,
   evaluating at the newest loss instead swapped before the true peak on up to half the runs);
3. smoothed peak = largest ``s`` so far; swap once ``s <= factor * peak`` has held for
   ``patience`` consecutive updates *and* the slope ``b > 0`` at each of them, i.e. the
   gradient norm falls as the loss falls: the convex side of the peak (near a quadratic
   minimum ``loss ~ grad_norm**2``, so ``b -> 1/2``; on the non-convex side ``b < 0``).

Defaults ``window=10, patience=3``: log space turns multiplicative noise into additive noise
and makes ``factor`` a fixed offset ``log(factor)``. The price is a lag of about
``(window - 1) / 2 + patience - 1`` updates (about 7) over the noise-free paper rule. With
15-20 % log-noise on the norm, these defaults swapped after the true peak on every run of a
bump whose rise spans about 40 updates (tests/test_swap.py); for slower bumps or heavier noise
raise ``window``. Nothing is smoothed before ``window`` updates have been seen, and a window
whose losses are all equal has no slope, so it cannot swap. Causal: only past and current
values are used.

Safeguard (the paper: if the gradient norm has no single peak, fall back to a non-convex
method): :func:`find_peaks_report` / :meth:`SwapDetector.peak_report` count separated peaks.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
from scipy.ndimage import median_filter, uniform_filter1d
from scipy.signal import find_peaks

from ._json import jsonable
from ._validate import as_float_array, choice, positive_int, real_number

DEFAULT_WINDOW = 10
DEFAULT_PATIENCE = 3
_TINY = np.finfo(np.float64).tiny    # log(0) guard: a zero loss or norm becomes log(tiny)
_DX_MIN = 1e-12                      # pairs with (almost) equal log loss carry no slope


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


class SwapDetector:
    """Online Adam -> CG swap rule; call ``update`` once per epoch.

    ``update(grad_norm, loss=None) -> bool`` is True from the swap on (one-way). State:
    ``peak`` (raw max in mode "paper", smoothed max in mode "smoothed"; 0.0 before any
    update, as the paper's gnmax), ``peak_index``, ``swap_index`` (0-based, None before the
    swap), ``swapped``, ``n_updates``, ``grad_norms``, ``losses`` (None where not given);
    mode "smoothed" also ``smoothed`` and ``slopes`` (NaN before the window fills; ``peak_index``
    then lags the true peak by about (window - 1) / 2). Values keep being recorded after the
    swap, so the history covers the CG phase too.
    """

    def __init__(self, factor=0.9, mode="paper", window=None, patience=None):
        self.factor = real_number(factor, "factor", low=0.0, high=1.0, low_open=True)
        self.mode = choice(mode, "mode", {"paper", "smoothed"})
        if mode == "paper":
            for name, val in (("window", window), ("patience", patience)):
                if val is not None:
                    raise ValueError(f"{name} is only used with mode='smoothed', got "
                                     f"{name}={val!r} with mode='paper'")
            self.window = self.patience = None
        else:
            self.window = positive_int(DEFAULT_WINDOW if window is None else window,
                                       "window", minimum=3)
            self.patience = positive_int(DEFAULT_PATIENCE if patience is None else patience,
                                         "patience")
        self.peak = 0.0
        self.peak_index = None
        self.swap_index = None
        self.grad_norms = []
        self.losses = []
        self.smoothed = [] if mode == "smoothed" else None
        self.slopes = [] if mode == "smoothed" else None
        self._streak = 0    # consecutive updates meeting the smoothed swap condition

    @property
    def n_updates(self):
        return len(self.grad_norms)

    @property
    def swapped(self):
        return self.swap_index is not None

    def update(self, grad_norm, loss=None):
        """Record one epoch's gradient norm (and loss); return True from the swap on."""
        gn = real_number(grad_norm, "grad_norm", low=0.0)
        if self.mode == "smoothed":
            if loss is None:
                raise ValueError("loss is required with mode='smoothed' (it reads the "
                                 "gradient norm as a function of the loss), got None")
            loss = real_number(loss, "loss", low=0.0)
        elif loss is not None:
            loss = real_number(loss, "loss")
        k = self.n_updates
        self.grad_norms.append(gn)
        self.losses.append(loss)
        if self.mode == "paper":
            if self.peak_index is None or gn > self.peak:
                self.peak, self.peak_index = gn, k          # gnmax <- max(gn, gnmax)
            hit = gn <= self.factor * self.peak             # not (gn > gnmax * gnfact)
        else:
            hit = self._smoothed_step(k)
        if hit and self.swap_index is None:
            self.swap_index = k                             # one-way: never back to Adam
        return self.swapped

    def _smoothed_step(self, k):
        if k + 1 < self.window:
            self.smoothed.append(math.nan)
            self.slopes.append(math.nan)
            return False
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
        return self._streak >= self.patience

    def peak_report(self, smooth=5, prominence=0.25, count_from=0, unit="update"):
        """The single-peak safeguard on the norms seen so far (see :func:`find_peaks_report`)."""
        have_losses = self.losses and all(v is not None for v in self.losses)
        return find_peaks_report(self.grad_norms, self.losses if have_losses else None,
                                 smooth=smooth, prominence=prominence, count_from=count_from, unit=unit)

    def state_dict(self):
        """Plain JSON-ready summary (NaN becomes None)."""
        return {
            "mode": self.mode, "factor": self.factor, "window": self.window,
            "patience": self.patience, "n_updates": self.n_updates, "peak": self.peak,
            "peak_index": self.peak_index, "swap_index": self.swap_index,
            "swapped": self.swapped, "grad_norms": list(self.grad_norms),
            "losses": list(self.losses),
            "smoothed": None if self.smoothed is None else jsonable(self.smoothed),
            "slopes": None if self.slopes is None else jsonable(self.slopes),
        }

    def __repr__(self):
        extra = "" if self.mode == "paper" else f", window={self.window}, patience={self.patience}"
        return (f"SwapDetector(factor={self.factor}, mode={self.mode!r}{extra}, "
                f"n_updates={self.n_updates}, peak={self.peak:.6g}, "
                f"swap_index={self.swap_index})")


@dataclass(frozen=True)
class PeakReport:
    """Result of :func:`find_peaks_report`; ``to_dict()`` is JSON-ready.

    ``status``: "single" (exactly one peak, passed), "multiple", "falling_from_start" (no peak
    passed: already convex at the first check), "not_passed" (still rising at the end, or
    fallen by less than the threshold since the top: a run whose record stops at the 0.9 swap
    lands here), "no_peak" (variation below the threshold) or "too_short". ``peak_indices`` include an edge
    (0 or n-1) when the norm falls from the start or rises to the end; ``peak_values`` are the
    smoothed norms there, ``peak_losses`` the losses (None if no losses were given).
    """
    n_peaks: int
    peak_indices: list
    peak_values: list
    peak_losses: list | None
    single_peak: bool
    status: str
    message: str

    def to_dict(self):
        return asdict(self)


def _rise_fall(sm, i):
    """Climb to and fall from sm[i], each measured to the lowest point before higher ground
    (or the end of the data). Also: is sm[i] the highest so far / from here to the end?"""
    h, n = sm[i], sm.size
    left = np.flatnonzero(sm[:i] > h)
    right = np.flatnonzero(sm[i + 1:] > h)
    lo = left[-1] + 1 if left.size else 0
    hi = i + 1 + right[0] if right.size else n
    return h - sm[lo:i + 1].min(), h - sm[i:hi].min(), lo == 0, hi == n


def _join(items):
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def find_peaks_report(grad_norms, losses=None, smooth=5, prominence=0.25, count_from=0, unit="update"):
    """Count separated peaks of the gradient norm: the paper's single-peak safeguard.

    The norms are lightly smoothed (running median of ``smooth`` updates, then a 3-point
    mean). A local maximum (``scipy.signal.find_peaks``) counts as a peak if it stands at
    least ``prominence * max`` above the lowest point between it and higher ground (or the
    data's end) on *both* sides, i.e. find_peaks' prominence: it was climbed, then left. The
    scale is linear on purpose: near convergence the norm is tiny and noisy in relative terms,
    and its wiggles must not count. A maximum with nothing higher before it that was only left
    (not climbed) is a "start" peak: no non-convex phase seen; one with nothing higher after
    it that was only climbed is an "end" peak: the peak has not been passed yet. Both count in
    ``n_peaks`` and make ``single_peak`` False. Defaults tuned on bumps with 10-20 % noise.
    A 10 % fall (the paper's swap) cannot be told from noise, so judge a record that goes on
    past the swap: a record cut at the swap is reported "not_passed".
    ``peak_indices`` are 0-based positions; the message numbers them from ``count_from`` and calls
    them ``unit`` (the trainer passes count_from=1, unit="epoch").
    """
    g = as_float_array(grad_norms, "grad_norms", ndim=1, allow_empty=True)
    if np.any(g < 0):
        raise ValueError(f"grad_norms must be >= 0, got min {g.min()}")
    if losses is not None:
        losses = as_float_array(losses, "losses", ndim=1, allow_empty=True)
        if losses.shape != g.shape:
            raise ValueError(f"losses must match grad_norms' shape {g.shape}, got {losses.shape}")
    smooth = positive_int(smooth, "smooth")
    rel = real_number(prominence, "prominence", low=0.0, high=1.0, low_open=True)
    n = g.size
    if n < 3:
        return PeakReport(0, [], [], None if losses is None else [], False, "too_short",
                          f"too few {unit}s ({n}) to judge the single-peak hypothesis (need 3)")
    # light smoothing: running median (kills spikes), then a 3-point mean (kills the median's
    # one-sample steps, which would otherwise split a noisy top into two "peaks")
    sm = uniform_filter1d(median_filter(g, size=smooth, mode="nearest"), 3, mode="nearest")
    thr = rel * float(sm.max())
    pad = float(sm.min()) - 1.0          # padding lets the first and last update be candidates
    idx, start, end, end_fall = [], False, False, 0.0
    for i in find_peaks(np.r_[pad, sm, pad])[0] - 1 if thr > 0 else []:
        rise, fall, first, last = _rise_fall(sm, i)
        if rise >= thr and fall >= thr:  # = find_peaks prominence >= thr: climbed and left
            idx.append(int(i))
        elif fall >= thr and first:      # high from the start, then fell: no climb seen
            idx.append(int(i))
            start = True
        elif rise >= thr and last:       # climbed, not (yet) left: peak not passed
            idx.append(int(i))
            end, end_fall = True, fall / sm[i]
    interior = len(idx) - start - end

    names = [str(i + count_from) for i in idx]
    if start:
        names[0] += " (start, falling)"
    if end:
        names[-1] += " (end, not passed)"
    if len(idx) >= 2:
        status = "multiple"
        msg = (f"gradient norm has {len(idx)} separated peaks at {unit}s {_join(names)}; "
               "the single-peak hypothesis does not hold here")
    elif interior == 1:
        status = "single"
        at = "" if losses is None else f" (loss {losses[idx[0]]:.4g})"
        msg = f"one gradient-norm peak, at {unit} {idx[0] + count_from}{at}"
    elif start:
        status = "falling_from_start"
        msg = (f"gradient norm falls from the first {unit} on: no peak passed "
               "(already convex at the first check)")
    elif end and end_fall <= 0:
        status = "not_passed"
        msg = f"gradient norm at its highest at the last {unit} ({n - 1 + count_from}): no peak passed yet"
    elif end:
        status = "not_passed"
        msg = (f"gradient norm highest at {unit} {idx[0] + count_from} and only {end_fall:.0%} below it at "
               f"the last {unit} ({n - 1 + count_from}): peak not clearly passed (a peak counts once the "
               f"norm falls by {rel:.0%} of the maximum)")
    else:
        status = "no_peak"
        msg = (f"gradient norm shows no peak: it varies by less than {rel:.0%} of its maximum")
    return PeakReport(
        n_peaks=len(idx), peak_indices=idx, peak_values=[float(sm[i]) for i in idx],
        peak_losses=None if losses is None else [float(losses[i]) for i in idx],
        single_peak=status == "single", status=status, message=msg)
