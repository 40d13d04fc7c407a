"""Console lock-out that a stranger cannot turn against a real admin, and that tells nobody which admin
names exist (see SECURITY.md, brute force)."""

from __future__ import annotations

import re
from datetime import timedelta

import pyotp
from sqlalchemy import select

from hotspot.clock import utcnow
from hotspot.crypto import SecretBox
from hotspot.models import AdminUser
from hotspot.services.admins import create_admin
from hotspot.services.signin import MAX_FAILURES
from tests.conftest import ADMIN_PASSWORD, csrf_token_from

STRANGER = {"REMOTE_ADDR": "10.20.0.66"}
ADMIN_DESK = {"REMOTE_ADDR": "10.20.0.7"}


def sign_in(client, username: str, password: str, address: dict):
    """Through the English console (`?lang=en` is remembered for the POST), whose messages these tests
    read."""
    token = csrf_token_from(client.get("/admin/login?lang=en", environ_base=address).get_data(as_text=True))
    return client.post(
        "/admin/login",
        data={"username": username, "password": password, "csrf_token": token},
        environ_base=address,
    )


def flash_text(response) -> str:
    flash = r'<div class="flash [a-z]+" role="status">([^<]*)</div>'
    return re.search(flash, response.get_data(as_text=True))[1]


def test_a_stranger_guessing_cannot_lock_out_the_real_admin(app, db):
    create_admin(db, "budi", ADMIN_PASSWORD, "admin", actor="test")
    stranger, admin = app.test_client(), app.test_client()
    for n in range(MAX_FAILURES + 2):
        assert sign_in(stranger, "budi", f"guess-{n}", STRANGER).status_code == 401
    answer = sign_in(stranger, "budi", ADMIN_PASSWORD, STRANGER)
    assert "Too many failed sign-ins" in answer.get_data(as_text=True)
    assert sign_in(admin, "budi", ADMIN_PASSWORD, ADMIN_DESK).status_code == 302
    assert admin.get("/admin/").status_code == 200
    db.expire_all()
    assert db.scalar(select(AdminUser.locked_until).where(AdminUser.username == "budi")) is None


def test_locked_and_unknown_names_get_the_same_answers(app, db):
    create_admin(db, "budi", ADMIN_PASSWORD, "admin", actor="test")
    prober = app.test_client()
    known = [sign_in(prober, "budi", f"guess-{n}", STRANGER) for n in range(MAX_FAILURES + 1)]
    unknown = [sign_in(prober, "nobody", f"guess-{n}", STRANGER) for n in range(MAX_FAILURES + 1)]
    for a, b in zip(known, unknown):
        assert a.status_code == b.status_code == 401
        assert flash_text(a) == flash_text(b)
    assert "Too many failed sign-ins" in known[-1].get_data(as_text=True)


def test_a_second_factor_lock_is_told_only_to_someone_with_the_password(app, db, settings):
    secret = pyotp.random_base32()
    admin = create_admin(db, "budi", ADMIN_PASSWORD, "admin", actor="test")
    admin.totp_secret_encrypted = SecretBox(settings.secret_key).encrypt(secret)
    admin.locked_until = utcnow() + timedelta(minutes=10)  # five wrong codes after the right password
    db.commit()
    prober = app.test_client()
    assert "Wrong name or password." in sign_in(prober, "budi", "guess", STRANGER).get_data(as_text=True)
    answer = sign_in(prober, "budi", ADMIN_PASSWORD, STRANGER)
    assert "Too many failed sign-ins" in answer.get_data(as_text=True)
