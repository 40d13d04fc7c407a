"""Stop signals that never take a lock: the handler's only trace is one byte in a wake-up pipe.

A Python signal handler runs in the main thread between two bytecodes, possibly
inside `threading` code that holds a lock (an `Event.wait` about to return); a
handler that calls `Event.set()` then waits for that lock forever. A group
signal (systemd, Ctrl-C) followed by a supervisor's own SIGTERM makes that
likely. So the C-level handler writes the signal number to a pipe
(`signal.set_wakeup_fd`), the Python handler does nothing, and the main thread
reads the pipe with `select`.
"""

from __future__ import annotations

import os
import select
import signal

STOP = (signal.SIGTERM, signal.SIGINT)


def _noted_in_the_pipe(_signum, _frame) -> None:
    """The wake-up byte is already written; nothing else may happen in a handler."""


class StopSignals:
    """SIGTERM/SIGINT (and any `wake_on` signals, e.g. SIGCHLD) wake `wait`; built in the main thread."""

    def __init__(self, wake_on: tuple[int, ...] = ()):
        self._read, self._write = os.pipe()
        os.set_blocking(self._read, False)
        os.set_blocking(self._write, False)
        self.stopping = False
        signal.set_wakeup_fd(self._write, warn_on_full_buffer=False)
        for signum in (*STOP, *wake_on):
            signal.signal(signum, _noted_in_the_pipe)

    def wait(self, timeout: float | None) -> bool:
        """Sleep until a signal arrives or `timeout` passes; True once a stop signal has arrived."""
        if not self.stopping:
            self.sleep(timeout)
        return self.stopping

    def sleep(self, timeout: float | None) -> set[int]:
        """Sleep until any signal arrives (a stop already noted or not) or `timeout` passes."""
        if select.select([self._read], [], [], timeout)[0]:
            return self.drain()
        return set()

    def drain(self) -> set[int]:
        """The signals noted since the last call."""
        try:
            received = set(os.read(self._read, 1024))
        except BlockingIOError:
            received = set()
        self.stopping = self.stopping or any(signum in received for signum in STOP)
        return received

    def close(self) -> None:
        """Give the pipe up (a forked child builds its own); the handlers stay installed."""
        signal.set_wakeup_fd(-1)
        os.close(self._read)
        os.close(self._write)
