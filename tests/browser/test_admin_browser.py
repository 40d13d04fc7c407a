"""The console in a real Chromium: sign in, dashboard charts, filter the log, export CSV, disconnect,
vouchers."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path

import pytest

from hotspot.clock import utcnow
from hotspot.crypto import SecretBox
from hotspot.services.nas import NasSpec, add_nas
from hotspot.services.plans import PlanSpec, add_plan
from tests.browser.conftest import ARTIFACTS
from tests.conftest import ADMIN_PASSWORD
from tests.integration.test_coa import SECRET, RouterListener
from tests.support.admin_data import add_ap, add_session, add_usage

pytestmark = pytest.mark.browser


def test_admin_console_in_chromium(served, browser_page, db, settings, tmp_path):
    from hotspot.services.admins import create_admin

    create_admin(db, "budi", ADMIN_PASSWORD, "operator", actor="test")
    add_plan(db, PlanSpec(name="Acara", daily_minutes=480, valid_days=3), actor="test")
    router = RouterListener(settings, lambda request, reply: None, wait=120)
    now = utcnow()
    hour = now.replace(minute=0, second=0, microsecond=0)
    tirosa = add_nas(
        db,
        SecretBox(settings.secret_key),
        NasSpec(name="Taman Tirosa", ip_range="10.53.1.0/24", secret=SECRET.decode(), vendor="mikrotik"),
        actor="test",
    )
    tirosa.coa_port = router.port
    tirosa.last_seen_at = now
    warna = add_ap(db, "Pantai Warna", "10.53.2.1")
    for n in range(12):
        add_session(db, tirosa if n % 2 else warna, n, now - timedelta(hours=n + 1))
    target = add_session(
        db,
        tirosa,
        99,
        now - timedelta(minutes=15),
        status="active",
        stop_time=None,
        terminate_cause=None,
        username="t-abusive",
        nas_ip_address="127.0.0.1",
    )
    for h in range(24):
        add_usage(db, tirosa, hour - timedelta(hours=h), 3 + h % 5, 10**6 * (h + 1), 10**7 * (h + 1))
    db.commit()
    page = browser_page
    try:
        page.goto(f"{served}/admin/sessions")
        assert page.url.startswith(f"{served}/admin/login?next=")
        page.fill("input[name=username]", "budi")
        page.fill("input[name=password]", ADMIN_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{served}/admin/sessions")

        page.goto(f"{served}/admin/")
        assert page.locator("#online-sessions").inner_text() == "1"
        assert page.locator("svg.chart").count() == 3
        assert page.locator("svg.chart").first.bounding_box()["height"] > 100
        assert page.locator("svg.chart").first.locator("rect.bar").count() == 24
        assert page.locator("#ap-status td.online").inner_text() == "online"
        page.screenshot(path=str(ARTIFACTS / "admin-dashboard.png"), full_page=True)

        page.goto(f"{served}/admin/sessions")
        page.select_option("select[name=nas]", "Pantai Warna")
        page.click("form.filters button[type=submit]")
        page.wait_for_url("**/admin/sessions?nas=Pantai+Warna**")
        assert page.locator("tr[data-session-id]").count() == 6
        assert "6</strong> sesi" in page.locator("#totals").inner_html()
        page.screenshot(path=str(ARTIFACTS / "admin-sessions-filtered.png"), full_page=True)

        with page.expect_download() as download_info:
            page.click("#csv-link")
        saved = tmp_path / "sessions.csv"
        download_info.value.save_as(saved)
        rows = list(csv.DictReader(io.StringIO(saved.read_text())))
        assert len(rows) == 6 and {r["nas"] for r in rows} == {"Pantai Warna"}

        page.goto(f"{served}/admin/sessions?status=active")
        page.locator(f"tr[data-session-id='{target.id}'] button", has_text="Putuskan").click()
        page.wait_for_selector(".flash")
        assert page.locator(".flash").inner_text() == "t-abusive di Taman Tirosa: Disconnect-ACK"
        page.screenshot(path=str(ARTIFACTS / "admin-disconnect.png"), full_page=True)

        page.goto(f"{served}/admin/vouchers")
        page.select_option("select[name=plan]", "Acara")
        page.fill("input[name=count]", "9")
        page.fill("input[name=batch]", "Festival")
        page.click("#generate-vouchers button")
        page.wait_for_url(f"{served}/admin/vouchers/batch/Festival")
        assert page.locator("#vouchers tr").count() == 10
        page.click("#print-link")
        assert page.locator(".card").count() == 9
        page.emulate_media(media="print")
        assert page.locator(".toolbar").is_hidden()
        page.screenshot(path=str(ARTIFACTS / "admin-voucher-cards.png"), full_page=True)
    finally:
        router.close()
    assert router.received and router.received[0]["User-Name"] == ["t-abusive"]
    assert Path(ARTIFACTS / "admin-dashboard.png").stat().st_size > 10_000
