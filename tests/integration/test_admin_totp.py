"""The second factor under attack: a code replayed, the factor stripped from an unlocked console, and a
half-finished sign-in carried over a password change."""

from __future__ import annotations

from datetime import timedelta

import pyotp
from sqlalchemy import select

from hotspot.clock import utcnow
from hotspot.crypto import SecretBox
from hotspot.models import AdminUser, AuditEvent
from hotspot.services.admins import create_admin
from tests.conftest import ADMIN_PASSWORD, csrf_token_from

SECRET = pyotp.random_base32()
NEW_PASSWORD = "a much longer new password"


def with_totp(db, settings, username: str = "budi") -> AdminUser:
    admin = create_admin(db, username, ADMIN_PASSWORD, "admin", actor="test")
    admin.totp_secret_encrypted = SecretBox(settings.secret_key).encrypt(SECRET)
    db.commit()
    return admin


def previous_code() -> str:
    """The code of the step before now: still accepted (clock drift), and older than now's code."""
    return pyotp.TOTP(SECRET).at(utcnow() - timedelta(seconds=30))


def password_step(client, username: str = "budi", password: str = ADMIN_PASSWORD):
    """Through the English console (`?lang=en` is remembered from here on), whose messages these tests
    read."""
    token = csrf_token_from(client.get("/admin/login?lang=en").get_data(as_text=True))
    return client.post("/admin/login", data={"username": username, "password": password, "csrf_token": token})


def code_step(client, code: str):
    token = csrf_token_from(client.get("/admin/login/totp").get_data(as_text=True))
    return client.post("/admin/login/totp", data={"code": code, "csrf_token": token})


def test_a_code_signs_in_once_only(app, client, db, settings):
    with_totp(db, settings)
    code = pyotp.TOTP(SECRET).now()
    assert password_step(client).headers["Location"] == "/admin/login/totp"
    assert code_step(client, code).status_code == 302
    assert client.get("/admin/").status_code == 200

    eavesdropper = app.test_client()  # knows the password and saw the code over a shoulder
    assert password_step(eavesdropper).headers["Location"] == "/admin/login/totp"
    replay = code_step(eavesdropper, code)
    assert replay.status_code == 401 and "Wrong code." in replay.get_data(as_text=True)
    assert eavesdropper.get("/admin/").status_code == 302


def test_turning_totp_off_needs_the_password_and_a_code(client, db, settings):
    admin = with_totp(db, settings)
    password_step(client)
    code_step(client, previous_code())
    assert client.get("/admin/").status_code == 200
    page = client.get("/admin/account").get_data(as_text=True)
    token = csrf_token_from(page)
    bare = client.post(
        "/admin/account/totp", data={"step": "disable", "csrf_token": token}, follow_redirects=True
    )
    assert "the current password is wrong" in bare.get_data(as_text=True)
    no_code = client.post(
        "/admin/account/totp",
        data={"step": "disable", "password": ADMIN_PASSWORD, "code": "", "csrf_token": token},
        follow_redirects=True,
    )
    assert "that code does not match" in no_code.get_data(as_text=True)
    db.refresh(admin)
    assert admin.totp_secret_encrypted is not None
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "admin.totp.disable")) is None

    done = client.post(
        "/admin/account/totp",
        data={
            "step": "disable",
            "password": ADMIN_PASSWORD,
            "code": pyotp.TOTP(SECRET).now(),
            "csrf_token": token,
        },
        follow_redirects=True,
    )
    assert "Two-step sign-in is off." in done.get_data(as_text=True)
    db.refresh(admin)
    assert admin.totp_secret_encrypted is None


def test_a_pending_sign_in_dies_with_a_password_change(app, client, db, settings):
    with_totp(db, settings)
    thief = app.test_client()  # has the old password; waits for a code to turn up
    assert password_step(thief).headers["Location"] == "/admin/login/totp"

    owner = client
    password_step(owner)
    assert code_step(owner, previous_code()).status_code == 302
    page = owner.get("/admin/account").get_data(as_text=True)
    owner.post(
        "/admin/account/password",
        data={"current": ADMIN_PASSWORD, "new": NEW_PASSWORD, "csrf_token": csrf_token_from(page)},
    )

    late = thief.get("/admin/login/totp")
    assert late.status_code == 302 and late.headers["Location"] == "/admin/login"
    token = csrf_token_from(thief.get("/admin/login").get_data(as_text=True))
    attempt = thief.post("/admin/login/totp", data={"code": pyotp.TOTP(SECRET).now(), "csrf_token": token})
    assert attempt.status_code == 302 and attempt.headers["Location"] == "/admin/login"
    assert thief.get("/admin/").status_code == 302
