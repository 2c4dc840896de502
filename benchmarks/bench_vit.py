"""The paper's models (four ViT variants, vgg5): full-batch loss_and_grad on MNIST-5k in float64,
minitwophase against the identical PyTorch computation, and seconds per Adam epoch.

    python benchmarks/bench_vit.py [--models vit-mlp,...] [--repeats 5] [--epochs 2] [--full]

Both libraries run in this process with the same number of threads (torch.set_num_threads =
the threads of NumPy's OpenBLAS). The torch side is tests/torch_reference.py (torch's own
layer_norm, scaled_dot_product_attention, conv2d kernels) on leaf tensors holding our theta;
before timing, loss and gradient must agree (~1e-12 / ~1e-10), so both compute the same thing.
Targets: ViT variants <= 1.5x torch, vgg5 <= 2.0x; a full-batch ViT gradient's peak memory
<= 2 GiB (tracemalloc, and the peak-RSS growth of a fresh subprocess doing only that).
vgg5's im2col buffers exceed 2 GiB at the full batch, so it is timed with chunk_size=1000
(the same gradient; bench_nn.py does the same for its CNN).
``--epochs E`` then times E epochs of Adam (batch 512, float64, loss mse) per model on
mnist_5k's 4000 training images, and with ``--full`` on the bundled full MNIST (60000).
"""
from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_nn import GiB, blas_threads  # noqa: E402

from minitwophase import Adam, datasets  # noqa: E402
from minitwophase.models import build_model  # noqa: E402

VITS = ("vit-mlp", "vit-nomlp", "vit-nomlp-wkewq", "vit-nomlp-wkewq-wvwo")
MODELS = VITS + ("vgg5",)
TARGETS = {**{m: 1.5 for m in VITS}, "vgg5": 2.0}
CHUNK = {"vgg5": 1000}
MEMORY_TARGET = 2 * GiB
BATCH = 512


def mnist5k():
    with np.load(ROOT / "minitwophase" / "data" / "mnist_5k.npz") as d:
        return d["images"][:, None].astype(np.float64) / 255.0, d["labels"].astype(np.int64)


class TorchTwin:
    """The same network as torch leaf tensors (copies of theta's views), for timing."""

    def __init__(self, net, theta, X, y):
        import torch

        self.net = net
        self.params = [{k: torch.tensor(v, requires_grad=True) for k, v in p.items()}
                       for p in net.unflatten(theta)]
        self.X, self.y = torch.from_numpy(X), torch.from_numpy(y)

    def loss_and_grad(self, loss):
        import torch.nn.functional as F
        from torch_reference import torch_layer

        for p in self.params:
            for t in p.values():
                t.grad = None
        h = self.X
        for layer, p in zip(self.net.layers, self.params):
            h = torch_layer(layer, p, h)
        value = F.cross_entropy(h, self.y) if loss == "cross_entropy" else \
            F.mse_loss(h, F.one_hot(self.y, h.shape[1]).to(h.dtype))
        value.backward()
        return value

    def grad(self):
        return np.concatenate([t.grad.numpy().ravel() for p in self.params for t in p.values()])


def median_time(fn, repeats):
    """Median seconds of ``repeats`` calls after one warm-up call (one library at a time)."""
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def traced_peak(fn):
    tracemalloc.start()
    tracemalloc.reset_peak()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def rss_child(model):
    """Subprocess mode: peak RSS growth (bytes) of one full-batch loss and gradient."""
    X, y = mnist5k()
    net = build_model(model, X.shape[1:], 10)
    theta = net.init(0)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    net.loss_and_grad(theta, X, y, loss="mse", chunk_size=CHUNK.get(model))
    print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) * 1024)  # KiB on Linux


def rss_growth(model):
    cmd = [sys.executable, __file__, "--rss-child", model]
    return int(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)


def compare(model, X, y, repeats):
    """(model, loss, ours, torch, loss diff, grad diff) for both losses, after checking agreement."""
    net = build_model(model, X.shape[1:], 10)
    theta = net.init(0)
    twin, chunk = TorchTwin(net, theta, X, y), CHUNK.get(model)
    rows = []
    for loss in ("mse", "cross_entropy"):
        value, grad = net.loss_and_grad(theta, X, y, loss=loss, chunk_size=chunk)
        ref = twin.loss_and_grad(loss).item()
        ref_grad = twin.grad()
        loss_err = abs(value - ref) / abs(ref)
        grad_err = np.linalg.norm(grad - ref_grad) / np.linalg.norm(ref_grad)
        if loss_err > 1e-12 or grad_err > 1e-10:
            raise SystemExit(f"{model} {loss}: not the same computation as torch "
                             f"(loss {loss_err:.1e}, grad {grad_err:.1e})")
        ours = median_time(lambda: net.loss_and_grad(theta, X, y, loss=loss, chunk_size=chunk), repeats)
        theirs = median_time(lambda: twin.loss_and_grad(loss), repeats)
        rows.append((model, loss, ours, theirs, loss_err, grad_err))
    return rows


