"""Disconnect and CoA of open sessions (RFC 5176) from the console, the API and the CLI, audited.

One session: the console's Disconnect button. Many at once: a plan edit sends
every open session on the plan a CoA-Request with the plan's rate and session
length as they now stand (the throttle rate for a session whose quota is used
up); blocking a device or a citizen sends a Disconnect-Request to each of its
open sessions. Those go out in parallel, each with the CoA timeout and
retries, and the caller waits at most `coa_fanout_seconds` in all: an admin's
click never hangs on silent routers, and what has not answered by then counts
as no answer.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from hotspot import coa, credentials, policy
from hotspot.crypto import SecretBox
from hotspot.models import Nas, Plan, RadiusSession
from hotspot.services import audit
from hotspot.services.quota import usage_today_many
from hotspot.settings import Settings


def disconnect_session(
    db: Session,
    settings: Settings,
    box: SecretBox,
    session: RadiusSession,
    actor: str,
    admin_id: int | None = None,
    ip: str | None = None,
) -> coa.CoaResult:
    """Ask the session's router to end it; the ACK/NAK (or timeout) is returned and written to the audit log.

    The session row is left to accounting: the router's Stop closes it with its
    own counters and terminate cause.
    """
    try:
        result = coa.disconnect(
            settings,
            session.nas,
            box,
            username=session.username,
            acct_session_id=session.acct_session_id,
            framed_ip=session.framed_ip,
            calling_station_id=session.calling_station_id,
            nas_address=session.nas_ip_address,
        )
    except coa.CoaTargetError as exc:
        result = coa.CoaResult(False, "no-target", None, str(exc))
    audit.record(
        db,
        actor,
        "session.disconnect",
        f"{session.nas.name}/{session.acct_session_id}",
        {
            "username": session.username,
            "result": result.code,
            "error_cause": result.error_cause,
            "error_text": result.error_text,
        },
        admin_id=admin_id,
        ip=ip,
    )
    db.commit()
    return result


MAX_PARALLEL = 32
TIMED_OUT = coa.CoaResult(False, "timeout", None, "no answer in time")


@dataclass
class Outcome:
    """What the routers answered: one result per session, and counts by answer for the admin."""

    results: list[tuple[RadiusSession, coa.CoaResult]] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        return dict(Counter(_kind(result) for _, result in self.results))

    def count(self, kind: str) -> int:
        return self.counts.get(kind, 0)

    @property
    def unanswered(self) -> int:
        return self.count("timeout") + self.count("error")


def _kind(result: coa.CoaResult) -> str:
    """ack, nak, timeout (no answer) or error (nowhere to send it)."""
    if result.acknowledged:
        return "ack"
    if result.code.endswith("-NAK"):
        return "nak"
    return "timeout" if result.code == "timeout" else "error"


def open_sessions(db: Session, **owner: int) -> list[RadiusSession]:
    """The open sessions on a plan (`plan_id=`), of a device (`device_id=`) or a citizen (`account_id=`)."""
    ((column, value),) = owner.items()
    return list(
        db.scalars(
            select(RadiusSession)
            .options(selectinload(RadiusSession.nas))
            .where(RadiusSession.status == "active", getattr(RadiusSession, column) == value)
            .order_by(RadiusSession.id)
        )
    )


def _send_all(settings: Settings, jobs: list[tuple[RadiusSession, Callable[[], coa.CoaResult]]]) -> Outcome:
    """Run the requests in parallel; those unanswered after `coa_fanout_seconds` count as timeouts."""
    outcome = Outcome()
    if not jobs:
        return outcome
    pool = ThreadPoolExecutor(max_workers=min(MAX_PARALLEL, len(jobs)), thread_name_prefix="coa")
    futures = [pool.submit(send) for _, send in jobs]
    wait(futures, timeout=settings.coa_fanout_seconds)
    pool.shutdown(wait=False, cancel_futures=True)
    for (session, _), future in zip(jobs, futures):
        if not future.done() or future.cancelled():
            outcome.results.append((session, TIMED_OUT))
        elif future.exception() is not None:
            failed = coa.CoaResult(False, "no-target", None, str(future.exception()))
            outcome.results.append((session, failed))
        else:
            outcome.results.append((session, future.result()))
    return outcome


def _audit(
    db: Session, outcome: Outcome, actor: str, action: str, target: str, admin_id: int | None, ip: str | None
) -> None:
    audit.record(
        db,
        actor,
        action,
        target,
        {
            "counts": outcome.counts,
            "sessions": [
                {
                    "session": f"{s.nas.name}/{s.acct_session_id}",
                    "username": s.username,
                    "result": r.code,
                    "error_cause": r.error_cause,
                }
                for s, r in outcome.results
            ],
        },
        admin_id=admin_id,
        ip=ip,
    )
    db.commit()


def _changes(session: RadiusSession, limits: policy.Limits, used: policy.Usage, now: datetime) -> dict:
    elapsed = max(0, int((now - session.start_time).total_seconds()))
    down, up, timeout = policy.running_limits(limits, used, elapsed)
    changes = dict(coa.rate_attributes(session.nas.vendor, down, up))
    if timeout is not None:
        changes["Session-Timeout"] = timeout
    return changes


def apply_plan(
    db: Session,
    settings: Settings,
    box: SecretBox,
    plan: Plan,
    now: datetime,
    actor: str,
    admin_id: int | None = None,
    ip: str | None = None,
) -> Outcome:
    """CoA-Request with the plan's rate and session length to every open session on it; audited."""
    sessions = open_sessions(db, plan_id=plan.id)
    limits = policy.Limits.from_plan(plan)
    subjects = {s.id: credentials.quota_subject(s.device_id, s.account_id, s.voucher_id) for s in sessions}
    usage = usage_today_many(db, (s for s in subjects.values() if s), now, settings.timezone)
    jobs = []
    for session in sessions:
        changes = _changes(session, limits, usage.get(subjects[session.id], policy.Usage()), now)
        jobs.append((session, _request(coa.change_authorization, settings, box, session, changes=changes)))
    outcome = _send_all(settings, jobs)
    if sessions:
        _audit(db, outcome, actor, "plan.coa", plan.name, admin_id, ip)
    return outcome


def cut_off(
    db: Session,
    settings: Settings,
    box: SecretBox,
    sessions: list[RadiusSession],
    actor: str,
    target: str,
    admin_id: int | None = None,
    ip: str | None = None,
) -> Outcome:
    """Disconnect-Request to each of these sessions (a blocked device's or citizen's); audited."""
    jobs = [
        (s, _request(coa.disconnect, settings, box, s, calling_station_id=s.calling_station_id))
        for s in sessions
    ]
    outcome = _send_all(settings, jobs)
    if sessions:
        _audit(db, outcome, actor, "block.disconnect", target, admin_id, ip)
    return outcome


def _request(send, settings: Settings, box: SecretBox, session: RadiusSession, **extra) -> Callable:
    """The call for one session, its values read now: the worker threads never touch the database session
    (a commit meanwhile would expire what they read)."""
    row = session.nas
    nas = Nas(
        id=row.id,
        name=row.name,
        ip_range=row.ip_range,
        secret_encrypted=row.secret_encrypted,
        vendor=row.vendor,
        coa_port=row.coa_port,
    )
    values = {
        "username": session.username,
        "acct_session_id": session.acct_session_id,
        "framed_ip": session.framed_ip,
        "nas_address": session.nas_ip_address,
    }
    return lambda: send(settings, nas, box, **values, **extra)
