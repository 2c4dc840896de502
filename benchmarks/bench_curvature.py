"""Extreme Hessian eigenvalues of the MNIST-5k MLP: accuracy per Hessian-vector product.

    python benchmarks/bench_curvature.py [--epochs 10] [--budget 300]

Target (the curvature issue): at one checkpoint of the 784-128-10 tanh MLP (101,770
parameters, MSE on the 4000 training images, the main job's objective), lambda_min and
lambda_max to 1e-3 relative with at most 300 Hessian-vector products.
Checkpoints: theta_0 and theta after --epochs epochs of the main job's Adam (seed 0).
Verification: a reference from much tighter runs (eigsh and the hand-written Lanczos at tol
1e-9, two independent routes whose agreement is printed), never from the runs being measured.
Seconds are also printed as multiples of one full-batch gradient (timed here), since the
machine's timings are noisy.
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from minitwophase import curvature, datasets
from minitwophase.models import build_model
from minitwophase.training import train
from minitwophase.training.objective import Objective

TARGET_REL, TARGET_HVP = 1e-3, 300


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--budget", type=int, default=TARGET_HVP)
    args = ap.parse_args(argv)
    data = datasets.load("mnist5k")
    net = build_model("mlp", (1, 28, 28), 10)
    objective = Objective(net, data.X_train, data.y_train, "mse")
    trained = train(net, data, method="adam", epochs=args.epochs, seed=0).theta
    t = time.perf_counter()
    for _ in range(5):
        net.loss_and_grad(trained, data.X_train, data.y_train, loss="mse")
    grad_s = (time.perf_counter() - t) / 5
    print(f"MLP 784-128-10 tanh, {net.size} parameters, {len(data.X_train)} training images, "
          f"one full-batch gradient {grad_s * 1e3:.0f} ms")
    ok = True
    for name, theta in (("theta_0", net.init(seed=0)), (f"Adam epoch {args.epochs}", trained)):
        ref = [curvature.extreme_eigenvalues(objective, theta, tol=1e-9, method=m, max_hvp=3000)
               for m in ("eigsh", "lanczos")]
        lo, hi = ref[0].lambda_min, ref[0].lambda_max
        agree = max(abs(ref[1].lambda_min / lo - 1), abs(ref[1].lambda_max / hi - 1))
        print(f"\n{name}: reference lambda_min {lo:.10g}, lambda_max {hi:.10g} (eigsh {ref[0].n_hvp} "
              f"and Lanczos {ref[1].n_hvp} HVPs at tol 1e-9; they agree to {agree:.1e})")
        print("| route | HVPs | seconds | x gradient | rel. err lambda_min | rel. err lambda_max | target met |")
        print("|---|---|---|---|---|---|---|")
        runs = [(f"{m}, tol 1e-3", lambda m=m: curvature.extreme_eigenvalues(
                    objective, theta, tol=1e-3, method=m, max_hvp=args.budget)) for m in ("lanczos", "eigsh")]
        runs.append(("probe (defaults)", lambda: curvature.probe(objective, theta, max_hvp=args.budget)))
        for label, run in runs:
            start = time.perf_counter()
            r = run()
            sec = time.perf_counter() - start
            e_lo, e_hi = abs(r.lambda_min / lo - 1), abs(r.lambda_max / hi - 1)
            met = e_lo <= TARGET_REL and e_hi <= TARGET_REL and r.n_hvp <= TARGET_HVP
            ok &= met or label.startswith("eigsh")
            print(f"| {label} | {r.n_hvp} | {sec:.1f} | {sec / grad_s:.0f} | {e_lo:.1e} | {e_hi:.1e} | "
                  f"{'yes' if met else 'NO'} |")
    print(f"\nTarget (Lanczos and probe: both eigenvalues to {TARGET_REL:g} relative, <= {TARGET_HVP} HVPs): "
          f"{'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()