def adam_epoch_seconds(model, data, epochs):
    """Seconds per epoch of minibatch Adam (batch 512, mse), median over ``epochs`` epochs."""
    net = build_model(model, data.image_shape, data.n_classes)
    theta, opt = net.init(0), Adam(lr=1e-3)
    rng = np.random.default_rng(0)
    n = len(data.y_train)
    times = []
    for _ in range(epochs):
        start = time.perf_counter()
        order = rng.permutation(n)
        for i in range(0, n, BATCH):
            idx = order[i:i + BATCH]
            _, grad = net.loss_and_grad(theta, data.X_train[idx], data.y_train[idx], loss="mse")
            opt.step(theta, grad)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--epochs", type=int, default=0, help="Adam epochs to time per model (0: skip)")
    ap.add_argument("--full", action="store_true", help="also time Adam epochs on full MNIST")
    ap.add_argument("--rss-child", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.rss_child is not None:
        return rss_child(args.rss_child)
    models = args.models.split(",")
    for m in models:
        if m not in MODELS:
            raise SystemExit(f"--models: expected names from {MODELS}, got {m!r}")

    rss = {m: rss_growth(m) for m in models if m in VITS}  # before this process grows
    import torch

    threads = blas_threads()
    torch.set_num_threads(threads)
    X, y = mnist5k()
    print(f"MNIST-5k {X.shape}, float64; NumPy {np.__version__} OpenBLAS threads = {threads}, "
          f"torch {torch.__version__} threads = {torch.get_num_threads()}")
    rows, peaks = [], {}
    for m in models:
        net = build_model(m, X.shape[1:], 10)
        theta = net.init(0)
        peaks[m] = traced_peak(lambda: net.loss_and_grad(theta, X, y, loss="mse", chunk_size=CHUNK.get(m)))
        rows += compare(m, X, y, args.repeats)

    print(f"\n{'model':22} {'params':>7} {'loss':13} {'ours [s]':>9} {'torch [s]':>9} {'ratio':>6} "
          f"{'target':>6}  verdict  (loss / grad rel. diff)")
    for m, loss, ours, theirs, loss_err, grad_err in rows:
        ratio = ours / theirs
        size = build_model(m, X.shape[1:], 10).size
        print(f"{m:22} {size:7d} {loss:13} {ours:9.3f} {theirs:9.3f} {ratio:6.2f} {TARGETS[m]:5.1f}x  "
              f"{'PASS' if ratio <= TARGETS[m] else 'MISS':7}  ({loss_err:.0e} / {grad_err:.0e})")
    print("(median seconds of one full-batch loss + gradient on 5000 images; vgg5 with chunk_size=1000)")
    print(f"\n{'model':22} {'tracemalloc [GiB]':>18} {'RSS growth [GiB]':>17}  target <= 2 GiB")
    for m in models:
        extra = f"{rss[m] / GiB:17.2f}  {'PASS' if max(peaks[m], rss[m]) <= MEMORY_TARGET else 'MISS'}" \
            if m in rss else f"{'-':>17}  (chunk_size={CHUNK.get(m)}, no target)"
        print(f"{m:22} {peaks[m] / GiB:18.2f} {extra}")

    if args.epochs:
        sets = [("mnist5k", datasets.load("mnist5k", layout="image"))]
        if args.full:
            sets.append(("mnist", datasets.load("mnist", layout="image")))
        print(f"\nseconds per epoch of Adam (batch {BATCH}, float64, mse), median of {args.epochs} epochs")
        print(f"{'model':22} " + " ".join(f"{name + f' ({len(d.y_train)})':>16}" for name, d in sets))
        for m in models:
            secs = [adam_epoch_seconds(m, d, args.epochs) for _, d in sets]
            print(f"{m:22} " + " ".join(f"{s:16.2f}" for s in secs))


if __name__ == "__main__":
    main()
