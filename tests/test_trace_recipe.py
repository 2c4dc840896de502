"""The verify-your-CG recipe: the trace header states every constant a reimplementation needs.

Lesson 07's own independent PR+ CG (NumPy and scipy.optimize.line_search only, none of
minitwophase.optim; taken from the lesson's source, see lesson_code.py), configured from
``header["constants"]`` alone, reproduces the CG phase of a traced run within
compare_traces' default tolerances.
"""
import json

import numpy as np
import pytest
from lesson_code import from_lesson

from minitwophase import datasets, nn
from minitwophase.training import Objective, TrainConfig, train
from minitwophase.verification import compare as TC
from minitwophase.verification import trace as T

(IndependentCG,) = from_lesson("07_verify_your_implementation", "IndependentCG")


def test_header_states_every_constant_of_the_run():
    tr = T.trace_run(dataset="digits", model="mlp:8", method="adam+cg", epochs=4, batch_size=256)
    k = json.loads(json.dumps(tr.to_dict()))["header"]["constants"]     # survives JSON
    assert k["adam"]["betas"] == [0.9, 0.999] and k["adam"]["eps"] == 1e-8
    ls = k["cg"]["line_search"]
    assert (ls["name"], ls["c1"], ls["c2"], ls["maxiter"], ls["amax"]) == ("wolfe", 1e-4, 0.2, 20, None)
    assert "(3.60)" in ls["first_trial_step"] and "I0" in ls["first_trial_step"]
    assert k["cg"]["sigma"] == 0.01
    assert k["cg"]["gtol"] == 1e-5 and k["cg"]["norm"] == "inf" and k["cg"]["powell_nu"] is None
    assert k["swap"]["factor"] == 0.9 and "default_rng([seed, 1])" in k["minibatch_order"]


@pytest.mark.parametrize("seed", [0, 1])
def test_an_independent_cg_built_from_the_header_agrees_with_the_trace(seed):
    report = run_independent(seed)
    assert report.n_compared >= 22 and report.agree, report.text()
    # measured on this package's own network: bit for bit (seed 0), 3.7e-14 (seed 1)
    worst = max(np.nanmax(np.r_[report.rel_diff[k], 0.0]) for k in T.FIELDS)
    assert worst < 1e-12, report.text()


def run_independent(seed=0, **override):
    cfg = dict(dataset="digits", model="mlp:16", method="fixed-split", split=0.25, seed=seed,
               epochs=28, batch_size=256, lr=1e-2)
    ref = T.trace_run(**cfg)
    k = json.loads(json.dumps(ref.header["constants"]["cg"]))
    k["line_search"].update(override)
    data = datasets.load("digits")
    net = nn.Sequential([nn.Dense(64, 16), nn.Tanh(), nn.Dense(16, 10)])
    n_adam = round(cfg["split"] * cfg["epochs"])
    start = train(net, data, TrainConfig(method="adam", epochs=n_adam, batch_size=256, lr=1e-2, seed=seed)).theta
    cg, rec = IndependentCG(Objective(net, data.X_train, data.y_train, "mse"), start, k), T.TraceRecorder()
    rec.records = [dict(r) for r in ref.records if r["kind"] != "cg"]
    for epoch in range(n_adam + 1, cfg["epochs"] + 1):
        out = None if cg.done else cg.step()
        if out is None:
            break
        rec.cg(epoch, *out)
    return TC.compare_traces(ref, T.Trace({}, rec.records))


# c2 = 0.4 is scipy CG's, 0.9 the textbook's for quasi-Newton: the guesses a student would make
@pytest.mark.parametrize("override", [dict(c2=0.4), dict(c2=0.9)])
def test_a_wrong_constant_makes_the_cg_part_and_the_report_says_where(override):
    report = run_independent(**override)
    assert not report.agree and report.first["phase"] == "cg"
