"""Voucher batches for events and longer plans."""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotspot.clock import utcnow
from hotspot.models import Voucher
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


def generate_vouchers(db: Session, plan_name: str, count: int, batch: str | None = None,
                      actor: str = "cli") -> list[Voucher]:
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
    vouchers out (operator and admin) see it whole; others see its last three characters to tell cards apart."""
    if may_see_unused or voucher.first_used_at is not None:
        return voucher.code
    return "\u2022" * (len(voucher.code) - 3) + voucher.code[-3:]


def find_voucher(db: Session, code: str) -> Voucher | None:
    return db.scalar(select(Voucher).where(Voucher.code == normalize_code(code)))
