"""One-time login tickets: the portal issues them, the RADIUS server redeems them once.

A ticket is a random username and secret that the browser hands to the router,
so the router can speak CHAP with us without the citizen's own password ever
leaving the portal. It expires within minutes and works once.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from hotspot.credentials import TICKET_PREFIX
from hotspot.models import TICKET_KINDS, Account, Device, LoginTicket, Nas, Plan, Voucher
from hotspot.services.attribution import Router


def new_ticket(
    kind: str,
    plan_id: int,
    now: datetime,
    ttl_seconds: int,
    *,
    nas_id: int | None = None,
    device_id: int | None = None,
    account_id: int | None = None,
    voucher_id: int | None = None,
) -> LoginTicket:
    """A fresh ticket (random name and secret), not yet added to any session."""
    if kind not in TICKET_KINDS:
        raise ValueError(f"unknown ticket kind {kind!r}")
    return LoginTicket(
        username=TICKET_PREFIX + secrets.token_hex(8),
        secret=secrets.token_urlsafe(12),
        kind=kind,
        plan_id=plan_id,
        nas_id=nas_id,
        device_id=device_id,
        account_id=account_id,
        voucher_id=voucher_id,
        created_at=now,
        expires_at=now + timedelta(seconds=ttl_seconds),
    )


def issue_ticket(
    db: Session,
    kind: str,
    plan: Plan,
    now: datetime,
    ttl_seconds: int,
    *,
    nas: Nas | Router | None = None,
    device: Device | None = None,
    account: Account | None = None,
    voucher: Voucher | None = None,
) -> LoginTicket:
    """Create and commit a ticket for one login through one router."""
    ticket = new_ticket(
        kind,
        plan.id,
        now,
        ttl_seconds,
        nas_id=nas.id if nas else None,
        device_id=device.id if device else None,
        account_id=account.id if account else None,
        voucher_id=voucher.id if voucher else None,
    )
    db.add(ticket)
    db.commit()
    return ticket


_INSERT = LoginTicket.__table__.insert()
_INSERTED = [column.key for column in LoginTicket.__table__.columns if column.key != "id"]


def insert_ticket(db: Session, ticket: LoginTicket) -> None:
    """Write a `new_ticket` with one plain INSERT, no commit (the free login's short write)."""
    db.execute(_INSERT, {column: getattr(ticket, column) for column in _INSERTED})
