"""One peak: a run's gradient-norm history is read once (peaks.GradNormSummary, run.peaks) and
every reader says what it says: the swap line, the end-of-run line, the summary tables and
summary.md, results.json and the figure. Three peaks, named apart: the detector peak, the
largest epoch-end |g| and the single-peak check."""
import json

import matplotlib.pyplot as plt
import numpy as np
import pytest

from minitwophase.experiments import plotting
from minitwophase.experiments.experiment import Experiment, final_line, run_experiment, swap_line
from minitwophase.experiments.report import format_tables, load_results, runs_table, save_results, summarize
from minitwophase.peaks import GradNormSummary
from minitwophase.swap import SwapDetector
from minitwophase.training import COLUMNS, Run, TrainConfig
from minitwophase.training.phases import SwapCheck
from minitwophase.training.trainer import record_peaks

RISE_FALL = [0.3, 0.4, 0.6, 0.9, 1.2, 1.0, 0.8, 0.6, 0.45, 0.3, 0.2, 0.15, 0.1, 0.08, 0.06]
FALL = [1.0 * 0.88 ** k for k in range(15)]
TWO_PEAKS = [0.2, 0.3, 0.8, 1.0, 0.6, 0.3, 0.2, 0.3, 0.7, 0.9, 0.5, 0.3, 0.2, 0.15, 0.1, 0.1]


def synthetic(norms, method="adam+cg", checks=None):
    """A run whose epoch-end |g| are ``norms`` (epoch 0 first), fed to the paper's 0.9 rule as
    the trainer feeds it: once per epoch from epoch 1 on, or the values ``checks[epoch]``
    (several checks inside an epoch, as with check_every). "adam+cg" leaves Adam after the
    epoch the rule swaps; the swap line is taken when the first CG row is recorded."""
    run = Run(method=method, seed=0, config={"swap_factor": 0.9, "split": 0.3, "epochs": len(norms) - 1})
    check = SwapCheck(SwapDetector(0.9), every=None if checks is None else 5)
    phase, lines = "adam", []
    for epoch, gn in enumerate(norms):
        row = dict.fromkeys(COLUMNS)
        row.update(epoch=epoch, phase="init" if epoch == 0 else phase, train_loss=1.0 / (epoch + 1),
                   grad_norm=gn, val_loss=1.0, val_acc=0.5, cost=float(epoch), wall_time=0.0)
        run.rows.append(row)
        if epoch == 0:
            continue
        if phase == "cg" and run.rows[-2]["phase"] != "cg":
            lines.append(swap_line(run))
        for value in ([gn] if checks is None else checks[epoch]):
            swapped = check(epoch, row["train_loss"], value)
        if swapped and phase == "adam" and method == "adam+cg":
            run.swap_epoch, phase = epoch, "cg"
            check.at_swap()
            record_peaks(run, check)
    run.status, run.message = "completed", "by hand"
    record_peaks(run, check)
    return run, lines


CASES = {  # name: (norms, method, the single-peak verdict, the swap epoch, a peak passed)
    "rise-then-fall": (RISE_FALL, "adam+cg", "single", 5, True),
    "monotone fall": (FALL, "adam+cg", "none", 2, False),
    "two peaks": (TWO_PEAKS, "adam+cg", "multiple", 4, True),
    "two peaks, adam": (TWO_PEAKS, "adam", "multiple", None, True),
}


@pytest.mark.parametrize("name", list(CASES))
def test_summary_numbers_are_the_history_columns(name):
    norms, method, verdict, swap, passed = CASES[name]
    run, _ = synthetic(norms, method)
    p = run.peaks
    assert run.swap_epoch == swap and p.swap_epoch == swap
    # direct computation on the history columns: epochs 1 .. the swap (all without one)
    e, g = run.column("epoch"), run.column("grad_norm")
    window = (e >= 1) & (e <= (e.max() if swap is None else swap))
    assert p.largest_value == g[window].max()
    assert p.largest_epoch == e[window][np.argmax(g[window])]
    # the rule checks each epoch's end here, so its running peak is that same maximum
    assert (p.detector_value, p.detector_epoch) == (p.largest_value, p.largest_epoch)
    assert p.n_checks == window.sum() and p.first_check_epoch == 1
    assert p.verdict == verdict and p.peak_passed is passed
    assert p.swap_after_peak is (passed and swap is not None)
    assert p.report["message"] and p.report["status"] != "too_short"


def test_epoch_zero_is_never_counted():
    run, _ = synthetic(FALL, "adam")             # epoch 0 has the largest norm of all
    assert run.column("grad_norm")[0] > run.peaks.largest_value
    assert run.peaks.largest_epoch == run.peaks.detector_epoch == 1
    assert "its first value: nothing rose to it" in run.peaks.detector_words()


