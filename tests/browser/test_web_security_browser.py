"""The strict Content-Security-Policy in a real Chromium: no page trips it, and the console's buttons still
work.

Chromium reports every blocked script, handler or style on the console; the
test visits each console page and the splash page and expects none, then uses
the two controls that once relied on inline handlers.
"""

from __future__ import annotations

import pytest

from hotspot.services.admins import create_admin
from tests.browser.conftest import ARTIFACTS
from tests.conftest import ADMIN_PASSWORD
from tests.integration.test_splash import mikrotik_url
from tests.support.websec import get_rules, populate, rule_url

pytestmark = pytest.mark.browser


def test_no_page_trips_the_csp_and_the_console_controls_work(served, browser_page, app, db, settings):
    world = populate(db, settings)
    create_admin(db, "chief", ADMIN_PASSWORD, "admin", actor="test")
    page = browser_page
    violations = []
    page.on(
        "console",
        lambda message: (
            violations.append(f"{page.url}: {message.text}")
            if "Content Security Policy" in message.text
            else None
        ),
    )
    page.add_init_script("window.print = () => { window.printed = true; };")
    page.goto(served + "/admin/login")
    page.fill("input[name=username]", "chief")
    page.fill("input[name=password]", ADMIN_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(served + "/admin/")

    pages = [
        rule_url(rule, world)
        for rule in get_rules(app)
        if rule.rule.startswith("/admin/") and not rule.rule.endswith(".csv")
    ]
    for path in pages + [mikrotik_url().replace("http://localhost", "")]:
        page.goto(served + path)
    assert violations == []

    page.goto(served + "/admin/")
    page.select_option("select[name=nas]", str(world["nas_id"]))
    page.wait_for_url(f"{served}/admin/?nas={world['nas_id']}")
    page.goto(served + "/admin/vouchers/batch/B1/print")
    page.click("button[data-print]")
    assert page.evaluate("window.printed") is True
    page.screenshot(path=str(ARTIFACTS / "csp-voucher-print.png"))
    assert violations == []
