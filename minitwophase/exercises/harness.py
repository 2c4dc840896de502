"""The checker shared by every exercise: run, compare, shrink, diagnose.

Cases come from NumPy's seeded generator, not hypothesis: the checker is runtime code a
student runs on a laptop with only the package installed (hypothesis is a test dependency),
and a fixed seed gives the student and the grader the very same report. Each exercise's
generator draws its cases smallest first and aims them at its known mistakes (tiny
gradients where epsilon matters, negative PR betas, equal-to-threshold swap norms), which
random drawing alone would rarely hit; a failing case is then shrunk greedily (drop a row,
a coordinate, a tail) while it still fails, so the report shows a small input.

A diagnosis is tested, not guessed: each known mistake is coded up as a wrong variant of
the reference, run on the same inputs, and named only if it reproduces the student's output
(the same values, or the same exception type) on every case.
"""
from __future__ import annotations

import copy
import traceback
from dataclasses import dataclass
from typing import Callable

import numpy as np

from .result import CheckResult

RTOL = 1e-7          # agreement: |got - expected| <= RTOL |expected| + ATOL_REL * scale
ATOL_REL = 1e-10     # scale = largest |expected| of that output, so exact zeros compare sanely
SHRINK_BUDGET = 300  # candidate inputs tried while shrinking


@dataclass(frozen=True)
class Mistake:
    """A known mistake: ``key`` (stable name), ``cause`` (what to tell the student), ``fn``
    (the wrong code, with the student's signature)."""
    key: str
    cause: str
    fn: Callable


@dataclass(frozen=True)
class Exercise:
    """One graded exercise.

    ``cases(rng)`` returns a list of dicts, argument name -> value in call order;
    ``outputs`` names the returned values (a tuple is expected when there are several);
    ``check_order`` lists output positions in the order they are compared (the order the
    algorithm computes them, so the first wrong one is the earliest step that went wrong);
    ``shrink(case)`` yields smaller variants of a case; ``kind`` is "float" or "bool".
    """
    name: str
    against: str
    reference: Callable
    cases: Callable
    mistakes: tuple
    outputs: tuple
    kind: str = "float"
    check_order: tuple | None = None
    shrink: Callable | None = None


class _Raised:
    """An exception a function raised on one case (compared by type)."""

    def __init__(self, exc):
        self.type = type(exc)
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename != __file__]
        where = f" (line {frames[-1].lineno} of {frames[-1].filename})" if frames else ""
        self.text = f"{type(exc).__name__}: {exc}{where}"
        if isinstance(exc, SystemExit):   # sys.exit(), exit(), quit() inside the function
            self.text += ": a checked function must return its result, never end the program"


class _NotImplemented(Exception):
    pass


def _call(fn, case):
    """fn(*case) on a private copy of the inputs (a function may modify its arguments)."""
    args = copy.deepcopy(list(case.values()))
    try:
        with np.errstate(all="ignore"):
            return fn(*args)
    except NotImplementedError as exc:
        raise _NotImplemented(str(exc)) from None
    except (Exception, SystemExit) as exc:  # noqa: BLE001 - any error of the student's code is reported
        return _Raised(exc)


def _as_outputs(value, ex):
    """The returned value as a tuple of arrays, or a string saying what is wrong with it."""
    k = len(ex.outputs)
    if k > 1:
        if not isinstance(value, (tuple, list)) or len(value) != k:
            return (f"must return a tuple of {k} values ({', '.join(ex.outputs)}), "
                    f"got {type(value).__name__}"
                    + (f" of length {len(value)}" if isinstance(value, (tuple, list)) else ""))
        values = tuple(value)
    else:
        values = (value,)
    out = []
    for name, v in zip(ex.outputs, values):
        if ex.kind == "bool" and np.ndim(v) == 0 and not isinstance(v, (bool, np.bool_)):
            return f"{name} must be a bool, got {type(v).__name__} {v!r}"
        if ex.kind == "bool" and np.ndim(v) > 0:
            raw = np.asarray(v)
            if raw.dtype != bool and not (raw.dtype.kind in "iu" and np.isin(raw, (0, 1)).all()):
                return f"{name} must hold bools, got dtype {raw.dtype}"
        try:
            arr = np.asarray(v, dtype=bool if ex.kind == "bool" else np.float64)
        except (TypeError, ValueError):
            return f"{name} must be {'bools' if ex.kind == 'bool' else 'numbers'}, got {v!r}"
        out.append(arr)
    return tuple(out)


