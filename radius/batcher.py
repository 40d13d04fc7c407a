"""Group commit for accounting: many packets, one transaction, then all their answers.

One thread per worker owns the accounting side of the database. It collects up
to `radius_batch_max` packets or waits `radius_batch_wait_ms`, commits them in
one transaction and only then releases their Accounting-Responses. When the
database is unreachable the batch goes to the fsync'd journal instead (and so
does everything after it, to keep order) until a replay succeeds. The same
thread sweeps stale sessions and notes when each NAS was last heard from.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError

from hotspot.clock import utcnow
from radius import accounting, store
from radius.handler import UNAVAILABLE, AcctJob
from radius.journal import Journal
from radius.metrics import Metrics
from radius.radios import Radios

log = logging.getLogger(__name__)
REPLAY_EVERY = 2.0
QUIET = 0.001  # a batch closes once no packet has come for this long: the rest of a burst is in it
SWEEP_EVERY = 30.0  # or the stale grace when shorter: a session is closed within its grace
_STOP = object()


class NotDurable(Exception):
    """The database is away and the journal write failed: the batch must not be acknowledged."""

    def __init__(self, error: OSError):
        super().__init__(str(error))
        self.error = error


def take_waiting(source: queue.Queue, batch: list, limit: int) -> list:
    """Add what is already queued to `batch`, without waiting, up to `limit` items in all."""
    while len(batch) < limit:
        try:
            batch.append(source.get_nowait())
        except queue.Empty:
            break
    return batch


class Batcher(threading.Thread):
    """The accounting writer thread of one worker."""

    def __init__(
        self,
        engine: Engine,
        journal: Journal,
        metrics: Metrics,
        *,
        batch_max: int,
        wait_ms: int,
        stale_grace: int,
        answer: Callable[[AcctJob], None],
        drop: Callable[[AcctJob, str], None],
        unanswered: Callable[[list[AcctJob], str], None],
        watch: Callable[[list[accounting.Running]], None] = lambda running: None,
    ):
        super().__init__(name="accounting-batcher", daemon=True)
        self.engine = engine
        self.journal = journal
        self.metrics = metrics
        self.batch_max = batch_max
        self.wait = wait_ms / 1000
        self.stale_grace = stale_grace
        self.answer = answer
        self.drop = drop
        self.unanswered = unanswered
        self.watch = watch
        self.refusing = False  # neither the database nor the journal can keep a batch right now
        self.queue: queue.Queue = queue.Queue()
        self.liveness = store.NasLiveness()
        self.radios = Radios()
        self._next_replay = 0.0
        self.sweep_every = min(SWEEP_EVERY, max(1, stale_grace))
        self._next_sweep = time.monotonic() + self.sweep_every

    def submit(self, job: AcctJob) -> None:
        self.queue.put(job)

    def stop(self) -> None:
        """Finish and answer what was received, then end the thread."""
        self.queue.put(_STOP)
        self.join()

    def run(self) -> None:
        self.metrics.journal_depth.set(self.journal.depth)
        self.replay()
        stopping = False
        while not stopping:
            try:
                first = self.queue.get(timeout=1.0)
            except queue.Empty:
                self.housekeeping()
                continue
            batch, stopping = self._gather(first)
            if batch:
                self.process(batch)
            self.housekeeping()

    def _gather(self, first) -> tuple[list[AcctJob], bool]:
        if first is _STOP:
            return self._drain(), True
        batch = [first]
        deadline = time.monotonic() + self.wait
        while len(batch) < self.batch_max:
            remaining = deadline - time.monotonic()
            try:
                item = (
                    self.queue.get(timeout=min(remaining, QUIET))
                    if remaining > 0
                    else self.queue.get_nowait()
                )
            except queue.Empty:
                break
            if item is _STOP:
                return batch + self._drain(), True
            batch.append(item)
        return batch, False

    def _drain(self) -> list[AcctJob]:
        items = []
        while True:
            try:
                item = self.queue.get_nowait()
            except queue.Empty:
                return items
            if item is not _STOP:
                items.append(item)

    def process(self, batch: list[AcctJob]) -> None:
        """Commit (or journal) a batch, then answer every packet that is now durable, and only those."""
        self.metrics.batch_size.observe(len(batch))
        try:
            if self.journal.depth and not self.replay():
                self._to_journal([job.arrival for job in batch])
                answered = batch
            else:
                answered = self._commit_or_journal(batch)
        except NotDurable as exc:
            self._refuse(batch, exc.error)
            return
        except Exception:  # a bug must cost these answers (the routers retry), never the accounting thread
            log.exception("radius_internal_error port=acct packets=%d", len(batch))
            self.unanswered(batch, "internal_error")
            return
        if self.refusing:
            self.refusing = False
            log.warning("accounting_durable_again journal=%s", self.journal.path)
        for job in answered:
            self.answer(job)

    def _refuse(self, batch: list[AcctJob], error: OSError) -> None:
        """Nothing durable can be written: no answers (the routers retry); one log line when this begins."""
        self.unanswered(batch, "not_durable")
        if not self.refusing:
            self.refusing = True
            log.error(
                "accounting_not_durable journal=%s error=%s: database away and journal unwritable, "
                "Accounting-Requests go unanswered until one of them works",
                self.journal.path,
                error.strerror or error,
            )

    def _commit(self, arrivals: list[accounting.Arrival]) -> list[accounting.Running]:
        try:
            with self.engine.begin() as conn:
                store.begin_write(conn)
                running = accounting.record(conn, arrivals, self.radios)
                self._touch_nas(conn, arrivals)
        except Exception:
            self.radios.forget()
            raise
        self.radios.committed()
        return running

    def _commit_or_journal(self, batch: list[AcctJob]) -> list[AcctJob]:
        arrivals = [job.arrival for job in batch]
        for attempt in range(2):
            try:
                self.watch(self._commit(arrivals))
                return batch
            except UNAVAILABLE as exc:
                log.warning(
                    "database_unavailable action=journal packets=%d error=%s",
                    len(batch),
                    exc.__class__.__name__,
                )
                self._to_journal(arrivals)
                return batch
            except IntegrityError:
                if attempt == 0:
                    continue
            except DBAPIError:
                break
        return self._one_by_one(batch)

    def _one_by_one(self, batch: list[AcctJob]) -> list[AcctJob]:
        """Isolate a packet the database refuses: it gets no answer (logged), the others are committed."""
        done = []
        for job in batch:
            try:
                self.watch(self._commit([job.arrival]))
                done.append(job)
            except DBAPIError as exc:
                self.drop(job, f"database_refused:{exc.__class__.__name__}")
        return done

    def _to_journal(self, arrivals: list[accounting.Arrival]) -> None:
        try:
            self.journal.append(arrivals)
        except OSError as exc:
            self.metrics.journal_write_errors.inc()
            raise NotDurable(exc) from exc
        self.metrics.journal_depth.set(self.journal.depth)

    def _touch_nas(self, conn, arrivals: list[accounting.Arrival]) -> None:
        due = self.liveness.due((a.nas_id, a.source_ip) for a in arrivals)
        if due:
            store.touch_nas(conn, due, utcnow())
            self.liveness.noted(due)

    def _replay_records(self, arrivals: list[accounting.Arrival]) -> bool:
        """Commit journal records in order; False (keep the journal) while the database is away."""
        for start in range(0, len(arrivals), self.batch_max):
            chunk = arrivals[start : start + self.batch_max]
            try:
                self._commit(chunk)
            except UNAVAILABLE as exc:
                log.info("journal_replay_postponed error=%s", exc.__class__.__name__)
                return False
            except DBAPIError:
                for arrival in chunk:
                    try:
                        self._commit([arrival])
                    except UNAVAILABLE:
                        return False
                    except DBAPIError as exc:
                        log.error(
                            "journal_record_refused nas=%d session=%s error=%s",
                            arrival.nas_id,
                            arrival.request.acct_session_id,
                            exc.__class__.__name__,
                        )
        return True

    def replay(self) -> bool:
        """Commit the journal in order; True when it is empty afterwards.

        Tried at most every few seconds, counted from the end of the last try:
        a try against a locked SQLite file waits out its busy timeout, and the
        batcher must have time to journal (and answer) between two tries.
        """
        if time.monotonic() < self._next_replay:
            return not self.journal.depth
        try:
            self.journal.adopt_orphans(self._replay_records)
            if not self.journal.depth:
                return True
            records = self.journal.records()
            if not self._replay_records(records):
                return False
            self.journal.clear()
        except OSError as exc:  # the journal's disk: committed records stay and are replayed again later
            log.warning("journal_replay_postponed error=%s", exc.strerror or exc)
            return False
        finally:
            self._next_replay = time.monotonic() + REPLAY_EVERY
        self.metrics.journal_depth.set(0)
        log.info("journal_replayed records=%d", len(records))
        return True

    def housekeeping(self) -> None:
        """Between batches: retry the journal, close stale sessions."""
        if self.journal.depth:
            self.replay()
        if time.monotonic() >= self._next_sweep:
            self._next_sweep = time.monotonic() + self.sweep_every
            self.sweep()

    def sweep(self) -> None:
        try:
            with self.engine.begin() as conn:
                closed = store.sweep_stale(conn, utcnow(), self.stale_grace, accounting.DEFAULT_INTERVAL)
        except DBAPIError as exc:
            log.info("stale_sweep_postponed error=%s", exc.__class__.__name__)
            return
        if closed:
            log.info("stale_sessions_closed count=%d", closed)
