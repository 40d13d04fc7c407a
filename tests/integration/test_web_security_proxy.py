"""Behind a TLS proxy (the production set-up): forms still work, and rate limits count real clients.

The proxy (nginx) tells gunicorn the scheme with X-Forwarded-Proto and the
client's address with X-Forwarded-For. Over https Flask-WTF also checks the
Referer of every form post, so the pages must let the browser send it to the
portal itself; and the per-address limits must count citizens, not the proxy,
without believing an address a client wrote itself.
"""

from __future__ import annotations

import os
import subprocess
import sys

import requests
from sqlalchemy import select

from hotspot.models import SignInThrottle
from hotspot.services.admins import create_admin
from hotspot.settings import PROJECT_ROOT
from portal import create_app
from testbed.servers import portal_server
from tests.conftest import ADMIN_PASSWORD, csrf_token_from

PROXY = {"X-Forwarded-Proto": "https"}


def test_forms_work_over_https_behind_the_proxy_and_foreign_referers_are_refused(db, settings, tmp_path):
    create_admin(db, "chief", ADMIN_PASSWORD, "admin", actor="test")
    with (
        portal_server(settings.with_overrides(behind_tls=True), tmp_path / "portal.log", workers=1) as url,
        requests.Session() as browser,
    ):
        page = browser.get(url + "/admin/login", headers=PROXY)
        assert page.headers["Referrer-Policy"] == "same-origin"
        assert "max-age=31536000" in page.headers["Strict-Transport-Security"]
        data = {"username": "chief", "password": ADMIN_PASSWORD, "csrf_token": csrf_token_from(page.text)}
        # The cookie is Secure; the proxy's client would send it over https, so send it here by hand.
        cookie = {"Cookie": f"session={page.cookies['session']}"}
        foreign = browser.post(
            url + "/admin/login",
            data=data,
            allow_redirects=False,
            headers={**PROXY, **cookie, "Referer": "https://evil.example/"},
        )
        assert foreign.status_code == 400 and "Halaman ini sudah kedaluwarsa" in foreign.text
        # Without a Referer the post is refused too: why the pages must not say Referrer-Policy: no-referrer.
        assert (
            browser.post(
                url + "/admin/login", data=data, allow_redirects=False, headers={**PROXY, **cookie}
            ).status_code
            == 400
        )
        # What a browser sends under Referrer-Policy: same-origin, the portal's own https address.
        own = url.replace("http://", "https://") + "/admin/login"
        signed_in = browser.post(
            url + "/admin/login",
            data=data,
            allow_redirects=False,
            headers={**PROXY, **cookie, "Referer": own},
        )
        assert signed_in.status_code == 302, signed_in.text
        assert signed_in.headers["Location"] == "/admin/"


def _register_attempts(app, forwarded_for: str, count: int) -> list[int]:
    """POSTs of the registration form (a bad phone: nothing is sent) from one client as the proxy reports
    it."""
    client = app.test_client()
    environ = {"REMOTE_ADDR": "127.0.0.1"}
    headers = {"X-Forwarded-For": forwarded_for}
    token = csrf_token_from(
        client.get("/register", environ_base=environ, headers=headers).get_data(as_text=True)
    )
    return [
        client.post(
            "/register", data={"csrf_token": token, "phone": "bad"}, environ_base=environ, headers=headers
        ).status_code
        for _ in range(count)
    ]


def test_rate_limits_count_citizens_behind_the_proxy_and_ignore_what_they_forge(settings, engine):
    app = create_app(
        settings.with_overrides(behind_tls=True, ratelimit_per_ip="3/minute", ratelimit_per_mac="100/minute")
    )
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


def test_forwarded_for_is_believed_only_from_the_configured_proxy(settings, engine, db):
    """A client reaching the portal directly cannot pick its address with X-Forwarded-For."""
    app = create_app(
        settings.with_overrides(
            behind_tls=True,
            trusted_proxies="10.0.0.2",
            ratelimit_per_ip="3/minute",
            ratelimit_per_mac="100/minute",
        )
    )
    try:
        direct = {"REMOTE_ADDR": "10.5.50.77"}
        codes = []
        for n in range(4):
            client = app.test_client()
            headers = {"X-Forwarded-For": f"36.91.10.{n}"}
            token = csrf_token_from(
                client.get("/register", environ_base=direct, headers=headers).get_data(as_text=True)
            )
            codes.append(
                client.post(
                    "/register",
                    data={"csrf_token": token, "phone": "bad"},
                    environ_base=direct,
                    headers=headers,
                ).status_code
            )
        assert codes == [400, 400, 400, 429]
        proxied = app.test_client()
        page = proxied.get(
            "/admin/login",
            environ_base={"REMOTE_ADDR": "10.0.0.2"},
            headers={"X-Forwarded-For": "36.91.10.9"},
        )
        assert page.status_code == 200
        proxied.post(
            "/admin/login",
            environ_base={"REMOTE_ADDR": "10.0.0.2"},
            headers={"X-Forwarded-For": "36.91.10.9"},
            data={
                "username": "x",
                "password": "y",
                "csrf_token": csrf_token_from(page.get_data(as_text=True)),
            },
        )
        forged = app.test_client()
        page = forged.get("/admin/login", environ_base=direct, headers={"X-Forwarded-For": "36.91.10.8"})
        forged.post(
            "/admin/login",
            environ_base=direct,
            headers={"X-Forwarded-For": "36.91.10.8"},
            data={
                "username": "x",
                "password": "y",
                "csrf_token": csrf_token_from(page.get_data(as_text=True)),
            },
        )
        addresses = set(db.scalars(select(SignInThrottle.address)))
        assert addresses == {"36.91.10.9", "10.5.50.77"}
    finally:
        app.extensions["hotspot"].engine.dispose()


def test_behind_tls_the_portal_listens_on_loopback_unless_told_otherwise(tmp_path):
    def bind(**env) -> str:
        script = "import runpy; print(runpy.run_path('config/gunicorn.conf.py')['bind'])"
        environment = {"PATH": os.environ["PATH"], "HOTSPOT_VAR_DIR": str(tmp_path), **env}
        return subprocess.run(
            [sys.executable, "-c", script],
            cwd=PROJECT_ROOT,
            env=environment,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()

    assert bind(HOTSPOT_BEHIND_TLS="true") == "127.0.0.1:8080"
    assert bind() == "0.0.0.0:8080"
    assert bind(HOTSPOT_BEHIND_TLS="true", HOTSPOT_PORTAL_HOST="10.0.0.5") == "10.0.0.5:8080"
