"""Resumable runs: a run continued from a checkpoint equals the uninterrupted run bit for bit
(every row's numbers but wall_time, theta, the best parameters, the status and the gradient-norm
summary), for adam, adam+cg, adam+pcg and fixed-split, with the checkpoint before and after the
swap; an extended run equals a run started with the larger budget (fixed-split keeping its
split epoch); a phase started from a saved Adam state equals the fixed split's own run."""
import numpy as np
import pytest

from minitwophase import datasets, models
from minitwophase.training import TrainConfig, train
from minitwophase.training.checkpoint import Checkpointer, checkpoint_name, load_checkpoint
from minitwophase.training.curvature_probe import CurvatureProbe

METHODS = ("adam", "adam+cg", "adam+pcg", "fixed-split")


@pytest.fixture(scope="module")
def digits():
    return datasets.load("digits")


@pytest.fixture(scope="module")
def net(digits):
    return models.build_model("mlp:16", digits.image_shape, digits.n_classes)


def numbers(row):
    return {k: v for k, v in row.items() if k != "wall_time"}


def assert_same_run(a, b):
    """Exact equality (repr: NaN == NaN, and 0.1 vs 0.1000000001 differ)."""
    assert len(a.rows) == len(b.rows)
    for ra, rb in zip(a.rows, b.rows):
        assert repr(numbers(ra)) == repr(numbers(rb)), (ra["epoch"], numbers(ra), numbers(rb))
    assert np.array_equal(a.theta, b.theta)
    assert np.array_equal(a.best_theta, b.best_theta) and a.best_epoch == b.best_epoch
    assert (a.status, a.message, a.swap_epoch) == (b.status, b.message, b.swap_epoch)
    assert a.grad_norm_summary == b.grad_norm_summary
    assert a.final_train_acc == b.final_train_acc


def config(method, **kw):
    # swap factor 0.99: adam+cg and adam+pcg swap inside 8 epochs on digits (asserted below)
    return TrainConfig(method=method, epochs=8, swap_factor=0.99, split=0.3, **kw)


@pytest.mark.parametrize("method", METHODS)
def test_a_run_killed_after_a_checkpoint_resumes_to_the_uninterrupted_run(net, digits, tmp_path, method):
    straight = train(net, digits, config(method), checkpoint=Checkpointer(tmp_path, 1, keep=True))
    assert straight.status == "completed"
    if method != "adam":                # the swap falls between the checkpoints tested and the end
        assert 1 < straight.swap_epoch < 8, straight.swap_epoch
    for epoch in (1, 4):                # before the swap; after it (or at it)
        state = load_checkpoint(tmp_path / checkpoint_name(method, 0, epoch))
        assert state["epoch"] == epoch and state["run"]["status"] == "running"
        stage_after = 0 if straight.swap_epoch is None or epoch < straight.swap_epoch else 1
        assert state["stage"] == stage_after
        assert_same_run(straight, train(net, digits, config(method), resume=state))
    states = {e: load_checkpoint(tmp_path / checkpoint_name(method, 0, e))["stage"] for e in (1, 4)}
    if method != "adam":
        assert states == {1: 0, 4: 1}, states       # one checkpoint on each side of the swap


@pytest.mark.parametrize("method", METHODS)
def test_a_four_epoch_run_resumed_to_eight_equals_eight_straight(net, digits, tmp_path, method):
    short = train(net, digits, config(method), epochs=4, checkpoint=Checkpointer(tmp_path, 2))
    state = load_checkpoint(tmp_path / checkpoint_name(method, 0))
    assert (state["epoch"], state["run"]["status"]) == (4, "completed") and short.status == "completed"
    resumed = train(net, digits, config(method), resume=state)
    # fixed-split keeps the split it was started with: round(0.3 x 4) = 1 Adam epoch
    straight = train(net, digits, config(method, split_epoch=1) if method == "fixed-split" else config(method))
    assert_same_run(straight, resumed)
    if method == "fixed-split":
        assert resumed.swap_epoch == 1 and resumed.config["split_epoch"] == 1


def test_a_run_stopped_between_checkpoints_resumes_from_the_last_one(net, digits, tmp_path):
    """A 10-epoch run stopped after epoch 5 (a KeyboardInterrupt from the progress hook, as a
    SIGTERM does) with checkpoints every 4 epochs continues from epoch 4."""
    def stop_after_5(run, row):
        if row["epoch"] == 5:
            raise KeyboardInterrupt
    cfg = TrainConfig(method="adam+cg", epochs=10, swap_factor=0.99)
    stopped = train(net, digits, cfg, progress=stop_after_5, checkpoint=Checkpointer(tmp_path, 4))
    assert stopped.status == "interrupted"
    state = load_checkpoint(tmp_path / checkpoint_name("adam+cg", 0))
    assert state["epoch"] == 4
    assert_same_run(train(net, digits, cfg), train(net, digits, cfg, resume=state))


