"""The output folder of a run: one run, written by one process, never old and new files mixed.

``OutputFolder(path, command).open()``:
  1. creates the folder (and its missing parents; on any failure below, removes again the
     folders it created, so a refused run leaves no folder behind);
  2. takes the lock: ``.minitwophase.lock`` holds the holder's pid, host, start time and
     command, and is kept locked (``fcntl.flock``) while the process lives, so a second
     process is refused with a message naming the holder, and a killed holder's lock (the OS
     released it) is simply taken over;
  3. removes the files an earlier run left (``RUN_FILES``: results.json, history.csv,
     params.npz, summary.md, fig_*.png and .svg, and their temporary files), so nothing of it
     can be read as part of the new run, and the checkpoints (``CHECKPOINTS``/*.npz) of an
     earlier run. Other files are left alone. A folder where one of these names is
     not a file (e.g. a directory called results.json) is refused before anything is removed.
Every file is then written by create-and-rename (``write``: ``_json.write_atomic``), never
through a symlink. ``close()`` releases and removes the lock.

Errors are ``OutputError`` (a ValueError: one sentence naming the folder); the command line
prefixes the flag (--out).
Layer: experiments (only the standard library and _json).
"""
from __future__ import annotations

import errno
import json
import os
import socket
import time
from fnmatch import fnmatch
from pathlib import Path

from .._json import write_atomic

try:                                    # POSIX; elsewhere the lock file alone (no liveness check)
    import fcntl
except ImportError:                     # pragma: no cover
    fcntl = None

LOCK = ".minitwophase.lock"
#: The files a run writes (glob patterns); an earlier run's are removed when a new run opens,
#: with the temporary files of an interrupted write (_json.write_atomic's, and "NAME.tmp" of
#: earlier versions).
RUN_FILES = ("results.json", "history.csv", "params.npz", "summary.md", "fig_*.png", "fig_*.svg")
TEMPORARY = tuple(f".{p}.*.tmp" for p in RUN_FILES) + tuple(f"{p}.tmp" for p in RUN_FILES)
#: The subfolder of the checkpoints (training/checkpoint.py: ``<method>_seed<seed>[_epoch<E>].npz``).
CHECKPOINTS = "checkpoints"
CHECKPOINT_FILES = ("*.npz", ".*.npz.*.tmp")


class OutputError(ValueError):
    """The output folder cannot be used: one sentence, naming the folder."""


class FolderBusy(OutputError):
    """Another process holds the folder's lock."""


class WriteError(OutputError):
    """A file of the run could not be written (e.g. a full disk); ``name`` is the file."""

    def __init__(self, folder, name, exc):
        super().__init__(f"{folder}: cannot write {name} ({_why(exc)})")
        self.name, self.errno = name, getattr(exc, "errno", None)


def _why(exc):
    return (exc.strerror or str(exc)).rstrip(".").lower() if isinstance(exc, OSError) else str(exc)


