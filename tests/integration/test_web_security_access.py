"""Role escalation and object references: a lower role changes nothing, a missing object is a 404,
and one admin cannot touch another admin's tokens.

test_admin_roles checks every route's status code by role; here each refused
call is also proven to have written nothing, through the console and the API.
"""

from __future__ import annotations

import pytest

from hotspot.services.admins import create_admin, create_api_token
from tests.conftest import csrf_token_from
from tests.integration.test_admin_roles import API_ROUTES, RANK, ROUTES
from tests.support.websec import changed_tables, snapshot

MISSING = 999_999


def _fill(url: str, site: dict) -> str:
    return url.format(
        nas=site["nas_id"], session=site["session_id"], plan=site["plan_id"], voucher=site["voucher"]
    )


@pytest.mark.parametrize("role", ["viewer", "operator"])
def test_a_lower_role_changes_nothing_through_the_console(client, login, site, engine, role):
    login(role)
    token = csrf_token_from(client.get("/admin/").get_data(as_text=True))
    before = snapshot(engine)
    refused = [route for route in ROUTES if route.method == "POST" and RANK[route.needs] > RANK[role]]
    assert refused
    for route in refused:
        data = {key: _fill(value, site) for key, value in route.data}
        response = client.post(_fill(route.url, site), data={**data, "csrf_token": token})
        assert response.status_code == 403, route
    assert changed_tables(before, snapshot(engine)) == []


@pytest.mark.parametrize("role", ["viewer", "operator"])
def test_a_lower_role_changes_nothing_through_the_api(client, db, site, engine, role):
    create_admin(db, "robot", "robot-password", role, actor="test")
    headers = {"Authorization": f"Bearer {create_api_token(db, 'robot', 'test')}"}
    client.get("/api/v1/nas", headers=headers)  # the token's first use is recorded; then nothing may change
    before = snapshot(engine)
    refused = [route for route in API_ROUTES if RANK[route.needs] > RANK[role]]
    assert refused
    for route in refused:
        url = _fill(route.url, site)
        response = (
            client.get(url, headers=headers)
            if route.method == "GET"
            else client.post(url, headers=headers, json={"plan": "Warga", "count": 5})
        )
        assert response.status_code == 403, route
    assert changed_tables(before, snapshot(engine)) == []


def test_missing_objects_are_404_and_change_nothing(client, login, site, engine):
    login("admin")
    token = csrf_token_from(client.get("/admin/").get_data(as_text=True))
    before = snapshot(engine)
    for url in (
        f"/admin/nas/{MISSING}",
        f"/admin/nas/{MISSING}/edit",
        "/admin/vouchers/batch/NO-SUCH-BATCH",
        "/admin/vouchers/batch/NO-SUCH-BATCH/print",
    ):
        assert client.get(url).status_code == 404, url
    for url in (
        f"/admin/nas/{MISSING}",
        f"/admin/nas/{MISSING}/rotate",
        f"/admin/nas/{MISSING}/active",
        f"/admin/plans/{MISSING}",
        f"/admin/plans/{MISSING}/active",
        f"/admin/sessions/{MISSING}/disconnect",
    ):
        response = client.post(
            url,
            data={
                "csrf_token": token,
                "name": "x",
                "ip_range": "10.0.0.1",
                "vendor": "mikrotik",
                "active": "0",
            },
        )
        assert response.status_code == 404, url
    api = client.post(
        f"/api/v1/sessions/{MISSING}/disconnect", headers={"Authorization": f"Bearer {site['api_token']}"}
    )
    assert (api.status_code, api.json) == (404, {"error": "no such session"})
    assert changed_tables(before, snapshot(engine)) == ["api_token"]  # only the token's last use


def test_an_admin_cannot_revoke_another_admins_token(client, login, site):
    login("viewer")
    token = csrf_token_from(client.get("/admin/account").get_data(as_text=True))
    response = client.post(
        f"/admin/account/tokens/{site['token_id']}/revoke", data={"csrf_token": token}, follow_redirects=True
    )
    assert "Token tidak ditemukan." in response.get_data(as_text=True)
    assert "nightly-export" not in response.get_data(as_text=True)  # nor see its name
    assert (
        client.get("/api/v1/nas", headers={"Authorization": f"Bearer {site['api_token']}"}).status_code == 200
    )


def test_a_viewer_sees_no_edit_actions_on_an_access_point(client, login, site):
    login("viewer")
    page = client.get(f"/admin/nas/{site['nas_id']}").get_data(as_text=True)
    assert "Taman Tirosa" in page
    for action in ("/edit", "/rotate", "/active"):
        assert f"/admin/nas/{site['nas_id']}{action}" not in page
    assert client.get(f"/admin/nas/{site['nas_id']}/edit").status_code == 403


def test_no_page_shows_a_stored_hash_or_ciphertext(app, client, login, site, engine):
    from sqlalchemy import text

    from tests.support.websec import get_rules, rule_url

    login("admin")
    with engine.connect() as conn:
        stored = [
            value
            for query in (
                "SELECT password_hash FROM admin_user",
                "SELECT password_hash FROM account",
                "SELECT token_hash FROM api_token",
                "SELECT token_hash FROM admin_session",
                "SELECT secret_encrypted FROM nas",
                "SELECT uam_secret_encrypted FROM nas",
            )
            for value in conn.execute(text(query)).scalars()
            if value
        ]
    assert len(stored) >= 8
    shown = {}
    for rule in get_rules(app):
        url = rule_url(rule, site)
        response = client.get(url, headers={"Authorization": f"Bearer {site['api_token']}"})
        body = response.get_data(as_text=True)
        response.close()
        if found := [value[:12] for value in stored if value in body]:
            shown[url] = found
    assert shown == {}
