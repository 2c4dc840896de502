"""Full-batch loss_and_grad on MNIST-5k in float64: minitwophase against the same PyTorch network.

    python benchmarks/bench_nn.py [--repeats-mlp 21] [--repeats-cnn 7] [--chunk-size N]

Both run in this process with the same number of threads (torch.set_num_threads = the threads
of NumPy's OpenBLAS). Before timing, the torch models get our theta's weights and must agree on
the loss (~1e-12) and gradient (~1e-10), so the comparison is of the same computation.
Targets: MLP <= 1.2x torch, CNN <= 2.0x torch, CNN full-batch peak memory <= 2 GiB.
Peak memory: tracemalloc (NumPy reports its buffers to it) around one loss_and_grad, and the
peak RSS growth of a fresh subprocess doing only that (resource.getrusage).
"""
from __future__ import annotations

import argparse
import ctypes
import resource
import subprocess
import sys
from pathlib import Path

import numpy as np

from minitwophase import nn

from _timing import median_time, traced_peak

DATA = Path(__file__).resolve().parent.parent / "minitwophase" / "data" / "mnist_5k.npz"
GiB = 2.0 ** 30
TARGETS = {"MLP": 1.2, "CNN": 2.0}
MEMORY_TARGET = 2 * GiB


def load_mnist():
    with np.load(DATA) as d:
        return d["images"].astype(np.float64) / 255.0, d["labels"].astype(np.int64)


def build(name):
    if name == "MLP":
        return nn.Sequential([nn.Dense(784, 128), nn.Tanh(), nn.Dense(128, 10)])
    return nn.Sequential([nn.Conv2D(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2D(2),
                          nn.Conv2D(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2D(2),
                          nn.Flatten(), nn.Dense(16 * 7 * 7, 10)])


def inputs(name, images):
    return images.reshape(len(images), -1) if name == "MLP" else images[:, None]


def blas_threads():
    """Threads of the OpenBLAS that NumPy loaded (found in this process's memory map)."""
    with open("/proc/self/maps") as maps:
        paths = {line.split()[-1] for line in maps if "openblas" in line.lower() and "/" in line}
    for path in paths:
        lib = ctypes.CDLL(path)
        for symbol in ("scipy_openblas_get_num_threads64_", "openblas_get_num_threads64_",
                       "openblas_get_num_threads"):
            if hasattr(lib, symbol):
                return int(getattr(lib, symbol)())
    raise RuntimeError("could not query NumPy's BLAS thread count")


def torch_model(name, net, theta):
    """The identical torch network, weights copied from theta (Dense W is torch's weight.T)."""
    import torch

    mods = []
    for layer, p in zip(net.layers, net.unflatten(theta)):
        if isinstance(layer, nn.Dense):
            mod = torch.nn.Linear(layer.n_in, layer.n_out)
            weight = p["W"].T
        elif isinstance(layer, nn.Conv2D):
            mod = torch.nn.Conv2d(layer.c_in, layer.c_out, layer.kernel_size, layer.stride, layer.padding)
            weight = p["W"]
        elif isinstance(layer, nn.MaxPool2D):
            mods.append(torch.nn.MaxPool2d(layer.kernel_size, layer.stride))
            continue
        else:
            mods.append({nn.Tanh: torch.nn.Tanh, nn.ReLU: torch.nn.ReLU, nn.Flatten: torch.nn.Flatten}[type(layer)]())
            continue
        mod = mod.double()
        with torch.no_grad():
            mod.weight.copy_(torch.from_numpy(np.ascontiguousarray(weight)))
            mod.bias.copy_(torch.from_numpy(p["b"]))
        mods.append(mod)
    return torch.nn.Sequential(*mods)


def torch_loss_and_grad(model, X, y, loss):
    """Forward, loss, backward (X does not require grad); returns (loss, grads in theta order)."""
    import torch.nn.functional as F

    model.zero_grad()
    out = model(X)
    value = F.cross_entropy(out, y) if loss == "cross_entropy" else \
        F.mse_loss(out, F.one_hot(y, out.shape[1]).to(out.dtype))
    value.backward()
    return value


def torch_grad_flat(model):
    grads = []
    for mod in model:
        if hasattr(mod, "weight"):
            w = mod.weight.grad.numpy()
            grads += [(w.T if w.ndim == 2 else w).ravel(), mod.bias.grad.numpy().ravel()]
    return np.concatenate(grads)


def rss_child(which, chunk):
    """Subprocess mode: peak RSS growth (bytes) of one CNN loss and gradient, ours or torch's."""
    images, labels = load_mnist()
    net = build("CNN")
    theta, X = net.init(0), inputs("CNN", images)
    if which == "torch":
        import torch

        model, Xt, yt = torch_model("CNN", net, theta), torch.from_numpy(X), torch.from_numpy(labels)
        fn = lambda: torch_loss_and_grad(model, Xt, yt, "cross_entropy")  # noqa: E731
    else:
        fn = lambda: net.loss_and_grad(theta, X, labels, chunk_size=chunk)  # noqa: E731
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    fn()
    print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) * 1024)  # KiB on Linux


