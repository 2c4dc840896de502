"""JSON helpers shared by every file the package writes (results, histories, traces)."""
from __future__ import annotations

import dataclasses
import math
import os
from pathlib import Path

import numpy as np


def jsonable(value):
    """Plain JSON types throughout: NumPy scalars and arrays to Python, NaN/inf to None
    (strict JSON has no NaN), dataclasses to dicts, dict keys to str."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return jsonable(dataclasses.asdict(value))
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.ndarray):
        return jsonable(value.tolist())
    return value


def write_atomic(path, write):
    """``write(tmp_path)`` into a new file beside ``path``, then rename it onto ``path``.

    A Ctrl-C or a full disk mid-write never leaves half a file, nor the temporary one (it is
    removed on any failure). The temporary file is created exclusively (O_EXCL: never an
    existing file, never through a symlink) and the rename replaces a symlink at ``path``
    rather than writing through it.
    """
    path = Path(path)
    tmp = _exclusive_tmp(path)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _exclusive_tmp(path):
    """A new empty file ``.<name>.<pid>[.k].tmp`` in path's folder (mode from the umask)."""
    for k in range(1000):
        tmp = path.with_name(f".{path.name}.{os.getpid()}{'' if k == 0 else f'.{k}'}.tmp")
        try:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
            return tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"cannot create a temporary file beside {path}")
