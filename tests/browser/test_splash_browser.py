"""A phone-sized Chromium walks the splash page: Indonesian and English, a free login through a
simulated MikroTik login address (a local HTTP server here), and the status page."""

from __future__ import annotations

import hashlib
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from hotspot.models import LoginTicket
from hotspot.simulate import RouterConfig, mikrotik_redirect
from testbed.helpers import free_port
from testbed.servers import portal_server
from tests.browser.conftest import ARTIFACTS
from tests.support.splash import add_city

pytestmark = [pytest.mark.browser, pytest.mark.slow]
CHAP_ID, CHALLENGE = b"\x2a", bytes(range(16))


class MikrotikLogin:
    """The router's own login address: takes the POSTed login and sends the browser to `dst`, as MikroTik
    does."""

    def __init__(self):
        self.posts: list[dict] = []
        router = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"])).decode()
                fields = {key: values[0] for key, values in parse_qs(body).items()}
                router.posts.append(fields)
                self.send_response(302)
                self.send_header("Location", fields["dst"])
                self.end_headers()

            def log_message(self, *args):
                pass

        self.port = free_port()
        self._server = HTTPServer(("127.0.0.1", self.port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


@pytest.fixture
def deployment(settings, db, tmp_path):
    city = add_city(db, settings)
    city["mikrotik"].login_host = "127.0.0.1"  # the local stand-in for the router's login address
    db.commit()
    with MikrotikLogin() as router, portal_server(settings, tmp_path / "portal.log", workers=1) as url:
        yield url, router


def splash_url(portal: str, router: MikrotikLogin, mac: str) -> str:
    cfg = RouterConfig(
        vendor="mikrotik",
        portal=portal,
        radius_host="127.0.0.1",
        auth_port=1,
        acct_port=1,
        secret="x",
        mac=mac,
        router_ip=f"127.0.0.1:{router.port}",
    )
    return mikrotik_redirect(cfg, CHAP_ID, CHALLENGE)


def phone(browser, javascript: bool = True):
    context = browser.new_context(
        viewport={"width": 360, "height": 740},
        java_script_enabled=javascript,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    page = context.new_page()
    hosts: set[str] = set()
    page.on("request", lambda request: hosts.add(urlsplit(request.url).hostname))
    return context, page, hosts


def shot(page, name: str) -> Path:
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def test_free_login_in_indonesian_and_english_through_mikrotik(deployment, browser, db):
    portal, router = deployment
    context, page, hosts = phone(browser)
    try:
        page.goto(splash_url(portal, router, "02:00:00:00:0B:01"))
        assert page.locator("h1").inner_text() == "Selamat datang di Taman Tirosa"
        assert page.get_by_role("button", name="Setuju dan sambungkan").is_visible()
        assert page.get_by_label("Nomor HP").is_visible() and page.get_by_label("Kode voucher").is_visible()
        shot(page, "splash-id")

        page.get_by_role("link", name="English").click()
        assert page.locator("h1").inner_text() == "Welcome to Taman Tirosa"
        shot(page, "splash-en")

        page.get_by_role("button", name="Agree and connect").click()
        page.wait_for_url(f"{portal}/status")
        assert page.locator("h1").inner_text() == "You are connected at Taman Tirosa"
        assert page.locator("#time-left").inner_text() == "1 hour"
        assert page.locator("#data-left").inner_text() == "500 MB"
        shot(page, "status-en")
    finally:
        context.close()
    (posted,) = router.posts
    ticket = db.scalar(select(LoginTicket).where(LoginTicket.username == posted["username"]))
    assert posted["password"] == hashlib.md5(CHAP_ID + ticket.secret.encode() + CHALLENGE).hexdigest()
    assert posted["popup"] == "true"
    assert hosts == {"127.0.0.1"}


def test_handoff_works_with_javascript_off_and_keyboard_only(deployment, browser):
    portal, router = deployment
    context, page, hosts = phone(browser, javascript=False)
    try:
        page.goto(splash_url(portal, router, "02:00:00:00:0B:02"))
        page.get_by_role("button", name="Setuju dan sambungkan").focus()
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert page.locator("h1").inner_text() == "Menyambungkan…"
        shot(page, "handoff-no-js")
        assert router.posts == []
        page.get_by_role("button", name="Lanjutkan").click()
        page.wait_for_url(f"{portal}/status")
        assert page.locator("h1").inner_text() == "Anda tersambung di Taman Tirosa"
        shot(page, "status-id")
    finally:
        context.close()
    assert len(router.posts) == 1 and hosts == {"127.0.0.1"}


def test_privacy_notice_opens_from_the_splash_page(deployment, browser):
    portal, router = deployment
    context, page, hosts = phone(browser)
    try:
        page.goto(splash_url(portal, router, "02:00:00:00:0B:03"))
        page.get_by_role("link", name="Privasi").click()
        page.wait_for_url(f"{portal}/privacy")
        assert page.locator("h1").inner_text() == "Pemberitahuan privasi"
        assert "Pelindungan Data Pribadi" in page.locator("#privacy-notice").inner_text()
        shot(page, "privacy-id")
        page.get_by_role("link", name="English").click()
        assert page.locator("h1").inner_text() == "Privacy notice"
        assert "Personal data is anonymised after 90 days." in page.locator("#privacy-notice").inner_text()
        shot(page, "privacy-en")
    finally:
        context.close()
    assert hosts == {"127.0.0.1"}
