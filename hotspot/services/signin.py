"""Console sign-in: password check, lock-out after repeated failures, optional TOTP second factor,
and the server-side record of each signed-in session.

The decision lives here (not in the view) so that the rules are the same for
every way in and can be tested with an explicit `now`. A session is a row
whose random id only the admin's cookie holds: sign-out deletes it, so a
copied cookie is worthless afterwards, and a password change ends the others.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp
from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from hotspot.crypto import SecretBox, hash_password, hash_token, new_token, verify_password
from hotspot.db import insert_for
from hotspot.models import AdminSession, AdminUser, SignInThrottle
from hotspot.services import audit
from hotspot.services.admins import find_admin
from hotspot.validation import ValidationError, check_password_strength

MAX_FAILURES = 5
LOCK_MINUTES = 15
SESSION_HOURS = 12
TOTP_ISSUER = "City hotspot"
# A dummy hash so that an unknown name costs as much time as a wrong password.
_DUMMY_HASH = hash_password("not-a-real-password")


@dataclass(frozen=True)
class SignIn:
    """Outcome of a password check: the admin when it matched, else a reason to show."""

    admin: AdminUser | None
    error: str | None = None

    @property
    def needs_totp(self) -> bool:
        return self.admin is not None and self.admin.totp_secret_encrypted is not None


def _locked_message(until: datetime) -> str:
    return f"Too many failed sign-ins: locked until {until:%H:%M} UTC."


def check_password(db: Session, username: str, password: str, now: datetime, ip: str | None = None) -> SignIn:
    """Verify name and password. Failures are counted per client address and typed name (known or not, so
    the answers never tell which names exist); after MAX_FAILURES that pair waits LOCK_MINUTES, while the
    real admin elsewhere still signs in. An admin locked by wrong second-factor codes is told so only after
    giving the right password."""
    name = username.strip()[:64]
    throttle = db.get(SignInThrottle, (ip or "", name))
    if throttle is not None and throttle.locked_until is not None and throttle.locked_until > now:
        verify_password(_DUMMY_HASH, password)
        return SignIn(None, _locked_message(throttle.locked_until))
    admin = find_admin(db, name)
    if admin is None or not admin.active or not verify_password(admin.password_hash, password):
        if admin is None or not admin.active:
            verify_password(_DUMMY_HASH, password)
        locked_until = _count_failure(db, ip or "", name, now)
        return SignIn(None, _locked_message(locked_until) if locked_until else "Wrong name or password.")
    if admin.locked_until is not None and admin.locked_until > now:
        return SignIn(None, _locked_message(admin.locked_until))
    if throttle is not None:
        db.delete(throttle)
        db.commit()
    return SignIn(admin)


def _count_failure(db: Session, address: str, name: str, now: datetime) -> datetime | None:
    """One more failure for this address and name; the lock's end when this one reached MAX_FAILURES."""
    db.execute(
        insert_for(db.get_bind().dialect.name)(SignInThrottle)
        .values(address=address, username=name, failures=0, window_start=now)
        .on_conflict_do_nothing()
    )
    throttle = db.get(SignInThrottle, (address, name), populate_existing=True)
    if throttle.window_start <= now - timedelta(minutes=LOCK_MINUTES):
        throttle.failures, throttle.window_start, throttle.locked_until = 0, now, None
    throttle.failures += 1
    if throttle.failures >= MAX_FAILURES:
        throttle.failures = 0
        throttle.locked_until = now + timedelta(minutes=LOCK_MINUTES)
        audit.record(
            db, name, "admin.locked", name, {"minutes": LOCK_MINUTES, "address": address}, ip=address
        )
    db.commit()
    return throttle.locked_until if throttle.failures == 0 else None


def record_failure(db: Session, admin: AdminUser, now: datetime, ip: str | None = None) -> bool:
    """Count a wrong second-factor code (the password was right); lock the admin out after MAX_FAILURES.
    True when now locked."""
    admin.failed_logins += 1
    locked = admin.failed_logins >= MAX_FAILURES
    if locked:
        admin.locked_until = now + timedelta(minutes=LOCK_MINUTES)
        admin.failed_logins = 0
        audit.record(
            db,
            admin.username,
            "admin.locked",
            admin.username,
            {"minutes": LOCK_MINUTES},
            admin_id=admin.id,
            ip=ip,
        )
    db.commit()
    return locked


def complete_sign_in(db: Session, admin: AdminUser, now: datetime, ip: str | None = None) -> str:
    """Record a successful sign-in (after the second factor, when there is one) and open its session;
    returns the session id for the cookie (only its hash is stored)."""
    admin.failed_logins = 0
    admin.locked_until = None
    admin.last_login_at = now
    db.execute(
        delete(AdminSession).where(
            AdminSession.admin_id == admin.id, AdminSession.created_at <= now - timedelta(hours=SESSION_HOURS)
        )
    )
    session_id = new_token()
    db.add(AdminSession(admin_id=admin.id, token_hash=hash_token(session_id), created_at=now))
    audit.record(db, admin.username, "admin.login", admin.username, admin_id=admin.id, ip=ip)
    db.commit()
    return session_id


