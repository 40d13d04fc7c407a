"""The alerts page in a real Chromium: an open alert, its channel failing, an admin changing a rule."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from hotspot import site_watch
from hotspot.clock import utcnow
from hotspot.models import AlertRule, Notification
from hotspot.services.admins import create_admin
from tests.browser.conftest import ARTIFACTS
from tests.conftest import ADMIN_PASSWORD
from tests.support.admin_data import add_ap

pytestmark = pytest.mark.browser


def test_alerts_page_shows_an_open_alert_and_a_failing_channel(served, browser_page, db, settings):
    create_admin(db, "ani", ADMIN_PASSWORD, "admin", actor="test")
    tirosa = add_ap(db, "Taman Tirosa", "10.53.1.1")
    tirosa.last_seen_at = utcnow() - timedelta(minutes=42)
    add_ap(db, "Pantai Warna", "10.53.2.1").last_seen_at = utcnow()
    db.commit()
    site_watch.check(db, settings.with_overrides(alert_webhook_url="http://127.0.0.1:9/bot123:SECRET/send"))
    page = browser_page
    page.goto(f"{served}/admin/login")
    page.fill("input[name=username]", "ani")
    page.fill("input[name=password]", ADMIN_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{served}/admin/")
    assert "Tidak ada lalu lintas RADIUS dari router" in page.locator("#open-alerts").inner_text()

    page.click("header nav >> text=Peringatan")
    page.wait_for_url(f"{served}/admin/alerts")
    row = page.locator("#open-alerts tr.alert-open")
    assert row.count() == 1
    assert "Taman Tirosa" in row.inner_text() and "tidak ada paket RADIUS selama 42 menit" in row.inner_text()
    webhook = page.locator('#channels tr[data-channel="webhook"]')
    assert "gagal" in webhook.inner_text()
    assert "ConnectionError" in webhook.inner_text()
    assert "SECRET" not in page.content()  # a chat gateway's token in the URL stays out of the console
    assert page.locator("#sites").inner_text().count("belum pernah") == 0
    page.screenshot(path=str(ARTIFACTS / "admin-alerts.png"), full_page=True)

    rule = page.locator('#alert-rules tr[data-rule="nas_silent"]')
    rule.locator("input[name=minutes]").fill("60")
    rule.locator("button", has_text="Simpan").click()
    page.wait_for_url(f"{served}/admin/alerts")
    assert "disimpan" in page.locator(".flash").inner_text()
    assert db.get(AlertRule, "nas_silent").minutes == 60
    assert [n.status for n in db.scalars(select(Notification))] == ["pending"]
