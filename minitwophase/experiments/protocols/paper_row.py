"""One Table 1 row at the paper's own scale: ``--protocol paper-row``.

Full MNIST (60,000 training images, the 10,000 test images as validation, as the paper),
vit-nomlp-wkewq-wvwo (the cheapest variant), MSE, batch 512, lr 1e-3, seed 0: Adam for N
epochs against the paper's fixed split, Adam 0.3 N then CG 0.7 N. On full MNIST an epoch is
118 Adam steps, the paper's check interval already. Writes paper_row.md/.json and paper_row/<cell>/.

Budget arithmetic (fixed before any result). Measured, one thread, on a quiet machine with two
such processes side by side: a minibatch step of 512 takes STEP = 0.120 s (protocols/vit.py;
an earlier measurement under load gave 0.207 s). A full-MNIST Adam
epoch is 118 steps plus the epoch-end full-batch gradient over 60,000 images (chunks of 512,
~118 steps' work) plus validation on 10,000 (forward only, 0.15 ms per image, 1.5 s):
A = 236 STEP + 1.5 = 30 s. A CG epoch is one PR+ iteration, ~3 full-batch evaluations (nfev
measured on mnist5k: mean ~2.8): C = 354 STEP + 1.5 = 44 s. (These assume a quiet core, as when
this protocol runs beside the vit one; under a load average of 6-8 an mnist5k epoch took 2-4x
longer. A direct full-MNIST measurement at a load average of 6-8, the process getting ~25 %
of a core: Adam epoch 209 s, CG epochs 410 s wall with nfev 9 then 2; scaled by the CPU share
~52 s and ~100 s: A as estimated; the first CG iteration's line search needs more evaluations,
~6 x 25 s = 150 s extra once, which still fits below.) The two runs cost N A + N (0.3 A + 0.7 C) = N (1.3 A + 0.7 C) = 70 N s; the swap
probe (one, <= 120 gradient evaluations on 500 images, ~1 Adam epoch) is negligible. The row's
share is 90 min on one core: N = 5400 / 70 = 77, rounded down to a multiple of 10 so that
0.3 N is whole: N = 70 (Adam 70 against Adam 21 + CG 49). The paper's N = 1000 takes
1000 x 70 s = 19 h on one core (FULL_BUDGET_HOURS).
"""
from __future__ import annotations

from .cell import Cell
from .table import Protocol
from .vit import PAPER_ROWS

MODEL = "vit-nomlp-wkewq-wvwo"
STEP = 0.120                                   # s per minibatch step of 512 (measured)
MEASURED_ADAM, MEASURED_CG = 236 * STEP + 1.5, 354 * STEP + 1.5   # s per full-MNIST epoch (see above)
SHARE = 90 * 60


def epochs_for(adam=MEASURED_ADAM, cg=MEASURED_CG, share=SHARE):
    return int(share / (1.3 * adam + 0.7 * cg)) // 10 * 10


EPOCHS = max(10, epochs_for())
FULL_BUDGET_HOURS = 1000 * (1.3 * MEASURED_ADAM + 0.7 * MEASURED_CG) / 3600
CELLS = (Cell("mnist", MODEL, EPOCHS, chunk_size=512, check_every=None),)
QUICK_CELLS = (Cell("digits", MODEL + ":width=8,heads=2,depth=1,patch=4", 4, chunk_size=None),)
PAPER_COMMAND = (f"minitwophase run --dataset mnist --model {MODEL} --methods adam,fixed-split --seeds 0 "
                 "--epochs 1000 --split 0.3 --loss mse --batch-size 512 --lr 0.001 --chunk-size 512")

BUDGET_NOTE = (
    f"full MNIST; N = {EPOCHS} epochs (Adam {EPOCHS} against Adam {round(0.3 * EPOCHS)} + CG "
    f"{EPOCHS - round(0.3 * EPOCHS)}), the largest multiple of 10 that fits 90 min on one core by the "
    f"measured step time (Adam {MEASURED_ADAM:.0f} s, CG {MEASURED_CG:.0f} s per full-MNIST epoch, one quiet "
    f"core): N (1.3 A + 0.7 C) <= 5400 s. The paper's 1000 epochs would take about "
    f"{FULL_BUDGET_HOURS:.0f} h on one core: `{PAPER_COMMAND}`.")

PROTOCOL = Protocol(name="paper_row", title=f"One Table 1 row at the paper's scale: MNIST {MODEL}",
                    cells=CELLS, methods=("adam", "fixed-split"), seeds=(0,), budget_note=BUDGET_NOTE,
                    paper_rows={MODEL: PAPER_ROWS[MODEL]},
                    curvature=dict(samples=500, tol=1e-2, n_vectors=1, steps=20, max_hvp=40, seeds=(0,)),
                    flag="paper-row")
