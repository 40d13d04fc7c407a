"""Secrets at rest, in logs and on pages: what an attacker with the database, the logs or a console page gets.

NAS shared secrets and uamsecrets are encrypted (they must be recovered to
sign RADIUS packets); passwords are Argon2id hashes; API tokens and SMS codes
are SHA-256 hashes. The tests walk a real admin and a real citizen through
every step that handles a secret, then read every raw row of every table and
everything logged (at DEBUG, and a real gunicorn's output), looking for any
of them in clear.
"""

from __future__ import annotations

import hashlib
import logging
import re

import pytest
import requests
from sqlalchemy import text

from hotspot.crypto import SecretBox
from hotspot.models import Base
from hotspot.services.admins import create_admin
from testbed.servers import portal_server
from tests.conftest import ADMIN_PASSWORD, csrf_token_from
from tests.support.splash import SmsInbox, add_city
from tests.support.websec import inbox, with_sms_inbox  # noqa: F401 (fixtures, used by name)

TYPED_SECRET = "typed-radius-secret-7f3k"
UAM_SECRET = "typed-uam-secret-9q2w"
CITIZEN_PHONE = "+6281299887766"
CITIZEN_PASSWORD = "citizen-pass-5t6y"


def between(html: str, element_id: str) -> str:
    return html.split(f'id="{element_id}">', 1)[1].split("<", 1)[0]


def raw_rows(engine) -> str:
    """Every value of every row of every table, as text (what a stolen backup holds)."""
    with engine.connect() as conn:
        return "\n".join(
            repr(tuple(row))
            for table in Base.metadata.sorted_tables
            for row in conn.execute(text(f"SELECT * FROM {table.name}"))
        )


def clear_code(code: str, found_in: str) -> bool:
    """Whether a six-digit code stands on its own in the text (not inside a longer number or a timestamp)."""
    return re.search(rf"(?<![\d.]){code}(?!\d)", found_in) is not None


class Walk:
    """The secrets one walk-through created, and the pages it saw after each was first shown."""

    def __init__(self):
        self.secrets: dict[str, str] = {}
        self.later_pages: list[str] = []


def walk_through(get, post, nas_form_url: str, inbox: SmsInbox) -> Walk:
    """Sign-in, a NAS with typed secrets, rotation, an API token and its use, a citizen's registration:
    `get(path)` and `post(path, data)` return (status, text) for one browser."""
    walk = Walk()
    status, page = get("/admin/login")
    status, page = post(
        "/admin/login", {"username": "chief", "password": ADMIN_PASSWORD, "csrf_token": csrf_token_from(page)}
    )
    status, page = get(nas_form_url)
    status, created = post(
        "/admin/nas",
        {
            "name": "Taman Nostalgia",
            "ip_range": "10.53.9.1",
            "vendor": "chilli",
            "secret": TYPED_SECRET,
            "uam_secret": UAM_SECRET,
            "csrf_token": csrf_token_from(page),
        },
    )
    assert status == 201 and between(created, "shared-secret") == TYPED_SECRET
    nas_id = re.search(r"/admin/nas/(\d+)", created.split('id="shared-secret"', 1)[1]).group(1)
    status, rotated = post(f"/admin/nas/{nas_id}/rotate", {"csrf_token": csrf_token_from(created)})
    assert status == 200
    walk.secrets.update(typed=TYPED_SECRET, uam=UAM_SECRET, rotated=between(rotated, "shared-secret"))
    status, account = get("/admin/account")
    status, made = post("/admin/account/tokens", {"name": "report", "csrf_token": csrf_token_from(account)})
    walk.secrets["token"] = between(made, "new-token")
    for path in (
        "/admin/nas",
        f"/admin/nas/{nas_id}",
        f"/admin/nas/{nas_id}/edit",
        "/admin/account",
        "/admin/audit",
        "/admin/",
    ):
        walk.later_pages.append(get(path)[1])
    walk.later_pages.append(get(("/api/v1/nas", walk.secrets["token"]))[1])
    status, register = get("/register")
    status, _ = post(
        "/register",
        {"phone": CITIZEN_PHONE, "password": CITIZEN_PASSWORD, "csrf_token": csrf_token_from(register)},
    )
    walk.secrets["code"] = inbox.code_for(CITIZEN_PHONE)
    status, verify = get("/register/verify")
    status, done = post(
        "/register/verify", {"code": walk.secrets["code"], "csrf_token": csrf_token_from(verify)}
    )
    assert status == 200, done
    walk.secrets.update(admin_password=ADMIN_PASSWORD, citizen_password=CITIZEN_PASSWORD)
    return walk


def leaks(walk: Walk, text_: str) -> list[str]:
    found = [name for name, value in walk.secrets.items() if name != "code" and value in text_]
    return found + (["code"] if clear_code(walk.secrets["code"], text_) else [])


@pytest.fixture
def settings(settings, inbox):
    return with_sms_inbox(settings, inbox)


