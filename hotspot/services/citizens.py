"""Registered citizens at the splash page: registration by SMS code, sign-in, password reset.

Citizens' passwords are checked here only (Argon2id) and never reach RADIUS;
a phone number is proven with a short-lived one-time code before the account
can sign in. Failures raise CitizenError with a reason the portal translates.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotspot.crypto import hash_password, hash_token, verify_password
from hotspot.models import Account, OneTimeCode
from hotspot.services.accounts import check_password_strength
from hotspot.validation import ValidationError, normalize_phone

CODE_DIGITS = 6
CODE_TTL = timedelta(minutes=10)
CODE_ATTEMPTS = 5
CODES_PER_PHONE_PER_HOUR = 5
PURPOSES = ("register", "reset", "data")
# Verified against when the phone is unknown, so a wrong number costs as long as a wrong password.
_DUMMY_HASH = hash_password(secrets.token_hex(16))


class CitizenError(ValidationError):
    """A citizen's request cannot be done; `reason` names why (the portal shows it translated)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def phone_number(text: str) -> str:
    """E.164 from what a citizen typed (08… becomes +628…)."""
    try:
        return normalize_phone(text)
    except ValidationError as exc:
        raise CitizenError("bad_phone") from exc


def find_account(db: Session, phone: str) -> Account | None:
    return db.scalar(select(Account).where(Account.phone == phone))


def _code_hash(phone: str, purpose: str, code: str) -> str:
    return hash_token(f"{phone}:{purpose}:{code}")


def send_code(db: Session, phone: str, purpose: str, now: datetime, sender, city_name: str) -> None:
    """Create a one-time code for this phone and purpose, commit it, and send it by SMS."""
    if purpose not in PURPOSES:
        raise ValueError(f"unknown code purpose {purpose!r}")
    recent = db.scalar(select(func.count()).select_from(OneTimeCode).where(
        OneTimeCode.phone == phone, OneTimeCode.created_at >= now - timedelta(hours=1)))
    if recent >= CODES_PER_PHONE_PER_HOUR:
        raise CitizenError("too_many_codes")
    code = "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))
    db.add(OneTimeCode(phone=phone, purpose=purpose, code_hash=_code_hash(phone, purpose, code),
                       created_at=now, expires_at=now + CODE_TTL))
    db.commit()
    minutes = int(CODE_TTL.total_seconds() // 60)
    sender.send(phone, f"Kode Wi-Fi {city_name}: {code} (berlaku {minutes} menit). "
                       f"Your {city_name} Wi-Fi code: {code} (valid {minutes} minutes).")


def verify_code(db: Session, phone: str, purpose: str, code: str, now: datetime) -> None:
    """Accept the newest unused code once; each guess counts, and a code dies after a few wrong ones."""
    record = db.scalar(
        select(OneTimeCode)
        .where(OneTimeCode.phone == phone, OneTimeCode.purpose == purpose, OneTimeCode.used_at.is_(None))
        .order_by(OneTimeCode.created_at.desc(), OneTimeCode.id.desc()).limit(1)
    )
    if record is None or record.expires_at <= now or record.attempts >= CODE_ATTEMPTS:
        raise CitizenError("code_expired")
    record.attempts += 1
    if not secrets.compare_digest(record.code_hash, _code_hash(phone, purpose, code.strip())):
        db.commit()
        raise CitizenError("bad_code")
    record.used_at = now
    db.flush()


def start_registration(db: Session, phone_text: str, password: str, now: datetime, sender,
                       city_name: str) -> str:
    """Keep the (not yet verified) account with its password hash and send the code; returns the E.164 phone."""
    phone = phone_number(phone_text)
    try:
        check_password_strength(password)
    except ValidationError as exc:
        raise CitizenError("weak_password") from exc
    account = find_account(db, phone)
    if account is not None and account.verified:
        raise CitizenError("exists")
    if account is None:
        db.add(Account(phone=phone, password_hash=hash_password(password), verified=False, created_at=now))
    else:
        account.password_hash = hash_password(password)
    db.flush()
    send_code(db, phone, "register", now, sender, city_name)
    return phone


def complete_registration(db: Session, phone: str, code: str, now: datetime) -> Account:
    """Verify the code and activate the account."""
    account = find_account(db, phone)
    if account is None:
        raise CitizenError("code_expired")
    verify_code(db, phone, "register", code, now)
    account.verified = True
    db.commit()
    return account


def request_reset(db: Session, phone_text: str, now: datetime, sender, city_name: str) -> str:
    """Send a reset code when the phone has an account; the answer is the same either way."""
    phone = phone_number(phone_text)
    account = find_account(db, phone)
    if account is not None and account.verified and not account.blocked:
        send_code(db, phone, "reset", now, sender, city_name)
    return phone


def reset_password(db: Session, phone: str, code: str, new_password: str, now: datetime) -> Account:
    """Set a new password after the reset code is verified."""
    try:
        check_password_strength(new_password)
    except ValidationError as exc:
        raise CitizenError("weak_password") from exc
    account = find_account(db, phone)
    if account is None:
        raise CitizenError("code_expired")
    verify_code(db, phone, "reset", code, now)
    account.password_hash = hash_password(new_password)
    db.commit()
    return account


def authenticate(db: Session, phone_text: str, password: str, now: datetime) -> Account:
    """The citizen's account when phone and password match a verified, unblocked account."""
    phone = phone_number(phone_text)
    account = find_account(db, phone)
    if account is None:
        verify_password(_DUMMY_HASH, password)
        raise CitizenError("bad_login")
    if not verify_password(account.password_hash, password):
        raise CitizenError("bad_login")
    if not account.verified:
        raise CitizenError("unverified")
    if account.blocked:
        raise CitizenError("blocked")
    account.last_login_at = now
    db.flush()
    return account