def test_a_finished_run_has_nothing_left_to_do(net, digits, tmp_path):
    done = train(net, digits, config("adam"), checkpoint=Checkpointer(tmp_path, 3))
    state = load_checkpoint(tmp_path / checkpoint_name("adam", 0))
    assert state["epoch"] == 8 and state["run"]["status"] == "completed"   # written at the end
    again = train(net, digits, config("adam"), resume=state)
    assert_same_run(done, again)


def test_a_different_configuration_is_refused_naming_the_option(net, digits, tmp_path):
    train(net, digits, config("adam"), epochs=2, checkpoint=Checkpointer(tmp_path, 1))
    state = load_checkpoint(tmp_path / checkpoint_name("adam", 0))
    with pytest.raises(ValueError, match=r"^lr differs from the saved run's: 0.001 saved, 0.01 given$"):
        train(net, digits, config("adam", lr=0.01), resume=state)
    with pytest.raises(ValueError, match="epochs must be at least the saved run's epoch 2, got 1"):
        train(net, digits, config("adam"), epochs=1, resume=state)


@pytest.mark.parametrize("method", ["fixed-split", "fixed-split-pcg"])
def test_a_phase_from_a_checkpoint_equals_the_fixed_split_run(net, digits, tmp_path, method):
    """Adam 3 epochs (checkpointed) + CG (PCG: M from the checkpoint's Adam state) for 7 =
    fixed-split of 10 epochs with split 0.3, bit for bit."""
    train(net, digits, TrainConfig(method="adam", epochs=10), checkpoint=Checkpointer(tmp_path, 3, keep=True))
    state = load_checkpoint(tmp_path / checkpoint_name("adam", 0, 3))
    fixed = train(net, digits, TrainConfig(method=method, epochs=10, split=0.3))
    assert fixed.swap_epoch == 3
    branched = train(net, digits, TrainConfig(method=method, epochs=10, split=0.3, split_epoch=3), resume=state)
    assert_same_run(fixed, branched)
    assert [r["phase"] for r in branched.rows[4:]] == [method.replace("fixed-split", "cg").replace("cg-pcg", "pcg")] * 7


def test_a_phase_cannot_start_where_its_method_would_have_left_earlier(net, digits, tmp_path):
    train(net, digits, TrainConfig(method="adam", epochs=4), checkpoint=Checkpointer(tmp_path, 4))
    state = load_checkpoint(tmp_path / checkpoint_name("adam", 0))
    with pytest.raises(ValueError, match="would have left adam after epoch 2, before the checkpoint's epoch 4"):
        train(net, digits, TrainConfig(method="fixed-split", epochs=10, split_epoch=2), resume=state)
    with pytest.raises(ValueError, match="not in a sgd phase"):
        train(net, digits, TrainConfig(method="sgd", epochs=10), resume=state)


class CountingPasses:
    """Counts full-batch forward-only and forward+backward evaluations, apart from the ledger."""

    def __init__(self, net, n):
        self.net, self.n, self.gradients, self.values = net, n, 0, 0

    def __getattr__(self, name):
        return getattr(self.net, name)

    def loss_and_grad(self, theta, X, y, **kw):
        self.gradients += len(X) == self.n
        return self.net.loss_and_grad(theta, X, y, **kw)

    def loss_value(self, theta, X, y, **kw):
        self.values += len(X) == self.n
        return self.net.loss_value(theta, X, y, **kw)


def test_gradnorm_every_saves_backward_passes_and_leaves_adam_unchanged(net, digits):
    n, epochs, r = len(digits.X_train), 20, 1.5
    counted = {}
    runs = {}
    for k in (None, 10):
        counting = CountingPasses(net, n)
        runs[k] = train(counting, digits, TrainConfig(method="adam", epochs=epochs, gradnorm_every=k,
                                                      backward_ratio=r))
        counted[k] = (counting.gradients, counting.values)
    # epoch 0 and every epoch's end measured with a gradient; with K = 10 only epochs 0, 10, 20,
    # the 18 others with a forward pass alone
    assert counted[None] == (epochs + 1, 0) and counted[10] == (3, 18)
    full, sparse = runs[None].final, runs[10].final
    saved = counted[None][0] - counted[10][0]
    assert full["backward_passes"] - sparse["backward_passes"] == saved == 18
    assert full["forward_passes"] == sparse["forward_passes"]
    assert sparse["cost"] == pytest.approx(full["cost"] - saved * r / (1 + r), rel=1e-13)
    assert np.array_equal(runs[None].theta, runs[10].theta)             # Adam's trajectory
    assert [row["train_loss"] for row in runs[None].rows] == [row["train_loss"] for row in runs[10].rows]
    measured = [row["epoch"] for row in runs[10].rows if row["grad_norm"] is not None]
    assert measured == [0, 10, 20]
    assert runs[10].peaks.n_checks == 2 and "|g| at the end of every 10 epochs" in runs[10].peaks.sentence()


