"""The protocols of ``minitwophase reproduce --protocol NAME``, each as data in its own module.

  laptop       the Table 1 analogue at laptop scale, under head x initial scale (laptop.py; the default)
  granularity  what checking the swap rule every 8, 32 or 118 Adam steps does (granularity.py)
  vit          the paper's ViT variants and vgg5 on MNIST, three methods, three seeds (vit.py)
  vit-detector the 0.9 detector at the paper's check interval, given 100 epochs to fire (vit_detector.py)
  paper-row    one Table 1 row at the paper's scale: full MNIST, vit-nomlp-wkewq-wvwo (paper_row.py)
  paper-budget that row at the paper's 1000 epochs, in stages of `minitwophase run` commands;
               rendered only (``--render``): the stage tables from its run folders (paper_budget.py)

One engine runs the table protocols (table.py: one Cell and SETUP, cell.py; the runs and where
they go, runs.py); granularity.py is a study of its own on the same Cell and SETUP.
``run_protocol(name, out, quick, seeds, cells, log, jobs=N | scheduler=ADDRESS)`` runs one;
``--quick`` (seconds) is for tests. ``documents.render`` re-writes a table from its JSON and
``documents.merge`` joins the documents of processes that ran disjoint cells.
Every protocol's JSON says whether it was a quick run ("quick": true/false; the former laptop
code's under "protocol"), and a quick run never replaces a full one's files: into a folder whose
JSON is not marked quick it refuses (``full_results_in``) unless ``overwrite`` is given.
Layer: experiments; map: docs/architecture.md.
"""
from __future__ import annotations

import json
from pathlib import Path

PROTOCOLS = ("laptop", "granularity", "vit", "vit-detector", "paper-row")
DEFAULT = "laptop"
RESULTS = {"laptop": "table1.json", "granularity": "granularity.json", "vit": "table1_vit.json",
           "vit-detector": "vit_detector.json", "paper-row": "paper_row.json"}


def is_quick(doc):
    """A protocol's JSON document -> True (quick run), False (full) or None (not marked)."""
    if not isinstance(doc, dict):
        return None
    quick = doc["protocol"].get("quick") if isinstance(doc.get("protocol"), dict) else doc.get("quick")
    return quick if isinstance(quick, bool) else None


def full_results_in(name, out):
    """What in ``out`` a quick run of protocol ``name`` must not replace: None, or a phrase
    naming the file (a full run's results, or a file it cannot read: when in doubt, keep)."""
    path = Path(out) / RESULTS[name]
    if not path.exists():
        return None
    try:
        marked = is_quick(json.loads(path.read_text()))
    except (OSError, ValueError, RecursionError):
        marked = None
    if marked is True:
        return None
    return f"{'a full run' if marked is False else 'a run not marked quick'} ({path.name})"


def table_module(name):
    """The module holding table protocol ``name`` (its PROTOCOL and QUICK_CELLS)."""
    from . import laptop, paper_row, vit, vit_detector
    return {m.PROTOCOL.flag: m for m in (laptop, vit, vit_detector, paper_row)}[name]


def cell_names(name, quick=False):
    """The cell names of protocol ``name`` (its quick ones with ``quick``)."""
    if name == "granularity":
        from . import granularity
        return [c.name for c in (granularity.QUICK_CELLS if quick else granularity.CELLS)]
    module = table_module(name)
    return [c.name for c in (module.QUICK_CELLS if quick else module.PROTOCOL.cells)]


def run_protocol(name, out, quick=False, seeds=None, cells=None, log=print, overwrite=False, jobs=None,
                 scheduler=None, epochs=None):
    """Run protocol ``name`` into ``out``; its runs in this process, or on ``jobs`` local
    processes, or on the Dask cluster at ``scheduler`` (runs.Pool). ``epochs``: every cell's
    epochs instead of the protocol's budgets (table protocols)."""
    if name not in PROTOCOLS:
        raise ValueError(f"protocol must be one of {', '.join(PROTOCOLS)}, got {name!r}")
    if jobs is not None and scheduler is not None:
        raise ValueError(f"give jobs or scheduler, not both: got jobs={jobs!r}, scheduler={scheduler!r}")
    if jobs is not None and (isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1):
        raise ValueError(f"jobs must be an int >= 1, got {jobs!r}")
    held = full_results_in(name, out) if quick and not overwrite else None
    if held:
        raise ValueError(f"out {str(out)!r} holds the results of {held}; a quick run would "
                         "replace them: choose another out, or pass overwrite=True")
    if cells is not None and name == "granularity":
        raise ValueError("cells can only be chosen for the table protocols, got protocol 'granularity'")
    if epochs is not None and name == "granularity":
        raise ValueError("epochs can only be chosen for the table protocols, got protocol 'granularity'")
    if epochs is not None and (isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1):
        raise ValueError(f"epochs must be an int >= 1, got {epochs!r}")
    if name == "granularity":
        from . import granularity
        return granularity.run(out, quick=quick, seeds=seeds, log=log, jobs=jobs, scheduler=scheduler)
    from . import table
    module = table_module(name)
    return table.run(module.PROTOCOL, out, quick_cells=module.QUICK_CELLS if quick else None,
                     seeds=seeds, log=log, cells=cells, jobs=jobs, scheduler=scheduler, epochs=epochs)
