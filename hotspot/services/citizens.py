"""Registered citizens at the splash page: registration by SMS code, sign-in, password reset.

Citizens' passwords are checked here only (Argon2id) and never reach RADIUS;
a phone number is proven with a short-lived one-time code before the account
can sign in. Failures raise CitizenError with a reason the portal translates.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotspot.crypto import hash_password, hash_token, verify_password
from hotspot.models import Account, OneTimeCode
from hotspot.policy import day_start
from hotspot.services import audit
from hotspot.services.plans import require_plan
from hotspot.settings import Settings
from hotspot.validation import ValidationError, check_password_strength, normalize_phone

CODE_DIGITS = 6
CODE_TTL = timedelta(minutes=10)
CODE_ATTEMPTS = 5
CODES_PER_PHONE_PER_HOUR = 5
PURPOSES = ("register", "reset", "data")
# Verified against when the phone is unknown, so a wrong number costs as long as a wrong password.
_DUMMY_HASH = hash_password(secrets.token_hex(16))


@dataclass(frozen=True)
class SmsRules:
    """Where codes may go and how many the city pays for: SMS pumping (premium and satellite ranges abroad)
    is refused before any message is sent."""

    allowed_prefixes: tuple[str, ...]
    daily_budget: int
    timezone: str

    @classmethod
    def from_settings(cls, settings: Settings) -> SmsRules:
        prefixes = tuple(p.strip() for p in settings.sms_allowed_prefixes.split(",") if p.strip())
        return cls(prefixes, settings.sms_daily_budget, settings.timezone)


DEFAULT_SMS_RULES = SmsRules.from_settings(Settings())


@dataclass(frozen=True)
class Registration:
    """A registration waiting for its SMS code. The password hash stays with the registrant (the portal keeps
    it, encrypted, in that browser's session), so a code only ever activates what the one typing it chose."""

    phone: str
    password_hash: str


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


def sms_phone(text: str, rules: SmsRules) -> str:
    """A phone number codes may be sent to: E.164 and under one of the city's allowed prefixes."""
    phone = phone_number(text)
    if not phone.startswith(rules.allowed_prefixes):
        raise CitizenError("phone_not_allowed")
    return phone


def find_account(db: Session, phone: str) -> Account | None:
    return db.scalar(select(Account).where(Account.phone == phone))


def _code_hash(phone: str, purpose: str, code: str) -> str:
    return hash_token(f"{phone}:{purpose}:{code}")


def send_code(
    db: Session,
    phone: str,
    purpose: str,
    now: datetime,
    sender,
    city_name: str,
    rules: SmsRules = DEFAULT_SMS_RULES,
) -> None:
    """Create a one-time code for this phone and purpose, commit it, and send it by SMS, within the limits."""
    if purpose not in PURPOSES:
        raise ValueError(f"unknown code purpose {purpose!r}")
    recent = db.scalar(
        select(func.count())
        .select_from(OneTimeCode)
        .where(OneTimeCode.phone == phone, OneTimeCode.created_at >= now - timedelta(hours=1))
    )
    if recent >= CODES_PER_PHONE_PER_HOUR:
        raise CitizenError("too_many_codes")
    today = db.scalar(
        select(func.count())
        .select_from(OneTimeCode)
        .where(OneTimeCode.created_at >= day_start(now, rules.timezone))
    )
    if today >= rules.daily_budget:
        raise CitizenError("sms_budget_spent")
    code = "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))
    db.add(
        OneTimeCode(
            phone=phone,
            purpose=purpose,
            code_hash=_code_hash(phone, purpose, code),
            created_at=now,
            expires_at=now + CODE_TTL,
        )
    )
    db.commit()
    minutes = int(CODE_TTL.total_seconds() // 60)
    sender.send(
        phone,
        f"Kode Wi-Fi {city_name}: {code} (berlaku {minutes} menit). "
        f"Your {city_name} Wi-Fi code: {code} (valid {minutes} minutes).",
    )


def verify_code(db: Session, phone: str, purpose: str, code: str, now: datetime) -> None:
    """Accept the newest unused code once; each guess counts, and a code dies after a few wrong ones."""
    record = db.scalar(
        select(OneTimeCode)
        .where(OneTimeCode.phone == phone, OneTimeCode.purpose == purpose, OneTimeCode.used_at.is_(None))
        .order_by(OneTimeCode.created_at.desc(), OneTimeCode.id.desc())
        .limit(1)
    )
    if record is None or record.expires_at <= now or record.attempts >= CODE_ATTEMPTS:
        raise CitizenError("code_expired")
    record.attempts += 1
    if not secrets.compare_digest(record.code_hash, _code_hash(phone, purpose, code.strip())):
        db.commit()
        raise CitizenError("bad_code")
    record.used_at = now
    db.flush()


def start_registration(
    db: Session,
    phone_text: str,
    password: str,
    now: datetime,
    sender,
    city_name: str,
    rules: SmsRules = DEFAULT_SMS_RULES,
) -> Registration:
    """Send a code to the phone, registered or not (the same answer and the same work either way, so the page
    tells nobody which numbers have accounts); a new number gets a not yet verified account."""
    phone = sms_phone(phone_text, rules)
    try:
        check_password_strength(password)
    except ValidationError as exc:
        raise CitizenError("weak_password") from exc
    registration = Registration(phone, hash_password(password))
    if find_account(db, phone) is None:
        db.add(Account(phone=phone, password_hash=registration.password_hash, verified=False, created_at=now))
        db.flush()
    send_code(db, phone, "register", now, sender, city_name, rules)
    return registration


def complete_registration(db: Session, registration: Registration, code: str, now: datetime) -> Account:
    """Verify the code and activate the account with this registration's password (for a number that already
    had an account, the code proves the phone as a reset does)."""
    account = find_account(db, registration.phone)
    if account is None:
        raise CitizenError("code_expired")
    verify_code(db, registration.phone, "register", code, now)
    account.password_hash = registration.password_hash
    account.verified = True
    db.commit()
    return account


def request_reset(
    db: Session, phone_text: str, now: datetime, sender, city_name: str, rules: SmsRules = DEFAULT_SMS_RULES
) -> str:
    """Send a reset code when the phone has an account; the answer is the same either way."""
    phone = sms_phone(phone_text, rules)
    account = find_account(db, phone)
    if account is not None and account.verified and not account.blocked:
        send_code(db, phone, "reset", now, sender, city_name, rules)
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


def check_login(db: Session, phone_text: str, password: str, now: datetime) -> Account:
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


def add_account(
    db: Session,
    phone: str,
    password: str,
    plan_name: str | None = None,
    verified: bool = True,
    actor: str = "cli",
) -> Account:
    """Register a citizen by phone number (normalised to E.164)."""
    phone = normalize_phone(phone)
    check_password_strength(password)
    if db.scalar(select(Account).where(Account.phone == phone)) is not None:
        raise ValidationError(f"an account for {phone} already exists")
    plan = require_plan(db, plan_name) if plan_name else None
    account = Account(phone=phone, password_hash=hash_password(password), plan=plan, verified=verified)
    db.add(account)
    db.flush()
    audit.record(db, actor, "account.add", phone, {"plan": plan_name})
    db.commit()
    return account
