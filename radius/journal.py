"""The local accounting journal: where acknowledged packets wait while the database is away.

One append-only file per worker (JSON lines, fsync'd before the NAS gets its
Accounting-Response), locked by its worker so two processes never write one
file. Replayed in order once the database answers again, at start-up too; a
file whose worker is gone is adopted and replayed by another. Replaying twice
is harmless because accounting is idempotent, so the file is cleared only
after everything in it was committed. The supervisor locks the directory
itself (`server.lock`) so that a second server cannot share it.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
from collections.abc import Callable
from pathlib import Path

from hotspot.files import private_file
from radius.accounting import Arrival
from radius.packets import AccountingRequest

log = logging.getLogger(__name__)
SUFFIX = ".jsonl"
LOCK_NAME = "server.lock"


def _encode(arrival: Arrival) -> bytes:
    record = {"nas_id": arrival.nas_id, "source_ip": arrival.source_ip, "request": arrival.request.to_json()}
    if arrival.named:
        record["named"] = True
    return json.dumps(record, separators=(",", ":")).encode() + b"\n"


def _decode(line: bytes) -> Arrival:
    record = json.loads(line)
    return Arrival(
        record["nas_id"],
        record["source_ip"],
        AccountingRequest.from_json(record["request"]),
        bool(record.get("named")),
    )


def read_records(handle) -> list[Arrival]:
    """Every complete record of an open journal file; a torn last line (never acknowledged) is skipped."""
    handle.seek(0)
    arrivals = []
    for line in handle.read().split(b"\n"):
        if not line:
            continue
        try:
            arrivals.append(_decode(line))
        except (ValueError, KeyError, TypeError) as exc:
            log.error("journal_record_skipped reason=%s", exc)
    return arrivals


class JournalUnusable(Exception):
    """The journal directory cannot hold journals: the server must not start (accounting would be lost)."""


class JournalInUse(JournalUnusable):
    """Another server holds the journal directory: two servers would replay and clear each other's files."""


def claim_directory(directory: Path, workers: int):
    """Create the directory, check every worker's file can be opened, and lock the directory for this server.

    Returns the open lock file: the lock lasts as long as this process or any
    worker forked from it holds it. Raises JournalUnusable / JournalInUse.
    """
    try:
        directory.mkdir(parents=True, exist_ok=True)
        handle = open(directory / LOCK_NAME, "a+b", buffering=0)
    except OSError as exc:
        raise JournalUnusable(f"{directory}: {exc.strerror or exc}") from exc
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().decode(errors="replace").strip() or "?"
        handle.close()
        raise JournalInUse(f"{directory} is held by another RADIUS server (pid {holder})") from None
    try:
        for worker in range(workers):
            open(directory / f"accounting-{worker}{SUFFIX}", "a+b").close()
        handle.truncate(0)
        handle.write(f"{os.getpid()}\n".encode())
    except OSError as exc:
        handle.close()
        raise JournalUnusable(f"{directory}: {exc.strerror or exc} ({getattr(exc, 'filename', '')})") from exc
    return handle


class Journal:
    """This worker's journal file, held under an exclusive lock while the worker lives.

    Unbuffered, and `end` is where the last complete, fsync'd record ends: a
    failed write (disk full, I/O error) is cut back to it, so a torn record can
    never swallow the next one and nothing half-written is ever buffered for later.
    """

    def __init__(self, directory: Path, worker: int):
        directory.mkdir(parents=True, exist_ok=True)
        self.directory = directory
        self.path = directory / f"accounting-{worker}{SUFFIX}"
        self._handle = open(private_file(self.path), "a+b", buffering=0)
        fcntl.flock(self._handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        self._handle.seek(0)
        content = self._handle.read()
        self.end = content.rfind(b"\n") + 1  # a record cut off by a crash was never acknowledged
        self._cut_back()
        self.depth = len(read_records(self._handle))

    def _cut_back(self) -> None:
        """Remove whatever follows the last complete record, so the next append starts on a new line."""
        if os.fstat(self._handle.fileno()).st_size != self.end:
            os.ftruncate(self._handle.fileno(), self.end)
            os.fsync(self._handle.fileno())

    def append(self, arrivals: list[Arrival]) -> None:
        """Write and fsync; only then may the packets be acknowledged. OSError when that is impossible."""
        data = memoryview(b"".join(_encode(a) for a in arrivals))
        try:
            self._cut_back()
            while data:
                data = data[self._handle.write(data) :]
            os.fsync(self._handle.fileno())
        except OSError:
            try:
                self._cut_back()
            except OSError:
                pass  # the next append cuts back first
            raise
        self.end = os.fstat(self._handle.fileno()).st_size
        self.depth += len(arrivals)

    def records(self) -> list[Arrival]:
        return read_records(self._handle)

    def clear(self) -> None:
        """Everything in the file is committed: empty it."""
        os.ftruncate(self._handle.fileno(), 0)
        os.fsync(self._handle.fileno())
        self.end = 0
        self.depth = 0

    def close(self) -> None:
        self._handle.close()

    def adopt_orphans(self, commit: Callable[[list[Arrival]], bool]) -> None:
        """Replay the journals of workers that are gone (their lock is free); delete each once committed."""
        for path in sorted(self.directory.glob(f"*{SUFFIX}")):
            if path == self.path:
                continue
            with open(path, "r+b") as handle:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue
                records = read_records(handle)
                if not records or commit(records):
                    path.unlink()
                    log.info("journal_adopted path=%s records=%d", path.name, len(records))
