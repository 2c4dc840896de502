"""The paper's models (four ViT variants, vgg5): full-batch loss_and_grad on MNIST-5k in float64,
minitwophase against the identical PyTorch computation, and seconds per Adam epoch.

    python benchmarks/bench_vit.py [--models vit-mlp,...] [--repeats 3] [--epochs 1] [--full-steps 8] [--no-torch]

Both libraries run in this process with the same number of threads (torch.set_num_threads =
the threads of NumPy's OpenBLAS). The torch side is tests/torch_reference.py (torch's own
layer_norm, scaled_dot_product_attention, conv2d kernels) on leaf tensors holding our theta;
before timing, loss and gradient must agree (~1e-12 / ~1e-10), so both compute the same thing.
Targets: ViT variants <= 1.5x torch, vgg5 <= 2.0x; a full-batch ViT gradient's peak memory
<= 2 GiB (tracemalloc, and the peak-RSS growth of a fresh subprocess doing only that). A model
whose full batch exceeds 2 GiB is measured and timed with the largest chunk_size of 2500,
1000, 500 that fits (the same gradient up to rounding, printed); vgg5's im2col buffers need
several GiB at the full batch, so it starts at chunk_size=1000 (as bench_nn.py's CNN).
Timed: the paper's loss (mse); both losses are checked against torch.
``--epochs E`` then times E epochs of Adam (batch 512, float64, loss mse) per model on
mnist_5k's 4000 training images, and ``--full-steps S`` the first S steps of an epoch on the
bundled full MNIST (60000 images), scaled to its 117.2 steps (the cost per step does not
depend on the data set's size).
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from _timing import median_time, traced_peak  # noqa: E402
from bench_nn import GiB, blas_threads  # noqa: E402

from minitwophase import Adam, datasets  # noqa: E402
from minitwophase.models import build_model  # noqa: E402

VITS = ("vit-mlp", "vit-nomlp", "vit-nomlp-wkewq", "vit-nomlp-wkewq-wvwo")
MODELS = VITS + ("vgg5",)
TARGETS = {**{m: 1.5 for m in VITS}, "vgg5": 2.0}
FIRST_CHUNK = {"vgg5": 1000}
CHUNKS = (2500, 1000, 500)
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


def rss_child(model, chunk):
    """Subprocess mode: peak RSS growth (bytes) of one loss and gradient on the 5000 images."""
    X, y = mnist5k()
    net = build_model(model, X.shape[1:], 10)
    theta = net.init(0)
    before = proc_status_kib("VmRSS")
    net.loss_and_grad(theta, X, y, loss="mse", chunk_size=chunk)
    print((proc_status_kib("VmHWM") - before) * 1024)


def proc_status_kib(field):
    """VmRSS / VmHWM (peak RSS) of this process in KiB. Not ru_maxrss: that survives exec, so a
    child started by a big parent would report the parent's peak."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"/proc/self/status has no {field}")


def rss_growth(model, chunk):
    cmd = [sys.executable, __file__, "--rss-child", model, str(chunk)]
    return int(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)


def memory(model, X, y):
    """(chunk, [(chunk, tracemalloc peak, RSS growth), ...]): full batch first, then chunks until <= 2 GiB."""
    net = build_model(model, X.shape[1:], 10)
    theta = net.init(0)
    full = net.loss_and_grad(theta, X, y, loss="mse")[1] if model not in FIRST_CHUNK else None
    rows = []
    for chunk in ((None,) if model not in FIRST_CHUNK else ()) + CHUNKS:
        if model in FIRST_CHUNK and chunk is not None and chunk > FIRST_CHUNK[model]:
            continue
        peak = traced_peak(lambda: net.loss_and_grad(theta, X, y, loss="mse", chunk_size=chunk))
        rows.append((chunk, peak, rss_growth(model, chunk)))
        if chunk is not None and full is not None:
            part = net.loss_and_grad(theta, X, y, loss="mse", chunk_size=chunk)[1]
            print(f"{model} chunk_size={chunk}: gradient rel. difference to the full batch "
                  f"{np.linalg.norm(part - full) / np.linalg.norm(full):.1e}")
        if max(peak, rows[-1][2]) <= MEMORY_TARGET:
            break
    return chunk, rows


def compare(model, X, y, repeats, chunk):
    """(model, loss, ours, torch, loss diff, grad diff), mse timed, after checking both losses agree."""
    net = build_model(model, X.shape[1:], 10)
    theta = net.init(0)
    twin = TorchTwin(net, theta, X, y)
    rows = []
    for loss in ("cross_entropy", "mse"):
        value, grad = net.loss_and_grad(theta, X, y, loss=loss, chunk_size=chunk)
        ref = twin.loss_and_grad(loss).item()
        ref_grad = twin.grad()
        loss_err = abs(value - ref) / abs(ref)
        grad_err = np.linalg.norm(grad - ref_grad) / np.linalg.norm(ref_grad)
        if loss_err > 1e-12 or grad_err > 1e-10:
            raise SystemExit(f"{model} {loss}: not the same computation as torch "
                             f"(loss {loss_err:.1e}, grad {grad_err:.1e})")
        if loss != "mse":
            continue
        ours = median_time(lambda: net.loss_and_grad(theta, X, y, loss=loss, chunk_size=chunk), repeats)
        theirs = median_time(lambda: twin.loss_and_grad(loss), repeats)
        rows.append((model, loss, ours, theirs, loss_err, grad_err))
    return rows


