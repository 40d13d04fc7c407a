"""Outside its group's opening hours a site's splash page, in a phone's Chromium, says when it opens and
offers no free button; the same page in English."""

from __future__ import annotations

import pytest

from testbed.servers import portal_server
from tests.browser.test_splash_browser import MikrotikLogin, phone, shot, splash_url
from tests.integration.test_site_rules import ID_DAYS, closed_today, tomorrow
from tests.support.splash import add_city

pytestmark = [pytest.mark.browser, pytest.mark.slow]
MAC = "02:00:00:00:0C:02"


@pytest.fixture
def deployment(settings, db, tmp_path):
    city = add_city(db, settings)
    city["mikrotik"].login_host = "127.0.0.1"  # the test's MikrotikLogin stands for the router
    db.commit()
    closed_today(db, settings, city)
    with MikrotikLogin() as router, portal_server(settings, tmp_path / "portal.log", workers=1) as url:
        yield url, router


def test_a_closed_site_tells_the_phone_when_it_opens(deployment, browser, settings):
    portal, router = deployment
    context, page, _hosts = phone(browser)
    day = ID_DAYS[tomorrow(settings)]
    try:
        page.goto(splash_url(portal, router, MAC))
        body = page.locator("main").inner_text()
        assert f"Internet gratis di sini sedang tutup. Buka lagi {day} 07:00." in body
        assert "Harap tenang di area rumah sakit." in body
        assert page.get_by_role("button", name="Setuju dan sambungkan").count() == 0
        shot(page, "splash-closed-id")
        page.goto(splash_url(portal, router, MAC) + "&lang=en")
        body = page.locator("main").inner_text()
        assert "Free internet here is closed now. It opens again" in body
        assert "Please keep quiet in the hospital." in body
        shot(page, "splash-closed-en")
    finally:
        context.close()
    assert router.posts == []