def _first_difference(expected, got, ex):
    """None if ``got`` agrees with ``expected``; else (where, expected, got) of the first
    wrong element (outputs in ``check_order``, elements in C order)."""
    if isinstance(got, str):
        return ("return value", "-", got)
    order = ex.check_order or range(len(ex.outputs))
    for i in order:
        name, e, g = ex.outputs[i], expected[i], got[i]
        if e.shape != g.shape:
            return (f"{name} shape", e.shape, g.shape)
        if ex.kind == "bool":
            bad = e != g
        else:
            scale = float(np.max(np.abs(e[np.isfinite(e)]), initial=0.0))
            with np.errstate(invalid="ignore"):
                ok = np.isclose(g, e, rtol=RTOL, atol=ATOL_REL * scale, equal_nan=True)
            bad = ~ok
        if np.any(bad):
            idx = np.unravel_index(int(np.argmax(bad)), e.shape) if e.ndim else ()
            where = f"{name}[{', '.join(map(str, idx))}]" if idx else name
            return (where, e[idx].item(), g[idx].item())
    return None


def _agree(a, b, ex):
    """Two outcomes (outputs or exceptions) agree: same values, or same exception type."""
    if isinstance(a, _Raised) or isinstance(b, _Raised):
        return isinstance(a, _Raised) and isinstance(b, _Raised) and a.type is b.type
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    return _first_difference(a, b, ex) is None


def _outcome(fn, case, ex):
    raw = _call(fn, case)
    return raw if isinstance(raw, _Raised) else _as_outputs(raw, ex)


def _kind(got):
    """How an outcome fails: "error" (raised), "return" (wrong kind of value) or "value"."""
    return "error" if isinstance(got, _Raised) else "return" if isinstance(got, str) else "value"


def _fails(ex, fn, case, kind):
    """Does ``fn`` still fail on ``case`` in the same way (see ``_kind``)?"""
    expected = ex.reference(*copy.deepcopy(list(case.values())))
    got = _outcome(fn, case, ex)
    if _kind(got) != "value":
        return _kind(got) == kind
    return kind == "value" and _first_difference(_as_outputs(expected, ex), got, ex) is not None


def _shrink(ex, fn, case, kind):
    if ex.shrink is None:
        return case, False
    budget, shrunk, improved = SHRINK_BUDGET, False, True
    while improved and budget > 0:
        improved = False
        for candidate in ex.shrink(case):
            budget -= 1
            if _fails(ex, fn, candidate, kind):
                case, shrunk, improved = candidate, True, True
                break
            if budget <= 0:
                break
    return case, shrunk


def run_check(ex, student_fn, seed=0):
    """Check ``student_fn`` on ``ex``'s cases drawn with ``seed``; see :class:`CheckResult`."""
    if not callable(student_fn):
        raise TypeError(f"student_fn must be a function, got {type(student_fn).__name__}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an int, got {type(seed).__name__} {seed!r}")
    cases = ex.cases(np.random.default_rng(int(seed)))
    base = dict(exercise=ex.name, n_cases=len(cases), seed=int(seed), against=ex.against)
    try:
        got = [_outcome(student_fn, c, ex) for c in cases]
    except _NotImplemented as exc:
        return CheckResult(passed=False, not_implemented=True, hint=str(exc) or None, **base)
    expected = [_as_outputs(ex.reference(*copy.deepcopy(list(c.values()))), ex) for c in cases]
    first = next((i for i, (e, g) in enumerate(zip(expected, got))
                  if isinstance(g, _Raised) or _first_difference(e, g, ex) is not None), None)
    if first is None:
        return CheckResult(passed=True, **base)

    try:
        case, shrunk = _shrink(ex, student_fn, cases[first], _kind(got[first]))
    except _NotImplemented:       # a stub filled for some inputs only: keep the original
        case, shrunk = cases[first], False
    g = _outcome(student_fn, case, ex) if shrunk else got[first]
    e = _as_outputs(ex.reference(*copy.deepcopy(list(case.values()))), ex)

    # Diagnose by experiment: which coded-up mistakes reproduce the student's behaviour?
    everywhere, here = [], []
    for m in ex.mistakes:
        try:
            same_here = _agree(_outcome(m.fn, case, ex), g, ex)
            if same_here and all(_agree(_outcome(m.fn, c, ex), s, ex)
                                 for c, s in zip(cases, got)):
                everywhere.append(m)
            elif same_here:
                here.append(m)
        except _NotImplemented:
            continue
    result = CheckResult(passed=False, case=case, case_index=first, shrunk=shrunk, **base)
    if isinstance(g, _Raised):
        result.error = f"raised {g.text}"
    elif isinstance(g, str):
        result.error = f"returned the wrong kind of value: {g}"
    else:
        result.where, result.expected, result.got = _first_difference(e, g, ex)
    if everywhere:
        result.mistake, result.cause = everywhere[0].key, everywhere[0].cause
    result.possible = [m.cause for m in (everywhere[1:] + here)]
    return result


def drop_along(case, axes):
    """Yield copies of ``case`` with one index removed along ``axes`` (arg name -> axis) in
    every listed argument at once; nothing when that axis has length 1."""
    names = list(axes)
    n = np.shape(case[names[0]])[axes[names[0]]]
    if n <= 1:
        return
    for j in range(n):
        new = dict(case)
        for name in names:
            new[name] = np.delete(case[name], j, axis=axes[name])
        yield new
