"""Behind a TLS proxy (the production set-up): forms still work, and rate limits count real clients.

The proxy (nginx) tells gunicorn the scheme with X-Forwarded-Proto and the
client's address with X-Forwarded-For. Over https Flask-WTF also checks the
Referer of every form post, so the pages must let the browser send it to the
portal itself; and the per-address limits must count citizens, not the proxy,
without believing an address a client wrote itself.
"""

from __future__ import annotations

import requests

from hotspot.services.accounts import create_admin
from portal import create_app
from tests.conftest import ADMIN_PASSWORD, csrf_token_from
from testbed.servers import portal_server

PROXY = {"X-Forwarded-Proto": "https"}


def test_forms_work_over_https_behind_the_proxy_and_foreign_referers_are_refused(db, settings, tmp_path):
    create_admin(db, "chief", ADMIN_PASSWORD, "admin", actor="test")
    with portal_server(settings.with_overrides(behind_tls=True), tmp_path / "portal.log", workers=1) as url, \
            requests.Session() as browser:
        page = browser.get(url + "/admin/login", headers=PROXY)
        assert page.headers["Referrer-Policy"] == "same-origin"
        assert "max-age=31536000" in page.headers["Strict-Transport-Security"]
        data = {"username": "chief", "password": ADMIN_PASSWORD, "csrf_token": csrf_token_from(page.text)}
        # The cookie is Secure; the proxy's client would send it over https, so send it here by hand.
        cookie = {"Cookie": f"session={page.cookies['session']}"}
        foreign = browser.post(url + "/admin/login", data=data, allow_redirects=False,
                               headers={**PROXY, **cookie, "Referer": "https://evil.example/"})
        assert foreign.status_code == 400 and "Halaman ini sudah kedaluwarsa" in foreign.text
        # Without a Referer the post is refused too: why the pages must not say Referrer-Policy: no-referrer.
        assert browser.post(url + "/admin/login", data=data, allow_redirects=False,
                            headers={**PROXY, **cookie}).status_code == 400
        # What a browser sends under Referrer-Policy: same-origin, the portal's own https address.
        own = url.replace("http://", "https://") + "/admin/login"
        signed_in = browser.post(url + "/admin/login", data=data, allow_redirects=False,
                                 headers={**PROXY, **cookie, "Referer": own})
        assert signed_in.status_code == 302, signed_in.text
        assert signed_in.headers["Location"] == "/admin/"


def _register_attempts(app, forwarded_for: str, count: int) -> list[int]:
    """POSTs of the registration form (a bad phone: nothing is sent) from one client as the proxy reports it."""
    client = app.test_client()
    environ = {"REMOTE_ADDR": "127.0.0.1"}
    headers = {"X-Forwarded-For": forwarded_for}
    token = csrf_token_from(client.get("/register", environ_base=environ, headers=headers).get_data(as_text=True))
    return [client.post("/register", data={"csrf_token": token, "phone": "bad"}, environ_base=environ,
                        headers=headers).status_code for _ in range(count)]


def test_rate_limits_count_citizens_behind_the_proxy_and_ignore_what_they_forge(settings, engine):
    app = create_app(settings.with_overrides(behind_tls=True, ratelimit_per_ip="3/minute",
                                             ratelimit_per_mac="100/minute"))
    try:
        assert _register_attempts(app, "36.91.10.5", 4) == [400, 400, 400, 429]
        assert _register_attempts(app, "36.91.10.6", 1) == [400]  # another citizen has their own count
        # nginx appends the real address to whatever the client sent: the forged part is not believed.
        assert _register_attempts(app, "8.8.8.8, 36.91.10.5", 1) == [429]
    finally:
        app.extensions["hotspot"].engine.dispose()


def test_without_a_proxy_a_forged_forwarded_for_changes_nothing(settings, engine):
    app = create_app(settings.with_overrides(ratelimit_per_ip="3/minute", ratelimit_per_mac="100/minute"))
    try:
        codes = [_register_attempts(app, f"36.91.10.{n}", 1)[0] for n in range(4)]
        assert codes == [400, 400, 400, 429]
    finally:
        app.extensions["hotspot"].engine.dispose()
