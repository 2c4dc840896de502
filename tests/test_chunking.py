"""The automatic chunks of loss_and_grad (nn.chunking) and the kept heap memory (nn.heap)."""
import platform
import resource

import numpy as np
import pytest

from minitwophase import nn
from minitwophase.models import build_model
from minitwophase.nn import chunking
from minitwophase.nn.heap import keep_freed_memory

SMALL_VIT = "vit-nomlp-wkewq-wvwo:width=8,heads=2,depth=1,patch=4"


def test_bytes_per_sample_counts_each_cached_array_once():
    # Dense(6, 5) caches its input X (6 floats), Tanh its output (5), which the second Dense
    # caches again (the same array, counted once); the network's output has 3. The first Dense's
    # output is Tanh's input, which Tanh does not keep.
    net = nn.Sequential([nn.Dense(6, 5), nn.Tanh(), nn.Dense(5, 3)])
    assert chunking.bytes_per_sample(net.layers, net.unflatten(np.zeros(net.size)), (6,), np.float64) == (6 + 5 + 3) * 8


def test_automatic_chunk_fills_the_budget(monkeypatch):
    net = build_model(SMALL_VIT, (1, 8, 8), 3)
    per = chunking.bytes_per_sample(net.layers, net.unflatten(np.zeros(net.size)), (1, 8, 8), np.float64)
    monkeypatch.setattr(chunking, "CHUNK_BYTES", 5 * per + per // 2)
    assert net.chunk_size_for((1, 8, 8)) == 5
    assert build_model(SMALL_VIT, (1, 8, 8), 3).chunk_size_for((1, 8, 8)) == 5
    monkeypatch.setattr(chunking, "CHUNK_BYTES", 1)
    assert build_model(SMALL_VIT, (1, 8, 8), 3).chunk_size_for((1, 8, 8)) == 1  # at least one sample


@pytest.mark.parametrize("loss", ["cross_entropy", "mse"])
def test_automatic_chunks_equal_one_piece_and_torch(monkeypatch, loss):
    """37 images in automatic chunks of 5 (the last one 2): the one-piece loss and gradient to
    rounding, and torch's float64 autograd on the whole batch."""
    net = build_model(SMALL_VIT, (1, 8, 8), 3)
    per = chunking.bytes_per_sample(net.layers, net.unflatten(np.zeros(net.size)), (1, 8, 8), np.float64)
    monkeypatch.setattr(chunking, "CHUNK_BYTES", 5 * per)
    rng = np.random.default_rng(0)
    theta = net.init(0) + 0.1 * rng.standard_normal(net.size)
    X, y = rng.random((37, 1, 8, 8)), rng.integers(0, 3, 37)
    assert net.chunk_size_for((1, 8, 8)) == 5
    value, grad = net.loss_and_grad(theta, X, y, loss=loss)
    one_value, one_grad = net.loss_and_grad(theta, X, y, loss=loss, chunk_size=37)
    assert np.isclose(value, one_value, rtol=1e-13, atol=0)
    np.testing.assert_allclose(grad, one_grad, rtol=1e-11, atol=1e-14 * np.abs(one_grad).max())
    pytest.importorskip("torch")
    from torch_reference import torch_loss_and_grad

    ref_value, ref_grad = torch_loss_and_grad(net, theta, X, y, loss)
    assert np.isclose(value, ref_value, rtol=1e-12, atol=0)
    assert nn.relative_error(grad, ref_grad, norm=True) < 1e-10


def test_an_explicit_chunk_size_is_kept_and_checked():
    net = build_model(SMALL_VIT, (1, 8, 8), 3)
    X, y = np.zeros((4, 1, 8, 8)), np.zeros(4, dtype=int)
    with pytest.raises(ValueError, match="chunk_size"):
        net.loss_and_grad(net.init(0), X, y, chunk_size=0)


@pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc", reason="glibc only")
def test_freed_memory_is_reused_without_page_faults():
    """What a chunk does: many arrays of 512 KiB, then all freed. With glibc's default thresholds
    a fresh process page-faults all 2048 pages again every round (40,340 faults in 20 rounds,
    measured); kept, they are faulted in once."""
    def one_round():
        arrays = [np.ones(2 ** 16) for _ in range(16)]
        del arrays

    assert keep_freed_memory() is True and keep_freed_memory() is True
    one_round()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(20):
        one_round()
    assert resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before < 2048
