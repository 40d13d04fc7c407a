"""Console sign-in: cookie flags, fresh session, lock-out, TOTP second factor, sign-out, safe redirects."""

from __future__ import annotations

from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import select

from hotspot.clock import utcnow
from hotspot.models import AdminUser, AuditEvent, SignInThrottle
from hotspot.services.admins import create_admin
from hotspot.services.signin import LOCK_MINUTES, MAX_FAILURES
from tests.conftest import ADMIN_PASSWORD, csrf_token_from


def post_login(client, username, password, **extra):
    token = csrf_token_from(client.get("/admin/login").get_data(as_text=True))
    return client.post(
        "/admin/login", data={"username": username, "password": password, "csrf_token": token, **extra}
    )


def test_signed_out_admin_is_sent_to_login_with_next(client):
    response = client.get("/admin/sessions?status=active")
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/login?next=%2Fadmin%2Fsessions%3Fstatus%3Dactive"


def test_sign_in_sets_a_fresh_httponly_samesite_cookie_and_goes_to_next(client, db):
    create_admin(db, "budi", ADMIN_PASSWORD, "viewer", actor="test")
    client.get("/admin/login")
    before = client.get_cookie("session").value
    response = post_login(client, "budi", ADMIN_PASSWORD, next="/admin/sessions")
    assert response.status_code == 302 and response.headers["Location"] == "/admin/sessions"
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    assert client.get_cookie("session").value != before
    assert client.get("/admin/").status_code == 200
    admin = db.scalar(select(AdminUser).where(AdminUser.username == "budi"))
    db.refresh(admin)
    assert admin.last_login_at is not None
    assert db.scalar(select(AuditEvent.action).where(AuditEvent.actor == "budi")) == "admin.login"


def test_cookie_is_secure_behind_tls(settings, engine, db):
    from portal import create_app

    app = create_app(settings.with_overrides(behind_tls=True))
    try:
        create_admin(db, "budi", ADMIN_PASSWORD, "viewer", actor="test")
        client = app.test_client()
        response = post_login(client, "budi", ADMIN_PASSWORD)
        cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))
        assert "Secure" in cookie
    finally:
        app.extensions["hotspot"].engine.dispose()


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)"])
def test_next_never_leaves_the_site(client, db, target):
    create_admin(db, "budi", ADMIN_PASSWORD, "viewer", actor="test")
    response = post_login(client, "budi", ADMIN_PASSWORD, next=target)
    assert response.headers["Location"] == "/admin/"


def test_wrong_password_and_unknown_name_look_the_same(client, db):
    create_admin(db, "budi", ADMIN_PASSWORD, "viewer", actor="test")
    wrong = post_login(client, "budi", "nope")
    unknown = post_login(client, "nobody", "nope")
    assert wrong.status_code == unknown.status_code == 401
    assert "Nama atau kata sandi salah." in wrong.get_data(as_text=True)
    assert "Nama atau kata sandi salah." in unknown.get_data(as_text=True)


def test_lock_out_after_repeated_failures(client, db):
    create_admin(db, "budi", ADMIN_PASSWORD, "viewer", actor="test")
    for _ in range(MAX_FAILURES):
        assert post_login(client, "budi", "wrong-password").status_code == 401
    locked = post_login(client, "budi", ADMIN_PASSWORD)
    assert locked.status_code == 401
    assert "Terlalu banyak gagal masuk: dikunci sampai" in locked.get_data(as_text=True)
    throttle = db.scalar(select(SignInThrottle).where(SignInThrottle.username == "budi"))
    assert throttle.address == "127.0.0.1"
    left = throttle.locked_until - utcnow()
    assert timedelta(minutes=LOCK_MINUTES - 1) < left <= timedelta(minutes=LOCK_MINUTES)
    assert db.scalar(select(AuditEvent.action).where(AuditEvent.action == "admin.locked")) == "admin.locked"
    throttle.locked_until = utcnow() - timedelta(seconds=1)
    db.commit()
    assert post_login(client, "budi", ADMIN_PASSWORD).status_code == 302


def test_sign_out_ends_the_session(client, login):
    login("viewer")
    token = csrf_token_from(client.get("/admin/").get_data(as_text=True))
    assert client.post("/admin/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/admin/").status_code == 302


def test_totp_enrolment_then_second_factor_at_sign_in(client, login, db):
    admin = login("admin")
    page = client.get("/admin/account").get_data(as_text=True)
    client.post("/admin/account/totp", data={"step": "start", "csrf_token": csrf_token_from(page)})
    page = client.get("/admin/account").get_data(as_text=True)
    secret = page.split('id="totp-secret">', 1)[1].split("<", 1)[0]
    totp = pyotp.TOTP(secret)
    wrong = client.post(
        "/admin/account/totp",
        data={
            "step": "confirm",
            "code": "000000" if totp.now() != "000000" else "111111",
            "csrf_token": csrf_token_from(page),
        },
        follow_redirects=True,
    )
    assert "kode itu tidak cocok" in wrong.get_data(as_text=True)
    client.post(
        "/admin/account/totp",
        data={"step": "confirm", "code": totp.now(), "csrf_token": csrf_token_from(page)},
    )
    db.refresh(admin)
    assert admin.totp_secret_encrypted is not None and secret not in admin.totp_secret_encrypted

    client.post("/admin/logout", data={"csrf_token": csrf_token_from(page)})
    response = post_login(client, admin.username, ADMIN_PASSWORD)
    assert response.headers["Location"] == "/admin/login/totp"
    assert client.get("/admin/").status_code == 302  # password alone is not enough
    code_page = client.get("/admin/login/totp").get_data(as_text=True)
    bad = client.post("/admin/login/totp", data={"code": "12345", "csrf_token": csrf_token_from(code_page)})
    assert bad.status_code == 401 and "Kode salah." in bad.get_data(as_text=True)
    good = client.post(
        "/admin/login/totp", data={"code": totp.now(), "csrf_token": csrf_token_from(code_page)}
    )
    assert good.status_code == 302 and good.headers["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_api_token_created_in_the_console_works_once_shown(client, login):
    login("viewer")
    page = client.get("/admin/account").get_data(as_text=True)
    created = client.post(
        "/admin/account/tokens", data={"name": "grafana", "csrf_token": csrf_token_from(page)}
    )
    token = created.get_data(as_text=True).split('id="new-token">', 1)[1].split("<", 1)[0]
    assert client.get("/api/v1/nas", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert token not in client.get("/admin/account").get_data(as_text=True)
