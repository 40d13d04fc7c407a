"""Role matrix: every console route and API endpoint, for every role, answers exactly as its role allows."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from hotspot.clock import utcnow
from hotspot.models import Account, ApiToken, Nas
from hotspot.services.admins import create_admin, create_api_token
from hotspot.services.vouchers import generate_vouchers
from tests.conftest import csrf_token_from
from tests.support.admin_data import NAS_SECRET, T0, add_session

ROLES = ("viewer", "operator", "admin")
RANK = {"anonymous": -1, "viewer": 0, "operator": 1, "admin": 2}


@dataclass(frozen=True)
class Route:
    method: str
    url: str
    needs: str
    ok: int
    data: tuple = ()

    def __str__(self):
        return f"{self.method} {self.url}"


ROUTES = [
    Route("GET", "/admin/", "viewer", 200),
    Route("GET", "/admin/sessions", "viewer", 200),
    Route("GET", "/admin/sessions?status=active&nas=AP", "viewer", 200),
    Route("GET", "/admin/sessions.csv", "viewer", 200),
    Route("GET", "/admin/nas", "viewer", 200),
    Route("GET", "/admin/nas/{nas}", "viewer", 200),
    Route("GET", "/admin/plans", "viewer", 200),
    Route("GET", "/admin/groups", "viewer", 200),
    Route("GET", "/admin/vouchers", "viewer", 200),
    Route("GET", "/admin/vouchers/batch/B1", "viewer", 200),
    Route("GET", "/admin/citizens?phone=0812", "viewer", 200),
    Route("GET", "/admin/devices", "viewer", 200),
    Route("GET", "/admin/reports", "viewer", 200),
    Route("GET", "/admin/reports.csv?kind=usage", "viewer", 200),
    Route("GET", "/admin/retention", "viewer", 200),
    Route("GET", "/admin/account", "viewer", 200),
    Route("POST", "/admin/account/tokens", "viewer", 200, (("name", "script"),)),
    Route("POST", "/admin/account/totp", "viewer", 302, (("step", "start"),)),
    Route("POST", "/admin/account/password", "viewer", 302, (("current", "x"), ("new", "y"))),
    Route("GET", "/admin/vouchers/batch/B1/print", "operator", 200),
    Route("POST", "/admin/sessions/{session}/disconnect", "operator", 302),
    Route("POST", "/admin/vouchers", "operator", 302, (("plan", "Warga"), ("count", "2"))),
    Route("POST", "/admin/vouchers/revoke", "operator", 302, (("code", "{voucher}"),)),
    Route("POST", "/admin/citizens/block", "operator", 302, (("phone", "+6281234567890"), ("blocked", "1"))),
    Route("POST", "/admin/devices/block", "operator", 302, (("mac", "aa-bb-cc-dd-ee-ff"), ("blocked", "1"))),
    Route("GET", "/admin/nas/new", "admin", 200),
    Route("GET", "/admin/nas/{nas}/edit", "admin", 200),
    Route("GET", "/admin/audit", "admin", 200),
    Route(
        "POST",
        "/admin/nas",
        "admin",
        201,
        (("name", "Taman Nostalgia"), ("ip_range", "10.53.9.1"), ("vendor", "mikrotik")),
    ),
    Route(
        "POST",
        "/admin/nas/{nas}",
        "admin",
        302,
        (("name", "AP 2"), ("ip_range", "10.53.1.0/24"), ("vendor", "chilli")),
    ),
    Route("POST", "/admin/nas/{nas}/rotate", "admin", 200),
    Route("POST", "/admin/nas/{nas}/active", "admin", 302, (("active", "0"),)),
    Route("POST", "/admin/plans", "admin", 302, (("name", "Pelajar"), ("daily_minutes", "120"))),
    Route("POST", "/admin/plans/{plan}", "admin", 302, (("name", "Warga"), ("daily_minutes", "90"))),
    Route("POST", "/admin/plans/{plan}/active", "admin", 302, (("active", "0"),)),
    Route(
        "POST", "/admin/groups", "admin", 302, (("name", "Pantai"), ("opening_hours", "sat-sun 06:00-18:00"))
    ),
    Route("POST", "/admin/retention/purge", "admin", 302),
]

API_ROUTES = [
    Route("GET", "/api/v1/sessions", "viewer", 200),
    Route("GET", "/api/v1/sessions/active", "viewer", 200),
    Route("GET", "/api/v1/usage?by=nas", "viewer", 200),
    Route("GET", "/api/v1/usage?by=hour", "viewer", 200),
    Route("GET", "/api/v1/nas", "viewer", 200),
    Route("POST", "/api/v1/vouchers", "operator", 201),
    Route("POST", "/api/v1/sessions/{session}/disconnect", "operator", 200),
    Route("GET", "/api/v1/audit", "admin", 200),
]


@pytest.fixture
def seeded(world, db):
    """One AP (a /24, so a Disconnect fails fast with no target), a plan, an active session, a voucher, a
    citizen; returns the ids the routes take."""
    nas = world.nas("AP", "10.53.1.0/24", NAS_SECRET, vendor="mikrotik")
    plan = world.plan("Warga", daily_minutes=180)
    session = add_session(db, nas, 1, T0, status="active", stop_time=None, terminate_cause=None)
    db.add(Account(phone="+6281234567890", password_hash="x", plan_id=plan.id))
    db.commit()
    voucher = generate_vouchers(db, "Warga", 1, batch="B1", actor="test")[0]
    return {"nas": nas.id, "plan": plan.id, "session": session.id, "voucher": voucher.code}


def _send(client, route: Route, seeded: dict):
    url = route.url.format(**seeded)
    if route.method == "GET":
        return client.get(url)
    token = csrf_token_from(client.get("/admin/login").get_data(as_text=True))
    data = {key: value.format(**seeded) for key, value in route.data}
    return client.post(url, data={**data, "csrf_token": token})


@pytest.mark.parametrize("role", ("anonymous", *ROLES))
@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_console_route_by_role(client, login, seeded, route, role):
    if role != "anonymous":
        login(role)
    response = _send(client, route, seeded)
    if role == "anonymous":
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/admin/login?next=")
    elif RANK[role] < RANK[route.needs]:
        assert response.status_code == 403
    else:
        assert response.status_code == route.ok, response.get_data(as_text=True)[:2000]


def test_post_without_csrf_token_is_refused(client, login, seeded, db):
    login("admin")
    response = client.post(f"/admin/nas/{seeded['nas']}/active", data={"active": "0"})
    assert response.status_code == 400
    db.expire_all()
    assert db.get(Nas, seeded["nas"]).active is True


@pytest.mark.parametrize("role", ("no-token", "bad-token", "revoked", *ROLES))
@pytest.mark.parametrize("route", API_ROUTES, ids=str)
def test_api_route_by_token_role(client, db, seeded, route, role):
    headers = {}
    if role == "bad-token":
        headers["Authorization"] = "Bearer not-a-token"
    elif role != "no-token":
        create_admin(db, "robot", "robot-password", "viewer" if role == "revoked" else role, actor="test")
        token = create_api_token(db, "robot", "test")
        if role == "revoked":
            db.query(ApiToken).update({"revoked": True})
            db.commit()
        headers["Authorization"] = f"Bearer {token}"
    url = route.url.format(**seeded)
    if route.method == "GET":
        response = client.get(url, headers=headers)
    else:
        body = {"plan": "Warga", "count": 3} if "vouchers" in url else None
        response = client.post(url, headers=headers, json=body)
    if role in ("no-token", "bad-token", "revoked"):
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"] == 'Bearer realm="hotspot"'
    elif RANK[role] < RANK[route.needs]:
        assert response.status_code == 403
        assert f"needs the {route.needs} role" in response.json["error"]
    else:
        assert response.status_code == route.ok, response.get_data(as_text=True)


def test_a_viewer_sees_unused_voucher_codes_masked(client, login, db, world):
    world.plan("Festival", daily_minutes=60)
    new, used = generate_vouchers(db, "Festival", 2, "Karnaval", actor="test")
    used.first_used_at = utcnow()
    db.commit()
    login("viewer")
    page = client.get("/admin/vouchers/batch/Karnaval").get_data(as_text=True)
    masked = "\u2022" * 7 + new.code[-3:]
    assert new.code not in page and f"<code>{masked}</code>" in page
    assert f"<code>{used.code}</code>" in page
    assert client.get("/admin/vouchers/batch/Karnaval/print").status_code == 403
    client.post("/admin/logout", data={"csrf_token": csrf_token_from(page)})
    login("operator")
    assert f"<code>{new.code}</code>" in client.get("/admin/vouchers/batch/Karnaval").get_data(as_text=True)
