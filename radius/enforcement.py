"""Quota enforcement by accounting: a session over today's quota is slowed or disconnected (RFC 5176).

Runs on its own thread, off the packet path: the batcher hands over the
sessions an Interim-Update left running, this thread asks `hotspot.policy`
whether their quota subject is over, and sends one request per session
through `hotspot.coa`: a CoA-Request with the plan's throttle rate when it has
one, a Disconnect-Request when it has none or the router NAKs the CoA or
does not answer it. It checks whatever is queued together (one
usage query per kind of subject), since a busy city sends thousands of
Interim-Updates a minute and almost none of them overrun.
"""

from __future__ import annotations

import logging
import queue
import threading

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from hotspot import coa, credentials, policy
from hotspot.clock import utcnow
from hotspot.crypto import SecretBox
from hotspot.db import make_session_factory
from hotspot.models import Nas
from hotspot.services.quota import Subject, usage_today_many
from hotspot.services.reloading import Reloading
from hotspot.settings import Settings
from radius.accounting import Running
from radius.batcher import take_waiting
from radius.credential_store import load_plans
from radius.metrics import Metrics

log = logging.getLogger(__name__)
QUEUE_LIMIT = 10_000
CHECK_BATCH = 500
REMEMBERED = 100_000
_STOP = object()


def subject_of(running: Running) -> Subject | None:
    """Whose quota the session spends, as the portal and the auth decision count it."""
    return credentials.quota_subject(running.device_id, running.account_id, running.voucher_id)


class QuotaEnforcer(threading.Thread):
    """Checks running sessions after their Interim-Updates and slows or disconnects overruns, once each."""

    def __init__(self, settings: Settings, engine: Engine, box: SecretBox, metrics: Metrics):
        super().__init__(name="quota-enforcer", daemon=True)
        self.settings = settings
        self.engine = engine
        self.sessions = make_session_factory(engine)
        self.plans = Reloading(
            self.sessions, lambda db: load_plans(db.connection()), settings.radius_client_reload_seconds
        )
        self.box = box
        self.metrics = metrics
        self.queue: queue.Queue = queue.Queue(maxsize=QUEUE_LIMIT)
        self.enforced: set[str] = set()

    def watch(self, running: list[Running]) -> None:
        """Called by the batcher after a commit; never blocks it (a full queue skips, the next Interim
        retries)."""
        for session in running:
            if session.plan_id is not None and session.unique_id not in self.enforced:
                try:
                    self.queue.put_nowait(session)
                except queue.Full:
                    return

    def stop(self) -> None:
        self.queue.put(_STOP)
        self.join(timeout=10)

    def run(self) -> None:
        stopping = False
        while not stopping:
            batch = take_waiting(self.queue, [self.queue.get()], CHECK_BATCH)
            stopping = _STOP in batch
            sessions = [s for s in batch if s is not _STOP]
            try:
                for session in self.over_quota(sessions):
                    self.enforce(session)
            except DBAPIError as exc:
                log.info("quota_check_postponed sessions=%d error=%s", len(sessions), exc.__class__.__name__)

    def over_quota(self, sessions: list[Running]) -> list[Running]:
        """The sessions whose subject has used up today's quota (each session once).

        Only sessions on a plan with a daily quota are counted: most Interim-Updates cost no query."""
        plans = self.plans.get()
        limited = {}
        for session in sessions:
            plan = plans.get(session.plan_id)
            subject = subject_of(session)
            if session.unique_id in self.enforced or plan is None or subject is None:
                continue
            limits = policy.Limits.from_plan(plan)
            if limits.daily_seconds is not None or limits.daily_octets is not None:
                limited[session.unique_id] = (session, subject, limits)
        if not limited:
            return []
        with self.engine.connect() as conn:
            usage = usage_today_many(
                conn, (subject for _, subject, _ in limited.values()), utcnow(), self.settings.timezone
            )
        return [
            session
            for session, subject, limits in limited.values()
            if policy.over_quota(limits, usage[subject])
        ]

    def enforce(self, session: Running) -> None:
        """Slow a session over quota to its plan's throttle rate, or disconnect it; once per session."""
        with self.sessions() as db:
            nas = db.get(Nas, session.nas_id)
        plan = self.plans.get().get(session.plan_id)
        if nas is None:
            return
        if len(self.enforced) >= REMEMBERED:
            self.enforced.clear()
        self.enforced.add(session.unique_id)
        if plan is not None and plan.throttle_kbps is not None and self.throttle(nas, plan, session):
            return
        self.disconnect(nas, session)

    def throttle(self, nas: Nas, plan, session: Running) -> bool:
        """CoA-Request with the throttle rate in the NAS's own attributes; whether the router ACKed it."""
        changes = dict(coa.rate_attributes(nas.vendor, plan.throttle_kbps, plan.throttle_kbps))
        try:
            result = coa.change_authorization(
                self.settings,
                nas,
                self.box,
                username=session.username,
                acct_session_id=session.acct_session_id,
                framed_ip=session.framed_ip,
                changes=changes,
                nas_address=session.nas_address,
            )
        except (coa.CoaTargetError, OSError, ValueError) as exc:
            log.warning(
                "quota_throttle_failed nas=%s session=%s error=%s", nas.name, session.acct_session_id, exc
            )
            self.metrics.throttles.labels("error").inc()
            return False
        self.metrics.throttles.labels(result.code).inc()
        log.info(
            "quota_throttle nas=%s user=%s session=%s kbps=%d result=%s",
            nas.name,
            session.username,
            session.acct_session_id,
            plan.throttle_kbps,
            result.describe(),
        )
        return result.acknowledged

    def disconnect(self, nas: Nas, session: Running) -> None:
        """Send the Disconnect-Request for a session over quota."""
        try:
            result = coa.disconnect(
                self.settings,
                nas,
                self.box,
                username=session.username,
                acct_session_id=session.acct_session_id,
                framed_ip=session.framed_ip,
                calling_station_id=session.calling_station_id,
                nas_address=session.nas_address,
            )
        except (coa.CoaTargetError, OSError, ValueError) as exc:
            log.warning(
                "quota_disconnect_failed nas=%s session=%s error=%s", nas.name, session.acct_session_id, exc
            )
            self.metrics.disconnects.labels("error").inc()
            return
        self.metrics.disconnects.labels(result.code).inc()
        log.info(
            "quota_disconnect nas=%s user=%s session=%s result=%s",
            nas.name,
            session.username,
            session.acct_session_id,
            result.describe(),
        )
