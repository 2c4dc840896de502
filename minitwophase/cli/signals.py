"""Ctrl-C (SIGINT) and SIGTERM for the verbs that write results: stop the work, never the writing.

``with StopSignals() as stop:`` installs one handler for both signals (the previous handlers
come back on exit). It records every signal; whether it also raises KeyboardInterrupt
depends on where the verb is:
  * inside ``with stop.armed():`` (loading data, training, drawing figures: work that may be
    cut short) the first signal raises KeyboardInterrupt at once; a signal that came while
    deferred is raised on entering;
  * everywhere else (deferred: opening the folder, writing results.json, history.csv,
    params.npz, summary.md) it is only recorded, so a second Ctrl-C or a SIGTERM while the
    files are written never leaves them half done. The writes are short.
``stop.code``: 143 (128 + SIGTERM) if a SIGTERM came, else 130 (Ctrl-C); ``stop.name`` says
which in words. Layer: cli.
"""
from __future__ import annotations

import signal
from contextlib import contextmanager

from .options import EXIT_INTERRUPTED, EXIT_TERMINATED

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class StopSignals:
    def __init__(self):
        self.received = []          # every signal, in order
        self._armed = False
        self._pending = False       # a signal came while deferred and has not been raised
        self._previous = {}

    def __enter__(self):
        for sig in SIGNALS:
            self._previous[sig] = signal.signal(sig, self._handler)
        return self

    def __exit__(self, *exc):
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)

    def _handler(self, signum, frame):
        self.received.append(signum)
        if self._armed:
            self._pending = False
            raise KeyboardInterrupt
        self._pending = True

    @contextmanager
    def armed(self):
        """A signal inside raises KeyboardInterrupt (a deferred one on entering)."""
        was, self._armed = self._armed, True
        try:
            if self._pending:
                self._pending = False
                raise KeyboardInterrupt
            yield
        finally:
            self._armed = was

    @contextmanager
    def deferred(self):
        """A signal inside is only recorded (raised at the next ``armed``)."""
        was, self._armed = self._armed, False
        try:
            yield
        finally:
            self._armed = was

    @property
    def stopped(self):
        return bool(self.received)

    @property
    def code(self):
        return EXIT_TERMINATED if signal.SIGTERM in self.received else EXIT_INTERRUPTED

    @property
    def name(self):
        """"SIGTERM", "Ctrl-C" or "a second Ctrl-C" (the first signal that stopped the work)."""
        if signal.SIGTERM in self.received:
            return "SIGTERM"
        return "Ctrl-C" if len(self.received) < 2 else f"Ctrl-C ({len(self.received)} times)"
