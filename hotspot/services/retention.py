"""Retention of personal data: anonymise MACs, phone numbers and IPs older than the limit.

Sessions keep their times, bytes and access point for the statistics; what
identifies a person is replaced with a one-way pseudonym or removed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from hotspot.models import AuthEvent, LoginTicket, OneTimeCode, RadiusSession
from hotspot.services import audit
from hotspot.validation import ValidationError

ANONYMOUS_PREFIX = "anon-"


@dataclass(frozen=True)
class PurgeResult:
    sessions_anonymised: int
    auth_events_anonymised: int
    tickets_deleted: int
    codes_deleted: int


def pseudonym(value: str) -> str:
    return ANONYMOUS_PREFIX + hashlib.sha256(value.encode()).hexdigest()[:12]


def purge(db: Session, older_than_days: int, now: datetime, actor: str = "cli") -> PurgeResult:
    """Anonymise sessions and auth events that ended before the cut-off; drop old tickets and codes."""
    if older_than_days < 1:
        raise ValidationError("--older-than must be at least 1 day")
    cutoff = now - timedelta(days=older_than_days)
    old_sessions = list(db.execute(
        select(RadiusSession.id, RadiusSession.username).where(
            RadiusSession.status != "active",
            RadiusSession.update_time < cutoff,
            or_(~RadiusSession.username.startswith(ANONYMOUS_PREFIX),
                RadiusSession.calling_station_id.is_not(None),
                RadiusSession.framed_ip.is_not(None)),
        )
    ))
    for session_id, username in old_sessions:
        name = username if username.startswith(ANONYMOUS_PREFIX) else pseudonym(username)
        db.execute(update(RadiusSession).where(RadiusSession.id == session_id).values(
            username=name, calling_station_id=None, framed_ip=None, device_id=None, account_id=None))
    events = db.execute(
        update(AuthEvent).where(AuthEvent.time < cutoff, AuthEvent.calling_station_id.is_not(None))
        .values(calling_station_id=None, username="anonymised")
    ).rowcount
    tickets = db.execute(delete(LoginTicket).where(LoginTicket.expires_at < cutoff)).rowcount
    codes = db.execute(delete(OneTimeCode).where(OneTimeCode.expires_at < cutoff)).rowcount
    result = PurgeResult(len(old_sessions), events, tickets, codes)
    audit.record(db, actor, "purge", f"older than {older_than_days} days", result.__dict__)
    db.commit()
    return result