def session_admin(db: Session, admin_id: int, session_id: str | None, now: datetime) -> AdminUser | None:
    """The active admin this cookie's session belongs to, while the sign-in lasts (SESSION_HOURS)."""
    if not session_id:
        return None
    record = db.scalar(select(AdminSession).where(AdminSession.token_hash == hash_token(session_id)))
    if (
        record is None
        or record.admin_id != admin_id
        or not record.admin.active
        or record.created_at <= now - timedelta(hours=SESSION_HOURS)
    ):
        return None
    return record.admin


def end_session(db: Session, session_id: str | None) -> None:
    """Sign-out: the session's row goes, so the cookie (and any copy of it) no longer signs anyone in."""
    if session_id:
        db.execute(delete(AdminSession).where(AdminSession.token_hash == hash_token(session_id)))
    db.commit()


def _matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step (one of drift either side) whose code this is, or None."""
    totp = pyotp.TOTP(secret)
    code = code.strip().replace(" ", "")
    step = totp.timecode(now)
    for candidate in (step, step - 1, step + 1):
        if hmac.compare_digest(totp.generate_otp(candidate), code):
            return candidate
    return None


def check_totp(db: Session, box: SecretBox, admin: AdminUser, code: str, now: datetime) -> bool:
    """True when the code matches the admin's authenticator (one step of clock drift allowed) and is newer
    than the last code accepted: a code seen over a shoulder or in a proxy log cannot be used again.
    The step is claimed by a conditional UPDATE, so two requests racing with one code cannot both win."""
    if admin.totp_secret_encrypted is None:
        return False
    step = _matching_step(box.decrypt(admin.totp_secret_encrypted), code, now)
    if step is None:
        return False
    claimed = db.execute(
        update(AdminUser)
        .where(
            AdminUser.id == admin.id, or_(AdminUser.totp_last_step.is_(None), AdminUser.totp_last_step < step)
        )
        .values(totp_last_step=step)
    )
    db.commit()
    db.refresh(admin)
    return claimed.rowcount == 1


def pending_stamp(admin: AdminUser) -> str:
    """Marks a half-finished sign-in (password given, code pending) with the password it was given for:
    after a password change the stamp no longer matches and the pending sign-in is void."""
    return hash_token(admin.password_hash)[:32]


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(secret: str, username: str) -> str:
    """The otpauth:// address an authenticator app imports."""
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=TOTP_ISSUER)


def enable_totp(
    db: Session,
    box: SecretBox,
    admin: AdminUser,
    secret: str,
    code: str,
    now: datetime,
    ip: str | None = None,
) -> None:
    """Turn on the second factor once the admin proves their app shows the right code."""
    if _matching_step(secret, code, now) is None:
        raise ValidationError("that code does not match; check the phone's clock and try again")
    # The step is not claimed here: enrolment happens inside a signed-in session, and the replay guard is
    # about sign-ins (check_totp).
    admin.totp_secret_encrypted = box.encrypt(secret)
    audit.record(db, admin.username, "admin.totp.enable", admin.username, admin_id=admin.id, ip=ip)
    db.commit()


def disable_totp(
    db: Session,
    box: SecretBox,
    admin: AdminUser,
    password: str,
    code: str,
    now: datetime,
    ip: str | None = None,
) -> None:
    """Turn the second factor off only for someone who knows the password and holds the authenticator:
    a borrowed, unlocked console must not be enough to strip an admin's second factor."""
    if not verify_password(admin.password_hash, password):
        raise ValidationError("the current password is wrong")
    if not check_totp(db, box, admin, code, now):
        raise ValidationError("that code does not match; check the phone's clock and try again")
    admin.totp_secret_encrypted = None
    admin.totp_last_step = None
    audit.record(db, admin.username, "admin.totp.disable", admin.username, admin_id=admin.id, ip=ip)
    db.commit()


def change_password(
    db: Session,
    admin: AdminUser,
    current: str,
    new: str,
    ip: str | None = None,
    keep_session: str | None = None,
) -> None:
    """A new password ends every other signed-in session of this admin (whoever knew the old one)."""
    if not verify_password(admin.password_hash, current):
        raise ValidationError("the current password is wrong")
    check_password_strength(new)
    admin.password_hash = hash_password(new)
    db.execute(
        delete(AdminSession).where(
            AdminSession.admin_id == admin.id, AdminSession.token_hash != hash_token(keep_session or "")
        )
    )
    audit.record(db, admin.username, "admin.password", admin.username, admin_id=admin.id, ip=ip)
    db.commit()
