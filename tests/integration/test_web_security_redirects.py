"""Open redirects: no parameter sends a browser to another site, in any spelling browsers accept.

Browsers read a backslash as a slash and ignore tabs and newlines in a URL, so
`/\\evil.example` and `/\t/evil.example` are other sites as much as
`//evil.example` is.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from hotspot.services.admins import create_admin
from tests.conftest import ADMIN_PASSWORD, csrf_token_from
from tests.integration.test_splash import chilli_url, mikrotik_url, post_way
from tests.integration.test_splash_hostile import with_param
from tests.support.splash import add_city, form

HOSTILE_TARGETS = [
    "https://evil.example/",
    "//evil.example/",
    "https:evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/\\/evil.example",
    "\\/evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    " //evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "/%2F/evil.example",
    "http://127.0.0.1@evil.example/",
    "///evil.example",
]


def leaves_the_site(location: str) -> bool:
    """Whether a browser following this Location would land on another origin (or run a script)."""
    browser_view = "".join(ch for ch in location if ch not in "\t\r\n").strip().replace("\\", "/")
    parts = urlsplit(browser_view)
    return bool(parts.scheme or parts.netloc) or browser_view.startswith("//")


def test_the_checker_knows_what_browsers_do():
    assert all(leaves_the_site(t) for t in HOSTILE_TARGETS if not t.startswith("/%2F"))
    assert not leaves_the_site("/admin/sessions?status=active")


def test_admin_sign_in_next_stays_on_the_site(app, db):
    create_admin(db, "budi", ADMIN_PASSWORD, "viewer", actor="test")
    for target in HOSTILE_TARGETS:
        client = app.test_client()
        page = client.get("/admin/login", query_string={"next": target}).get_data(as_text=True)
        response = client.post(
            "/admin/login",
            data={
                "username": "budi",
                "password": ADMIN_PASSWORD,
                "next": target,
                "csrf_token": csrf_token_from(page),
            },
        )
        assert response.status_code == 302
        assert not leaves_the_site(response.headers["Location"]), (target, response.headers["Location"])


def test_a_local_next_is_kept(client, db):
    create_admin(db, "budi", ADMIN_PASSWORD, "viewer", actor="test")
    page = client.get("/admin/login").get_data(as_text=True)
    response = client.post(
        "/admin/login",
        data={
            "username": "budi",
            "password": ADMIN_PASSWORD,
            "next": "/admin/sessions?status=active",
            "csrf_token": csrf_token_from(page),
        },
    )
    assert response.headers["Location"] == "/admin/sessions?status=active"


def test_disconnect_goes_back_only_to_a_console_page_of_this_site(client, login, db, settings):
    from tests.support.websec import populate

    world = populate(db, settings)
    login("operator")
    token = csrf_token_from(client.get("/admin/").get_data(as_text=True))
    for referrer in (
        "http://evil.example/admin/sessions",
        "http://localhost\\@evil.example/admin/",
        "//evil.example/admin/",
        "javascript:alert(1)//localhost/admin/",
    ):
        response = client.post(
            f"/admin/sessions/{world['session_id']}/disconnect",
            data={"csrf_token": token},
            headers={"Referer": referrer},
        )
        assert response.headers["Location"] == "/admin/sessions?status=active", referrer


@pytest.fixture
def settings(settings):
    """Limits high enough for one device per hostile value from the test's single address; a Disconnect to
    the (absent) router gives up quickly."""
    return settings.with_overrides(ratelimit_per_ip="10000/minute", coa_timeout_seconds=0.2, coa_retries=0)


@pytest.fixture
def city(db, settings):
    return add_city(db, settings)


GATEWAY_URLS = {
    "dst": lambda target, mac: with_param(mikrotik_url(mac=mac), "dst", target),
    "link-orig": lambda target, mac: mikrotik_url(mac=mac, original_url=target),
    "userurl": lambda target, mac: chilli_url(mac=mac, original_url=target),
}


@pytest.mark.parametrize("name", GATEWAY_URLS)
def test_gateway_destinations_never_become_a_redirect_or_a_script_link(app, db, city, name):
    for number, target in enumerate(HOSTILE_TARGETS):
        client = app.test_client()
        page = client.get(GATEWAY_URLS[name](target, f"02:00:00:00:01:{number:02X}"))
        assert page.status_code == 200, target
        answer = post_way(client, page, "/login/free")
        location = answer.headers.get("Location", "")
        if name == "userurl":  # CoovaChilli: the redirect goes to the router's own /logon, nowhere else
            assert urlsplit(location).netloc == "10.1.0.1:3990", location
        else:  # MikroTik: the hand-off form goes to the router and brings the browser back to the status page
            handoff = form(answer.get_data(as_text=True), "handoff")
            assert (handoff["action"], handoff["fields"]["dst"]) == (
                "http://10.5.50.1/login",
                "http://127.0.0.1:8080/status",
            ), target
        status = client.get("/status").get_data(as_text=True)
        assert "javascript:" not in status.lower() and "data:text" not in status, target


def test_splash_logout_goes_only_to_the_router(client, db, city):
    page = client.get(with_param(mikrotik_url(), "link-login-only", "http://10.5.50.1/login"))
    post_way(client, page, "/login/free")
    status = client.get("/status").get_data(as_text=True)
    logout = client.post("/logout?next=https://evil.example/", data={"csrf_token": csrf_token_from(status)})
    assert logout.status_code == 303
    assert urlsplit(logout.headers["Location"]).netloc == "10.5.50.1"
