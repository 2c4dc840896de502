"""SwapDetector: the paper's Algorithm 1 rule; SmoothedSwapDetector; the single-peak safeguard."""
import json
import math

import numpy as np
import pytest
from hypothesis import given, strategies as st

from minitwophase.peaks import find_peaks_report, summarize_grad_norms
from minitwophase.swap import (SWAP_MODES, SmoothedSwapDetector, SwapDetector, detector_from_state,
                               make_detector)


def run(grad_norms, losses=None, **kw):
    det = make_detector(**kw)
    out = [det.update(g, None if losses is None else l)
           for g, l in zip(grad_norms, losses if losses is not None else grad_norms)]
    return det, out


# ---- the paper's rule, by hand ----------------------------------------------------------

@pytest.mark.parametrize("seq,factor,expected", [
    ([1, 2, 3, 2.8, 2.6], 0.9, 4),       # peak 3; 2.8 > 2.7, 2.6 <= 2.7
    ([1, 2, 3, 2.8, 2.7], 0.9, 4),       # equality swaps: 2.7 <= 0.9 * 3 (both 2.7 in float)
    ([10, 9, 8], 0.9, 1),                # monotone, 10 % drop at once: 9 <= 9
    ([10, 9.5, 9.1, 8], 0.9, 3),         # 9.5, 9.1 > 9; 8 <= 9
    ([1, 2, 2, 3], 1.0, 0),              # factor 1: the peak includes the current value, so
    ([3, 2], 1.0, 0),                    # gn <= 1 * gn already at the first update
    ([1, 2, 3, 4], 0.9, None),           # rising: never
    ([0.0, 5.0], 0.9, 0),                # 0 <= 0.9 * 0 (gnmax starts at 0 in Algorithm 1)
])
def test_paper_rule_by_hand(seq, factor, expected):
    det, out = run(seq, factor=factor)
    assert det.swap_index == expected
    assert out == [expected is not None and i >= expected for i in range(len(seq))]


def test_one_way_and_peak_includes_current():
    det = SwapDetector()
    assert det.swap_index is None and det.peak == 0.0 and det.n_updates == 0
    assert det.update(1.0) is False and det.peak == 1.0 and det.peak_index == 0
    assert det.update(5.0) is False and det.peak == 5.0     # this one included
    assert det.swap_index is None
    assert det.update(4.5) is True and det.swap_index == 2
    assert det.update(100.0) is True and det.update(50.0) is True   # stays swapped
    assert det.swap_index == 2 and det.peak == 100.0 and det.peak_index == 3
    assert det.grad_norms == [1.0, 5.0, 4.5, 100.0, 50.0] and det.n_updates == 5
    assert det.losses == [None] * 5
    assert det.values is det.grad_norms and not hasattr(det, "smoothed")


def algorithm_1(grad_norms, gnfact):
    """The paper's Algorithm 1 (Hrycej et al. 2025), literally: returns the `adam` flag after each check."""
    adam, gnmax, flags = True, 0.0, []
    for gn in grad_norms:
        if adam:
            gnmax = max(gn, gnmax)
            adam = gn > gnmax * gnfact
        flags.append(adam)
    return flags


@given(st.lists(st.floats(0, 1e6, allow_nan=False), min_size=1, max_size=60),
       st.one_of(st.just(0.9), st.just(1.0), st.floats(1e-3, 1.0)))
def test_matches_algorithm_1(seq, factor):
    det = SwapDetector(factor=factor)
    for gn, adam in zip(seq, algorithm_1(seq, factor)):
        assert det.update(gn) is (not adam)
    flags = algorithm_1(seq, factor)
    assert det.swap_index == (flags.index(False) if False in flags else None)
    assert det.peak == max(seq)


# ---- errors -----------------------------------------------------------------------------

@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, -1e-300])
def test_bad_grad_norm_value(bad):
    det = SwapDetector()
    with pytest.raises(ValueError, match="grad_norm"):
        det.update(bad)
    assert det.n_updates == 0        # nothing recorded


@pytest.mark.parametrize("bad", ["1.0", None, [1.0], True, np.array([1.0])])
def test_bad_grad_norm_type(bad):
    with pytest.raises(TypeError, match="grad_norm"):
        SwapDetector().update(bad)


