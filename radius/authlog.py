"""The AuthEvent log, written in batches off the Access-Request path.

An Access-Accept must not wait for a log row's commit: the auth threads hand
each decision here and this thread writes them, with the hourly accept/reject
counts, one transaction per batch. The credential state that matters for
correctness (a ticket claimed, a voucher's first use) is still committed by
the auth thread before it answers.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections import defaultdict

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from hotspot.models import AuthEvent
from radius import store
from radius.handler import UNAVAILABLE

log = logging.getLogger(__name__)
BATCH = 500
WAIT_SECONDS = 0.02
_STOP = object()


def write_events(conn, events: list[dict]) -> None:
    """Insert AuthEvent rows and add them to the (NAS, hour) accept/reject counts."""
    if not events:
        return
    conn.execute(AuthEvent.__table__.insert(), events)
    counts: dict = defaultdict(lambda: defaultdict(int))
    for event in events:
        counts[(event["nas_id"], store.hour_of(event["time"]))][
            "auth_accepts" if event["accepted"] else "auth_rejects"] += 1
    store.add_usage(conn, counts)


class AuthLog(threading.Thread):
    """Collects decisions for up to WAIT_SECONDS (or BATCH of them) and commits them together."""

    def __init__(self, engine: Engine):
        super().__init__(name="auth-log", daemon=True)
        self.engine = engine
        self.queue: queue.Queue = queue.Queue()

    def submit(self, event: dict) -> None:
        self.queue.put(event)

    def stop(self) -> None:
        """Write what is queued, then end."""
        self.queue.put(_STOP)
        self.join(timeout=30)

    def run(self) -> None:
        stopping = False
        while not stopping:
            events = []
            item = self.queue.get()
            while item is not _STOP:
                events.append(item)
                if len(events) >= BATCH:
                    break
                try:
                    item = self.queue.get(timeout=WAIT_SECONDS)
                except queue.Empty:
                    break
            stopping = item is _STOP
            self.write(events)

    def write(self, events: list[dict]) -> None:
        if not events:
            return
        try:
            with self.engine.begin() as conn:
                write_events(conn, events)
        except UNAVAILABLE as exc:
            log.error("auth_events_lost count=%d error=%s", len(events), exc.__class__.__name__)
        except DBAPIError as exc:
            if len(events) == 1:
                log.error("auth_event_refused user=%r error=%s", events[0]["username"], exc.__class__.__name__)
                return
            for single in events:
                self.write([single])
