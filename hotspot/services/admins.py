"""The admins of the console: created by `hotspot admin create` or `hotspot init`, and their API tokens."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotspot.crypto import hash_password, hash_token, new_token
from hotspot.models import ADMIN_ROLES, AdminUser, ApiToken
from hotspot.services import audit
from hotspot.validation import ValidationError, check_password_strength


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
