"""CSRF: every state-changing route of the splash page and the console refuses a request without a valid
token.

The routes are read from the app's URL map, so a route added later is swept
too; the bearer-token API is the only exemption, and it is proven not to
accept the console's cookie.
"""

from __future__ import annotations

from portal.extensions import csrf
from tests.conftest import csrf_token_from
from tests.integration.test_splash import mikrotik_url
from tests.support.websec import changed_tables, rule_url, snapshot, state_changing_rules

CSRF_MESSAGE = "Halaman ini sudah kedaluwarsa"
# Everything any form of the site posts, so that only the token is missing.
FORM = {
    "name": "Taman Baru",
    "ip_range": "10.53.77.1",
    "vendor": "mikrotik",
    "plan": "Warga",
    "count": "3",
    "code": "123456",
    "phone": "081234567890",
    "password": "citizen-password-1",
    "blocked": "1",
    "mac": "02:00:00:00:00:01",
    "active": "0",
    "step": "disable",
    "current": "x",
    "new": "new-password-99",
    "username": "admin-user",
    "daily_minutes": "10",
    "action": "delete",
    "confirm": "yes",
}
# The state-changing routes as of this test; a new one must be added here after checking it is protected.
EXPECTED = {
    "/admin/access-points/<int:ap_id>",
    "/admin/account/password",
    "/admin/account/tokens",
    "/admin/account/tokens/<int:token_id>/revoke",
    "/admin/account/totp",
    "/admin/alerts/rules/<kind>",
    "/admin/citizens/block",
    "/admin/devices/block",
    "/admin/groups",
    "/admin/groups/<int:group_id>",
    "/admin/login",
    "/admin/login/totp",
    "/admin/logout",
    "/admin/nas",
    "/admin/nas/<int:nas_id>",
    "/admin/nas/<int:nas_id>/active",
    "/admin/nas/<int:nas_id>/rotate",
    "/admin/plans",
    "/admin/plans/<int:plan_id>",
    "/admin/plans/<int:plan_id>/active",
    "/admin/retention/purge",
    "/admin/sessions/<int:session_id>/disconnect",
    "/admin/vouchers",
    "/admin/vouchers/revoke",
    "/login/account",
    "/login/free",
    "/login/voucher",
    "/logout",
    "/register",
    "/register/verify",
    "/reset",
    "/reset/confirm",
    "/my-data",
    "/my-data/verify",
}
API_EXEMPT = {"/api/v1/sessions/<int:session_id>/disconnect", "/api/v1/vouchers"}


def test_the_state_changing_routes_are_the_known_ones(app):
    found = {rule.rule for rule in state_changing_rules(app)}
    assert found - EXPECTED - API_EXEMPT == set(), (
        "new state-changing route: prove its CSRF check, then list it"
    )
    assert found == EXPECTED | API_EXEMPT
    assert {bp.name for bp in csrf._exempt_blueprints} == {"api"}
    assert csrf._exempt_views == set()


def _sweep(client, app, site, token: str | None) -> list[str]:
    """POST to every protected route with this token (or none); the routes that did not answer the CSRF
    error."""
    failures = []
    for rule in state_changing_rules(app):
        if rule.rule in API_EXEMPT:
            continue
        data = dict(FORM) if token is None else {**FORM, "csrf_token": token}
        response = client.post(rule_url(rule, site), data=data)
        body = response.get_data(as_text=True)
        if response.status_code != 400 or CSRF_MESSAGE not in body:
            failures.append(f"{rule.rule}: {response.status_code}")
    return failures


def test_every_state_changing_route_refuses_a_missing_or_forged_token_and_changes_nothing(
    app, client, login, site, engine
):
    login("admin")
    client.get(mikrotik_url())  # a router hand-off in the session, as a real citizen would have
    other = app.test_client()
    stolen = csrf_token_from(other.get("/admin/login").get_data(as_text=True))
    before = snapshot(engine)
    for token in (None, "", "forged", stolen):
        assert _sweep(client, app, site, token) == [], f"token {token!r}"
    assert changed_tables(before, snapshot(engine)) == []
    assert client.get("/admin/").status_code == 200  # the sign-out form without a token did not sign out


def test_the_same_request_with_the_page_token_gets_past_the_check(client, login, site, engine):
    login("admin")
    token = csrf_token_from(client.get(f"/admin/nas/{site['nas_id']}").get_data(as_text=True))
    before = snapshot(engine)
    response = client.post(f"/admin/nas/{site['nas_id']}/active", data={"active": "0", "csrf_token": token})
    assert response.status_code == 302
    assert sorted(changed_tables(before, snapshot(engine))) == ["audit_event", "nas"]


def test_the_api_is_exempt_only_because_it_ignores_cookies(client, login, site, engine):
    login("admin")
    before = snapshot(engine)
    vouchers = client.post("/api/v1/vouchers", json={"plan": "Warga", "count": 3})
    disconnect = client.post(f"/api/v1/sessions/{site['session_id']}/disconnect")
    assert (vouchers.status_code, disconnect.status_code) == (401, 401)
    assert vouchers.json == {"error": "send Authorization: Bearer TOKEN"}
    assert changed_tables(before, snapshot(engine)) == []
