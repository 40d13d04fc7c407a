"""Voucher batches for events and longer plans."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, contains_eager

from hotspot import credentials
from hotspot.clock import utcnow
from hotspot.models import Plan, Voucher
from hotspot.services import audit
from hotspot.services.plans import require_plan
from hotspot.validation import ValidationError

# No 0/O, 1/I/L: codes are read off paper and typed on small phone keyboards.
VOUCHER_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
VOUCHER_LENGTH = 10
MAX_BATCH = 10_000


def new_code() -> str:
    return "".join(secrets.choice(VOUCHER_ALPHABET) for _ in range(VOUCHER_LENGTH))


def normalize_code(code: str) -> str:
    """Citizens type codes in lower case, with spaces or dashes."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


def generate_vouchers(
    db: Session, plan_name: str, count: int, batch: str | None = None, actor: str = "cli"
) -> list[Voucher]:
    if not 1 <= count <= MAX_BATCH:
        raise ValidationError(f"count must be between 1 and {MAX_BATCH}")
    plan = require_plan(db, plan_name)
    batch = batch or f"{plan.name}-{utcnow():%Y%m%d%H%M%S}"
    codes: set[str] = set()
    while len(codes) < count:
        codes.add(new_code())
    taken = set(db.scalars(select(Voucher.code).where(Voucher.code.in_(codes))))
    while taken:
        codes -= taken
        while len(codes) < count:
            codes.add(new_code())
        taken = set(db.scalars(select(Voucher.code).where(Voucher.code.in_(codes))))
    vouchers = [Voucher(code=code, plan=plan, batch=batch) for code in sorted(codes)]
    db.add_all(vouchers)
    audit.record(db, actor, "voucher.generate", batch, {"plan": plan.name, "count": count})
    db.commit()
    return vouchers


def shown_code(voucher: Voucher, may_see_unused: bool) -> str:
    """The code as the console shows it: an unused code is money on paper, so only those who may hand
    vouchers out (operator and admin) see it whole; others see its last three characters to tell cards
    apart."""
    if may_see_unused or voucher.first_used_at is not None:
        return voucher.code
    return "\u2022" * (len(voucher.code) - 3) + voucher.code[-3:]


def find_voucher(db: Session, code: str) -> Voucher | None:
    return db.scalar(select(Voucher).where(Voucher.code == normalize_code(code)))


def voucher_status(voucher: Voucher, now: datetime) -> str:
    """new, active, expired or revoked: `credentials.voucher_status` for console, CLI and API alike."""
    return credentials.voucher_status(voucher, voucher.plan.valid_days, now)


def list_vouchers(
    db: Session,
    now: datetime,
    plan_name: str | None = None,
    batch: str | None = None,
    status: str | None = None,
) -> list[Voucher]:
    """Vouchers by plan, batch and status, in batch then code order."""
    if status is not None and status not in credentials.VOUCHER_STATUSES:
        raise ValidationError(f"status must be one of {', '.join(credentials.VOUCHER_STATUSES)}")
    query = (
        select(Voucher)
        .join(Voucher.plan)
        .options(contains_eager(Voucher.plan))
        .order_by(Voucher.batch, Voucher.code)
    )
    if plan_name:
        query = query.where(Plan.name == require_plan(db, plan_name).name)
    if batch:
        query = query.where(Voucher.batch == batch)
    return [v for v in db.scalars(query) if status is None or voucher_status(v, now) == status]


def voucher_to_dict(voucher: Voucher, now: datetime) -> dict:
    """The JSON shape of a voucher in `hotspot voucher list`: expires_at is when its validity ends."""

    def iso(value):
        return value.isoformat() if value else None

    until = None
    if voucher.first_used_at is not None:
        until = credentials.voucher_validity(voucher, voucher.plan.valid_days, now)[0]
    return {
        "code": voucher.code,
        "plan": voucher.plan.name,
        "batch": voucher.batch,
        "status": voucher_status(voucher, now),
        "first_used_at": iso(voucher.first_used_at),
        "expires_at": iso(until),
    }
