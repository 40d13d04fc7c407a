"""The three ways in at the splash page, each ending in a one-time login ticket for the router.

The portal checks the citizen's own credential (terms accepted, phone and
password, or voucher) and today's quota here, then issues a ticket the router
presents to RADIUS. A refusal says why and when the quota comes back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from hotspot import credentials
from hotspot.models import Account, LoginTicket, Plan, RadiusSession
from hotspot.opening_hours import OpeningHours, next_opening
from hotspot.policy import Allowance, Limits, allowance, day_start
from hotspot.services.attribution import Router
from hotspot.services.devices import accept_terms, record_device, touch_device
from hotspot.services.plans import free_access_plan
from hotspot.services.quota import Subject, device_usage_today, open_sessions_many, usage_today
from hotspot.services.random_macs import random_macs_let_in
from hotspot.services.tickets import insert_ticket, issue_ticket, new_ticket
from hotspot.services.vouchers import find_voucher
from hotspot.validation import ValidationError


class Refused(ValidationError):
    """No ticket: `reason` says why; `resets_at` is when a used-up quota comes back."""

    def __init__(self, reason: str, resets_at: datetime | None = None):
        super().__init__(reason)
        self.reason = reason
        self.resets_at = resets_at


@dataclass(frozen=True)
class Standing:
    """Whose quota a login spends, under which plan, until when (vouchers)."""

    subject: Subject
    plan: Plan
    valid_until: datetime | None = None

    def to_dict(self) -> dict:
        return {
            "device_id": self.subject.device_id,
            "account_id": self.subject.account_id,
            "voucher_id": self.subject.voucher_id,
            "plan_id": self.plan.id,
            "valid_until": self.valid_until.isoformat() if self.valid_until else None,
        }

    @classmethod
    def of_session(cls, db: Session, session: RadiusSession) -> Standing | None:
        """Whose quota an open RADIUS session spends (e.g. a phone let in again by MAC)."""
        plan = db.get(Plan, session.plan_id) if session.plan_id else None
        subject = credentials.quota_subject(session.device_id, session.account_id, session.voucher_id)
        if plan is None or subject is None:
            return None
        return cls(subject, plan)

    @classmethod
    def from_dict(cls, db: Session, data: dict) -> Standing | None:
        plan = db.get(Plan, data.get("plan_id") or 0)
        if plan is None:
            return None
        subject = Subject(
            device_id=data.get("device_id"),
            account_id=data.get("account_id"),
            voucher_id=data.get("voucher_id"),
        )
        until = data.get("valid_until")
        return cls(subject, plan, datetime.fromisoformat(until) if until else None)


@dataclass(frozen=True)
class IssuedTicket:
    """A ticket and what is left for the login it starts."""

    ticket: LoginTicket
    standing: Standing
    allowance: Allowance


def what_is_left(db: Session, standing: Standing, now: datetime, tz: str) -> Allowance:
    """Today's remaining time and data for this subject and plan (the RADIUS server decides the same way)."""
    used = usage_today(db, standing.subject, now, tz)
    return allowance(Limits.from_plan(standing.plan), used, now, tz, standing.valid_until)


def _grant(
    db: Session,
    kind: str,
    standing: Standing,
    now: datetime,
    tz: str,
    ttl: int,
    nas: Router | None,
    mac: str | None,
    stale_grace: int,
    **owners,
) -> IssuedTicket:
    if not standing.plan.active:
        raise Refused("plan_inactive")
    if standing.plan.max_sessions is not None:
        online = open_sessions_many(db, [standing.subject]).get(standing.subject, [])
        reason = credentials.session_cap_refusal(
            standing.plan.max_sessions, online, mac, standing.plan.interim_interval_seconds, now, stale_grace
        )
        if reason:
            raise Refused(reason)
    left = what_is_left(db, standing, now, tz)
    if not left.allowed:
        raise Refused(left.reason, left.resets_at)
    ticket = issue_ticket(db, kind, standing.plan, now, ttl, nas=nas, **owners)
    return IssuedTicket(ticket, standing, left)


def _device(db: Session, mac: str | None, now: datetime):
    if mac is None:
        return None
    device = touch_device(db, mac, now)
    if credentials.blocked(device):
        raise Refused("blocked")
    return device


def _site_refusal(
    db: Session, plan: Plan, mac: str, nas: Router | None, hours: OpeningHours | None, now: datetime, tz: str
) -> None:
    """Refuse free access outside the site's opening hours, or to one random MAC too many today."""
    let_in: set[str] = set()
    if nas is not None and credentials.counts_random_macs(plan, mac):
        let_in = random_macs_let_in(db, [nas.id], day_start(now, tz))[nas.id]
    reason = credentials.free_refusal(plan, mac, hours, let_in, now, tz)
    if reason:
        raise Refused(reason, next_opening(hours, now, tz) if reason == "closed" else None)


