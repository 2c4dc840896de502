"""Verification traces: the schema round trip, the traced loop against training.train (bit for
bit), compare_traces on identical / perturbed / truncated / restructured traces, the two CLI
verbs (exit codes 0/1/2, one-line errors), and PyTorch float64 Adam against our Adam phase."""
import copy
import json

import numpy as np
import pytest

from minitwophase import cli, datasets
from minitwophase.cli import trace as cli_trace
from minitwophase._json import jsonable
from minitwophase.verification import compare as TC
from minitwophase.verification import trace as T
from minitwophase.models import build_model
from minitwophase.training import TrainConfig, train
from cli_runner import run_cli

SMALL = dict(dataset="digits", model="mlp:16", epochs=6, batch_size=256, seed=3)


@pytest.fixture(scope="module")
def digits():
    return datasets.load("digits")


@pytest.fixture(scope="module")
def ref():
    return T.trace_run(**SMALL, method="adam+cg")


def test_schema_round_trip_json_csv_npz(ref, tmp_path):
    paths = T.save_trace(ref, tmp_path / "t.json")
    assert [p.name for p in paths] == ["t.json", "t.csv", "t.npz"]
    back = T.load_trace(tmp_path / "t.json")
    assert back.records == ref.records                     # floats round-trip exactly (repr)
    assert back.header == json.loads(json.dumps(jsonable(ref.header))) | {"inputs_file": "t.npz"}
    for k in ("theta0", "theta_final", "permutations"):
        np.testing.assert_array_equal(back.inputs[k], ref.inputs[k])
    assert T.load_trace(tmp_path / "t.csv").records == ref.records
    assert all(set(r) == set(T.RECORD_KEYS) for r in ref.records)


def test_header_describes_the_run_and_the_flat_layout(ref, digits):
    h = ref.header
    assert h["config"]["dataset"] == "digits" and h["config"]["model"] == "mlp:16"
    assert h["config"]["seed"] == 3 and h["config"]["adam_betas"] == [0.9, 0.999]
    assert [(p["name"], p["shape"], p["offset"]) for p in h["layout"]] == [
        ("W", [64, 16], 0), ("b", [16], 1024), ("W", [16, 10], 1040), ("b", [10], 1200)]
    assert h["n_params"] == 1210 == sum(p["size"] for p in h["layout"])
    assert h["data_sha256"] == T.data_fingerprint(digits.X_train, digits.y_train)


@pytest.mark.parametrize("method", ["adam+cg", "fixed-split", "cg", "adam"])
def test_traced_loop_reproduces_train_bit_for_bit(method, digits):
    cfg = TrainConfig(method=method, epochs=7, batch_size=300, seed=1, split=0.5)   # 300 ∤ 1438
    net = build_model("mlp:16", digits.image_shape, digits.n_classes)
    run = train(net, digits, cfg)
    tr = T.record_trace(net, digits, cfg)
    rows = tr.epoch_records()
    assert len(rows) == len(run.rows)
    for row, rec in zip(run.rows, rows):
        assert (rec["epoch"], rec["phase"]) == (row["epoch"], row["phase"])
        assert rec["loss"] == row["train_loss"] and rec["grad_norm"] == row["grad_norm"]   # exact
        if rec["kind"] == "cg":
            assert (rec["step_size"], rec["beta"]) == (row["cg_alpha"], row["cg_beta"])
    assert tr.header["swap_epoch"] == run.swap_epoch and tr.header["status"] == run.status
    np.testing.assert_array_equal(tr.inputs["theta_final"], run.theta)


