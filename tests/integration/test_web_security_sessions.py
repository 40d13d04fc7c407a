"""Console sessions under attack: fixation, a copied cookie replayed after sign-out, and guessing passwords.

Flask's session is a signed cookie, so without server-side state a copy of it
would stay valid forever; each sign-in is therefore a row whose random id the
cookie carries, deleted at sign-out.
"""

from __future__ import annotations

from sqlalchemy import func, select

from hotspot.models import AdminSession, AdminUser
from hotspot.services.admins import create_admin
from hotspot.services.signin import MAX_FAILURES
from tests.conftest import ADMIN_PASSWORD, csrf_token_from

NEW_PASSWORD = "a much longer new password"


def sign_in(client, username: str, password: str = ADMIN_PASSWORD):
    token = csrf_token_from(client.get("/admin/login").get_data(as_text=True))
    return client.post("/admin/login", data={"username": username, "password": password, "csrf_token": token})


def cookie(client) -> str:
    return client.get_cookie("session").value


def with_cookie(app, value: str):
    """A fresh browser (the attacker's) carrying a copied session cookie."""
    other = app.test_client()
    other.set_cookie("session", value)
    return other


def test_a_session_planted_before_sign_in_is_not_the_one_signed_in(app, client, db):
    create_admin(db, "budi", ADMIN_PASSWORD, "admin", actor="test")
    client.get("/admin/login")
    planted = cookie(client)  # the attacker's cookie, planted in the victim's browser
    assert sign_in(client, "budi").status_code == 302
    assert cookie(client) != planted
    assert with_cookie(app, planted).get("/admin/").status_code == 302


def test_a_copied_cookie_stops_working_at_sign_out(app, client, db):
    create_admin(db, "budi", ADMIN_PASSWORD, "admin", actor="test")
    sign_in(client, "budi")
    stolen = cookie(client)
    assert with_cookie(app, stolen).get("/admin/").status_code == 200  # the copy works while signed in
    token = csrf_token_from(client.get("/admin/").get_data(as_text=True))
    assert client.post("/admin/logout", data={"csrf_token": token}).status_code == 302
    replay = with_cookie(app, stolen).get("/admin/")
    assert replay.status_code == 302 and replay.headers["Location"].startswith("/admin/login")
    assert db.scalar(select(func.count()).select_from(AdminSession)) == 0


def test_sign_out_on_one_browser_keeps_the_other_and_a_password_change_ends_the_others(app, client, db):
    create_admin(db, "budi", ADMIN_PASSWORD, "admin", actor="test")
    laptop, phone, tablet = client, app.test_client(), app.test_client()
    for browser in (laptop, phone, tablet):
        assert sign_in(browser, "budi").status_code == 302
    token = csrf_token_from(phone.get("/admin/").get_data(as_text=True))
    phone.post("/admin/logout", data={"csrf_token": token})
    assert laptop.get("/admin/").status_code == 200 and tablet.get("/admin/").status_code == 200
    page = laptop.get("/admin/account").get_data(as_text=True)
    laptop.post(
        "/admin/account/password",
        data={"current": ADMIN_PASSWORD, "new": NEW_PASSWORD, "csrf_token": csrf_token_from(page)},
    )
    assert laptop.get("/admin/").status_code == 200
    assert tablet.get("/admin/").status_code == 302


def test_a_deactivated_admin_is_signed_out_at_the_next_request(client, login, db):
    admin = login("operator")
    assert client.get("/admin/").status_code == 200
    admin.active = False
    db.commit()
    assert client.get("/admin/").status_code == 302


def test_guessing_passwords_locks_the_name_and_then_the_address(app, client, db):
    create_admin(db, "budi", ADMIN_PASSWORD, "admin", actor="test")
    codes = [sign_in(client, "budi", f"guess-{n}").status_code for n in range(MAX_FAILURES)]
    assert codes == [401] * MAX_FAILURES
    locked = sign_in(client, "budi")  # even the right password is refused while locked
    assert locked.status_code == 401 and "Terlalu banyak gagal masuk: dikunci sampai" in locked.get_data(
        as_text=True
    )
    assert db.scalar(select(func.count()).select_from(AdminSession)) == 0
    # Spraying other names from the same address meets the per-address limit (30 a minute).
    sprayed = [sign_in(client, f"name-{n}", "guess").status_code for n in range(30 - MAX_FAILURES - 1)]
    assert set(sprayed) == {401}
    assert sign_in(client, "anyone", "guess").status_code == 429
    db.expire_all()
    assert db.scalar(select(AdminUser.failed_logins).where(AdminUser.username == "budi")) == 0
