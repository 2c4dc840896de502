"""Training as phases: the methods table, the swap check every K Adam steps (replayed by hand,
cost tallied independently), the probe hook, and the options' bounds taken from their objects."""
import math

import numpy as np
import pytest

import minitwophase as mtp
from minitwophase import datasets, nn
from minitwophase.training import METHODS, Objective, TrainConfig, train
from minitwophase.training.phases import PHASES

from counting_net import CountingNet

DATA = datasets.load("digits")
N = len(DATA.y_train)
B = 128
STEPS = math.ceil(N / B)                    # Adam steps per epoch


def small_net():
    return nn.Sequential([nn.Dense(64, 16), nn.Tanh(), nn.Dense(16, 10)])


def run(method, epochs=6, net=None, **kw):
    cfg = TrainConfig(method=method, epochs=epochs, batch_size=B, lr=1e-2, **kw)
    return train(net or small_net(), DATA, cfg)


def numbers(r):
    return [{k: v for k, v in row.items() if k != "wall_time"} for row in r.rows]


def test_every_method_is_a_schedule_of_known_phases():
    for name, method in METHODS.items():
        assert method.description and method.schedule, name
        assert all(phase in PHASES for phase, _ in method.schedule), name
    assert [p for p, _ in METHODS["adam+cg"].schedule] == ["adam", "cg"]


def test_a_split_of_zero_skips_the_adam_phase_and_records_no_swap():
    r = run("fixed-split", split=0.0)
    assert [row["phase"] for row in r.rows[1:]] == ["cg"] * 6 and r.swap_epoch is None
    assert numbers(r) == numbers(run("cg"))


def test_check_every_epoch_length_is_the_per_epoch_check_bit_for_bit():
    # every epoch has STEPS steps, so checks fall on the epochs' ends, where the row's own
    # measurement answers from the objective's cache: same rows, same cost, same swap
    for method in ("adam+cg", "adam"):
        a, b = run(method, epochs=8), run(method, epochs=8, check_every=STEPS)
        assert numbers(a) == numbers(b) and a.swap_epoch == b.swap_epoch
        assert a.peak_epoch == b.peak_epoch and np.array_equal(a.theta, b.theta)


@pytest.mark.parametrize("k", [1, 5, 30])
def test_check_every_pays_for_each_check(k):
    counting = CountingNet(small_net(), N)
    epochs = 4
    r = run("adam", epochs=epochs, net=counting, check_every=k)
    ends = {e * STEPS for e in range(1, epochs + 1)}
    checks = {t for t in range(1, epochs * STEPS + 1) if t % k == 0}
    full = 1 + len(checks) + len(ends - checks)           # init, checks, uncached epoch-end rows
    assert counting.full_calls == full
    assert r.rows[-1]["cost"] == counting.samples / N == epochs + full


def test_check_every_swaps_at_the_first_step_meeting_the_papers_rule():
    # replay Adam by hand: full-batch |g| after every step, Algorithm 1 on that sequence
    net = small_net()
    theta = net.init(seed=0)
    adam, rng = mtp.Adam(lr=1e-2), np.random.default_rng([0, 1])
    peak, swap_step, t = 0.0, None, 0
    while swap_step is None:
        order = rng.permutation(N)
        for i in range(0, N, B):
            idx = order[i:i + B]
            adam.step(theta, net.loss_and_grad(theta, DATA.X_train[idx], DATA.y_train[idx], loss="mse")[1])
            t += 1
            f, g = net.loss_and_grad(theta, DATA.X_train, DATA.y_train, loss="mse")
            peak = max(peak, np.linalg.norm(g))
            if np.linalg.norm(g) <= 0.9 * peak:
                swap_step, f_swap, theta_swap = t, f, theta.copy()
                break
    r = run("adam+cg", epochs=6, check_every=1)
    epoch = math.ceil(swap_step / STEPS)
    assert r.swap_epoch == epoch
    row = r.rows[epoch]
    assert row["phase"] == "adam" and row["train_loss"] == f_swap    # the epoch ended at the swap
    assert r.rows[epoch + 1]["phase"] == "cg"
    # cost at the swap row: swap_step minibatches, 1 + swap_step full-batch passes (init, checks)
    batches = [min(B, N - (s % STEPS) * B) for s in range(swap_step)]
    assert row["cost"] == 2 * (sum(batches) + (1 + swap_step) * N) / (2 * N)
    assert swap_step % STEPS != 0                          # here the swap did cut an epoch short
    # CG starts from the swap point: its first line search begins at theta_swap
    cg = mtp.optim.NonlinearCG(Objective(net, DATA.X_train, DATA.y_train), theta_swap)
    rec = cg.step()
    assert r.rows[epoch + 1]["train_loss"] == cg.f and r.rows[epoch + 1]["cg_alpha"] == rec.alpha


def test_probe_sees_every_row_and_the_swap_without_changing_the_method_cost():
    calls = []

    def probe(epoch, theta, objective, run_, swapped):
        own = Objective(objective.net, objective.X, objective.y, objective.loss)   # its own counter
        own(theta + 1e-3)
        run_.rows[-1]["probe_cost"] = own.cost
        calls.append((epoch, swapped, objective.cost))

    plain = run("adam+cg", epochs=8)
    probed = train(small_net(), DATA, TrainConfig(method="adam+cg", epochs=8, batch_size=B, lr=1e-2),
                   probes=[probe])
    assert [c[0] for c in calls] == [row["epoch"] for row in probed.rows]
    assert [c[0] for c in calls if c[1]] == [probed.swap_epoch]
    assert [c[2] for c in calls] == [row["cost"] for row in plain.rows]
    assert all(row["probe_cost"] == 1.0 for row in probed.rows)
    assert numbers(plain) == [{k: v for k, v in row.items() if k != "probe_cost"} for row in numbers(probed)]


def test_lr_bound_is_adams_own():
    with pytest.raises(ValueError, match=r"lr must lie in \[0.0, inf\)"):
        mtp.Adam(lr=-1.0)
    with pytest.raises(ValueError, match=r"lr must lie in \[0.0, inf\)"):
        TrainConfig(lr=-1.0).validate()
    r = train(small_net(), DATA, TrainConfig(method="adam", epochs=2, lr=0.0))   # Adam's rule: nothing moves
    assert np.array_equal(r.theta, small_net().init(seed=0))


@pytest.mark.parametrize("bad, pattern", [
    (dict(check_every=0), "check_every must be >= 1, got 0"),
    (dict(swap_mode="median"), "swap_mode must be one of"),
    (dict(swap_factor=0.0), r"swap_factor must lie in \(0.0, 1.0\]"),
    (dict(cg_line_search="armijo"), "cg_line_search must be one of"),
])
def test_options_are_named_by_their_field(bad, pattern):
    with pytest.raises(ValueError, match=pattern):
        TrainConfig(**bad).validate()
