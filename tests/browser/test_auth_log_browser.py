"""The login log in a real Chromium: a citizen is refused at the splash page, the helpdesk finds why."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hotspot.clock import utcnow
from hotspot.services.admins import create_admin
from radius.authlog import write_events
from tests.browser.conftest import ARTIFACTS
from tests.conftest import ADMIN_PASSWORD
from tests.integration.test_splash import mikrotik_url
from tests.support.splash import add_city

pytestmark = pytest.mark.browser
CITIZEN_MAC = "02:00:00:00:00:01"


def test_login_log_in_chromium(served, browser_page, db, engine, settings):
    city = add_city(db, settings)
    create_admin(db, "siti", ADMIN_PASSWORD, "viewer", actor="test")
    with engine.begin() as conn:
        write_events(
            conn,
            [
                {
                    "time": utcnow() - timedelta(minutes=m),
                    "nas_id": city["chilli"].id,
                    "username": f"t-other-{m}",
                    "calling_station_id": "02:00:00:00:00:AA",
                    "method": "ticket",
                    "accepted": False,
                    "reason": "quota_data",
                }
                for m in range(1, 4)
            ],
        )
    page = browser_page
    page.goto(mikrotik_url(mac=CITIZEN_MAC).replace("http://localhost", served))
    page.fill("input[name=code]", "salah-kode")
    page.click("form[action='/login/voucher'] button[type=submit]")
    page.wait_for_url(f"{served}/login/voucher")
    assert "Kode voucher tidak dikenal" in page.locator("[role=alert]").inner_text()

    page.goto(f"{served}/admin/auth-log")
    page.fill("input[name=username]", "siti")
    page.fill("input[name=password]", ADMIN_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{served}/admin/auth-log")
    assert page.locator("#auth-events tr.rejected").count() == 4

    page.fill("input[name=mac]", "02-00-00-00-00-01")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**/admin/auth-log?mac=02-00-00-00-00-01**")
    rows = page.locator("#auth-events tr.rejected")
    assert rows.count() == 1
    cells = rows.first.locator("td").all_inner_texts()
    assert cells[1:] == [
        "Taman Tirosa",
        "SALAHKODE",
        CITIZEN_MAC,
        "portal-voucher",
        "ditolak",
        "unknown_voucher",
        "Kode voucher tidak dikenal. Periksa lagi kodenya.",
        "",
    ]  # the radio: RADIUS has heard none from this router yet
    # the wide table scrolls inside the page; the header and its sign-out button stay on screen
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
    page.screenshot(path=str(ARTIFACTS / "admin-auth-log-filtered.png"), full_page=True)

    page.locator("#auth-events a", has_text=CITIZEN_MAC).click()
    page.wait_for_url(f"{served}/admin/devices?mac=**")
    assert (ARTIFACTS / "admin-auth-log-filtered.png").stat().st_size > 10_000