def test_no_secret_in_the_database_the_logs_or_later_pages(client, db, engine, settings, inbox, caplog):
    caplog.set_level(logging.DEBUG)
    add_city(db, settings)
    create_admin(db, "chief", ADMIN_PASSWORD, "admin", actor="test")

    def get(path):
        path, token = path if isinstance(path, tuple) else (path, None)
        response = client.get(path, headers={"Authorization": f"Bearer {token}"} if token else {})
        return response.status_code, response.get_data(as_text=True)

    def post(path, data):
        response = client.post(path, data=data)
        return response.status_code, response.get_data(as_text=True)

    walk = walk_through(get, post, "/admin/nas/new", inbox)
    assert {
        page_number: found
        for page_number, page in enumerate(walk.later_pages)
        if (found := leaks(walk, page))
    } == {}
    assert leaks(walk, caplog.text) == []
    rows = raw_rows(engine)
    assert leaks(walk, rows) == []

    box = SecretBox(settings.secret_key)
    with engine.connect() as conn:
        secret, uam = conn.execute(
            text("SELECT secret_encrypted, uam_secret_encrypted FROM nas WHERE name = 'Taman Nostalgia'")
        ).one()
        assert (box.decrypt(secret), box.decrypt(uam)) == (walk.secrets["rotated"], UAM_SECRET)
        hashes = set(conn.execute(text("SELECT token_hash FROM api_token")).scalars())
        assert hashlib.sha256(walk.secrets["token"].encode()).hexdigest() in hashes
        passwords = list(
            conn.execute(
                text("SELECT password_hash FROM admin_user UNION ALL SELECT password_hash FROM account")
            ).scalars()
        )
        assert passwords and all(p.startswith("$argon2id$") for p in passwords)


def test_no_secret_in_a_real_portals_output(db, settings, inbox, tmp_path):
    add_city(db, settings)
    create_admin(db, "chief", ADMIN_PASSWORD, "admin", actor="test")
    log_path = tmp_path / "portal.log"
    with (
        portal_server(settings.with_overrides(log_level="DEBUG"), log_path, workers=1) as url,
        requests.Session() as browser,
    ):

        def get(path):
            path, token = path if isinstance(path, tuple) else (path, None)
            response = browser.get(url + path, headers={"Authorization": f"Bearer {token}"} if token else {})
            return response.status_code, response.text

        def post(path, data):
            response = browser.post(url + path, data=data)
            return response.status_code, response.text

        walk = walk_through(get, post, "/admin/nas/new", inbox)
    output = log_path.read_text()
    assert "POST /admin/nas" in output and "POST /register/verify" in output  # the requests were logged
    assert leaks(walk, output) == []


def test_a_database_error_does_not_carry_the_values_into_the_log(db):
    from datetime import timedelta

    from sqlalchemy.exc import IntegrityError

    from hotspot.clock import utcnow
    from hotspot.models import LoginTicket

    db.add(
        LoginTicket(
            username="t-orphan",
            secret="ticket-secret-in-flight",
            kind="free",
            plan_id=999_999,
            expires_at=utcnow() + timedelta(minutes=2),
        )
    )
    with pytest.raises(IntegrityError) as error:
        db.commit()
    db.rollback()
    assert "ticket-secret-in-flight" not in str(error.value)
    assert "parameters hidden" in str(error.value)


def test_no_secret_in_the_radius_daemons_output(world):
    from pyrad import packet

    from testbed.radius_daemon import exchange
    from testbed.radius_packets import access_request, accounting_request, decode_reply

    nas_secret = b"radius-secret-for-logs-1"
    world.nas("tirosa", "127.0.0.1", nas_secret.decode(), vendor="mikrotik")
    plan = world.free_plan(
        "Gratis",
        session_minutes=30,
        daily_minutes=60,
        daily_mb=None,
        down_kbps=None,
        up_kbps=None,
        mac_relogin=False,
    )
    login = world.ticket(plan, "AA:BB:CC:DD:EE:01")
    daemon = world.radius(nas_secret, log_level="DEBUG")
    wrong = access_request(nas_secret, login.username, "a-wrong-password-guess", identifier=1)
    assert decode_reply(exchange(wrong, daemon.auth_port), nas_secret, wrong).code == packet.AccessReject
    forged = access_request(b"a-guessed-nas-secret", login.username, login.secret, identifier=2, signed=True)
    assert exchange(forged, daemon.auth_port, timeout=0.5) is None
    right = access_request(nas_secret, login.username, login.secret, identifier=3)
    assert decode_reply(exchange(right, daemon.auth_port), nas_secret, right).code == packet.AccessAccept
    assert exchange(accounting_request(nas_secret, "Start", "c0ffee01", login.username), daemon.acct_port)
    daemon.stop()  # all it wrote is in the log (the World would stop it only after the test)
    output = daemon.log()
    assert "radius_drop" in output  # the forged request was logged, without what it carried
    for secret in (nas_secret.decode(), login.secret, "a-wrong-password-guess", "a-guessed-nas-secret"):
        assert secret not in output, secret