@pytest.mark.parametrize("bad", [0, 0.0, 1.5, -0.5, math.nan, math.inf])
def test_bad_factor_value(bad):
    with pytest.raises(ValueError, match=r"factor must lie in \(0.0, 1.0\], got"):
        SwapDetector(factor=bad)


@pytest.mark.parametrize("bad", ["0.9", None, True])
def test_bad_factor_type(bad):
    with pytest.raises(TypeError, match="factor"):
        SwapDetector(factor=bad)


def test_other_argument_errors():
    with pytest.raises(ValueError, match="mode must be one of"):
        make_detector(mode="smooth")
    with pytest.raises(ValueError, match="window is only used with mode='smoothed'"):
        make_detector(window=5)
    with pytest.raises(ValueError, match="window must be >= 3"):
        SmoothedSwapDetector(window=2)
    with pytest.raises(TypeError, match="patience"):
        make_detector(mode="smoothed", patience=2.0)
    with pytest.raises(ValueError, match=r"factor must lie in \(0.0, 1.0\], got"):
        SmoothedSwapDetector(factor=1.5)
    with pytest.raises(ValueError, match="loss"):
        SwapDetector().update(1.0, loss=math.nan)
    with pytest.raises(TypeError, match="loss"):
        SwapDetector().update(1.0, loss="0.3")


@pytest.mark.parametrize("loss", [None, math.nan, math.inf, -0.1])
def test_smoothed_needs_finite_nonnegative_loss(loss):
    det = SmoothedSwapDetector()
    with pytest.raises(ValueError, match="loss"):
        det.update(1.0, loss)
    assert det.n_updates == 0


# ---- the smoothed mode on noisy synthetic runs ------------------------------------------

PEAK = 40   # true peak update


def true_curve(n=120, rate=0.12):
    """Loss falls geometrically (log loss -rate per update, loss 1 at the peak); gradient
    norm as a function of loss: g = 2u / (1 + u^2), u = sqrt(loss). It rises as the loss
    falls while u > 1, peaks (g = 1) at u = 1, then g ~ 2 sqrt(loss) like a quadratic basin."""
    x = -(np.arange(n) - PEAK) * rate
    u = np.exp(x / 2)
    return np.exp(x), 2 * u / (1 + u ** 2)


def noisy(seed, sigma_g=0.15, sigma_loss=0.03):
    loss, g = true_curve()
    rng = np.random.default_rng(seed)
    return (loss * np.exp(sigma_loss * rng.standard_normal(loss.size)),
            g * np.exp(sigma_g * rng.standard_normal(g.size)))


def test_noise_free_both_modes_swap_near_peak():
    loss, g = true_curve()
    assert int(np.argmax(g)) == PEAK
    paper, _ = run(g, loss)
    smooth, _ = run(g, loss, mode="smoothed")
    # paper: g <= 0.9 first at u = 0.627, 7.8 updates after the peak
    assert paper.swap_index == PEAK + 8
    # smoothed: + (window - 1) / 2 = 4.5 lag + (patience - 1) = 2 more updates
    assert PEAK < smooth.swap_index <= PEAK + 16
    # the smoothed peak is seen (window - 1) / 2 updates late, slightly below the true top
    assert abs(smooth.peak_index - 4.5 - PEAK) <= 1 and smooth.peak == pytest.approx(1, abs=0.02)


def test_smoothed_swaps_after_peak_where_paper_rule_swaps_early():
    # Measured (seeds 0-9, 15 % log-noise on g, 3 % on loss): the paper rule swaps 16-39
    # updates BEFORE the peak on every seed; smoothed swaps 11-17 updates after it.
    paper_early, smoothed_ok = 0, 0
    for seed in range(10):
        loss, g = noisy(seed)
        paper, _ = run(g, loss)
        smooth, _ = run(g, loss, mode="smoothed")
        paper_early += paper.swap_index < PEAK
        smoothed_ok += PEAK < smooth.swap_index <= PEAK + 20     # stated tolerance: 20
    assert paper_early >= 8
    assert smoothed_ok >= 9


