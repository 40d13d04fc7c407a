"""A phone whose free quota is used up logs in anyway on a throttle plan and reads, in its language,
until when it is slowed down."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hotspot.clock import utcnow
from hotspot.models import RadiusSession
from hotspot.services.devices import touch_device
from testbed.servers import portal_server
from tests.browser.test_splash_browser import MikrotikLogin, phone, shot, splash_url
from tests.support.splash import add_city

pytestmark = [pytest.mark.browser, pytest.mark.slow]
MAC = "02:00:00:00:0C:01"


@pytest.fixture
def deployment(settings, db, tmp_path):
    """The free plan slows to 256 kbit/s; this phone used its 500 MB earlier today."""
    city = add_city(db, settings)
    city["mikrotik"].login_host = "127.0.0.1"
    city["plans"]["free"].throttle_kbps = 256
    device = touch_device(db, MAC, utcnow())
    now = utcnow()
    db.add(
        RadiusSession(
            unique_id="used",
            nas_id=city["mikrotik"].id,
            acct_session_id="A1",
            username="t-old",
            plan_id=city["plans"]["free"].id,
            device_id=device.id,
            calling_station_id=MAC,
            start_time=now - timedelta(minutes=30),
            update_time=now,
            stop_time=now,
            session_time=1800,
            output_octets=500_000_000,
            status="closed",
        )
    )
    db.commit()
    with MikrotikLogin() as router, portal_server(settings, tmp_path / "portal.log", workers=1) as url:
        yield url, router


def test_a_slowed_phone_is_told_until_when_in_indonesian_and_english(deployment, browser):
    portal, router = deployment
    context, page, _hosts = phone(browser)
    try:
        page.goto(splash_url(portal, router, MAC))
        page.get_by_role("button", name="Setuju dan sambungkan").click()
        page.wait_for_url(f"{portal}/status")
        assert page.locator("#slowed").inner_text() == "Diperlambat sampai 00:00"
        assert page.locator("#data-left").inner_text() == "0 MB"
        shot(page, "status-slowed-id")
        page.goto(f"{portal}/status?lang=en")
        assert page.locator("#slowed").inner_text() == "Slowed down until 00:00"
        shot(page, "status-slowed-en")
    finally:
        context.close()
    assert len(router.posts) == 1
