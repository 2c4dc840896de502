"""The baselines in the trainer: "adam+lbfgs" (L-BFGS after the swap), "sgd" (momentum), and
--init-scale; cost accounting checked against an independent tally of samples."""
import numpy as np
import pytest

from minitwophase import datasets, nn
from minitwophase.optim import SGD, minimize_lbfgs
from minitwophase.training import Objective, TrainConfig, train
from cli_runner import run_cli

DATA = datasets.load("digits")
N = len(DATA.y_train)


def small_net():
    return nn.Sequential([nn.Dense(64, 16), nn.Tanh(), nn.Dense(16, 10)])


def numbers(run):
    return [{k: v for k, v in r.items() if k != "wall_time"} for r in run.rows]


class CountingNet:
    """Counts the samples every loss_and_grad call sees (independent of Objective's count)."""

    def __init__(self, net):
        self.net, self.samples = net, 0

    def __getattr__(self, name):
        return getattr(self.net, name)

    def loss_and_grad(self, theta, X, y, **kw):
        self.samples += len(X)
        return self.net.loss_and_grad(theta, X, y, **kw)


@pytest.mark.parametrize("method", ["adam+lbfgs", "sgd"])
def test_cost_counts_every_sample_including_every_lbfgs_evaluation(method):
    counting = CountingNet(small_net())
    run = train(counting, DATA, TrainConfig(method=method, epochs=15, batch_size=128, lr=1e-2))
    assert run.status == "completed"
    assert run.rows[-1]["cost"] == counting.samples / N
    steps = np.diff(run.column("cost"))
    phases = [r["phase"] for r in run.rows[1:]]
    assert set(phases) == ({"adam", "lbfgs"} if method == "adam+lbfgs" else {"sgd"})
    for row, step in zip(run.rows[1:], steps):
        if row["phase"] == "lbfgs":
            assert step == row["cg_nfev"] >= 1 and np.isnan(row["cg_beta"])
        else:
            assert step == 2.0                       # an epoch of minibatches + the |g| check


def test_adam_lbfgs_is_adam_until_the_swap_then_one_lbfgs_iteration_per_epoch():
    epochs = 14
    adam = train(small_net(), DATA, TrainConfig(method="adam", epochs=epochs, batch_size=128, lr=1e-2))
    two = train(small_net(), DATA, TrainConfig(method="adam+lbfgs", epochs=epochs, batch_size=128, lr=1e-2))
    k = two.swap_epoch
    assert k is not None and numbers(adam)[:k + 1] == numbers(two)[:k + 1]
    # the L-BFGS epochs equal an uninterrupted L-BFGS run from Adam's parameters at the swap
    adam_k = train(small_net(), DATA, TrainConfig(method="adam", epochs=k, batch_size=128, lr=1e-2))
    objective = Objective(small_net(), DATA.X_train, DATA.y_train, loss="mse")
    res = minimize_lbfgs(objective, adam_k.theta, maxiter=epochs - k)
    assert [r["train_loss"] for r in two.rows[k + 1:]] == [h.f for h in res.history[1:]]
    assert np.array_equal(two.theta, res.x)


def test_sgd_method_is_the_textbook_loop_on_the_runs_minibatch_order():
    cfg = TrainConfig(method="sgd", epochs=3, batch_size=100, lr=0.05, momentum=0.8, seed=2)
    run = train(small_net(), DATA, cfg)
    net = small_net()
    theta, opt = net.init(seed=2), SGD(lr=0.05, momentum=0.8)
    rng = np.random.default_rng([2, 1])                     # the trainer's stated shuffle stream
    for epoch in range(1, 4):
        order = rng.permutation(N)
        for i in range(0, N, 100):
            idx = order[i:i + 100]
            opt.step(theta, net.loss_and_grad(theta, DATA.X_train[idx], DATA.y_train[idx], loss="mse")[1])
        assert run.rows[epoch]["train_loss"] == net.loss_and_grad(theta, DATA.X_train, DATA.y_train, loss="mse")[0]
    assert np.array_equal(run.theta, theta)


