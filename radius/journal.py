"""The local accounting journal: where acknowledged packets wait while the database is away.

One append-only file per worker (JSON lines, fsync'd before the NAS gets its
Accounting-Response), locked by its worker so two processes never write one
file. Replayed in order once the database answers again, at start-up too; a
file whose worker is gone is adopted and replayed by another. Replaying twice
is harmless because accounting is idempotent, so the file is cleared only
after everything in it was committed.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
from pathlib import Path
from typing import Callable

from hotspot.files import private_file
from radius.accounting import Arrival
from radius.packets import AccountingRequest

log = logging.getLogger(__name__)
SUFFIX = ".jsonl"


def _encode(arrival: Arrival) -> bytes:
    record = {"nas_id": arrival.nas_id, "source_ip": arrival.source_ip, "request": arrival.request.to_json()}
    return json.dumps(record, separators=(",", ":")).encode() + b"\n"


def _decode(line: bytes) -> Arrival:
    record = json.loads(line)
    return Arrival(record["nas_id"], record["source_ip"], AccountingRequest.from_json(record["request"]))


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


class Journal:
    """This worker's journal file, held under an exclusive lock while the worker lives."""

    def __init__(self, directory: Path, worker: int):
        directory.mkdir(parents=True, exist_ok=True)
        self.directory = directory
        self.path = directory / f"accounting-{worker}{SUFFIX}"
        self._handle = open(private_file(self.path), "a+b")
        fcntl.flock(self._handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        self._cut_torn_tail()
        self.depth = len(read_records(self._handle))

    def _cut_torn_tail(self) -> None:
        """A record cut off by a crash was never acknowledged: remove it so appends start on a new line."""
        self._handle.seek(0)
        content = self._handle.read()
        if content and not content.endswith(b"\n"):
            self._handle.truncate(content.rfind(b"\n") + 1)
            self._handle.flush()
            os.fsync(self._handle.fileno())

    def append(self, arrivals: list[Arrival]) -> None:
        """Write and fsync; only then may the packets be acknowledged."""
        self._handle.seek(0, os.SEEK_END)
        self._handle.write(b"".join(_encode(a) for a in arrivals))
        self._handle.flush()
        os.fsync(self._handle.fileno())
        self.depth += len(arrivals)

    def records(self) -> list[Arrival]:
        return read_records(self._handle)

    def clear(self) -> None:
        """Everything in the file is committed: empty it."""
        self._handle.truncate(0)
        self._handle.flush()
        os.fsync(self._handle.fileno())
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
