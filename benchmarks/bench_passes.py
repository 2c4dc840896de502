"""The price of a backward pass: forward-only against forward+backward time, per model.

    OPENBLAS_NUM_THREADS=1 python benchmarks/bench_passes.py [--repeats 7] [--samples 1000]

For each model (the main job's MLP, the default CNN, vgg5 and one ViT, all on MNIST-shaped
inputs with MSE and 10 classes) this times, in this process and on the same batch,
  t_f   net.loss_value (a forward pass: what a golden-section or QuadStep probe pays), and
  t_fb  net.loss_and_grad (a forward and a backward pass: a gradient evaluation),
and prints r = t_fb / t_f - 1 (the median over alternating pairs of calls), the backward/forward time ratio that prices the cost
ledger (training/objective.py: cost = (F + r B) / ((1 + r) N)), with the forward pass's share
of a gradient evaluation t_f / t_fb = 1 / (1 + r) and the multiply-add ratio's convention
(r = 2) beside it. models.BACKWARD_RATIO keeps the measured values; rerun this on your
machine and pass --backward-ratio to price with your own.
"""
from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np

from minitwophase.models import BACKWARD_RATIO, build_model, ratio_key
from minitwophase.nn.macs import macs_per_sample

from _timing import median_time

DATA = Path(__file__).resolve().parent.parent / "minitwophase" / "data" / "mnist_5k.npz"
MODELS = ("mlp", "cnn", "vgg5", "vit-nomlp-wkewq-wvwo", "vit-mlp")


def load(n, image):
    with np.load(DATA) as d:
        X = d["images"][:n].astype(np.float64) / 255.0
        y = d["labels"][:n].astype(np.int64)
    return (X.reshape(n, 1, 28, 28) if image else X.reshape(n, 784)), y


def _seconds(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def measure(model, n, repeats, min_seconds=3.0):
    """Median t_f, median t_fb and the median of the paired ratios t_fb / t_f - 1: the two
    calls alternate, so a change in the machine's load hits both alike (the machine is shared)."""
    X, y = load(n, image=model != "mlp")
    net = build_model(model, (1, 28, 28), 10)
    theta = net.init(seed=0)
    forward = lambda: net.loss_value(theta, X, y, loss="mse")
    both = lambda: net.loss_and_grad(theta, X, y, loss="mse")
    first = median_time(both, 1)                       # a warm-up and an estimate
    pairs = [(_seconds(forward), _seconds(both)) for _ in range(max(repeats, int(min_seconds / first)))]
    t_f, t_fb = (statistics.median(p[i] for p in pairs) for i in (0, 1))
    r = statistics.median(b / f - 1.0 for f, b in pairs)
    return t_f, t_fb, r, len(pairs), macs_per_sample(net, X.shape[1:])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--samples", type=int, default=1000, help="batch size of each timed pass")
    parser.add_argument("--models", default=",".join(MODELS))
    args = parser.parse_args()
    print(f"{'model':<22} {'samples':>7} {'pairs':>5} {'t_f (s)':>9} {'t_fb (s)':>9} {'r = t_b/t_f':>11} "
          f"{'1/(1+r)':>7} {'MACs/sample':>12} {'table r':>8}")
    for model in args.models.split(","):
        t_f, t_fb, r, k, macs = measure(model, args.samples, args.repeats)
        print(f"{model:<22} {args.samples:>7} {k:>5} {t_f:>9.4f} {t_fb:>9.4f} {r:>11.2f} {1 / (1 + r):>7.2f} "
              f"{macs:>12,} {BACKWARD_RATIO[ratio_key(model)]:>8.2f}", flush=True)
    print("r from multiply-adds (convention: backward = 2 x forward): 2.00, t_f/t_fb = 0.33")


if __name__ == "__main__":
    main()
