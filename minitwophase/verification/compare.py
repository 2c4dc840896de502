"""Comparing two verification traces: the first step where they part, with stated tolerances.

The trace format is documented in ``trace.py``; this module only reads traces.

Layer: verification (above experiments/, below cli/); map: docs/architecture.md.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np

from .._json import jsonable
from .trace import FIELDS, KINDS, STRUCTURE, Trace, load_trace

# Default tolerances, per field (|other - ref| <= atol + rtol |ref|). Measured against an
# independent float64 implementation (PyTorch 2.13: autograd, torch.optim.Adam, fed our theta0
# and minibatch order; our NonlinearCG on torch's gradients), tanh MLPs, MSE:
#   Adam phase: digits 64-32-10, 3600 minibatch steps: every field within 7e-15 relative
#     (Adam's normalised step does not amplify rounding differences here).
#   CG phase: differences grow about 10x every 6-8 iterations (full-batch CG is a chaotic map
#     of its inputs: beta and the line search feed every rounding difference forward):
#     1e-13 after 10 iterations, ~1e-9 after 25-30 (digits and MNIST-5k 784-128-10),
#     O(1) after ~90. So a *correct* float64 reimplementation parts from ours in the CG phase
#     after ~25 iterations at rtol 1e-9: keep the CG phase of a verification run short
#     (<= 20 iterations), or compare only phases ("init", "adam"), or loosen rtol for it.
#   Bugs (tutorial 07): float32 parts at the first record by 1e-8 (NumPy) to 1e-7 (torch),
#     then runs at ~1e-6; an Adam re-created every epoch parts by 0.2-0.6 in step_size.
# rtol 1e-9: five orders above the Adam-phase agreement, one below the smallest bug.
# atol 0 except for beta: PR+ clips beta at 0, where one side's 0 may be the other's 1e-17.
DEFAULT_RTOL = {"loss": 1e-9, "grad_norm": 1e-9, "step_size": 1e-9, "beta": 1e-9}
DEFAULT_ATOL = {"loss": 0.0, "grad_norm": 0.0, "step_size": 0.0, "beta": 1e-12}


@dataclass
class TraceComparison:
    """What ``compare_traces`` found. ``first`` is None when no compared record parts."""
    agree: bool
    verdict: str                       # one line
    n_reference: int
    n_other: int
    n_compared: int                    # records matched by position (the matched prefix)
    first: dict | None                 # step, epoch, phase, kind, field, reference, other, abs_diff, rel_diff, tol
    max_diff: dict                     # field -> {"abs", "rel", "step"} over the matched prefix
    issues: list                       # length / structure / header notes, one line each
    rtol: dict
    atol: dict
    rel_diff: dict = field(repr=False, default_factory=dict)   # field -> per-record array (nan: n/a)

    def to_dict(self):
        d = {k: v for k, v in asdict(self).items() if k != "rel_diff"}
        return jsonable(d)

    def text(self):
        lines = [self.verdict, f"records: reference {self.n_reference}, other {self.n_other}, "
                 f"compared {self.n_compared}"]
        if self.first is not None:
            f = self.first
            lines.append(f"first difference: step {f['step']} (epoch {f['epoch']}, {f['kind']}), "
                         f"field {f['field']}: reference {f['reference']!r}, other {f['other']!r}"
                         + ("" if f["rel_diff"] is None else
                            f", |diff| {f['abs_diff']:.3g}, relative {f['rel_diff']:.3g}"
                            f" > tolerance {f['tol']}"))
        lines.append("largest differences over the compared records (before and after any parting):")
        for k, m in self.max_diff.items():
            lines.append(f"  {k:<10} " + ("no values" if m["step"] is None else
                         f"relative {m['rel']:.3g}, absolute {m['abs']:.3g} at step {m['step']}"
                         f"   (rtol {self.rtol[k]:g}, atol {self.atol[k]:g})"))
        lines += [f"note: {i}" for i in self.issues]
        return "\n".join(lines)

    __str__ = text


def _tolerances(value, defaults, name):
    if value is None:
        return dict(defaults)
    if isinstance(value, dict):
        bad = [k for k in value if k not in FIELDS]
        if bad:
            raise ValueError(f"{name} keys must be among {list(FIELDS)}, got {bad}")
        out = {**defaults, **value}
    else:
        out = {k: value for k in FIELDS}
    for k, v in out.items():
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not v >= 0 or not math.isfinite(v):
            raise ValueError(f"{name} for {k} must be a finite number >= 0, got {v!r}")
    return {k: float(v) for k, v in out.items()}


def compare_traces(reference, other, rtol=None, atol=None, phases=None):
    """Compare two traces record by record; returns a TraceComparison (``.text()`` to print).

    reference, other: Trace objects or paths. rtol, atol: a number for every field or a dict
    {field: value} overriding DEFAULT_RTOL / DEFAULT_ATOL; a field passes where
    |other - ref| <= atol + rtol |ref| (both null, or both NaN, pass). phases: compare only
    records of these phases (e.g. ("init", "adam") for an implementation without CG).
    They agree when both have the same records (epoch, phase, kind) and every field passes.
    """
    ref = reference if isinstance(reference, Trace) else load_trace(reference)
    oth = other if isinstance(other, Trace) else load_trace(other)
    rtol, atol = _tolerances(rtol, DEFAULT_RTOL, "rtol"), _tolerances(atol, DEFAULT_ATOL, "atol")
    if phases is not None:
        phases = set([phases] if isinstance(phases, str) else phases)
        bad = phases - set(KINDS.values())
        if bad:
            raise ValueError(f"phases must be among {sorted(set(KINDS.values()))}, got {sorted(bad)}")
    keep = lambda recs: [r for r in recs if phases is None or r["phase"] in phases]  # noqa: E731
    a, b = keep(ref.records), keep(oth.records)
    issues, first = _header_notes(ref.header, oth.header), None
    n = 0
    for ra, rb in zip(a, b):
        bad = next((k for k in STRUCTURE if ra[k] != rb[k]), None)
        if bad is not None:
            first = dict(step=ra["step"], epoch=ra["epoch"], phase=ra["phase"], kind=ra["kind"],
                         field=bad, reference=ra[bad], other=rb[bad], abs_diff=None, rel_diff=None, tol=None)
            issues.append(f"the records part in structure at step {ra['step']}: {bad} "
                          f"{ra[bad]!r} (reference) vs {rb[bad]!r} (other); compared up to there")
            break
        n += 1
    rel = {k: np.full(n, np.nan) for k in FIELDS}
    max_diff = {k: {"abs": 0.0, "rel": 0.0, "step": None} for k in FIELDS}
    numeric_first = None
    for i in range(n):
        for k in FIELDS:
            x, y = a[i][k], b[i][k]
            if x is None and y is None:
                continue
            if x is None or y is None:
                d = r = math.inf
            elif math.isnan(x) and math.isnan(y):
                continue
            else:
                d = abs(y - x)
                r = 0.0 if d == 0 else (d / abs(x) if x != 0 else math.inf)
            rel[k][i] = r
            if max_diff[k]["step"] is None or r > max_diff[k]["rel"] or (r == max_diff[k]["rel"] and d > max_diff[k]["abs"]):
                max_diff[k] = {"abs": d, "rel": r, "step": a[i]["step"]}
            if numeric_first is None and not d <= atol[k] + rtol[k] * (abs(x) if x is not None else 0):
                numeric_first = dict(step=a[i]["step"], epoch=a[i]["epoch"], phase=a[i]["phase"],
                                     kind=a[i]["kind"], field=k, reference=x, other=y, abs_diff=d,
                                     rel_diff=r, tol=f"atol {atol[k]:g} + rtol {rtol[k]:g} x |ref|")
    first = numeric_first or first
    if len(a) != len(b):
        shorter = "other" if len(b) < len(a) else "reference"
        issues.append(f"lengths differ: reference {len(a)} records, other {len(b)}; the {shorter} "
                      f"ends after step {min(len(a), len(b)) - 1}")
        if first is None:
            r0 = (a if len(a) > len(b) else b)[n]
            first = dict(step=r0["step"], epoch=r0["epoch"], phase=r0["phase"], kind=r0["kind"],
                         field="length", reference=len(a), other=len(b), abs_diff=None, rel_diff=None, tol=None)
    agree = first is None
    verdict = _verdict(agree, first, n, max_diff, rtol, atol)
    return TraceComparison(agree, verdict, len(a), len(b), n, first, max_diff, issues, rtol, atol, rel)


def _verdict(agree, first, n, max_diff, rtol, atol):
    if agree:
        worst = max(FIELDS, key=lambda k: max_diff[k]["rel"])
        m = max_diff[worst]
        at = (" (bit-identical)" if m["rel"] == 0 else
              f" (largest relative difference {m['rel']:.2g}, {worst}, step {m['step']})")
        return f"AGREE: {n} records, every field within tolerance{at}"
    f = first
    if f["rel_diff"] is None:
        return (f"PART at step {f['step']} (epoch {f['epoch']}, {f['kind']}): {f['field']} "
                f"{f['reference']!r} (reference) vs {f['other']!r} (other)")
    return (f"PART at step {f['step']} (epoch {f['epoch']}, {f['kind']}): {f['field']} "
            f"{f['reference']!r} vs {f['other']!r}, relative difference {f['rel_diff']:.3g} "
            f"> rtol {rtol[f['field']]:g} (atol {atol[f['field']]:g})")


def _header_notes(h1, h2):
    """Configuration keys present in both headers with different values (informative only)."""
    c1, c2 = ((h.get("config") if isinstance(h, dict) else None) for h in (h1, h2))
    c1, c2 = (c if isinstance(c, dict) else {} for c in (c1, c2))   # load_trace checks files; a Trace built by hand may hold anything
    h1, h2 = (h if isinstance(h, dict) else {} for h in (h1, h2))
    notes = [f"config {k} differs: {c1[k]!r} (reference) vs {c2[k]!r} (other)"
             for k in c1 if k in c2 and c1[k] != c2[k]]
    if h1.get("data_sha256") and h2.get("data_sha256") and h1["data_sha256"] != h2["data_sha256"]:
        notes.append("data_sha256 differs: the two runs did not train on the same data")
    return notes
