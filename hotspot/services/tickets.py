"""One-time login tickets: the portal issues them, the RADIUS server redeems them once.

A ticket is a random username and secret that the browser hands to the router,
so the router can speak CHAP with us without the citizen's own password ever
leaving the portal. It expires within minutes and works once.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hotspot.models import TICKET_KINDS, Account, Device, LoginTicket, Nas, Plan, Voucher

TICKET_PREFIX = "t-"


def issue_ticket(db: Session, kind: str, plan: Plan, now: datetime, ttl_seconds: int, *,
                 nas: Nas | None = None, device: Device | None = None, account: Account | None = None,
                 voucher: Voucher | None = None) -> LoginTicket:
    """Create and commit a ticket for one login through one router."""
    if kind not in TICKET_KINDS:
        raise ValueError(f"unknown ticket kind {kind!r}")
    ticket = LoginTicket(
        username=TICKET_PREFIX + secrets.token_hex(8),
        secret=secrets.token_urlsafe(12),
        kind=kind,
        plan_id=plan.id,
        nas_id=nas.id if nas else None,
        device_id=device.id if device else None,
        account_id=account.id if account else None,
        voucher_id=voucher.id if voucher else None,
        created_at=now,
        expires_at=now + timedelta(seconds=ttl_seconds),
    )
    db.add(ticket)
    db.commit()
    return ticket


def find_ticket(db: Session, username: str) -> LoginTicket | None:
    if not username.startswith(TICKET_PREFIX):
        return None
    return db.scalar(select(LoginTicket).where(LoginTicket.username == username))


def mark_used(db: Session, ticket: LoginTicket, now: datetime) -> bool:
    """Claim the ticket atomically; False if another request (or worker) already used it."""
    claimed = db.execute(
        update(LoginTicket).where(LoginTicket.id == ticket.id, LoginTicket.used_at.is_(None)).values(used_at=now)
    ).rowcount
    return claimed == 1
