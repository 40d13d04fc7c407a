"""Fair use as a citizen meets it at the splash page: slowed instead of cut off, devices at once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from hotspot.clock import utcnow
from hotspot.models import LoginTicket, RadiusSession
from hotspot.services.citizens import add_account
from hotspot.services.devices import touch_device
from hotspot.services.plans import PlanSpec, add_plan
from tests.integration.test_splash import MAC, mikrotik_url, post_way
from tests.support.splash import add_city, alert, form

PHONE, PASSWORD = "081234567890", "kata-sandi-rahasia"


@pytest.fixture
def city(db, settings):
    city = add_city(db, settings)
    city["plans"]["free"].throttle_kbps = 256
    db.commit()
    return city


def session_row(db, nas, plan, mac=MAC, status="active", octets=600_000_000, minutes_quiet=1, **owner):
    now = utcnow()
    row = RadiusSession(
        unique_id=f"s-{mac}-{status}",
        nas_id=nas.id,
        acct_session_id=f"A-{mac[-2:]}",
        username="t-old",
        plan_id=plan.id,
        calling_station_id=mac,
        framed_ip="127.0.0.1",
        start_time=now - timedelta(minutes=20),
        update_time=now - timedelta(minutes=minutes_quiet),
        interim_interval=300,
        session_time=1200,
        output_octets=octets,
        status=status,
        **owner,
    )
    db.add(row)
    db.commit()
    return row


@pytest.mark.parametrize(
    "language, slowed", [("id", "Diperlambat sampai 00:00"), ("en", "Slowed down until 00:00")]
)
def test_over_quota_on_a_throttle_plan_logs_in_and_the_status_page_says_until_when(
    client, db, city, language, slowed
):
    device = touch_device(db, MAC, utcnow())
    session_row(db, city["mikrotik"], city["plans"]["free"], status="closed", device_id=device.id)
    answer = post_way(client, client.get(mikrotik_url() + f"&lang={language}"), "/login/free")
    assert answer.status_code == 200
    handoff = form(answer.get_data(as_text=True), "handoff")
    assert db.scalar(select(LoginTicket).where(LoginTicket.username == handoff["fields"]["username"]))
    status = client.get("/status").get_data(as_text=True)
    assert f'<dd id="slowed">{slowed}</dd>' in status


def test_the_status_page_of_a_login_with_quota_left_says_nothing_about_slowing(client, db, city):
    post_way(client, client.get(mikrotik_url()), "/login/free")
    assert 'id="slowed"' not in client.get("/status").get_data(as_text=True)


def test_the_captive_api_tells_a_slowed_phone_until_when(client, db, city):
    device = touch_device(db, MAC, utcnow())
    session_row(db, city["mikrotik"], city["plans"]["free"], device_id=device.id)
    answer = client.get("/api/captive?nas=taman-tirosa").json
    assert answer["captive"] is False
    assert answer["slowed-until"] == "00:00"
    assert answer["seconds-remaining"] == 40 * 60  # the 60-minute session goes on; no quota ends it
    assert "bytes-remaining" not in answer


def test_a_citizen_is_online_on_at_most_the_plans_number_of_devices(client, db, city):
    plan = add_plan(db, PlanSpec("Warga Dua", session_minutes=120, max_sessions=1))
    account = add_account(db, PHONE, PASSWORD, plan.name)
    other_phone = session_row(db, city["mikrotik"], plan, mac="02:00:00:00:00:77", account_id=account.id)
    refused = post_way(client, client.get(mikrotik_url()), "/login/account", phone=PHONE, password=PASSWORD)
    assert refused.status_code == 403
    assert alert(refused.get_data(as_text=True)) == (
        "Akun atau voucher ini sudah dipakai di perangkat sebanyak yang diizinkan. "
        "Keluar dulu di perangkat lain."
    )
    other_phone.update_time = utcnow() - timedelta(minutes=13)  # silent for 2 x 300 s + 120 s: stale
    db.commit()
    accepted = post_way(client, client.get(mikrotik_url()), "/login/account", phone=PHONE, password=PASSWORD)
    assert accepted.status_code == 200
    assert form(accepted.get_data(as_text=True), "handoff")["fields"]["username"].startswith("t-")