class OutputFolder:
    def __init__(self, path, command=""):
        self.path = Path(path)
        self.command = command
        self._fd = None
        self._created = []              # folders this process created (removed if open fails)
        self._keep = ()                 # what ``open`` leaves of an earlier run (RUN_FILES patterns)

    # ------------------------------------------------------------ opening
    def open(self, clear=True, keep=()):
        """Create, lock and (unless ``clear`` is False) clear the folder, leaving alone the
        names in ``keep`` (patterns of RUN_FILES, or CHECKPOINTS: a run continued in its own
        folder keeps its checkpoints); returns the names of the earlier run's files removed."""
        try:
            self._make_dirs()
            self._lock()
            self._keep = tuple(keep)
            return self._clear() if clear else []
        except BaseException:
            self.close()
            self._remove_created()
            raise

    def _make_dirs(self):
        missing = []
        p = self.path
        while not p.exists() and not p.is_symlink():
            missing.append(p)
            if p.parent == p:
                break
            p = p.parent
        for d in reversed(missing):
            try:
                d.mkdir()
            except FileExistsError:
                pass
            except OSError as exc:
                raise OutputError(f"{self.path}: cannot create the folder ({_why(exc)})") from None
            self._created.append(d)
        if not self.path.is_dir():
            raise OutputError(f"{self.path}: not a folder")

    def _remove_created(self):
        for d in reversed(self._created):
            try:
                for leftover in d.iterdir():            # only our own lock can be in it
                    if leftover.name == LOCK:
                        leftover.unlink()
                d.rmdir()
            except OSError:
                pass
        self._created = []

    def _lock(self):
        lock = self.path / LOCK
        # Without flock (not POSIX) the file's existence is the lock: a killed holder's stays.
        exclusive = 0 if fcntl is not None else os.O_EXCL
        for _ in range(10):     # retry if the file we locked was removed by its closing holder
            try:
                fd = os.open(lock, os.O_RDWR | os.O_CREAT | exclusive | getattr(os, "O_NOFOLLOW", 0), 0o666)
            except FileExistsError:
                raise FolderBusy(f"{self.path} is in use by {holder(lock)}; wait for it to end, or "
                                 f"remove {lock} if that process is gone") from None
            except OSError as exc:
                raise OutputError(f"{self.path}: cannot create or write there ({_why(exc)})") from None
            if fcntl is not None:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except OSError as exc:
                    os.close(fd)
                    if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                        raise FolderBusy(f"{self.path} is in use by {holder(lock)}; wait for it to "
                                         "end or choose another folder") from None
                    raise OutputError(f"{self.path}: cannot lock {LOCK} ({_why(exc)})") from None
                try:
                    same = os.fstat(fd).st_ino == os.stat(lock).st_ino
                except FileNotFoundError:
                    same = False
                if not same:
                    os.close(fd)
                    continue
            self._fd = fd
            info = {"pid": os.getpid(), "host": socket.gethostname(),
                    "started": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "command": self.command}
            try:
                os.ftruncate(fd, 0)
                os.write(fd, (json.dumps(info) + "\n").encode())
            except OSError as exc:
                raise OutputError(f"{self.path}: cannot create or write there ({_why(exc)})") from None
            return
        raise FolderBusy(f"{self.path} is in use by {holder(lock)}")

    def _clear(self):
        """Remove the files of an earlier run (after checking that each of them is a file),
        but those ``open`` was asked to keep."""
        keep = self._keep
        try:
            entries = list(os.scandir(self.path))
        except OSError as exc:
            raise OutputError(f"{self.path}: cannot read the folder ({_why(exc)})") from None
        patterns = tuple(p for p in RUN_FILES if p not in keep)
        patterns += tuple(f".{p}.*.tmp" for p in patterns) + tuple(f"{p}.tmp" for p in patterns)
        old = [e for e in entries if any(fnmatch(e.name, p) for p in patterns)]
        for e in old:
            if e.is_dir(follow_symlinks=False):
                raise OutputError(f"{self.path}: {e.name} is a folder, where this run writes a file; "
                                  "move it away or choose another folder")
        for e in old:
            try:
                os.unlink(e.path)       # a symlink is removed, its target left alone
            except FileNotFoundError:
                pass
            except OSError as exc:
                raise OutputError(f"{self.path}: cannot remove the earlier run's {e.name} "
                                  f"({_why(exc)})") from None
        removed = sorted(e.name for e in old if not e.name.endswith(".tmp"))
        return removed + ([] if CHECKPOINTS in keep else self._clear_checkpoints())

    def _clear_checkpoints(self):
        folder = self.path / CHECKPOINTS
        if not folder.is_dir() or folder.is_symlink():
            return []
        removed = []
        for e in os.scandir(folder):
            if e.is_file(follow_symlinks=False) and any(fnmatch(e.name, p) for p in CHECKPOINT_FILES):
                try:
                    os.unlink(e.path)
                except OSError as exc:
                    raise OutputError(f"{self.path}: cannot remove the earlier run's {CHECKPOINTS}/"
                                      f"{e.name} ({_why(exc)})") from None
                if not e.name.endswith(".tmp"):
                    removed.append(f"{CHECKPOINTS}/{e.name}")
        return sorted(removed)

    # ------------------------------------------------------------ writing
    def write(self, name, write):
        """``write(tmp_path)``, renamed onto ``name`` in the folder; returns the path."""
        path = self.path / name
        try:
            write_atomic(path, write)
        except OSError as exc:
            raise WriteError(self.path, name, exc) from None
        return path

    def write_text(self, name, text):
        return self.write(name, lambda tmp: tmp.write_text(text))

    def close(self):
        """Release the lock and remove the lock file (idempotent)."""
        if self._fd is None:
            return
        try:
            os.unlink(self.path / LOCK)
        except OSError:
            pass
        os.close(self._fd)              # closing releases the flock
        self._fd = None

    def __enter__(self):
        self.open()
        return self

    def __exit__(self, *exc):
        self.close()


def holder(lock):
    """'pid 123 on host (since ..., running: CMD)' from a lock file, as far as it can be read."""
    try:
        info = json.loads(Path(lock).read_text())
        text = f"pid {info['pid']} on {info['host']} (since {info['started']}"
        return text + (f": {info['command']})" if info.get("command") else ")")
    except (OSError, ValueError, KeyError, TypeError):
        return "another process"