def test_smoothed_state_and_slope_sign():
    loss, g = noisy(0)
    det, out = run(g, loss, mode="smoothed", window=10, patience=3)
    assert len(det.smoothed) == len(det.slopes) == det.n_updates == loss.size
    assert all(math.isnan(v) for v in det.smoothed[:9]) and not math.isnan(det.smoothed[9])
    # log g vs log loss: slope < 0 on the rising side, ~ 1/2 deep in the quadratic basin
    assert np.median(det.slopes[10:30]) < -0.2
    assert np.median(det.slopes[90:]) == pytest.approx(0.5, abs=0.15)
    assert det.peak == max(v for v in det.smoothed if not math.isnan(v))
    s = det.swap_index
    assert out[s - 1] is False and all(out[s:])
    assert all(b > 0 for b in det.slopes[s - 2:s + 1])           # patience 3, convex side
    json.dumps(det.state_dict(), allow_nan=False)                 # NaN became None
    assert det.state_dict()["smoothed"][0] is None
    assert "SmoothedSwapDetector(factor=0.9, window=10" in repr(det) and "swap_index=" in repr(det)
    assert det.values is det.smoothed


def test_smoothed_constant_loss_never_swaps():
    # No loss spread -> no slope -> no evidence of the convex side.
    det, out = run([5.0, 4.0, 3.0, 2.0, 1.0] * 4, [0.5] * 20, mode="smoothed", window=5)
    assert not any(out) and all(math.isnan(b) for b in det.slopes)


def test_smoothed_zero_values_are_accepted():
    det, _ = run([0.0] * 12, [0.0] * 12, mode="smoothed")
    assert det.n_updates == 12


# ---- the single-peak safeguard ----------------------------------------------------------

K = np.arange(150)


def bump(centre, width, height=1.0):
    return height * np.exp(-0.5 * ((K - centre) / width) ** 2)


@pytest.mark.parametrize("seed", range(5))
def test_two_bumps_are_two_peaks(seed):
    g = (0.05 + bump(35, 8) + 0.8 * bump(100, 10)) * np.exp(
        0.15 * np.random.default_rng(seed).standard_normal(K.size))
    rep = find_peaks_report(g)
    assert rep.n_peaks == 2 and not rep.single_peak and rep.status == "multiple"
    assert abs(rep.peak_indices[0] - 35) <= 4 and abs(rep.peak_indices[1] - 100) <= 4
    assert "2 separated peaks" in rep.message and "does not hold" in rep.message


@pytest.mark.parametrize("seed", range(5))
def test_noisy_single_bump_is_one_peak(seed):
    loss, g = noisy(seed)
    rep = find_peaks_report(g, loss)
    assert rep.single_peak and rep.n_peaks == 1 and rep.status == "single"
    assert abs(rep.peak_indices[0] - PEAK) <= 10    # the top is flat: g > 0.9 over 32..48
    assert rep.peak_losses == [float(loss[rep.peak_indices[0]])]
    assert rep.message.startswith(f"one gradient-norm peak, at update {rep.peak_indices[0]}")


def test_monotone_and_degenerate_sequences_are_flagged():
    rng = np.random.default_rng(0)
    noise = np.exp(0.1 * rng.standard_normal(K.size))
    fall = find_peaks_report(np.exp(-K / 30) * noise)
    assert fall.status == "falling_from_start" and not fall.single_peak
    assert fall.peak_indices[0] <= 3 and "came before the first check" in fall.message
    assert "convex" not in fall.message          # a falling norm is no convexity test
    rise = find_peaks_report((1 - np.exp(-K / 40)) * noise)
    assert rise.status == "not_passed" and not rise.single_peak
    assert "not clearly passed" in rise.message or "at its highest" in rise.message
    strict = find_peaks_report(np.arange(1.0, 20.0))
    assert strict.status == "not_passed" and strict.peak_indices == [18]
    assert strict.message == ("gradient norm at its highest at the last update (18): "
                              "no peak passed yet")
    # falls, then climbs again and is still climbing: two peaks (start and end)
    vee = find_peaks_report(np.abs(K - 75.0) + 1)
    assert vee.status == "multiple" and vee.peak_indices == [0, 149]
    assert find_peaks_report(np.ones(10)).status == "no_peak"
    assert find_peaks_report([1.0, 2.0]).status == "too_short"


