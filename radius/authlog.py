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
from radius.radios import Radios

log = logging.getLogger(__name__)
BATCH = 500
WAIT_SECONDS = 0.02
_STOP = object()


def write_events(conn, events: list[dict], radios: Radios | None = None) -> None:
    """Insert AuthEvent rows and add them to the (NAS, hour) and (access point, hour) accept/reject counts.

    An event's `radio` (radius.auth.event) becomes its access point, through `radios` (a fresh memory
    when None); call `radios.committed()` after the commit."""
    if not events:
        return
    radios = radios or Radios()
    heard = {(e["nas_id"], e["radio"]) for e in events if "radio" in e and e["nas_id"] is not None}
    points = radios.resolve(conn, heard, max(e["time"] for e in events))
    rows = [
        {
            **{k: v for k, v in e.items() if k != "radio"},
            "access_point_id": points.get((e["nas_id"], e.get("radio"))),
        }
        for e in events
    ]
    conn.execute(AuthEvent.__table__.insert(), rows)
    counts: dict = defaultdict(lambda: defaultdict(int))
    ap_counts: dict = defaultdict(lambda: defaultdict(int))
    for row in rows:
        counter = "auth_accepts" if row["accepted"] else "auth_rejects"
        counts[(row["nas_id"], store.hour_of(row["time"]))][counter] += 1
        ap_counts[(row["access_point_id"], store.hour_of(row["time"]))][counter] += 1
    store.add_usage(conn, counts)
    store.add_ap_usage(conn, ap_counts)


class AuthLog(threading.Thread):
    """Collects decisions for up to WAIT_SECONDS (or BATCH of them) and commits them together."""

    def __init__(self, engine: Engine):
        super().__init__(name="auth-log", daemon=True)
        self.engine = engine
        self.queue: queue.Queue = queue.Queue()
        self.radios = Radios()

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
                write_events(conn, events, self.radios)
            self.radios.committed()
        except UNAVAILABLE as exc:
            self.radios.forget()
            log.error("auth_events_lost count=%d error=%s", len(events), exc.__class__.__name__)
        except DBAPIError as exc:
            self.radios.forget()
            if len(events) == 1:
                log.error(
                    "auth_event_refused user=%r error=%s", events[0]["username"], exc.__class__.__name__
                )
                return
            for single in events:
                self.write([single])
