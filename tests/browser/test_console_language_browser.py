"""The Indonesian console in Chromium: signed in it reads Indonesian, `en` in the header keeps the page,
and sticks."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hotspot.clock import utcnow
from tests.browser.conftest import ARTIFACTS
from tests.conftest import ADMIN_PASSWORD
from tests.support.admin_data import add_ap, add_session

pytestmark = pytest.mark.browser


def test_console_reads_indonesian_and_switches_to_english_on_the_same_page(served, browser_page, db):
    from hotspot.services.admins import create_admin

    create_admin(db, "budi", ADMIN_PASSWORD, "operator", actor="test")
    tirosa = add_ap(db, "Taman Tirosa", "10.53.1.1")
    add_session(
        db, tirosa, 1, utcnow() - timedelta(minutes=10), status="active", stop_time=None, terminate_cause=None
    )
    db.commit()
    page = browser_page
    page.goto(f"{served}/admin/login")
    assert page.locator("h1").inner_text() == "Admin hotspot: masuk"
    page.get_by_label("Nama").fill("budi")
    page.get_by_label("Kata sandi").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_url(f"{served}/admin/")

    page.get_by_role("link", name="Sedang online").click()
    page.wait_for_url(f"{served}/admin/sessions?status=active")
    assert page.locator("h1").inner_text() == "Sedang online"
    assert page.locator("tr[data-session-id] button").inner_text() == "Putuskan"
    assert page.locator("tr[data-session-id] td").nth(9).inner_text() == "berjalan"
    page.screenshot(path=str(ARTIFACTS / "admin-console-id.png"), full_page=True)

    page.locator("#lang-switch").get_by_role("link", name="en").click()
    page.wait_for_url(f"{served}/admin/sessions?status=active&lang=en")
    assert page.locator("h1").inner_text() == "Online now"
    assert page.locator("tr[data-session-id] button").inner_text() == "Disconnect"
    assert page.locator("html").get_attribute("lang") == "en"
    page.screenshot(path=str(ARTIFACTS / "admin-console-en.png"), full_page=True)

    page.get_by_role("link", name="Devices").click()
    page.wait_for_url(f"{served}/admin/devices")
    assert page.locator("h1").inner_text() == "Devices"
    page.locator("#lang-switch").get_by_role("link", name="id").click()
    page.wait_for_url(f"{served}/admin/devices?lang=id")
    assert page.locator("h1").inner_text() == "Perangkat"
    assert (ARTIFACTS / "admin-console-id.png").stat().st_size > 10_000
