"""adam+pcg / fixed-split-pcg: CG preconditioned by Adam's sqrt(v_hat) + eps at the swap.

The hand-over (Adam's state read by the PCG phase) and the exact keyword passed to
NonlinearCG are tested here on any NonlinearCG; the runs themselves need
``NonlinearCG(..., precond=)`` and skip until it exists."""
import inspect

import numpy as np
import pytest

from minitwophase import datasets
from minitwophase.models import build_model
from minitwophase.optim import Adam
from minitwophase.optim.nonlinear_cg import NonlinearCG
from minitwophase.swap import SwapDetector
from minitwophase.training import METHODS, Objective, TrainConfig, train
from minitwophase.training import phases as P

HAS_PRECOND = "precond" in inspect.signature(NonlinearCG).parameters
needs_precond = pytest.mark.skipif(not HAS_PRECOND, reason="NonlinearCG has no precond= yet")


@pytest.fixture(scope="module")
def digits():
    return datasets.load("digits", layout="flat")


def test_methods_table_has_both_pcg_methods():
    assert METHODS["adam+pcg"].schedule[1][0] == "pcg"
    assert METHODS["fixed-split-pcg"].schedule[1][0] == "pcg"
    assert METHODS["adam+pcg"].schedule[0][1] is METHODS["adam+cg"].schedule[0][1]          # the 0.9 rule
    assert METHODS["fixed-split-pcg"].schedule[0][1] is METHODS["fixed-split"].schedule[0][1]
    assert P.PHASES["pcg"] is P.PCGPhase


def test_adam_scaling_matches_torch_adams_second_moment():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    grads = [rng.standard_normal(6) * (1 + i) for i in range(5)]
    ours = Adam(lr=1e-3)
    theta = np.zeros(6)
    p = torch.zeros(6, dtype=torch.float64, requires_grad=True)
    ref = torch.optim.Adam([p], lr=1e-3)
    for g in grads:
        ours.step(theta, g)
        p.grad = torch.tensor(g)
        ref.step()
    v = ref.state[p]["exp_avg_sq"].numpy()
    expected = np.sqrt(v / (1 - 0.999 ** 5)) + 1e-8
    np.testing.assert_allclose(P.adam_scaling(ours), expected, rtol=1e-14)
    assert P.adam_scaling(Adam()) is None                    # no step yet: M = I


def _phase_pair(digits, method):
    cfg = TrainConfig(method=method, epochs=4).validate()
    net = build_model("mlp:8", digits.image_shape, digits.n_classes)
    obj = Objective(net, digits.X_train, digits.y_train)
    check = P.SwapCheck(SwapDetector())
    return cfg, net, P.AdamPhase(cfg, obj, check), P.PCGPhase(cfg, obj, check)


def _record_stepper_arguments(monkeypatch, phase, cfg, theta):
    """The keyword arguments the phase gives NonlinearCG (a stand-in records them)."""
    seen = {}

    class Recorder:
        def __init__(self, fun, x0, **kwargs):
            seen.update(kwargs)

    monkeypatch.setattr(P, "NonlinearCG", Recorder)
    phase.make_stepper(cfg, theta)
    return seen


def test_pcg_phase_passes_adams_diagonal_as_precond(digits, monkeypatch):
    cfg, net, adam, pcg = _phase_pair(digits, "adam+pcg")
    theta = net.init(0)
    adam.run(theta, 1)
    pcg.take_over(adam)
    expected = np.sqrt(adam.adam.v / (1 - adam.adam.beta2 ** adam.adam.t)) + adam.adam.eps
    seen = _record_stepper_arguments(monkeypatch, pcg, cfg, theta)
    np.testing.assert_array_equal(seen["precond"], expected)
    assert seen["beta"] == cfg.cg_beta and seen["line_search"] == cfg.cg_line_search
    adam.run(theta, 2)                                       # fixed at the swap: Adam goes on,
    assert not np.array_equal(pcg.precond, P.adam_scaling(adam.adam))   # the copy taken does not


def test_pcg_without_adam_steps_is_unpreconditioned(digits, monkeypatch):
    cfg, net, adam, pcg = _phase_pair(digits, "fixed-split-pcg")
    pcg.take_over(adam)                                      # split 0: no Adam step
    seen = _record_stepper_arguments(monkeypatch, pcg, cfg, net.init(0))
    np.testing.assert_array_equal(seen["precond"], np.ones(net.size))


@needs_precond
def test_adam_pcg_runs_and_swaps_into_pcg(digits):
    run = train(build_model("mlp:8", digits.image_shape, digits.n_classes), digits,
                TrainConfig(method="fixed-split-pcg", epochs=8, split=0.5))
    phases = [r["phase"] for r in run.rows]
    assert phases[1:5] == ["adam"] * 4 and set(phases[5:]) == {"pcg"}
    assert run.rows[-1]["train_loss"] < run.rows[4]["train_loss"]


@needs_precond
def test_fixed_split_pcg_at_split_zero_is_plain_cg(digits):
    """No Adam step: M = I, and precond=np.ones gives exactly the unpreconditioned iterates."""
    runs = [train(build_model("mlp:8", digits.image_shape, digits.n_classes), digits,
                  TrainConfig(method=m, epochs=5, split=0.0)) for m in ("fixed-split", "fixed-split-pcg")]
    np.testing.assert_array_equal(runs[0].theta, runs[1].theta)


@needs_precond
def test_trace_records_pcg_and_stores_the_preconditioner(digits):
    from minitwophase.verification.trace import check_records, trace_run
    trace = trace_run(dataset="digits", model="mlp:8", method="fixed-split-pcg", epochs=6, split=0.5)
    kinds = [r["kind"] for r in trace.records]
    assert "pcg" in kinds and "cg" not in kinds
    check_records(trace.to_dict()["records"], "trace")
    assert trace.inputs["precond"].shape == trace.inputs["theta0"].shape
    assert "pcg" in trace.header["constants"]
