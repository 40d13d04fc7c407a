"""Security headers on every page (splash, status, console, API, error pages), and pages that work under
the CSP.

The console's GET routes are read from the URL map, so a new page is checked
too. Every HTML page is parsed: the strict policy forbids inline scripts,
event-handler attributes and style attributes, so a page that used them would
be silently broken in the browser; the test finds them instead.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from hotspot.models import AuditEvent
from tests.conftest import csrf_token_from
from tests.integration.test_splash import mikrotik_url, post_way
from tests.support.websec import changed_tables, get_rules, populate, rule_url, snapshot

EXPECTED_HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


class InlineCode(HTMLParser):
    """Collects what a CSP without 'unsafe-inline' would block: inline scripts, handlers, styles without
    nonce."""

    def __init__(self, nonce: str):
        super().__init__()
        self.nonce = nonce
        self.blocked: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        for name in attributes:
            if name.startswith("on") or name == "style":
                self.blocked.append(f"<{tag} {name}=…>")
        if tag == "script" and not attributes.get("src"):
            self._in_script = True
        if tag == "style" and attributes.get("nonce") != self.nonce:
            self.blocked.append("<style> without this response's nonce")
        if tag == "a" and (attributes.get("href") or "").lower().startswith("javascript:"):
            self.blocked.append("javascript: link")

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.blocked.append(f"inline <script>: {data.strip()[:40]}")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False


def header_problems(response, behind_tls: bool = False) -> list[str]:
    """What is missing or weak in this response's security headers (and its page, when HTML)."""
    problems = [
        f"{name}={response.headers.get(name)!r}"
        for name, value in EXPECTED_HEADERS.items()
        if response.headers.get(name) != value
    ]
    csp = response.headers.get("Content-Security-Policy", "")
    for needed in (
        "default-src 'self'",
        "script-src 'self';",
        "frame-ancestors 'none'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
    ):
        if needed not in csp:
            problems.append(f"CSP lacks {needed}")
    if "unsafe-inline" in csp or "unsafe-eval" in csp:
        problems.append("CSP allows unsafe code")
    hsts = response.headers.get("Strict-Transport-Security")
    if behind_tls != (hsts == "max-age=31536000; includeSubDomains"):
        problems.append(f"HSTS {hsts!r} with behind_tls={behind_tls}")
    if response.mimetype == "text/html":
        nonce = re.search(r"'nonce-([^']+)'", csp)
        checker = InlineCode(nonce.group(1) if nonce else "")
        checker.feed(response.get_data(as_text=True))
        problems.extend(checker.blocked)
    return problems


def read(response):
    """The response with its body read and its stream closed (CSV exports and static files stream)."""
    response.get_data()
    response.close()
    return response


def every_page(app, client, login, world) -> dict[str, object]:
    """One response of each kind a browser can get: every GET route as an admin, the splash pages
    from a router hand-off to the status page, the API, and each error page."""
    pages = {"signed-out login": client.get("/admin/login"), "signed-out redirect": client.get("/admin/")}
    login("admin")
    for rule in get_rules(app):
        url = rule_url(rule, world)
        pages[url] = read(
            client.get(
                url,
                headers={"Authorization": f"Bearer {world['api_token']}"}
                if url.startswith("/api/v1")
                else {},
            )
        )
    splash = client.get(mikrotik_url())
    pages["splash from router"] = splash
    pages["hand-off"] = post_way(client, splash, "/login/free")
    pages["status"] = client.get("/status")
    pages["register"] = client.get("/register")
    pages["404"] = client.get("/no-such-page")
    pages["405"] = client.put("/admin/")
    pages["400 csrf"] = client.post("/login/free")
    pages["413"] = client.post("/register", data={"phone": "x" * 70_000})
    pages["api 401"] = client.get("/api/v1/nas")
    token = csrf_token_from(client.get("/register").get_data(as_text=True))
    for _ in range(3):
        pages["429"] = client.post("/register", data={"csrf_token": token, "phone": "bad"})
    return pages


def _broken():
    raise RuntimeError("boom")


@pytest.fixture(params=[False, True], ids=["plain-http", "behind-tls"])
def settings(settings, request):
    """Both deployments (HSTS only behind TLS), with a low per-device limit to reach the 429 page."""
    return settings.with_overrides(behind_tls=request.param, ratelimit_per_mac="2/minute")


def test_every_page_carries_the_security_headers_and_no_inline_code(app, client, login, db, settings):
    app.add_url_rule("/broken", view_func=_broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    pages = every_page(app, client, login, populate(db, settings))
    statuses = {name: response.status_code for name, response in pages.items()}
    assert {name: code for name, code in statuses.items() if code >= 500} == {"/broken": 500}
    assert [statuses[k] for k in ("404", "405", "400 csrf", "413", "api 401", "429")] == [
        404,
        405,
        400,
        413,
        401,
        429,
    ]
    assert statuses["hand-off"] == statuses["status"] == 200
    problems = {
        name: found
        for name, response in pages.items()
        if (found := header_problems(response, settings.behind_tls))
    }
    assert problems == {}


def test_reading_every_console_page_changes_nothing(app, client, login, db, settings, engine):
    world = populate(db, settings)
    login("admin")
    before = snapshot(engine)
    for rule in get_rules(app):
        if not rule.rule.startswith("/api/v1"):
            response = read(client.get(rule_url(rule, world)))
            assert response.status_code < 500, rule.rule
            assert "/admin/login?" not in response.headers.get("Location", ""), rule.rule  # still signed in
    after = snapshot(engine)
    # Exports are audited (who took which personal data out): the one write a GET may make.
    audit_columns = [c.name for c in AuditEvent.__table__.columns]
    kept, added = (
        after["audit_event"][: len(before["audit_event"])],
        after["audit_event"][len(before["audit_event"]) :],
    )
    actions = [dict(zip(audit_columns, row))["action"] for row in added]
    assert sorted(a for a in actions if a.endswith(".export")) == [
        "auth_log.export",
        "reports.export",
        "sessions.export",
    ]
    after["audit_event"] = kept + [row for row, a in zip(added, actions) if not a.endswith(".export")]
    assert changed_tables(before, after) == []
