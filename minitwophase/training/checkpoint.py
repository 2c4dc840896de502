"""Checkpoints: a training run's state between two epochs (trainer.Training.state_dict) in one
file, so a stopped, killed or finished run continues bit for bit (``train(resume=state)``).

The file is one compressed .npz: every array of the state (theta, Adam's m and v, CG's x, g, d, ..., the
objective's cached gradient, the best parameters) under its path in the state
("theta", "phases/adam/optimizer/m", ...; an array equal to one stored already, once), and
under ``STATE_KEY`` the rest as JSON text
(numbers, strings, the rows, the minibatch generator's bit_generator.state) in which an array
is ``{"__array__": key}`` and a NumPy scalar ``{"__numpy__": dtype, "value": v}``, so every
value comes back with its type. Floats are written by repr, so they read back exactly; NaN
and inf as Python's JSON extensions (NaN, Infinity). No pickle: np.load(allow_pickle=False).

Written atomically: a temporary file in the same folder, flushed and fsync'ed, then renamed
onto the name (``_json.write_atomic``), so a kill leaves the previous checkpoint or the new
one, never part of one. ``Checkpointer`` is the trainer's ``checkpoint`` hook: every K epochs
and at the run's end it replaces ``<folder>/<method>_seed<seed>.npz`` (the latest; with
``keep`` also ``..._epoch<E>.npz``, one per checkpoint, for starting other phases from it).

Layer: training (the standard library, numpy and _json only).
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from .._json import write_atomic
from .._validate import positive_int

FORMAT = 1                          # the layout of the state; a file of another is refused
STATE_KEY = "state.json"


def _encode(value, path, arrays):
    if isinstance(value, np.ndarray):
        for key, stored in arrays.items():   # x_best is often x, the cache's theta is theta:
            if stored is value or (stored.dtype == value.dtype and stored.shape == value.shape
                                   and stored.tobytes() == value.tobytes()):   # bit for bit
                return {"__array__": key}     # stored once (every reader copies what it loads)
        arrays[path] = value
        return {"__array__": path}
    if isinstance(value, np.generic):
        return {"__numpy__": value.dtype.str, "value": value.item()}
    join = lambda k: f"{path}/{k}" if path else str(k)
    if isinstance(value, dict):
        return {str(k): _encode(v, join(k), arrays) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encode(v, join(i), arrays) for i, v in enumerate(value)]
    return value


def _decode(value, arrays):
    if isinstance(value, dict):
        if set(value) == {"__array__"}:
            return arrays[value["__array__"]]
        if set(value) == {"__numpy__", "value"}:
            return np.dtype(value["__numpy__"]).type(value["value"])
        return {k: _decode(v, arrays) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v, arrays) for v in value]
    return value


def save_checkpoint(path, state, **extra):
    """Write ``state`` (and ``extra`` entries, e.g. the experiment) to ``path`` atomically."""
    arrays = {}
    doc = _encode({"format": FORMAT, **extra, **state}, "", arrays)
    text = json.dumps(doc, allow_nan=True)
    arrays[STATE_KEY] = np.frombuffer(text.encode(), dtype=np.uint8)

    def write(tmp):
        with open(tmp, "wb") as fh:          # a file object: np.savez would append ".npz"
            np.savez_compressed(fh, **arrays)    # the JSON text (rows) shrinks ~5x
            fh.flush()
            os.fsync(fh.fileno())            # on disk before the rename makes it the checkpoint
    path = Path(path)
    write_atomic(path, write)
    _sync_folder(path.parent)
    return path


def _sync_folder(folder):
    """fsync the folder so the rename itself survives a power cut (POSIX; skipped elsewhere)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def load_checkpoint(path):
    """The state ``save_checkpoint`` wrote (ValueError naming the file if it is not one)."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as f:
            arrays = {k: f[k] for k in f.files}
    except (OSError, ValueError, EOFError) as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        why = "not an .npz file" if "pickle" in str(exc) else str(exc)
        raise ValueError(f"{path}: not a minitwophase checkpoint ({why})") from None
    if STATE_KEY not in arrays:
        raise ValueError(f"{path}: not a minitwophase checkpoint (no {STATE_KEY})")
    doc = json.loads(bytes(arrays.pop(STATE_KEY)).decode())
    if doc.get("format") != FORMAT:
        raise ValueError(f"{path}: checkpoint format {doc.get('format')!r}, this version reads {FORMAT}")
    return _decode(doc, arrays)


def checkpoint_name(method, seed, epoch=None):
    """``<method>_seed<seed>.npz`` (the latest), ``..._epoch<E>.npz`` (kept, with ``keep``)."""
    return f"{method}_seed{seed}" + ("" if epoch is None else f"_epoch{epoch}") + ".npz"


class Checkpointer:
    """The trainer's ``checkpoint`` hook: ``every`` epochs (and at the end) it writes the state
    to ``folder/<method>_seed<seed>.npz``, and with ``keep`` also to ``..._epoch<E>.npz``.
    ``extra``: entries stored beside the state (the experiment's data and model options).
    ``guard``: a context manager factory around each write (the command line defers Ctrl-C
    there, so a signal never cuts a checkpoint short; the rename makes it atomic anyway)."""

    def __init__(self, folder, every, keep=False, extra=None, guard=None):
        self.folder, self.every = Path(folder), positive_int(every, "checkpoint_every")
        self.keep, self.extra, self.guard = bool(keep), dict(extra or {}), guard
        self.written = []                    # paths written, in order

    def __call__(self, state):
        cfg = state["config"]
        names = [checkpoint_name(cfg["method"], cfg["seed"])]
        if self.keep:
            names.append(checkpoint_name(cfg["method"], cfg["seed"], state["epoch"]))
        self.folder.mkdir(parents=True, exist_ok=True)
        for name in names:
            if self.guard is None:
                self.written.append(save_checkpoint(self.folder / name, state, **self.extra))
            else:
                with self.guard():
                    self.written.append(save_checkpoint(self.folder / name, state, **self.extra))


def config_differences(saved, given, allowed=()):
    """[(field, saved value, given value)] of two config dicts (asdict(TrainConfig)), fields
    in ``allowed`` left out; tuples and lists compare as equal sequences."""
    norm = lambda v: list(v) if isinstance(v, (list, tuple)) else v
    return [(k, saved.get(k), given.get(k)) for k in given
            if k not in allowed and norm(saved.get(k)) != norm(given.get(k))]