def test_inputs_and_first_step_checked_independently(ref, digits):
    # theta0 and the minibatch order follow the documented rules
    net = build_model("mlp:16", digits.image_shape, digits.n_classes)
    np.testing.assert_array_equal(ref.inputs["theta0"], net.init(seed=3))
    rng = np.random.default_rng([3, 1])
    for perm in ref.inputs["permutations"]:
        np.testing.assert_array_equal(perm, rng.permutation(len(digits.y_train)))
    # record 1 = the first minibatch, before the update; Adam's first step is
    # lr * g / (|g| + eps) elementwise (bias correction cancels exactly at t = 1)
    idx = ref.inputs["permutations"][0][:256]
    f, g = net.loss_and_grad(ref.inputs["theta0"], digits.X_train[idx], digits.y_train[idx], loss="mse")
    r1 = ref.records[1]
    assert r1["kind"] == "minibatch" and r1["loss"] == f and r1["grad_norm"] == np.linalg.norm(g)
    assert r1["step_size"] == pytest.approx(1e-3 * np.linalg.norm(g / (np.abs(g) + 1e-8)), rel=1e-12)
    assert len(ref.inputs["permutations"]) == sum(r["kind"] == "epoch" for r in ref.records)


def test_identical_traces_agree(ref):
    report = TC.compare_traces(ref, copy.deepcopy(ref))
    assert report.agree and report.first is None and report.issues == []
    assert report.n_compared == len(ref.records)
    assert report.verdict.startswith("AGREE") and "bit-identical" in report.verdict


