"""The JSON API: same shapes as the CLI, and an OpenAPI document whose every path answers."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from click.testing import CliRunner

from hotspot.cli import main
from hotspot.services.admins import create_admin, create_api_token
from hotspot.services.plans import PlanSpec, add_plan
from portal.api import OPENAPI_FILE
from testbed.helpers import settings_env
from tests.support.admin_data import T0, add_usage, seed_log


@pytest.fixture
def bearer(db):
    tokens: dict[str, str] = {}

    def make(role: str = "viewer") -> dict:
        if role not in tokens:
            create_admin(db, f"api-{role}", "api-password", role, actor="test")
            tokens[role] = create_api_token(db, f"api-{role}")
        return {"Authorization": f"Bearer {tokens[role]}"}

    return make


def test_sessions_json_is_the_same_as_the_cli(client, db, bearer, settings):
    seed_log(db, count=12)
    cli = CliRunner().invoke(
        main, ["sessions", "--nas", "Taman Tirosa", "--format", "json"], env=settings_env(settings)
    )
    assert cli.exit_code == 0, cli.output
    response = client.get("/api/v1/sessions?nas=Taman%20Tirosa&limit=1000", headers=bearer())
    assert response.json == json.loads(cli.output)
    assert len(response.json) == 8


def test_active_sessions_and_nas_list(client, db, bearer):
    seed_log(db, count=30)
    active = client.get("/api/v1/sessions/active", headers=bearer()).json
    assert {s["status"] for s in active} == {"active"} and len(active) == 2
    nas = client.get("/api/v1/nas", headers=bearer()).json
    assert [(n["name"], n["ip_range"], n["vendor"], n["active"]) for n in nas] == [
        ("Pantai Warna", "10.53.2.0/24", "mikrotik", True),
        ("Taman Tirosa", "10.53.1.0/24", "mikrotik", True),
    ]
    assert "secret" not in json.dumps(nas)


def test_usage_by_nas_and_hour(client, db, bearer):
    first, second = seed_log(db, count=1)
    add_usage(db, first, T0, 3, 100, 200, 30)
    add_usage(db, second, T0, 1, 1, 2, 3)
    add_usage(db, first, T0 + timedelta(hours=1), 2, 10, 20, 5)
    db.commit()
    by_nas = client.get("/api/v1/usage?by=nas", headers=bearer()).json
    assert by_nas == [
        {
            "nas": "Pantai Warna",
            "sessions": 1,
            "session_seconds": 3,
            "input_octets": 1,
            "output_octets": 2,
            "random_sessions": 1,
            "devices": 1,
            "random_devices": 1,
            "random_share": 1.0,
        },
        {
            "nas": "Taman Tirosa",
            "sessions": 5,
            "session_seconds": 35,
            "input_octets": 110,
            "output_octets": 220,
            "random_sessions": 0,
            "devices": 0,
            "random_devices": 0,
            "random_share": 0.0,
        },
    ]
    by_hour = client.get(
        "/api/v1/usage",
        query_string={"by": "hour", "since": (T0 + timedelta(hours=1)).isoformat()},
        headers=bearer(),
    ).json
    assert [(h["hour"][:16], h["sessions"]) for h in by_hour] == [("2026-11-20T01:00", 2)]
    assert client.get("/api/v1/usage?by=user", headers=bearer()).json == {
        "error": "by must be nas, ap or hour"
    }


def test_generate_vouchers_through_the_api(client, db, bearer):
    add_plan(db, PlanSpec(name="Acara", valid_days=3), actor="test")
    created = client.post(
        "/api/v1/vouchers", json={"plan": "Acara", "count": 4, "batch": "Rapat"}, headers=bearer("operator")
    )
    assert created.status_code == 201
    assert (created.json["batch"], created.json["plan"], len(set(created.json["codes"]))) == (
        "Rapat",
        "Acara",
        4,
    )
    bad = client.post("/api/v1/vouchers", json={"plan": "Nope", "count": 4}, headers=bearer("admin"))
    assert (bad.status_code, bad.json) == (400, {"error": "no plan named 'Nope'"})


def test_bad_parameters_get_400_with_a_message(client, db, bearer):
    headers = bearer()
    assert client.get("/api/v1/sessions?mac=xyz", headers=headers).json == {
        "error": "not a MAC address: 'xyz'"
    }
    assert client.get("/api/v1/sessions?limit=5000", headers=headers).status_code == 400


def test_openapi_document_lists_every_api_route_and_each_answers(app, client, db, bearer):
    document = json.loads(client.get("/api/v1/openapi.json").get_data(as_text=True))
    assert document == json.loads(OPENAPI_FILE.read_text())
    assert document["openapi"].startswith("3.")
    routes = {
        rule.rule.removeprefix("/api/v1").replace("<int:session_id>", "{id}")
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1")
    }
    assert set(document["paths"]) == routes
    seed_log(db, count=3)
    add_plan(db, PlanSpec(name="Acara"), actor="test")
    headers = bearer("admin")
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            url = "/api/v1" + path.replace("{id}", "2")
            if method == "get":
                response = client.get(url, headers=headers)
            else:
                response = client.post(url, headers=headers, json={"plan": "Acara", "count": 1})
            documented = {int(code) for code in operation["responses"]}
            assert response.status_code in documented, (method, path, response.status_code)
            assert response.status_code < 300, (method, path, response.get_data(as_text=True))
            fields = documented_fields(document, operation)
            if fields is not None:
                assert not set(first_item(response)) - fields, (path, set(first_item(response)) - fields)


def first_item(response) -> dict:
    """The first object of a JSON array answer ({} for anything else)."""
    body = response.get_json(silent=True)
    return body[0] if isinstance(body, list) and body and isinstance(body[0], dict) else {}


def documented_fields(document: dict, operation: dict) -> set[str] | None:
    """The properties documented for the items of a 200 array answer; None when it is not such an array."""
    answer = operation["responses"].get("200", {}).get("content", {}).get("application/json", {})
    ref = answer.get("schema", {}).get("items", {}).get("$ref")
    if not ref:
        return None
    return set(document["components"]["schemas"][ref.rsplit("/", 1)[1]]["properties"])


def test_auth_events_with_the_console_filters_and_pages(client, db, engine, bearer):
    from hotspot.clock import utcnow
    from radius.authlog import write_events
    from tests.support.admin_data import add_ap

    tirosa, warna = add_ap(db, "Taman Tirosa", "10.53.1.1"), add_ap(db, "Pantai Warna", "10.53.2.1")
    db.commit()
    now = utcnow()
    with engine.begin() as conn:
        write_events(
            conn,
            [
                {
                    "time": now - timedelta(minutes=n),
                    "nas_id": (tirosa if n % 2 else warna).id,
                    "username": f"t-{n}",
                    "calling_station_id": f"02:00:00:00:00:{n:02X}",
                    "method": "ticket",
                    "accepted": n == 0,
                    "reason": "ok" if n == 0 else "quota_time",
                }
                for n in range(7)
            ],
        )
    assert client.get("/api/v1/auth-events").status_code == 401
    first = client.get("/api/v1/auth-events?limit=4", headers=bearer())
    assert [e["username"] for e in first.json] == ["t-0", "t-1", "t-2", "t-3"]
    assert first.json[1] == {
        "id": first.json[1]["id"],
        "time": (now - timedelta(minutes=1)).isoformat(),
        "nas": "Taman Tirosa",
        "access_point": None,
        "username": "t-1",
        "calling_station_id": "02:00:00:00:00:01",
        "method": "ticket",
        "accepted": False,
        "reason": "quota_time",
        "message": "Kuota waktu hari ini sudah habis. Coba lagi besok.",
    }
    following = first.headers["Link"].split(";")[0].strip("<>").removeprefix("http://localhost")
    assert [e["username"] for e in client.get(following, headers=bearer()).json] == ["t-4", "t-5", "t-6"]
    query = "ap=Pantai%20Warna&reason=quota_time&lang=en"
    english = client.get(f"/api/v1/auth-events?{query}", headers=bearer()).json
    assert [(e["username"], e["nas"], e["message"]) for e in english] == [
        (f"t-{n}", "Pantai Warna", "Today's time quota is used up. Try again tomorrow.") for n in (2, 4, 6)
    ]
    by_mac = client.get("/api/v1/auth-events?mac=0200.0000.0005", headers=bearer()).json
    assert [e["username"] for e in by_mac] == ["t-5"]
    assert client.get("/api/v1/auth-events?until=soon", headers=bearer()).json == {
        "error": "not an ISO 8601 time: 'soon'"
    }


def test_session_rows_carry_the_id_their_disconnect_takes(client, db, bearer):
    from sqlalchemy import select

    from hotspot.models import RadiusSession

    seed_log(db, count=3)
    rows = client.get("/api/v1/sessions", headers=bearer()).json
    stored = {s.acct_session_id: s.id for s in db.scalars(select(RadiusSession))}
    assert [row["id"] for row in rows] == [stored[row["acct_session_id"]] for row in rows]
    assert len(set(stored.values())) == 3
