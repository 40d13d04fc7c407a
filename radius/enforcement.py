"""Quota enforcement by accounting: a session that overruns today's quota is disconnected (RFC 5176).

Runs on its own thread, off the packet path: the batcher hands over the
sessions an Interim-Update left running, this thread asks `hotspot.policy`
whether their quota subject is over, and sends one Disconnect-Request per
session through `hotspot.coa`.
"""

from __future__ import annotations

import logging
import queue
import threading

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from hotspot import coa, policy
from hotspot.clock import utcnow
from hotspot.crypto import SecretBox
from hotspot.db import make_session_factory
from hotspot.models import Nas, Plan
from hotspot.services.quota import Subject, usage_today
from hotspot.settings import Settings
from radius.accounting import Running
from radius.metrics import Metrics

log = logging.getLogger(__name__)
QUEUE_LIMIT = 10_000
REMEMBERED = 100_000
_STOP = object()


def subject_of(running: Running) -> Subject | None:
    """Whose quota the session spends, as the portal and the auth decision count it."""
    if running.voucher_id is not None:
        return Subject(voucher_id=running.voucher_id)
    if running.account_id is not None:
        return Subject(account_id=running.account_id)
    if running.device_id is not None:
        return Subject(device_id=running.device_id)
    return None


class QuotaEnforcer(threading.Thread):
    """Checks running sessions after their Interim-Updates and disconnects overruns, once each."""

    def __init__(self, settings: Settings, engine: Engine, box: SecretBox, metrics: Metrics):
        super().__init__(name="quota-enforcer", daemon=True)
        self.settings = settings
        self.sessions = make_session_factory(engine)
        self.box = box
        self.metrics = metrics
        self.queue: queue.Queue = queue.Queue(maxsize=QUEUE_LIMIT)
        self.disconnected: set[str] = set()

    def watch(self, running: list[Running]) -> None:
        """Called by the batcher after a commit; never blocks it (a full queue skips, the next Interim retries)."""
        for session in running:
            if session.plan_id is not None and session.unique_id not in self.disconnected:
                try:
                    self.queue.put_nowait(session)
                except queue.Full:
                    return

    def stop(self) -> None:
        self.queue.put(_STOP)
        self.join(timeout=10)

    def run(self) -> None:
        while (session := self.queue.get()) is not _STOP:
            try:
                self.check(session)
            except DBAPIError as exc:
                log.info("quota_check_postponed session=%s error=%s", session.acct_session_id,
                         exc.__class__.__name__)

    def check(self, session: Running) -> None:
        """Disconnect the session if its subject has used up today's quota."""
        subject = subject_of(session)
        if subject is None or session.unique_id in self.disconnected:
            return
        now = utcnow()
        with self.sessions() as db:
            plan = db.get(Plan, session.plan_id)
            nas = db.get(Nas, session.nas_id)
            if plan is None or nas is None:
                return
            limits = policy.Limits.from_plan(plan)
            if not policy.over_quota(limits, usage_today(db, subject, now, self.settings.timezone)):
                return
        if len(self.disconnected) >= REMEMBERED:
            self.disconnected.clear()
        self.disconnected.add(session.unique_id)
        try:
            result = coa.disconnect(self.settings, nas, self.box, username=session.username,
                                    acct_session_id=session.acct_session_id, framed_ip=session.framed_ip,
                                    calling_station_id=session.calling_station_id,
                                    nas_address=session.nas_address)
        except (coa.CoaTargetError, OSError, ValueError) as exc:
            log.warning("quota_disconnect_failed nas=%s session=%s error=%s", nas.name, session.acct_session_id, exc)
            self.metrics.disconnects.labels("error").inc()
            return
        self.metrics.disconnects.labels(result.code).inc()
        log.info("quota_disconnect nas=%s user=%s session=%s result=%s", nas.name, session.username,
                 session.acct_session_id, result.describe())