@pytest.mark.parametrize("field", T.FIELDS)
def test_perturbation_is_reported_at_exactly_its_step_and_field(ref, field):
    steps = [r["step"] for r in ref.records if r[field] is not None]
    k = steps[len(steps) // 2]
    other = copy.deepcopy(ref)
    other.records[k][field] *= 1 + 1e-6                  # 1000 x the default rtol
    other.records[-1][field] = None if field in ("step_size", "beta") else other.records[-1][field]
    report = TC.compare_traces(ref, other)
    assert not report.agree
    f = report.first
    assert (f["step"], f["field"], f["reference"]) == (k, field, ref.records[k][field])
    assert f["rel_diff"] == pytest.approx(1e-6, rel=1e-6)
    assert report.verdict.startswith(f"PART at step {k} ") and field in report.verdict
    # below the tolerance: agreement, and the difference still shows in max_diff
    close = copy.deepcopy(ref)
    close.records[k][field] *= 1 + 1e-11
    report = TC.compare_traces(ref, close)
    assert report.agree and report.max_diff[field]["step"] == k
    assert report.max_diff[field]["rel"] == pytest.approx(1e-11, rel=1e-3)


def test_per_field_tolerances(ref):
    other = copy.deepcopy(ref)
    k = next(r["step"] for r in ref.records if r["kind"] == "cg")
    other.records[k]["beta"] += 1e-7 if ref.records[k]["beta"] == 0 else ref.records[k]["beta"] * 1e-7
    assert not TC.compare_traces(ref, other).agree
    assert TC.compare_traces(ref, other, rtol={"beta": 1e-6}, atol={"beta": 1e-6}).agree
    with pytest.raises(ValueError, match="rtol keys must be among"):
        TC.compare_traces(ref, other, rtol={"alpha": 1.0})
    with pytest.raises(ValueError, match="atol for loss must be a finite number >= 0, got -1"):
        TC.compare_traces(ref, other, atol=-1)


def test_length_and_structure_mismatches_are_reported(ref):
    short = T.Trace(ref.header, ref.records[:-2])
    report = TC.compare_traces(ref, short)
    n = len(ref.records)
    assert not report.agree and report.first["field"] == "length" and report.first["step"] == n - 2
    assert any(f"reference {n} records, other {n - 2}" in i for i in report.issues)
    # a later swap: the first record where the phases differ is named
    later = T.trace_run(**SMALL, method="fixed-split", split=0.5)
    report = TC.compare_traces(ref, later)
    first_cg = next(r["step"] for r in ref.records if r["phase"] == "cg")
    assert report.first["step"] == first_cg and report.first["field"] == "phase"
    assert (report.first["reference"], report.first["other"]) == ("cg", "adam")
    assert "config method differs" in " ".join(report.issues)
    # only the Adam phase: they agree up to the swap
    adam_only = T.Trace({}, [r for r in later.records if r["step"] < first_cg])
    assert TC.compare_traces(ref, adam_only, phases=("init", "adam")).agree


def test_bad_trace_files_raise_trace_errors(ref, tmp_path):
    bad = copy.deepcopy(ref.records)
    bad[2]["step"] = 5
    with pytest.raises(T.TraceError, match="record 2: expected step 2"):
        T.check_records(bad)
    bad = copy.deepcopy(ref.records)
    bad[1]["phase"] = "cg"
    with pytest.raises(T.TraceError, match="record 1: expected kind/phase"):
        T.check_records(bad)
    bad = copy.deepcopy(ref.records)
    del bad[0]["beta"]
    with pytest.raises(T.TraceError, match="record 0: expected keys"):
        T.check_records(bad)
    (tmp_path / "x.csv").write_text("step,epoch\n0,0\n")
    with pytest.raises(T.TraceError, match="missing column"):
        T.load_trace(tmp_path / "x.csv")
    (tmp_path / "v.json").write_text(json.dumps({"format": T.FORMAT, "format_version": 9}))
    with pytest.raises(T.TraceError, match="expected format_version 1, got 9"):
        T.load_trace(tmp_path / "v.json")


def test_cli_trace_and_compare_exit_codes(tmp_path, capsys):
    a, b, c = (str(tmp_path / f"{n}.json") for n in "abc")
    opts = ["--dataset", "digits", "--model", "mlp:8", "--epochs", "4", "--batch-size", "512"]
    code, out, err = run_cli(["trace", *opts, "--out", a], capsys)
    assert code == 0, err
    assert "swap after epoch" in out and (tmp_path / "a.csv").exists() and (tmp_path / "a.npz").exists()
    assert run_cli(["trace", *opts, "--out", b, "--with-data"], capsys)[0] == 0
    assert {"X_train", "y_train"} <= set(T.load_trace(b).inputs)
    code, out, _ = run_cli(["compare-trace", a, b], capsys)
    assert code == 0 and out.startswith("AGREE")
    code, out, _ = run_cli(["compare-trace", a, str(tmp_path / "b.csv"), "--json"], capsys)
    assert code == 0 and json.loads(out)["agree"] is True
    run_cli(["trace", *opts, "--lr", "0.002", "--out", c], capsys)
    code, out, _ = run_cli(["compare-trace", a, c], capsys)
    assert code == 1 and out.startswith("PART at step 1 (epoch 1, minibatch): step_size")
    code, out, _ = run_cli(["compare-trace", a, c, "--field-rtol", "step_size=2", "--field-rtol",
                            "loss=1", "--field-rtol", "grad_norm=1", "--field-rtol", "beta=10"], capsys)
    assert code == 0


@pytest.mark.parametrize("args, message", [
    (["compare-trace", "missing.json", "missing2.json"], "trace file 'missing.json' does not exist"),
    (["compare-trace", "a", "b", "--rtol", "-1"], "argument --rtol: expected a finite number >= 0"),
    (["compare-trace", "a", "b", "--field-rtol", "alpha=1"], "expected FIELD=VALUE"),
    (["compare-trace", "a", "b", "--phases", "warmup"], "expected phases from init, adam, cg"),
    (["trace", "--out", "t.txt"], "--out must name a .json file"),
    (["trace", "--dataset", "nope", "--out", "t.json"], "--dataset must be one of digits"),
    (["trace", "--model", "rnn", "--out", "t.json"], "model must be 'mlp"),
])
def test_cli_errors_are_one_line_exit_2(args, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(args, capsys)
    assert code == 2
    assert err.startswith("minitwophase: error: ") and err.count("\n") == 1 and message in err


def test_bad_json_file_is_one_line_exit_2(tmp_path, capsys):
    (tmp_path / "bad.json").write_text("{not json")
    code, _, err = run_cli(["compare-trace", str(tmp_path / "bad.json"), str(tmp_path / "bad.json")], capsys)
    assert code == 2 and "not a JSON trace" in err and err.count("\n") == 1


def test_add_commands_registers_both_verbs_on_the_main_parser():
    parser = cli.build_parser()
    args = parser.parse_args(["compare-trace", "r.json", "o.json", "--rtol", "1e-6"])
    assert args.func is cli_trace.cmd_compare and args.rtol == 1e-6
    assert parser.parse_args(["trace", "--epochs", "3"]).func is cli_trace.cmd_trace


def test_torch_float64_adam_phase_matches_ours_within_the_default_tolerance(digits):
    torch = pytest.importorskip("torch")
    ref = T.trace_run(dataset="digits", model="mlp:16", method="adam", epochs=8, batch_size=128, seed=0)
    h, inp, B = ref.header, ref.inputs, 128
    X = torch.tensor(digits.X_train)
    Y = torch.nn.functional.one_hot(torch.tensor(digits.y_train), 10).double()
    lin = [torch.nn.Linear(64, 16).double(), torch.nn.Linear(16, 10).double()]
    model = torch.nn.Sequential(lin[0], torch.nn.Tanh(), lin[1])
    with torch.no_grad():                                 # our Dense W is (n_in, n_out): weight = W.T
        for i, layer in enumerate(lin):
            w, b = h["layout"][2 * i], h["layout"][2 * i + 1]
            layer.weight.copy_(torch.tensor(inp["theta0"][w["offset"]:w["offset"] + w["size"]].reshape(w["shape"]).T))
            layer.bias.copy_(torch.tensor(inp["theta0"][b["offset"]:b["offset"] + b["size"]]))
    flat = lambda grad=False: np.concatenate([t.numpy().ravel() for layer in lin for t in (  # noqa: E731
        (layer.weight.grad.T, layer.bias.grad) if grad else (layer.weight.detach().T, layer.bias.detach()))])

    def loss_grad(idx=slice(None)):
        model.zero_grad()
        loss = torch.nn.functional.mse_loss(model(X[idx]), Y[idx])
        loss.backward()
        return loss.item(), np.linalg.norm(flat(grad=True))

    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    rec = T.TraceRecorder()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)                              # tiny matrices: threads only cost time
    rec.init(*loss_grad())
    for e, perm in enumerate(inp["permutations"], start=1):
        for i in range(0, len(perm), B):
            old = flat()
            f, gn = loss_grad(torch.tensor(perm[i:i + B]))
            opt.step()
            rec.minibatch(e, f, gn, np.linalg.norm(flat() - old))
        rec.epoch(e, *loss_grad())
    torch.set_num_threads(threads)
    report = TC.compare_traces(ref, T.Trace({}, rec.records))
    assert report.agree, report.text()
    assert max(m["rel"] for m in report.max_diff.values()) < 1e-12   # measured ~1e-15


def test_a_swap_check_that_cuts_an_epoch_short_is_traced(digits):
    cfg = TrainConfig(method="adam+cg", epochs=5, batch_size=128, lr=1e-2, check_every=1)
    net = build_model("mlp:16", digits.image_shape, digits.n_classes)
    run = train(net, digits, cfg)
    tr = T.record_trace(net, digits, cfg)
    steps = [r for r in tr.records if r["kind"] == "minibatch"]
    perms = tr.inputs["permutations"]
    assert perms.shape == (run.swap_epoch, len(digits.y_train))
    taken = np.count_nonzero(perms[-1] >= 0)
    assert 0 < taken < len(digits.y_train)                       # the swap epoch was cut short
    assert np.all(perms[-1][taken:] == -1)
    n_last = sum(r["epoch"] == run.swap_epoch for r in steps)
    assert n_last == -(-taken // 128)                            # its minibatches, and no more
    assert [r["epoch"] for r in tr.epoch_records()] == [row["epoch"] for row in run.rows]