def grant_free(
    db: Session,
    plan: Plan | None,
    mac: str | None,
    nas: Router | None,
    now: datetime,
    tz: str,
    ttl: int,
    terms_version: str | None = None,
    hours: OpeningHours | None = None,
) -> IssuedTicket:
    """Click-through access: the site's free plan (its group's, else `free_access_plan`, which the portal
    keeps for a few seconds), counted per device (MAC) per day, within the site's opening `hours`.

    The busiest way in, so it reads first (the device, today's usage) and then writes in one short
    burst (device seen, ticket, one commit): SQLite's write lock, or the device's row lock on
    PostgreSQL, is held for two statements instead of the whole login."""
    if mac is None:
        raise Refused("no_mac")
    if plan is None or not plan.active:
        raise Refused("plan_inactive")
    _site_refusal(db, plan, mac, nas, hours, now, tz)
    known, used = device_usage_today(db, mac, now, tz)
    if credentials.blocked(known):
        raise Refused("blocked")
    left = allowance(Limits.from_plan(plan), used, now, tz)
    if not left.allowed:
        raise Refused(left.reason, left.resets_at)
    ticket = new_ticket("free", plan.id, now, ttl, nas_id=nas.id if nas else None)
    ticket.device_id = record_device(db, mac, now, terms_version)
    insert_ticket(db, ticket)
    db.commit()
    return IssuedTicket(ticket, Standing(Subject(device_id=ticket.device_id), plan), left)


def grant_account(
    db: Session,
    account: Account,
    mac: str | None,
    nas: Router | None,
    now: datetime,
    tz: str,
    ttl: int,
    terms_version: str | None = None,
    *,
    stale_grace: int,
) -> IssuedTicket:
    """A registered citizen: their plan (or the free plan's limits), shared across all their devices."""
    plan = account.plan or free_access_plan(db)
    if plan is None:
        raise Refused("plan_inactive")
    device = _device(db, mac, now)
    if device is not None:
        device.account_id = account.id
    accept_terms(device, terms_version, now)
    accept_terms(account, terms_version, now)
    return _grant(
        db,
        "account",
        Standing(Subject(account_id=account.id), plan),
        now,
        tz,
        ttl,
        nas,
        mac,
        stale_grace,
        device=device,
        account=account,
    )


def grant_voucher(
    db: Session,
    code: str,
    mac: str | None,
    nas: Router | None,
    now: datetime,
    tz: str,
    ttl: int,
    terms_version: str | None = None,
    *,
    stale_grace: int,
) -> IssuedTicket:
    """A voucher code: checked here (exists, not revoked, not expired); RADIUS redeems it, starting its
    validity at first use."""
    voucher = find_voucher(db, code) if code.strip() else None
    valid_until = credentials.voucher_validity(voucher, voucher.plan.valid_days, now)[0] if voucher else None
    reason = credentials.voucher_refusal(voucher, valid_until, now)
    if reason:
        raise Refused(reason)
    device = _device(db, mac, now)
    accept_terms(device, terms_version, now)
    standing = Standing(Subject(voucher_id=voucher.id), voucher.plan, valid_until)
    return _grant(
        db, "voucher", standing, now, tz, ttl, nas, mac, stale_grace, device=device, voucher=voucher
    )


@dataclass(frozen=True)
class SessionLeft:
    """What an open session may still use (RFC 8908's seconds-remaining and bytes-remaining)."""

    seconds: int | None
    octets: int | None
    can_extend: bool
    slowed_until: datetime | None = None  # today's quota is used: the throttle rate until the quota is back


def session_remaining(db: Session, session: RadiusSession, now: datetime, tz: str) -> SessionLeft | None:
    """Time left = min(plan session length - elapsed, today's time left); data left from today's quota.

    A plan with a throttle rate does not end the session with the quota: only its length counts, and once
    the quota is used the session is slowed until the quota comes back."""
    standing = Standing.of_session(db, session)
    if standing is None:
        return None
    limits = Limits.from_plan(standing.plan)
    left = allowance(limits, usage_today(db, standing.subject, now, tz), now, tz)
    elapsed = max(0, int((now - session.start_time).total_seconds()))
    in_session = None if limits.session_seconds is None else max(0, limits.session_seconds - elapsed)
    if limits.throttle_kbps is not None:
        return SessionLeft(in_session, None, False, left.resets_at if left.throttled else None)
    known = [value for value in (in_session, left.seconds_left_today) if value is not None]
    seconds = min(known) if known else None
    can_extend = left.allowed and (
        left.seconds_left_today is None or in_session is None or left.seconds_left_today > in_session
    )
    return SessionLeft(seconds, left.octets_left if left.allowed else 0, can_extend)