def rss_growth(which, chunk):
    # Run before this process grows: a child's ru_maxrss starts at its parent's RSS at fork.
    cmd = [sys.executable, __file__, "--rss-child", which, str(chunk)]
    return int(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)


def compare(name, net, X, y, chunk, repeats):
    """Rows (name, loss, ours, torch, loss diff, grad diff) after checking both compute the same."""
    import torch

    theta = net.init(0)
    model, Xt, yt = torch_model(name, net, theta), torch.from_numpy(X), torch.from_numpy(y)
    rows = []
    for loss in ("cross_entropy", "mse"):
        value, grad = net.loss_and_grad(theta, X, y, loss=loss, chunk_size=chunk)
        ref = torch_loss_and_grad(model, Xt, yt, loss).item()
        ref_grad = torch_grad_flat(model)
        loss_err = abs(value - ref) / abs(ref)
        grad_err = np.linalg.norm(grad - ref_grad) / np.linalg.norm(ref_grad)
        if loss_err > 1e-12 or grad_err > 1e-10:
            raise SystemExit(f"{name} {loss}: not the same computation as torch "
                             f"(loss {loss_err:.1e}, grad {grad_err:.1e})")
        ours = median_time(lambda: net.loss_and_grad(theta, X, y, loss=loss, chunk_size=chunk), repeats)
        theirs = median_time(lambda: torch_loss_and_grad(model, Xt, yt, loss), repeats)
        rows.append((name, loss, ours, theirs, loss_err, grad_err))
    return rows


def cnn_memory(net, X, y, chunk):
    """(peak bytes, chunk): the full batch unless it (or the given chunk) exceeds the target."""
    theta = net.init(0)
    peak = traced_peak(lambda: net.loss_and_grad(theta, X, y, chunk_size=chunk))
    if chunk is None and peak > MEMORY_TARGET:
        chunk = 1000
        peak = traced_peak(lambda: net.loss_and_grad(theta, X, y, chunk_size=chunk))
    if chunk is not None:  # chunks must not change the gradient
        full, part = (net.loss_and_grad(theta, X, y, chunk_size=c)[1] for c in (None, chunk))
        print(f"chunk_size={chunk}: gradient rel. difference to the full batch "
              f"{np.linalg.norm(part - full) / np.linalg.norm(full):.1e}")
    return peak, chunk


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats-mlp", type=int, default=21)
    ap.add_argument("--repeats-cnn", type=int, default=7)
    ap.add_argument("--chunk-size", type=int, default=None,
                    help="CNN chunk size (default: full batch, unless it exceeds 2 GiB)")
    ap.add_argument("--rss-child", nargs=2, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.rss_child is not None:
        which, chunk = args.rss_child
        return rss_child(which, None if chunk == "None" else int(chunk))

    rss = {which: rss_growth(which, args.chunk_size) for which in ("ours", "torch")}
    import torch

    threads = blas_threads()
    torch.set_num_threads(threads)
    images, labels = load_mnist()
    print(f"MNIST-5k {images.shape}, float64; NumPy {np.__version__} OpenBLAS threads = {threads}, "
          f"torch {torch.__version__} threads = {torch.get_num_threads()}")

    rows = compare("MLP", build("MLP"), inputs("MLP", images), labels, None, args.repeats_mlp)
    cnn, X_cnn = build("CNN"), inputs("CNN", images)
    peak, chunk = cnn_memory(cnn, X_cnn, labels, args.chunk_size)
    rows += compare("CNN", cnn, X_cnn, labels, chunk, args.repeats_cnn)

    print(f"\n{'model':5} {'loss':13} {'ours [s]':>9} {'torch [s]':>9} {'ratio':>6} {'target':>6}  "
          f"verdict  (loss / grad rel. diff to torch)")
    for name, loss, ours, theirs, loss_err, grad_err in rows:
        ratio = ours / theirs
        verdict = "PASS" if ratio <= TARGETS[name] else "MISS"
        print(f"{name:5} {loss:13} {ours:9.4f} {theirs:9.4f} {ratio:6.2f} {TARGETS[name]:5.1f}x  "
              f"{verdict:7}  ({loss_err:.0e} / {grad_err:.0e})")
    print("(median seconds of one full-batch loss + gradient; CNN timed with "
          f"{'the full batch' if chunk is None else f'chunk_size={chunk}'})")
    verdict = "PASS" if max(peak, rss["ours"]) <= MEMORY_TARGET else "MISS"
    print(f"\nCNN loss_and_grad peak memory ({'full batch' if chunk is None else f'chunk_size={chunk}'}): "
          f"tracemalloc {peak / GiB:.2f} GiB, subprocess peak-RSS growth {rss['ours'] / GiB:.2f} GiB "
          f"(chunk_size={args.chunk_size}; torch: {rss['torch'] / GiB:.2f} GiB); target <= 2 GiB: {verdict}")


if __name__ == "__main__":
    main()
