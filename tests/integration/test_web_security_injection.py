"""SQL injection and script injection in every query parameter, path argument and form field.

Each hostile value goes into one parameter at a time. Whatever the answer
(200 or a clear 400), it is never a 500, never echoes the script unescaped,
and a filter never matches more than its meaning: a seeded log of 130
sessions must not come back for `' OR 1=1--`. A parameter added to the code
later fails `test_every_parameter_the_code_reads_is_attacked` until it is
listed here.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import func, select

from hotspot.models import LoginTicket, RadiusSession
from hotspot.services.session_log import FILTER_PARAMETERS
from tests.conftest import csrf_token_from
from tests.integration.test_splash import mikrotik_url, post_way
from tests.integration.test_splash_hostile import CHILLI_PARAMS, MIKROTIK_PARAMS, chilli_url, with_param
from tests.support.admin_data import seed_log
from tests.support.splash import add_city

SCRIPT = "<script>alert(1)</script>"
PAYLOADS = {
    "sql": "' OR 1=1--",
    "sql-union": "x' UNION SELECT username, password_hash FROM admin_user--",
    "script": f'"><{SCRIPT[1:]}',
    "nul": "\x00",
    "percent-nul": "%00",
    "wildcard": "%",
    "long": "A" * 5000,
    "unicode": "Kupang ü 😀 \u202e",
    "huge-number": "9" * 20,
    "negative": "-1",
}
LOG_PARAMETERS = (*FILTER_PARAMETERS, "sort", "after")
ROUTE_PARAMETERS = {
    "/admin/sessions": LOG_PARAMETERS,
    "/admin/sessions.csv": FILTER_PARAMETERS,
    "/api/v1/sessions": (*LOG_PARAMETERS, "limit"),
    "/api/v1/sessions/active": (*(n for n in LOG_PARAMETERS if n != "status"), "limit"),  # status is fixed
    "/api/v1/usage": ("by", "since"),
    "/api/v1/audit": ("limit",),
    "/admin/audit": ("actor", "action", "before"),
    "/admin/citizens": ("phone",),
    "/admin/devices": ("mac",),
    "/admin/": ("nas",),
    "/admin/plans": ("edit",),
    "/admin/reports": ("period", "since", "until", "nas"),
    "/admin/reports.csv": ("kind", "period", "since", "until", "nas"),
    "/admin/login": ("next",),
    "/api/captive": ("mac", "nas"),
    "/status": ("lang",),
}
# Answers a browser never renders as a page (with X-Content-Type-Options: nosniff, checked on every response).
NEVER_RENDERED = ("text/plain", "text/csv", "application/json", "application/captive+json")
# Values that match nothing in the seeded log, for filters whose answer can be checked exactly.
TEXT_FILTERS = ("nas", "user", "phone", "mac", "ip", "status", "cause")
PATH_ROUTES = (
    "/admin/nas/{}",
    "/admin/nas/{}/edit",
    "/admin/vouchers/batch/{}",
    "/admin/vouchers/batch/{}/print",
    "/api/v1/sessions/{}/disconnect",
)


def test_every_parameter_the_code_reads_is_attacked():
    source = "\n".join(p.read_text() for p in Path("portal").rglob("*.py"))
    read = set(re.findall(r'request\.args(?:\.get\(|\[)"([a-z_-]+)"', source)) | set(FILTER_PARAMETERS)
    attacked = {name for names in ROUTE_PARAMETERS.values() for name in names}
    assert read - attacked == set()


def problems_in(response, route: str, name: str) -> list[str]:
    """What is wrong with the answer to one hostile parameter."""
    body = response.get_data(as_text=True)
    response.close()
    found = []
    if response.status_code >= 500 or "Traceback" in body:
        found.append(f"{response.status_code}")
    if SCRIPT in body and response.mimetype not in NEVER_RENDERED:
        found.append(f"script echoed in {response.mimetype}")
    if response.status_code == 200 and name in TEXT_FILTERS:
        if route.startswith("/api/v1/sessions") and response.json != []:
            found.append(f"{len(response.json)} sessions matched")
        if route == "/admin/sessions.csv" and body.count("\n") != 1:
            found.append(f"{body.count(chr(10)) - 1} CSV rows")
        if route == "/admin/sessions" and '<p id="totals"><strong>0</strong> sesi' not in body:
            found.append("sessions matched in the console")
    return found


def test_hostile_values_in_every_console_and_api_parameter(client, login, db):
    seed_log(db)
    login("admin")
    from hotspot.services.admins import create_api_token

    bearer = {"Authorization": f"Bearer {create_api_token(db, 'admin-user', 'test')}"}
    failures = {}
    for route, names in ROUTE_PARAMETERS.items():
        for name in names:
            for label, value in PAYLOADS.items():
                response = client.get(
                    f"{route}?{name}={quote(value)}", headers=bearer if route.startswith("/api/v1") else {}
                )
                if found := problems_in(response, route, name):
                    failures[f"{route}?{name}={label}"] = found
    assert failures == {}
    assert db.scalar(select(func.count()).select_from(RadiusSession)) == 130


def test_hostile_values_in_path_arguments(client, login, db):
    seed_log(db)
    login("admin")
    failures = {}
    for pattern in PATH_ROUTES:
        for label, value in {**PAYLOADS, "slash": "../../etc/passwd", "other": "0"}.items():
            url = pattern.format(quote(value, safe=""))
            response = client.post(url) if url.endswith("disconnect") else client.get(url)
            if response.status_code not in (400, 401, 404, 405):
                failures[f"{pattern} {label}"] = response.status_code
            if SCRIPT in response.get_data(as_text=True):
                failures[f"{pattern} {label}"] = "script echoed"
    assert failures == {}


def test_audit_action_filter_is_a_prefix_not_a_pattern(client, login, db):
    login("admin")
    page = client.get("/admin/audit?action=admin.").get_data(as_text=True)
    assert "admin.login" in page
    assert "admin.login" not in client.get("/admin/audit?action=%25").get_data(as_text=True)
    assert "admin.login" not in client.get("/admin/audit?action=admin_").get_data(as_text=True)


@pytest.fixture
def settings(settings):
    """Limits high enough for a few hundred hostile requests from one test address (the limits have their own
    tests in test_web_security_sessions and test_splash_hostile)."""
    return settings.with_overrides(ratelimit_per_ip="10000/minute", ratelimit_per_mac="10000/minute")


@pytest.fixture
def city(db, settings):
    return add_city(db, settings)


@pytest.mark.parametrize(
    "redirect, name", [(mikrotik_url, n) for n in MIKROTIK_PARAMS] + [(chilli_url, n) for n in CHILLI_PARAMS]
)
def test_hostile_values_in_every_gateway_parameter(client, db, city, redirect, name):
    for label, value in PAYLOADS.items():
        response = client.get(with_param(redirect(), name, value))
        body = response.get_data(as_text=True)
        assert response.status_code in (200, 303, 400), label
        assert SCRIPT not in body and "Traceback" not in body, label
    assert db.scalar(select(LoginTicket)) is None


FORMS = {
    "/login/account": ("phone", "password"),
    "/login/voucher": ("code",),
    "/register": ("phone", "password"),
    "/reset": ("phone",),
}


def test_hostile_values_in_every_citizen_form_field(app, db, city):
    failures = {}
    for path, fields in FORMS.items():
        for field in fields:
            for label, value in PAYLOADS.items():
                client = app.test_client()
                page = client.get(mikrotik_url())
                if path in ("/register", "/reset"):
                    token = csrf_token_from(client.get(path).get_data(as_text=True))
                    response = client.post(path, data={"csrf_token": token, field: value})
                else:
                    response = post_way(client, page, path, **{field: value})
                body = response.get_data(as_text=True)
                if response.status_code != 400 or SCRIPT in body or "Traceback" in body:
                    failures[f"{path} {field}={label}"] = response.status_code
    assert failures == {}
    assert db.scalar(select(LoginTicket)) is None


def test_hostile_values_in_the_api_json_body(client, db, settings):
    from hotspot.models import Voucher
    from hotspot.services.admins import create_admin, create_api_token

    add_city(db, settings)
    create_admin(db, "robot", "robot-password", "operator", actor="test")
    bearer = {"Authorization": f"Bearer {create_api_token(db, 'robot', 'test')}"}
    for label, value in PAYLOADS.items():
        for body in (
            {"plan": value, "count": 1},
            {"plan": "Acara", "count": 1, "batch": value[:64] + "\x00"},
        ):
            response = client.post("/api/v1/vouchers", json=body, headers=bearer)
            assert response.status_code == 400, (label, body)
            assert response.mimetype == "application/json"
    assert db.scalar(select(func.count()).select_from(Voucher)) == 0
