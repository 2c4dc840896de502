"""Ctrl-C while ``minitwophase`` (the command) is still importing NumPy, SciPy and the package:
one line and exit 130, not a KeyboardInterrupt traceback from deep inside an import.

Called from the ``except KeyboardInterrupt`` around the package's imports (``__init__.py``,
``cli/__init__.py``, ``__main__.py``); a library import (``import minitwophase`` in a script or
a notebook) gets its KeyboardInterrupt back unchanged. Layer: bottom (standard library only).
"""
from __future__ import annotations

import os
import sys

EXIT_INTERRUPTED = 130          # 128 + SIGINT, as cli.options.EXIT_INTERRUPTED


def started_as_command():
    """True in ``python -m minitwophase ...`` (argv[0] is "-m" while the package is imported)
    and in the installed ``minitwophase`` script."""
    argv0 = sys.argv[0] if sys.argv else ""
    return argv0 == "-m" or os.path.basename(argv0).split(".")[0] == "minitwophase"


def interrupted_while_starting():
    """In the command: the one line and exit 130; else return (the caller re-raises)."""
    if started_as_command():
        try:
            print("minitwophase: interrupted while starting; nothing written", file=sys.stderr)
        finally:
            raise SystemExit(EXIT_INTERRUPTED)