def adam_epoch_seconds(model, data, epochs, max_steps=None):
    """Seconds per epoch of minibatch Adam (batch 512, mse), median over ``epochs`` epochs.

    ``max_steps``: time only the first steps of one epoch and scale by the epoch's step
    count (n / 512, the last batch pro rata); returns (seconds, "timed" or "S steps x k").
    """
    net = build_model(model, data.image_shape, data.n_classes)
    theta, opt = net.init(0), Adam(lr=1e-3)
    rng = np.random.default_rng(0)
    n = len(data.y_train)
    times = []
    for _ in range(epochs):
        start = time.perf_counter()
        order = rng.permutation(n)
        for step, i in enumerate(range(0, n, BATCH)):
            if max_steps is not None and step == max_steps:
                scale = (n / BATCH) / max_steps
                return (time.perf_counter() - start) * scale, f"{max_steps} steps x {scale:.1f}"
            idx = order[i:i + BATCH]
            _, grad = net.loss_and_grad(theta, data.X_train[idx], data.y_train[idx], loss="mse")
            opt.step(theta, grad)
        times.append(time.perf_counter() - start)
    return statistics.median(times), f"{epochs} epoch(s)"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--epochs", type=int, default=0, help="Adam epochs to time per model (0: skip)")
    ap.add_argument("--full-steps", type=int, default=0, metavar="S",
                    help="also time the first S Adam steps on the bundled full MNIST (60000 images) "
                    "and scale them to its 117.2 steps per epoch")
    ap.add_argument("--no-torch", action="store_true", help="skip the torch comparison and memory")
    ap.add_argument("--rss-child", nargs=2, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.rss_child is not None:
        model, chunk = args.rss_child
        return rss_child(model, None if chunk == "None" else int(chunk))
    models = args.models.split(",")
    for m in models:
        if m not in MODELS:
            raise SystemExit(f"--models: expected names from {MODELS}, got {m!r}")
    import torch

    threads = blas_threads()
    torch.set_num_threads(threads)
    X, y = mnist5k()
    print(f"MNIST-5k {X.shape}, float64; NumPy {np.__version__} OpenBLAS threads = {threads}, "
          f"torch {torch.__version__} threads = {torch.get_num_threads()}", flush=True)
    if not args.no_torch:
        rows, mem = [], {}
        for m in models:
            chunk, mem[m] = memory(m, X, y)
            rows += [(*row, chunk) for row in compare(m, X, y, args.repeats, chunk)]
            r = rows[-1]
            print(f"  {m}: ours {r[2]:.3f} s, torch {r[3]:.3f} s", flush=True)
        print(f"\n{'model':22} {'params':>7} {'chunk':>5} {'ours [s]':>9} {'torch [s]':>9} {'ratio':>6} "
              f"{'target':>6}  verdict  (loss / grad rel. diff, mse)")
        for m, loss, ours, theirs, loss_err, grad_err, chunk in rows:
            ratio = ours / theirs
            size = build_model(m, X.shape[1:], 10).size
            print(f"{m:22} {size:7d} {str(chunk or 'full'):>5} {ours:9.3f} {theirs:9.3f} {ratio:6.2f} "
                  f"{TARGETS[m]:5.1f}x  {'PASS' if ratio <= TARGETS[m] else 'MISS':7}  "
                  f"({loss_err:.0e} / {grad_err:.0e})")
        print(f"(median of {args.repeats} full-batch mse loss + gradient on 5000 images after a warm-up; "
              "torch always on the full batch)")
        print(f"\n{'model':22} {'chunk':>5} {'tracemalloc [GiB]':>18} {'RSS growth [GiB]':>17}  target <= 2 GiB")
        for m in models:
            for chunk, peak, rss in mem[m]:
                verdict = "PASS" if max(peak, rss) <= MEMORY_TARGET else "MISS"
                print(f"{m:22} {str(chunk or 'full'):>5} {peak / GiB:18.2f} {rss / GiB:17.2f}  "
                      f"{verdict if m in VITS else verdict + ' (no target)'}")

    if args.epochs:
        sets = [("mnist5k", datasets.load("mnist5k", layout="image"), args.epochs, None)]
        if args.full_steps:
            sets.append(("mnist", datasets.load("mnist", layout="image"), 1, args.full_steps))
        print(f"\nseconds per epoch of Adam (batch {BATCH}, float64, mse)")
        print(f"{'model':22} " + " ".join(f"{name + f' ({len(d.y_train)})':>16} {'how':>18}"
                                          for name, d, _, _ in sets))
        for m in models:
            cells = [adam_epoch_seconds(m, d, e, s) for _, d, e, s in sets]
            print(f"{m:22} " + " ".join(f"{sec:16.1f} {how:>18}" for sec, how in cells), flush=True)


if __name__ == "__main__":
    main()