def test_record_cut_at_the_paper_swap_is_not_passed():
    # Up to the swap the norm has fallen only 10 %: indistinguishable from noise on a
    # plateau, so the report says so instead of claiming a peak.
    loss, g = true_curve()
    det, out = run(g, loss)
    rep = find_peaks_report(g[:det.swap_index + 1])
    assert rep.status == "not_passed" and rep.peak_indices == [PEAK]
    assert f"highest at update {PEAK} and only 10% below it" in rep.message
    assert find_peaks_report(g[:det.swap_index + 9]).single_peak    # 8 more updates


def test_report_from_detector_is_json_ready():
    loss, g = true_curve()
    det, _ = run(g, loss)
    rep = det.peak_report()
    assert rep.single_peak and rep.peak_indices == [PEAK] and rep.peak_losses == [1.0]
    json.dumps(rep.to_dict(), allow_nan=False)
    json.dumps(det.state_dict(), allow_nan=False)
    assert SwapDetector().peak_report().status == "too_short"


def test_report_argument_errors():
    with pytest.raises(ValueError, match="grad_norms must be >= 0"):
        find_peaks_report([1.0, -2.0, 3.0])
    with pytest.raises(ValueError, match="grad_norms must be finite"):
        find_peaks_report([1.0, math.nan, 3.0])
    with pytest.raises(ValueError, match="losses must match"):
        find_peaks_report([1.0, 2.0, 3.0], losses=[1.0, 2.0])
    with pytest.raises(ValueError, match="prominence"):
        find_peaks_report([1.0, 2.0, 3.0], prominence=0)


def test_report_can_number_in_epochs():
    g = [1.0, 2.0, 3.0, 2.0, 1.0, 0.5, 0.3, 0.2]
    rep = find_peaks_report(g, count_from=1, unit="epoch")
    assert rep.status == "single" and rep.peak_indices == [2]
    assert rep.message.startswith("one gradient-norm peak, at epoch 3")


# ---- the two rules as classes, the table, and a detector restored from its state ---------

def test_table_and_contract():
    assert SWAP_MODES == {"paper": SwapDetector.DESCRIPTION, "smoothed": SmoothedSwapDetector.DESCRIPTION}
    assert type(make_detector()) is SwapDetector and make_detector().factor == 0.9
    assert type(make_detector("smoothed", 0.8)) is SmoothedSwapDetector
    det = SwapDetector(factor=0.9)                   # the public contract
    assert det.update(1.0, loss=None) is False and det.peak == 1.0 and det.swap_index is None


@pytest.mark.parametrize("mode", ["paper", "smoothed"])
@pytest.mark.parametrize("cut", [5, 45, 60])
def test_state_dict_restores_the_detector(mode, cut):
    # stopped after `cut` updates, saved as JSON, restored and continued: the same decisions
    # and the same state as a detector that never stopped (resumable runs rely on it)
    loss, g = noisy(3)
    whole, out = run(g, loss, mode=mode)
    first, _ = run(g[:cut], loss[:cut], mode=mode)
    again = detector_from_state(json.loads(json.dumps(first.state_dict(), allow_nan=False)))
    assert type(again) is type(whole)
    rest = [again.update(gn, l) for gn, l in zip(g[cut:], loss[cut:])]
    assert rest == out[cut:]
    assert json.dumps(again.state_dict()) == json.dumps(whole.state_dict())


def test_peaks_are_named_by_the_epoch_they_were_checked_at():
    # checked every 10 epochs: the bump's top is the 6th check, epoch 60, not "epoch 6"
    g = np.r_[np.linspace(1.0, 5.0, 6), np.linspace(4.0, 0.5, 14)]
    epochs = 10 * np.arange(1, g.size + 1)
    rep = find_peaks_report(g, unit="epoch", labels=epochs)
    assert rep.status == "single" and rep.message.startswith("one gradient-norm peak, at epoch 60")
    fall = find_peaks_report(g[6:], unit="epoch", labels=epochs[6:])
    assert "first check (epoch 70)" in fall.message
    with pytest.raises(ValueError, match="labels must match"):
        find_peaks_report(g, labels=epochs[:-1])
    s = summarize_grad_norms(np.r_[0, epochs], np.r_[np.nan, g], np.r_[1.0, np.linspace(1, 0.1, g.size)],
                             detector_value=5.0, detector_epoch=60, n_checks=g.size,
                             first_check_epoch=10, at_first_check=False)
    assert s.largest_epoch == 60 and s.report["message"].startswith("one gradient-norm peak, at epoch 60")