def test_gradnorm_every_with_adam_cg_feeds_the_rule_every_kth_epoch(net, digits, tmp_path):
    run = train(net, digits, TrainConfig(method="adam+cg", epochs=12, gradnorm_every=3, swap_factor=0.99),
                checkpoint=Checkpointer(tmp_path, 4, keep=True))
    adam = [r for r in run.rows[1:] if r["phase"] == "adam"]
    assert all((r["grad_norm"] is None) == (r["epoch"] % 3 != 0) for r in adam)
    assert run.swap_epoch is not None and run.swap_epoch % 3 == 0
    state = load_checkpoint(tmp_path / checkpoint_name("adam+cg", 0, 4))
    assert_same_run(run, train(net, digits, TrainConfig(method="adam+cg", epochs=12, gradnorm_every=3,
                                                        swap_factor=0.99), resume=state))


@pytest.mark.parametrize("line_search, beta", [("wolfe", "PR+"), ("golden", "FR"), ("scipy", "PR+"),
                                               ("hager-zhang", "HZ")])
def test_a_cg_stepper_rebuilt_from_its_state_takes_the_same_steps(line_search, beta):
    """Every line-search rule's carried state (Hager-Zhang's C_k, Q_k; the previous step and
    slope of the scale-free first trial; Powell's restarts with FR and golden) survives."""
    from scipy.optimize import rosen, rosen_der
    from minitwophase.optim.nonlinear_cg import NonlinearCG
    fun = lambda x: (rosen(x), rosen_der(x))
    straight = NonlinearCG(fun, np.array([-1.2, 1.0, 0.5, 0.3]), beta=beta, line_search=line_search)
    for _ in range(6):
        straight.step()
    calls = []
    counted = lambda x: (calls.append(1), fun(x))[1]
    resumed = NonlinearCG(counted, np.zeros(4), beta=beta, line_search=line_search,
                          state=straight.state_dict())
    assert calls == []                                  # no evaluation to rebuild it
    while not straight.done and straight.nit < 40:
        a, b = straight.step(), resumed.step()
        assert repr(a) == repr(b) and np.array_equal(straight.x, resumed.x)
    assert (straight.nfev, straight.njev) == (resumed.nfev, resumed.njev)


def test_the_smoothed_swap_rule_resumes_with_its_window(net, digits, tmp_path):
    cfg = TrainConfig(method="adam+cg", epochs=14, swap_mode="smoothed", swap_factor=0.99)
    straight = train(net, digits, cfg, checkpoint=Checkpointer(tmp_path, 1, keep=True))
    for epoch in (5, 11):
        state = load_checkpoint(tmp_path / checkpoint_name("adam+cg", 0, epoch))
        resumed = train(net, digits, cfg, resume=state)
        assert_same_run(straight, resumed)
        assert resumed.smoothed_grad_norm == straight.smoothed_grad_norm


@pytest.mark.parametrize("method", ["sgd", "adam+lbfgs", "fixed-split-pcg", "cg"])
def test_the_other_methods_resume_too(net, digits, tmp_path, method):
    straight = train(net, digits, config(method), checkpoint=Checkpointer(tmp_path, 3, keep=True))
    state = load_checkpoint(tmp_path / checkpoint_name(method, 0, 3))
    assert_same_run(straight, train(net, digits, config(method), resume=state))


def test_a_run_measuring_curvature_resumes_to_the_uninterrupted_run(net, digits, tmp_path):
    # curvature every 3 epochs, at the peak, the swap and the end; checkpoints before and after the swap
    cfg = config("adam+cg", curvature_every=3)
    straight = train(net, digits, cfg, checkpoint=Checkpointer(tmp_path, 1, keep=True))
    assert 1 < straight.swap_epoch < 8 and straight.curvature and straight.swap_curvature
    for epoch in (1, 5):
        state = load_checkpoint(tmp_path / checkpoint_name("adam+cg", 0, epoch))
        resumed = train(net, digits, cfg, resume=state)
        assert_same_run(straight, resumed)
        untimed = lambda snaps: repr([{k: v for k, v in s.items() if k != "seconds"} for s in snaps])
        assert untimed(resumed.curvature) == untimed(straight.curvature)
        assert untimed([resumed.swap_curvature]) == untimed([straight.swap_curvature])
    with pytest.raises(ValueError, match="curvature_every differs from the saved run's: 3 saved, None given"):
        train(net, digits, config("adam+cg"), resume=state)
    plain = train(net, digits, config("adam"), epochs=2, checkpoint=Checkpointer(tmp_path / "plain", 1))
    state = load_checkpoint(tmp_path / "plain" / checkpoint_name("adam", 0))
    with pytest.raises(ValueError, match=r"measuring probes differ from the saved run's: none saved, \['CurvatureProbe'\]"):
        train(net, digits, config("adam"), resume=state, probes=[CurvatureProbe(2)])
    assert plain.status == "completed"
