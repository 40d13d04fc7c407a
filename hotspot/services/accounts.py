"""Registered citizens and the admins of the console."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotspot.crypto import hash_password, hash_token, new_token
from hotspot.models import ADMIN_ROLES, Account, AdminUser, ApiToken
from hotspot.services import audit
from hotspot.services.plans import require_plan
from hotspot.validation import ValidationError, normalize_phone

MIN_PASSWORD_LENGTH = 8


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(f"the password must be at least {MIN_PASSWORD_LENGTH} characters")


def add_account(db: Session, phone: str, password: str, plan_name: str | None = None,
                verified: bool = True, actor: str = "cli") -> Account:
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


def find_admin(db: Session, username: str) -> AdminUser | None:
    return db.scalar(select(AdminUser).where(AdminUser.username == username))


def create_admin(db: Session, username: str, password: str, role: str, actor: str = "cli") -> AdminUser:
    if role not in ADMIN_ROLES:
        raise ValidationError(f"role must be one of {', '.join(ADMIN_ROLES)}, not {role!r}")
    if not username.strip() or len(username) > 64:
        raise ValidationError("the admin name must be 1 to 64 characters")
    check_password_strength(password)
    if find_admin(db, username) is not None:
        raise ValidationError(f"an admin named {username!r} already exists")
    admin = AdminUser(username=username, password_hash=hash_password(password), role=role)
    db.add(admin)
    db.flush()
    audit.record(db, actor, "admin.create", username, {"role": role})
    db.commit()
    return admin


def create_api_token(db: Session, username: str, name: str = "", actor: str = "cli") -> str:
    """Make a new bearer token for an admin; the token itself is returned once and never stored."""
    admin = find_admin(db, username)
    if admin is None or not admin.active:
        raise ValidationError(f"no active admin named {username!r}")
    token = new_token()
    db.add(ApiToken(admin_id=admin.id, token_hash=hash_token(token), name=name))
    audit.record(db, actor, "admin.token", username, {"name": name})
    db.commit()
    return token
