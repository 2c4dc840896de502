"""The paper's hypothesis measured on the default main-job setup: is the loss locally convex
after the gradient-norm peak?

    python benchmarks/curvature_along_training.py [--epochs 400] [--tol 1e-4] [--out FILE.json]

Setup as `minitwophase run`: MNIST-5k, 784-128-10 tanh MLP, MSE, batch 512, Adam lr 1e-3,
seed 0. Trains method "adam" for --epochs epochs with minitwophase.training.train, keeping theta
at the end of the epochs needed (the on_minibatch hook sees theta after every step). The 0.9
rule's peak and swap epochs are read from the run's per-epoch full-batch gradient norms by
SwapDetector (exactly what "adam+cg" would do: the two runs are bit-identical up to the swap).
Also measures the end of an "adam+cg" run of the same length. At each point: lambda_min and
lambda_max (Lanczos, tol --tol relative residual, checked against eigsh), the negative spectral
mass and curvature.convex_verdict, on the full training-set loss.
"""
from __future__ import annotations

import argparse
import json
import time

import numpy as np

from minitwophase import SwapDetector, curvature, datasets
from minitwophase.models import build_model
from minitwophase.training import train
from minitwophase.training.objective import Objective


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=400)
    ap.add_argument("--tol", type=float, default=1e-4)
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)

    data = datasets.load("mnist5k")
    net = build_model("mlp", (1, 28, 28), 10)
    objective = Objective(net, data.X_train, data.y_train, "mse")
    keep = {0: net.init(seed=0)}
    wanted = set(range(1, 31)) | {args.epochs}

    def hook(epoch, index, loss, grad, theta):
        if epoch in wanted:
            keep[epoch] = theta.copy()           # overwritten until the epoch's last step

    start = time.perf_counter()
    run = train(net, data, method="adam", epochs=args.epochs, seed=0, on_minibatch=hook)
    cg_run = train(net, data, method="adam+cg", epochs=args.epochs, seed=0)
    print(f"trained adam and adam+cg for {args.epochs} epochs in {time.perf_counter() - start:.1f} s")
    det = SwapDetector(0.9)
    for r in run.rows[1:]:                      # Algorithm 1: checked after every Adam epoch
        det.update(r["grad_norm"])
    peak, swap = det.peak_index + 1, det.swap_index + 1
    assert cg_run.swap_epoch == swap, (cg_run.swap_epoch, swap)
    points = [("initialisation", 0, keep[0]), ("gradient-norm peak", peak, keep[peak]),
              ("0.9-rule swap", swap, keep[swap]), (f"adam, epoch {args.epochs}", args.epochs, run.theta),
              (f"adam+cg, epoch {len(cg_run.rows) - 1}", len(cg_run.rows) - 1, cg_run.theta)]
    results = []
    print("| point | epoch | train loss | grad norm | lambda_min | lambda_max | ratio | neg. mass | verdict | HVPs | s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name, epoch, theta in points:
        f, g = objective(theta)
        rec = curvature.probe(objective, theta, seed=0, tol=args.tol, n_vectors=4, steps=60,
                              max_hvp=1000)
        check = curvature.extreme_eigenvalues(objective, theta, tol=args.tol, method="eigsh", max_hvp=3000)
        verdict = curvature.convex_verdict(rec)
        row = dict(point=name, epoch=epoch, train_loss=f, grad_norm=float(np.linalg.norm(g)),
                   **rec.row(), converged=rec.converged, verdict=verdict.label,
                   eigsh_lambda_min=check.lambda_min, eigsh_lambda_max=check.lambda_max,
                   eigsh_n_hvp=check.n_hvp)
        results.append(row)
        print(f"| {name} | {epoch} | {f:.4g} | {row['grad_norm']:.4g} | {rec.lambda_min:.4g} | "
              f"{rec.lambda_max:.4g} | {rec.ratio:.3g} | {rec.negative_mass:.3g} | {verdict.label} | "
              f"{rec.n_hvp} | {rec.seconds:.1f} |")
        print(f"    eigsh check: lambda_min {check.lambda_min:.6g}, lambda_max {check.lambda_max:.6g} "
              f"({check.n_hvp} HVPs, converged {check.converged})")
    print(f"peak at epoch {peak}, 0.9-rule swap after epoch {swap}; peak report: "
          f"{det.peak_report(count_from=1, unit='epoch').message}")
    if args.out:
        with open(args.out, "w") as fh:
            json.dump(dict(peak_epoch=peak, swap_epoch=swap, points=results), fh, indent=1)


if __name__ == "__main__":
    main()
