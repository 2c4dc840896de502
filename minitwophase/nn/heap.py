"""Keep freed memory in the process for the next chunk (glibc's malloc only; elsewhere a no-op).

One loss_and_grad allocates and frees thousands of activation arrays of a few hundred KiB. glibc
hands the top of its heap back to the operating system as soon as more than M_TRIM_THRESHOLD is
free there, and serves arrays above M_MMAP_THRESHOLD by fresh mappings, so every chunk page-
faults the same memory in again: ~22,000 page faults per 512-image ViT step, which took 40% of
its time on a busy machine (paired timings in one process). Raising both thresholds (mallopt,
once per process) lets the next chunk reuse the memory, as jemalloc and tcmalloc do by default.
Arrays above MMAP_BYTES are still mapped and returned on free, and at most TRIM_BYTES of free
heap is kept.
"""
from __future__ import annotations

import ctypes
import platform

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3      # glibc's malloc.h
MMAP_BYTES = 32 * 2 ** 20                        # glibc's own ceiling for its dynamic threshold
TRIM_BYTES = 64 * 2 ** 20
_done = []


def keep_freed_memory():
    """Raise glibc's trim and mmap thresholds once; True if they are raised."""
    if not _done:
        _done.append(_mallopt())
    return _done[0]


def _mallopt():
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_BYTES)) and bool(mallopt(M_TRIM_THRESHOLD, TRIM_BYTES))
