"""The protocols of ``minitwophase reproduce --protocol NAME``, each as data in its own module.

  laptop       the Table 1 analogue at laptop scale (experiments/reproduce.py; the default)
  granularity  what checking the swap rule every 8, 32 or 118 Adam steps does (granularity.py)
  vit          the paper's ViT variants and vgg5 on MNIST, three methods, three seeds (vit.py)
  vit-detector the 0.9 detector at the paper's check interval, given 100 epochs to fire (vit_detector.py)
  paper-row    one Table 1 row at the paper's scale: full MNIST, vit-nomlp-wkewq-wvwo (paper_row.py)

``run_protocol(name, out, quick, seeds, log)`` runs one; ``--quick`` (seconds) is for tests.
Layer: experiments; map: README "Where things go".
"""
from __future__ import annotations

PROTOCOLS = ("laptop", "granularity", "vit", "vit-detector", "paper-row")
DEFAULT = "laptop"


def run_protocol(name, out, quick=False, seeds=None, cells=None, log=print):
    if name not in PROTOCOLS:
        raise ValueError(f"protocol must be one of {', '.join(PROTOCOLS)}, got {name!r}")
    if cells is not None and name != "laptop":
        raise ValueError(f"cells can only be chosen for protocol 'laptop', got protocol {name!r}")
    if name == "laptop":
        from ..reproduce import reproduce
        return reproduce(out, cells=cells, seeds=seeds, quick=quick, log=log)
    if name == "granularity":
        from . import granularity
        return granularity.run(out, quick=quick, seeds=seeds, log=log)
    from . import paper_row, table, vit, vit_detector
    module = {m.PROTOCOL.flag: m for m in (vit, vit_detector, paper_row)}[name]
    return table.run(module.PROTOCOL, out, quick_cells=module.QUICK_CELLS if quick else None,
                     seeds=seeds, log=log)
