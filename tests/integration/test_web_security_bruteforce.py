"""Guessing at the splash page: citizens' passwords, SMS codes, and SMS flooding, with and without evasion.

Limits: per device (the router's MAC) and per address on every login and code
form, five codes per phone per hour whatever the device or address, five
guesses per code. Changing the MAC the URL claims does not escape the
per-address limit.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from hotspot.models import LoginTicket
from hotspot.services.citizens import CODE_ATTEMPTS, CODES_PER_PHONE_PER_HOUR
from tests.integration.test_splash import mikrotik_url, post_way
from tests.splash_support import alert
from tests.websec_support import CITIZEN_PASSWORD, CITIZEN_PHONE, inbox, populate, with_sms_inbox  # noqa: F401

LOCAL_PHONE = "0" + CITIZEN_PHONE[3:]


@pytest.fixture
def settings(settings, inbox):
    return with_sms_inbox(settings, inbox, ratelimit_per_mac="6/minute", ratelimit_per_ip="8/minute")


@pytest.fixture
def world(db, settings):
    return populate(db, settings)


def from_address(app, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def test_password_guessing_is_stopped_per_device_even_for_the_right_password(app, db, world):
    client = from_address(app, "10.5.50.23")
    page = client.get(mikrotik_url())
    codes = [post_way(client, page, "/login/account", phone=LOCAL_PHONE, password=f"guess-{n}").status_code
             for n in range(6)]
    assert codes == [400] * 6
    right = post_way(client, page, "/login/account", phone=LOCAL_PHONE, password=CITIZEN_PASSWORD)
    assert right.status_code == 429 and "Terlalu banyak percobaan" in right.get_data(as_text=True)
    assert db.scalar(select(LoginTicket)) is None


def test_a_new_mac_for_every_guess_meets_the_per_address_limit(app, db, world):
    client = from_address(app, "10.5.50.23")
    codes = []
    for n in range(9):
        page = client.get(mikrotik_url(mac=f"02:00:00:00:02:{n:02X}"))
        codes.append(post_way(client, page, "/login/account", phone=LOCAL_PHONE, password="guess").status_code)
    assert codes == [400] * 8 + [429]
    other = from_address(app, "10.5.50.24")  # a citizen elsewhere is not affected
    page = other.get(mikrotik_url(mac="02:00:00:00:03:01"))
    assert post_way(other, page, "/login/account", phone=LOCAL_PHONE, password=CITIZEN_PASSWORD).status_code == 200


def test_codes_to_one_phone_are_limited_from_any_device_or_address(app, inbox):
    answers = []
    for n in range(CODES_PER_PHONE_PER_HOUR + 1):
        client = from_address(app, f"10.5.{n}.23")
        client.get(mikrotik_url(mac=f"02:00:00:00:04:{n:02X}"))
        answers.append(post_way(client, client.get("/register"), "/register", phone="081311112222", password="sandi-rahasia-1"))
    assert [a.status_code for a in answers] == [303] * CODES_PER_PHONE_PER_HOUR + [400]
    assert "Terlalu banyak kode dikirim ke nomor ini" in alert(answers[-1].get_data(as_text=True))
    assert len(inbox.messages) == CODES_PER_PHONE_PER_HOUR


def test_a_code_dies_after_a_few_wrong_guesses(app, inbox):
    client = from_address(app, "10.5.50.23")
    client.get(mikrotik_url())
    post_way(client, client.get("/register"), "/register", phone="081311113333", password="sandi-rahasia-1")
    code = inbox.code_for("+6281311113333")
    wrong = "000000" if code != "000000" else "111111"
    page = client.get("/register/verify")
    for _ in range(CODE_ATTEMPTS):
        assert "Kode salah" in alert(post_way(client, page, "/register/verify", code=wrong).get_data(as_text=True))
    late = from_address(app, "10.5.50.99")  # the right code from a fresh address is too late as well
    with late.session_transaction() as session:
        session["pending"] = {"phone": "+6281311113333", "purpose": "register"}
    answer = post_way(late, late.get("/register/verify"), "/register/verify", code=code)
    assert answer.status_code == 400
    assert "Kode sudah tidak berlaku" in alert(answer.get_data(as_text=True))


def test_password_reset_does_not_tell_whether_a_number_is_registered(app, world, inbox):
    answers = {}
    for label, phone in (("registered", LOCAL_PHONE), ("unknown", "081399998888")):
        client = from_address(app, f"10.5.60.{len(answers) + 1}")
        client.get(mikrotik_url())
        answer = post_way(client, client.get("/reset"), "/reset", phone=phone)
        answers[label] = (answer.status_code, answer.headers.get("Location"))
    assert answers["registered"] == answers["unknown"] == (303, "/reset/confirm")
    assert [message["to"] for _, message in inbox.messages] == [CITIZEN_PHONE]