def test_init_scale_one_is_bit_identical_and_scales_theta0():
    base = train(small_net(), DATA, TrainConfig(method="adam+cg", epochs=5, batch_size=128))
    same = train(small_net(), DATA, TrainConfig(method="adam+cg", epochs=5, batch_size=128, init_scale=1.0))
    assert numbers(base) == numbers(same) and np.array_equal(base.theta, same.theta)
    small = train(small_net(), DATA, TrainConfig(method="adam", epochs=1, batch_size=128, init_scale=0.1))
    theta0 = 0.1 * small_net().init(seed=0)
    assert small.rows[0]["train_loss"] == small_net().loss_and_grad(theta0, DATA.X_train, DATA.y_train, loss="mse")[0]


@pytest.mark.parametrize("field,value,err,words", [
    ("init_scale", 0.0, ValueError, "init_scale must lie in (0.0, inf)"),
    ("init_scale", "1", TypeError, "init_scale"),
    ("momentum", 1.0, ValueError, "momentum must lie in [0.0, 1.0)"),
    ("lbfgs_memory", 0, ValueError, "lbfgs_memory must be >= 1")])
def test_new_options_are_checked_once_in_trainconfig(field, value, err, words):
    with pytest.raises(err, match=words.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")):
        TrainConfig(**{field: value}).validate()


def test_cli_runs_adam_cg_and_lbfgs_side_by_side(tmp_path, capsys):
    code, out, err = run_cli(["run", "--dataset", "digits", "--model", "mlp:8", "--epochs", "6",
                              "--methods", "adam,adam+cg,adam+lbfgs", "--no-plots",
                              "--out", str(tmp_path / "o")], capsys)
    assert code == 0, err
    assert "adam+lbfgs" in (tmp_path / "o" / "summary.md").read_text()


@pytest.mark.parametrize("args,words", [(["--init-scale", "-1"], "--init-scale must lie in (0.0, inf)"),
                                        (["--momentum", "1.5"], "--momentum must lie in [0.0, 1.0)")])
def test_cli_rejects_bad_new_options_in_one_line(args, words, tmp_path, capsys):
    code, out, err = run_cli(["run", "--dataset", "digits", "--epochs", "2", *args,
                              "--out", str(tmp_path / "o")], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1 and words in err, err


def test_trace_refuses_methods_outside_its_schema():
    from minitwophase.verification.trace import record_trace
    with pytest.raises(ValueError, match="method must be one whose phases are Adam and CG"):
        record_trace(small_net(), DATA, TrainConfig(method="adam+lbfgs", epochs=2))


def test_figures_and_swap_line_name_the_second_phase():
    from minitwophase.experiments.experiment import swap_line
    from minitwophase.experiments.plotting import gradnorm_vs_loss_figure
    runs = [train(small_net(), DATA, TrainConfig(method=m, epochs=6, batch_size=128, lr=1e-2))
            for m in ("adam+lbfgs", "sgd")]
    assert "swap to L-BFGS after epoch" in swap_line(runs[0])
    checked = train(small_net(), DATA, TrainConfig(method="adam+cg", epochs=6, batch_size=128, lr=1e-2,
                                                   check_every=2))
    line = swap_line(checked)
    assert "checks of |g| every 2 Adam steps" in line and "largest epoch-end |g|" in line
    assert "of the checks" not in swap_line(train(small_net(), DATA, TrainConfig(method="adam+cg", epochs=6)))
    fig = gradnorm_vs_loss_figure(runs)
    labels = [[t.get_text() for t in ax.get_legend().get_texts()] for ax in fig.axes]
    assert "L-BFGS phase" in labels[0] and "Adam phase" in labels[0] and "SGD phase" in labels[1]


def test_lbfgs_convergence_ends_the_run_and_says_so():
    run = train(small_net(), DATA, TrainConfig(method="adam+lbfgs", epochs=40, batch_size=128,
                                              lr=1e-2, cg_gtol=5e-3))
    assert run.status == "converged" and run.message.startswith("L-BFGS stopped in epoch")
    assert run.rows[-1]["phase"] == "lbfgs" and len(run.rows) < 41
