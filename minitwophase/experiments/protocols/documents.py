"""A protocol's JSON document after the run: re-render its table without training, and merge
the documents of processes that ran disjoint cells of one protocol.

``render(name, out, merge=())``: reads ``out``/<results file> (protocols.RESULTS), merges the
documents of the folders in ``merge`` into it (their cell folders are copied next to it, and
the merged JSON replaces ``out``'s), and re-writes the table (<file>.md; granularity.png too
for ``granularity``) from the document alone, as the run wrote it.
``merge(docs, order)``: one document from several of one protocol run on disjoint cells: the
cells in the protocol's order, complete when every part is, wall_time the sum of the cells'
times and ``processes`` how many processes ran them (the table says so).

Layer: experiments; map: docs/architecture.md.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

from ..._json import jsonable, write_atomic

# Fields every part of a merge must share (those present).
SHARED = ("protocol", "quick", "setup", "methods", "seeds", "intervals", "budget_note")


def load(name, folder):
    """The JSON document of protocol ``name`` in ``folder`` (ValueError naming the file if absent or unreadable)."""
    from . import RESULTS
    path = Path(folder) / RESULTS[name]
    try:
        doc = json.loads(path.read_text())
    except FileNotFoundError:
        raise ValueError(f"{path} does not exist: no {name} results to render in {folder}") from None
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path} cannot be read as JSON: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("cells"), list):
        raise ValueError(f"{path} is not a protocol document (no list of cells)")
    if not isinstance(doc.get("protocol"), str):
        raise ValueError(f"{path} was written by the laptop protocol's former code (its 'protocol' is "
                         "not a name), which has no renderer: run the protocol again")
    return doc


def merge(docs, order=None):
    """One document from ``docs`` (of one protocol, disjoint cells); ``order``: the protocol's
    cell names (default: the order of the parts' planned cells)."""
    docs = list(docs)
    if not docs:
        raise ValueError("merge needs at least one document, got none")
    first = docs[0]
    for d in docs[1:]:
        for key in SHARED:
            if d.get(key) != first.get(key):
                raise ValueError(f"documents to merge must share {key!r}: {first.get(key)!r} != {d.get(key)!r}")
    names = [c["cell"] for d in docs for c in d["cells"]]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ValueError(f"documents to merge must hold disjoint cells, got {repeated[0]!r} more than once")
    planned = []
    for d in docs:
        for n in d.get("cells_planned") or [c["cell"] for c in d["cells"]]:
            if n not in planned:
                planned.append(n)
    order = list(order or []) + [n for n in planned if n not in (order or [])]
    merged = dict(first)
    merged["cells"] = sorted((c for d in docs for c in d["cells"]), key=lambda c: order.index(c["cell"])
                             if c["cell"] in order else len(order))
    if "cells_planned" in first:
        merged["cells_planned"] = sorted(planned, key=lambda n: order.index(n))
    merged["complete"] = all(d.get("complete") for d in docs)
    if any(d.get("interrupted") for d in docs):
        merged["interrupted"] = True
    merged["wall_time"] = sum(c.get("wall_time") or 0.0 for c in merged["cells"])
    merged["processes"] = sum(d.get("processes") or 1 for d in docs)
    merged.pop("workers", None)
    return merged


def _protocol(name):
    from . import laptop, paper_row, vit, vit_detector
    return {m.PROTOCOL.flag: m for m in (laptop, vit, vit_detector, paper_row)}[name]


def render(name, out, merge_from=()):
    """Re-write protocol ``name``'s table in ``out`` from its JSON (merged with ``merge_from``'s
    documents first, if any); returns the document."""
    from . import PROTOCOLS, RESULTS
    if name not in PROTOCOLS:
        raise ValueError(f"protocol must be one of {', '.join(PROTOCOLS)}, got {name!r}")
    out = Path(out)
    doc = load(name, out)
    if name == "granularity":
        from . import granularity as g
        order = [c.name for c in (g.QUICK_CELLS if doc.get("quick") else g.CELLS)]
    else:
        module = _protocol(name)
        order = [c.name for c in (module.QUICK_CELLS if doc.get("quick") else module.PROTOCOL.cells)]
    if merge_from:
        parts = [load(name, d) for d in merge_from]
        doc = merge([doc] + parts, order)
        for folder, part in zip(merge_from, parts):
            for c in part["cells"]:
                for f in c.get("figures", []) + ([str(Path(f).parent / "history.csv") for f in c.get("figures", [])[:1]]):
                    src, dst = Path(folder) / f, out / f
                    if src.exists() and src.resolve() != dst.resolve():
                        dst.parent.mkdir(parents=True, exist_ok=True)
                        shutil.copy2(src, dst)
        text = json.dumps(jsonable(doc), indent=1, allow_nan=False)
        write_atomic(out / RESULTS[name], lambda tmp: tmp.write_text(text))
    if name == "granularity":
        from . import granularity as g
        g.write(doc, out, json_too=False)
    else:
        from .table import write_markdown
        write_markdown(_protocol(name).PROTOCOL, doc, out)
    return doc