def test_checks_inside_epochs_make_two_different_peaks_named_apart():
    # the rule sees mid-epoch checks the rows never record (check_every): its peak is not the
    # largest epoch-end |g|, and the words say which is which
    checks = {e: [1.3 * gn, gn] for e, gn in enumerate(RISE_FALL)}
    run, lines = synthetic(RISE_FALL, checks=checks)
    p = run.peaks
    judged = [v for e in range(1, run.swap_epoch + 1) for v in checks[e]]
    assert p.detector_value == max(judged) and p.n_checks == len(judged)
    e, g = run.column("epoch"), run.column("grad_norm")
    upto = (e >= 1) & (e <= run.swap_epoch)
    assert p.largest_value == g[upto].max() != p.detector_value
    assert "every 5 Adam steps" in p.detector_words()
    assert f"detector peak {p.detector_value:.3g}" in lines[0]
    assert f"largest epoch-end |g| {p.largest_value:.3g}" in lines[0]


def _star_and_triangle(run):
    fig = plotting.gradnorm_vs_loss_figure([run])
    try:
        lines = fig.axes[0].get_lines()
        at = lambda marker: [(l.get_xdata()[0], l.get_ydata()[0]) for l in lines if l.get_marker() == marker]
        return at("*"), at("^"), [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    finally:
        plt.close(fig)


@pytest.mark.parametrize("name", list(CASES))
def test_every_reader_says_the_same_peaks(name):
    norms, method, *_ = CASES[name]
    run, lines = synthetic(norms, method)
    p = run.peaks
    # the progress lines: the swap line (written at the swap) and the end-of-run line
    if run.swap_epoch is not None:
        (line,) = lines
        assert p.detector_words() in line and p.largest_words() in line
    assert final_line(run).endswith(p.sentence())
    # the summary (results.json's "summary", the tables, summary.md's lines)
    summary = summarize([run])
    d = summary["runs"][0]
    assert GradNormSummary.from_dict(d["grad_norm_summary"]) == p and d["peaks"] == p.sentence()
    assert d["peak_epoch"] == (p.detector_epoch if p.peak_passed else None)
    assert d["single_peak"] == (p.verdict == "single") and d["peak_message"] == p.report["message"]
    row = runs_table(summary).splitlines()[2]
    assert f"| {p.peak_cell()} " in row and f"| {p.verdict} " in row
    assert p.sentence() in format_tables(summary)
    # results.json: the run round-trips with the same summary
    again = Run.from_dict(json.loads(json.dumps(run.to_dict(), allow_nan=False)))
    assert again.peaks == p
    # the figure: the star on the detector peak only when passed; the triangle on the
    # largest epoch-end |g| when it is not already starred
    star, triangle, legend = _star_and_triangle(run)
    point = lambda epoch: (run.rows[epoch]["train_loss"], run.rows[epoch]["grad_norm"])
    assert star == ([point(p.detector_epoch)] if p.peak_passed else [])
    assert triangle == ([] if p.peak_passed else [point(p.largest_epoch)])
    if not p.peak_passed:
        assert f"no peak passed (single-peak check: {p.verdict}), so no star" in legend


def test_a_real_run_writes_one_summary_everywhere(tmp_path):
    # the newcomer's case (digits, MSE, tanh MLP): the norm falls from epoch 1; every file and
    # line says so in the same words
    exp = Experiment(dataset="digits", model="mlp:16", methods=("adam+cg",),
                     train=TrainConfig(epochs=8))
    logged = []
    outcome = run_experiment(exp, log=logged.append)
    (run,) = outcome.runs
    p = run.peaks
    assert p.verdict == "none" and not p.peak_passed
    swap = next(l for l in logged if "swap to CG" in l)
    assert p.detector_words() in swap and p.largest_words() in swap
    assert p.sentence() in logged[-1]
    save_results(outcome, tmp_path, plots=False)
    doc, (loaded,) = load_results(tmp_path)
    assert loaded.peaks == p
    assert doc["summary"]["runs"][0]["peaks"] == p.sentence()
    md = (tmp_path / "summary.md").read_text()
    assert p.sentence() in md and "none passed" in md


def test_a_rise_inside_the_first_epoch_is_a_rise():
    # checks every few steps: the peak is the second check of epoch 1, so the checks rose to
    # it (what "its first value" and peak_passed are about is the check, not the epoch)
    norms = [0.3] + RISE_FALL[4:]
    checks = {e: [gn] for e, gn in enumerate(norms)}
    checks[1] = [0.5, 1.3, 1.2]
    run, _ = synthetic(norms, method="adam", checks=checks)
    p = run.peaks
    assert (p.detector_value, p.detector_epoch, p.first_check_epoch) == (1.3, 1, 1)
    assert not p.at_first_check and "its first value" not in p.detector_words()
    assert p.verdict == "none" and not p.peak_passed        # the epoch-end norms only fall
