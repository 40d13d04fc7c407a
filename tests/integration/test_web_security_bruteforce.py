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
from tests.support.splash import alert, form
from tests.support.websec import (
    CITIZEN_PASSWORD,
    CITIZEN_PHONE,
    inbox,  # noqa: F401 (a fixture, used by name)
    populate,
    with_sms_inbox,
)

LOCAL_PHONE = "0" + CITIZEN_PHONE[3:]


@pytest.fixture
def settings(settings, inbox):
    return with_sms_inbox(settings, inbox, ratelimit_per_mac="6/minute", ratelimit_per_ip="8/minute")


def from_address(app, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def test_password_guessing_is_stopped_per_device_even_for_the_right_password(app, db, site):
    client = from_address(app, "10.5.50.23")
    page = client.get(mikrotik_url())
    codes = [
        post_way(client, page, "/login/account", phone=LOCAL_PHONE, password=f"guess-{n}").status_code
        for n in range(6)
    ]
    assert codes == [400] * 6
    right = post_way(client, page, "/login/account", phone=LOCAL_PHONE, password=CITIZEN_PASSWORD)
    assert right.status_code == 429 and "Terlalu banyak percobaan" in right.get_data(as_text=True)
    assert db.scalar(select(LoginTicket)) is None


def test_a_new_mac_for_every_guess_meets_the_per_address_limit(app, db, site):
    client = from_address(app, "10.5.50.23")
    codes = []
    for n in range(9):
        page = client.get(mikrotik_url(mac=f"02:00:00:00:02:{n:02X}"))
        codes.append(
            post_way(client, page, "/login/account", phone=LOCAL_PHONE, password="guess").status_code
        )
    assert codes == [400] * 8 + [429]
    other = from_address(app, "10.5.50.24")  # a citizen elsewhere is not affected
    page = other.get(mikrotik_url(mac="02:00:00:00:03:01"))
    assert (
        post_way(other, page, "/login/account", phone=LOCAL_PHONE, password=CITIZEN_PASSWORD).status_code
        == 200
    )


def test_codes_to_one_phone_are_limited_from_any_device_or_address(app, inbox):
    answers = []
    for n in range(CODES_PER_PHONE_PER_HOUR + 1):
        client = from_address(app, f"10.5.{n}.23")
        client.get(mikrotik_url(mac=f"02:00:00:00:04:{n:02X}"))
        answers.append(
            post_way(
                client, client.get("/register"), "/register", phone="081311112222", password="sandi-rahasia-1"
            )
        )
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
        assert "Kode salah" in alert(
            post_way(client, page, "/register/verify", code=wrong).get_data(as_text=True)
        )
    late = from_address(app, "10.5.50.99")  # the right code from a fresh address is too late as well
    with late.session_transaction() as session:
        session["pending"] = {"phone": "+6281311113333", "purpose": "register"}
    answer = post_way(late, late.get("/register/verify"), "/register/verify", code=code)
    assert answer.status_code == 400
    assert "Kode sudah tidak berlaku" in alert(answer.get_data(as_text=True))


def test_password_reset_does_not_tell_whether_a_number_is_registered(app, site, inbox):
    answers = {}
    for label, phone in (("registered", LOCAL_PHONE), ("unknown", "081399998888")):
        client = from_address(app, f"10.5.60.{len(answers) + 1}")
        client.get(mikrotik_url())
        answer = post_way(client, client.get("/reset"), "/reset", phone=phone)
        answers[label] = (answer.status_code, answer.headers.get("Location"))
    assert answers["registered"] == answers["unknown"] == (303, "/reset/confirm")
    assert [message["to"] for _, message in inbox.messages] == [CITIZEN_PHONE]


def test_a_second_registration_of_a_pending_number_cannot_choose_the_owners_password(app, site, inbox):
    owner, intruder = from_address(app, "10.5.50.23"), from_address(app, "10.5.50.66")
    for client, password in ((owner, "owner-password-1"), (intruder, "intruder-password-1")):
        client.get(mikrotik_url(mac="02:00:00:00:05:01" if client is owner else "02:00:00:00:05:02"))
        post_way(client, client.get("/register"), "/register", phone="081311114444", password=password)
    code = inbox.code_for("+6281311114444")
    answer = post_way(owner, owner.get("/register/verify"), "/register/verify", code=code)
    assert answer.status_code == 200, alert(answer.get_data(as_text=True))  # online: handed to the router
    page = owner.get(mikrotik_url(mac="02:00:00:00:05:01"))
    refused = post_way(owner, page, "/login/account", phone="081311114444", password="intruder-password-1")
    assert alert(refused.get_data(as_text=True)) == "Nomor HP atau kata sandi salah."
    good = post_way(owner, page, "/login/account", phone="081311114444", password="owner-password-1")
    assert good.status_code == 200, alert(good.get_data(as_text=True))


def test_registration_does_not_tell_whether_a_number_is_registered(app, site, inbox):
    answers = {}
    for label, phone in (("registered", LOCAL_PHONE), ("unknown", "081399997777")):
        client = from_address(app, f"10.5.61.{len(answers) + 1}")
        client.get(mikrotik_url())
        answer = post_way(
            client, client.get("/register"), "/register", phone=phone, password="sandi-rahasia-9"
        )
        answers[label] = (answer.status_code, answer.headers.get("Location"))
    assert answers["registered"] == answers["unknown"] == (303, "/register/verify")
    assert sorted(message["to"] for _, message in inbox.messages) == [CITIZEN_PHONE, "+6281399997777"]


def test_codes_go_only_to_indonesian_mobile_numbers(app, site, inbox):
    client = from_address(app, "10.5.50.23")
    client.get(mikrotik_url())
    for number in ("+881612345678", "+8707712345678", "+447700900123"):
        answer = post_way(
            client, client.get("/register"), "/register", phone=number, password="sandi-rahasia-1"
        )
        assert answer.status_code == 400
        assert alert(answer.get_data(as_text=True)) == "Kode SMS hanya dikirim ke nomor HP Indonesia (08…)."
    assert inbox.messages == []


def test_codes_per_address_are_capped(settings, engine, db, inbox):
    from portal import create_app

    populate(db, settings)
    app = create_app(settings.with_overrides(sms_codes_per_address="2/day"))
    try:
        client = from_address(app, "10.5.50.23")
        client.get(mikrotik_url())
        codes = [
            post_way(
                client,
                client.get("/register"),
                "/register",
                phone=f"08131111500{n}",
                password="sandi-rahasia-1",
            ).status_code
            for n in range(3)
        ]
        assert codes == [303, 303, 429]
        other = from_address(app, "10.5.50.24")
        other.get(mikrotik_url(mac="02:00:00:00:05:09"))
        assert (
            post_way(
                other, other.get("/register"), "/register", phone="081311115009", password="sandi-rahasia-1"
            ).status_code
            == 303
        )
        assert len(inbox.messages) == 3
    finally:
        app.extensions["hotspot"].engine.dispose()


@pytest.mark.parametrize(
    "language, text, button",
    [
        (
            "id",
            "Kuota SMS kota untuk hari ini sudah habis. "
            "Silakan pakai internet gratis, atau daftar lagi besok.",
            "Pakai internet gratis",
        ),
        (
            "en",
            "The city's SMS budget for today is spent. "
            "Please use the free internet, or register again tomorrow.",
            "Use the free internet",
        ),
    ],
)
def test_a_spent_sms_budget_is_said_clearly_and_free_access_offered(
    settings, engine, db, inbox, language, text, button
):
    from portal import create_app

    populate(db, settings)
    app = create_app(settings.with_overrides(sms_daily_budget=1))
    try:
        client = from_address(app, "10.5.50.23")
        client.get(mikrotik_url() + f"&lang={language}")
        assert (
            post_way(
                client, client.get("/register"), "/register", phone="081311116001", password="sandi-rahasia-1"
            ).status_code
            == 303
        )
        spent = post_way(
            client, client.get("/register"), "/register", phone="081311116002", password="sandi-rahasia-1"
        )
        body = spent.get_data(as_text=True)
        assert spent.status_code == 400 and alert(body) == text and button in body
        handoff = form(post_way(client, spent, "/login/free").get_data(as_text=True), "handoff")
        assert handoff["action"] == "http://10.5.50.1/login"
        assert len(inbox.messages) == 1
    finally:
        app.extensions["hotspot"].engine.dispose()
