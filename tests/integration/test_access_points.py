"""Access points (the radios behind each NAS): the CLI, the API, the console, the metrics and the alerts."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from click.testing import CliRunner
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from hotspot.cli import main
from hotspot.clock import utcnow
from hotspot.models import AccessPoint, AuditEvent, AuthEvent, UsageHourAp
from hotspot.services.site_health import access_points_heard
from testbed.helpers import settings_env
from tests.conftest import csrf_token_from
from tests.integration.test_api import bearer  # noqa: F401  (a fixture, used by name)
from tests.support.admin_data import add_ap, add_session


@pytest.fixture
def run(settings, engine):
    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(main, list(args), env=settings_env(settings), catch_exceptions=False)

    return invoke


@pytest.fixture
def radios(db):
    """Two NAS; Tirosa heard through two radios (one named), Lerik through one that Tirosa also heard."""
    now = utcnow()
    tirosa = add_ap(db, "Taman Tirosa", "10.53.1.1", latitude=-10.1702, longitude=123.6078)
    lerik = add_ap(db, "RSUD Lerik", "10.53.3.1")
    gate = AccessPoint(
        nas_id=tirosa.id,
        radio_mac="AA:00:00:00:00:01",
        name="Gerbang",
        location_name="Pintu",
        latitude=-10.17,
        longitude=123.6,
        last_seen_at=now - timedelta(minutes=2),
    )
    pond = AccessPoint(nas_id=tirosa.id, radio_mac="AA:00:00:00:00:02", last_seen_at=now - timedelta(hours=2))
    ward = AccessPoint(nas_id=lerik.id, radio_mac="AA:00:00:00:00:02")
    db.add_all([gate, pond, ward])
    db.flush()
    add_session(
        db, tirosa, 1, now - timedelta(minutes=5), status="active", stop_time=None, access_point_id=gate.id
    )
    add_session(db, tirosa, 2, now - timedelta(hours=3), access_point_id=pond.id)
    add_session(db, lerik, 3, now - timedelta(hours=4))
    hour = now.replace(minute=0, second=0, microsecond=0)
    db.add_all(
        [
            UsageHourAp(
                access_point_id=gate.id,
                hour=hour,
                sessions=3,
                input_octets=100,
                output_octets=900,
                session_seconds=60,
                auth_accepts=3,
                auth_rejects=1,
            ),
            UsageHourAp(
                access_point_id=gate.id,
                hour=hour - timedelta(hours=1),
                sessions=1,
                input_octets=10,
                output_octets=90,
                session_seconds=6,
                auth_accepts=1,
                auth_rejects=0,
            ),
            UsageHourAp(
                access_point_id=ward.id,
                hour=hour,
                sessions=2,
                input_octets=5,
                output_octets=7,
                session_seconds=20,
                auth_accepts=2,
                auth_rejects=2,
            ),
        ]
    )
    db.commit()
    return tirosa, lerik, gate, pond, ward


def test_ap_list_json_gives_each_radio_with_nas_state_and_sessions(run, radios):
    rows = json.loads(run("ap", "list", "--format", "json").output)
    assert [(r["nas"], r["name"], r["radio_mac"], r["state"], r["active_sessions"]) for r in rows] == [
        ("RSUD Lerik", "", "AA:00:00:00:00:02", "never", 0),
        ("Taman Tirosa", "", "AA:00:00:00:00:02", "down", 0),
        ("Taman Tirosa", "Gerbang", "AA:00:00:00:00:01", "up", 1),
    ]
    assert set(rows[0]) == {
        "id",
        "name",
        "radio_mac",
        "nas",
        "location",
        "latitude",
        "longitude",
        "last_seen_at",
        "state",
        "active_sessions",
    }
    only = json.loads(run("ap", "list", "--nas", "RSUD Lerik", "--format", "json").output)
    assert [r["nas"] for r in only] == ["RSUD Lerik"]


def test_ap_set_names_and_places_a_radio_in_any_mac_spelling_and_audits(run, db, radios):
    gate = radios[2]
    result = run(
        "ap", "set", "aa-00-00-00-00-01", "--name", "Gerbang Utara", "--lat", "-10.5", "--lon", "123.5"
    )
    assert result.exit_code == 0, result.output
    db.expire_all()
    assert (gate.name, gate.location_name, gate.latitude, gate.longitude) == (
        "Gerbang Utara",
        "Pintu",
        -10.5,
        123.5,
    )
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "access_point.edit"))
    assert json.loads(event.detail)["changes"]["name"] == ["Gerbang", "Gerbang Utara"]


def test_ap_set_refuses_a_radio_heard_under_two_nas_until_one_is_chosen(run, db, radios):
    result = run("ap", "set", "AA:00:00:00:00:02", "--name", "Kolam")
    assert result.exit_code == 2
    assert "RSUD Lerik" in result.output and "Taman Tirosa" in result.output and "--nas" in result.output
    assert run("ap", "set", "AA:00:00:00:00:02", "--nas", "RSUD Lerik", "--name", "Bangsal").exit_code == 0
    db.expire_all()
    assert (radios[3].name, radios[4].name) == ("", "Bangsal")


@pytest.mark.parametrize(
    "args, message",
    [
        (["--lat", "91", "--lon", "0"], "latitude must be between -90 and 90"),
        (["--lat", "0", "--lon", "-181"], "longitude must be between -180 and 180"),
        (["--lat", "1"], "both"),
        (["--name", "x" * 65], "longer than 64"),
    ],
)
def test_ap_set_rejects_bad_positions_and_names(run, db, radios, args, message):
    result = run("ap", "set", "AA:00:00:00:00:01", *args)
    assert result.exit_code == 2 and message in result.output
    db.expire_all()
    assert radios[2].name == "Gerbang"


def test_usage_by_ap_comes_from_the_radio_roll_up(run, client, radios, bearer):
    rows = json.loads(run("usage", "--by", "ap", "--format", "json").output)
    assert rows == [
        {
            "nas": "RSUD Lerik",
            "access_point": "AA:00:00:00:00:02",
            "radio_mac": "AA:00:00:00:00:02",
            "sessions": 2,
            "session_seconds": 20,
            "input_octets": 5,
            "output_octets": 7,
        },
        {
            "nas": "Taman Tirosa",
            "access_point": "Gerbang",
            "radio_mac": "AA:00:00:00:00:01",
            "sessions": 4,
            "session_seconds": 66,
            "input_octets": 110,
            "output_octets": 990,
        },
    ]
    assert client.get("/api/v1/usage?by=ap", headers=bearer()).json == rows


def test_sessions_json_names_the_access_point_and_filters_by_it(run, client, radios, bearer):
    rows = json.loads(run("sessions", "--format", "json").output)
    assert [(r["username"], r["access_point"]) for r in rows] == [
        ("user1", "Gerbang"),
        ("user2", "AA:00:00:00:00:02"),
        ("user3", None),
    ]
    by_name = json.loads(run("sessions", "--ap", "Gerbang", "--format", "json").output)
    assert [r["username"] for r in by_name] == ["user1"]
    api = client.get("/api/v1/sessions?ap=aa:00:00:00:00:02", headers=bearer()).json
    assert [(r["username"], r["access_point"]) for r in api] == [("user2", "AA:00:00:00:00:02")]


def test_metrics_give_each_access_point_its_own_series(client, radios):
    """The fixture's roll-ups are this clock hour and the one before: both count."""
    gate = radios[2]
    text = client.get("/metrics").get_data(as_text=True)
    series = {
        sample.name: sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.labels == {"nas": "Taman Tirosa", "ap": "Gerbang"}
    }
    assert series == {
        "hotspot_site_last_heard_timestamp_seconds": gate.last_seen_at.timestamp(),
        "hotspot_site_sessions_online": 1,
        "hotspot_site_auth_accepts_last_hour": 4,
        "hotspot_site_auth_rejects_last_hour": 1,
        "hotspot_site_input_octets_last_hour": 110,
        "hotspot_site_output_octets_last_hour": 990,
    }


def test_two_radios_given_one_name_are_two_metric_series(client, db, radios):
    gate, pond = radios[2], radios[3]
    pond.name = gate.name
    db.commit()
    families = text_string_to_metric_families(client.get("/metrics").get_data(as_text=True))
    online = {
        sample.labels["ap"]: sample.value
        for family in families
        if family.name == "hotspot_site_sessions_online"
        for sample in family.samples
        if sample.labels["nas"] == "Taman Tirosa"
    }
    assert online == {"": 1, "Gerbang (AA:00:00:00:00:01)": 1, "Gerbang (AA:00:00:00:00:02)": 0}


def test_silent_radio_alerts_read_the_access_point_rows(db, radios):
    gate, pond = radios[2], radios[3]
    heard = access_points_heard(db, utcnow())
    assert [(h.radio_mac, h.name, h.last_heard) for h in heard] == [
        ("AA:00:00:00:00:01", "Gerbang", gate.last_seen_at),
        ("AA:00:00:00:00:02", "AA:00:00:00:00:02", pond.last_seen_at),
    ]


def test_access_points_api_lists_radios_with_their_nas_and_falls_back_to_the_nas_position(
    client, radios, bearer
):
    tirosa, lerik, gate, pond, ward = radios
    rows = client.get("/api/v1/access-points", headers=bearer()).json
    assert [
        (r["nas"], r["name"], r["state"], r["active_sessions"], r["latitude"], r["longitude"]) for r in rows
    ] == [
        ("RSUD Lerik", "AA:00:00:00:00:02", "never", 0, None, None),
        ("Taman Tirosa", "AA:00:00:00:00:02", "down", 0, -10.1702, 123.6078),
        ("Taman Tirosa", "Gerbang", "up", 1, -10.17, 123.6),
    ]
    features = client.get("/api/v1/access-points.geojson", headers=bearer()).json["features"]
    assert [(f["id"], f["properties"]["nas"], f["geometry"]["coordinates"]) for f in features] == [
        (f"ap-{pond.id}", "Taman Tirosa", [123.6078, -10.1702]),
        (f"ap-{gate.id}", "Taman Tirosa", [123.6, -10.17]),
    ]


def test_public_map_draws_access_points_without_personal_data(client, radios):
    page = client.get("/map").get_data(as_text=True)
    assert "Gerbang" in page and "Pintu" in page
    for personal in ("AA:BB:CC", "user1", "10.53.1.1", "active_sessions"):
        assert personal not in page


def test_auth_log_filters_and_shows_the_access_point(client, db, login, radios, bearer):
    tirosa, lerik, gate, pond, ward = radios
    now = utcnow()
    db.add_all(
        [
            AuthEvent(
                time=now - timedelta(minutes=3),
                nas_id=tirosa.id,
                access_point_id=gate.id,
                username="VGATE0001",
                method="voucher",
                accepted=False,
                reason="bad_password",
            ),
            AuthEvent(
                time=now - timedelta(minutes=2),
                nas_id=lerik.id,
                access_point_id=ward.id,
                username="VWARD0001",
                method="voucher",
                accepted=True,
                reason="ok",
            ),
            AuthEvent(
                time=now - timedelta(minutes=1),
                nas_id=lerik.id,
                username="VNOAP0001",
                method="voucher",
                accepted=True,
                reason="ok",
            ),
        ]
    )
    db.commit()

    def users(query: str) -> list[tuple[str, str | None]]:
        rows = client.get(f"/api/v1/auth-events?{query}", headers=bearer()).json
        return [(r["username"], r["access_point"]) for r in rows]

    assert users("ap=Gerbang") == [("VGATE0001", "Gerbang")]
    assert users("ap=aa-00-00-00-00-02") == [("VWARD0001", "AA:00:00:00:00:02")]
    assert users("ap=RSUD+Lerik") == [("VNOAP0001", None), ("VWARD0001", "AA:00:00:00:00:02")]
    login("viewer")
    page = client.get("/admin/auth-log?ap=Gerbang").get_data(as_text=True)
    assert "<td>Gerbang</td>" in page and "VGATE0001" in page and "VWARD0001" not in page
    csv_text = client.get("/admin/auth-log.csv?ap=Gerbang").get_data(as_text=True)
    assert csv_text.splitlines()[0].startswith("id,time,nas,access_point,username")
    assert ",Taman Tirosa,Gerbang,VGATE0001," in csv_text


def test_console_lists_radios_for_viewers_and_lets_admins_name_and_place_them(client, db, login, radios):
    tirosa, lerik, gate, pond, ward = radios
    login("viewer")
    page = client.get("/admin/access-points").get_data(as_text=True)
    assert "Gerbang" in page and "AA:00:00:00:00:02" in page and 'href="/admin/access-points"' in page
    assert f"/admin/access-points/{pond.id}" not in page and "?edit=" not in page
    refused = client.post(
        f"/admin/access-points/{pond.id}", data={"csrf_token": csrf_token_from(page), "name": "Kolam"}
    )
    assert refused.status_code == 403
    db.expire_all()
    assert pond.name == ""
    assert f"edit={pond.id}" in client.get(f"/admin/nas/{tirosa.id}").get_data(as_text=True)

    login("admin")
    form = client.get(f"/admin/access-points?edit={pond.id}").get_data(as_text=True)
    token = csrf_token_from(form)
    bad = client.post(
        f"/admin/access-points/{pond.id}",
        data={"csrf_token": token, "name": "Kolam", "latitude": "-95", "longitude": "123"},
    )
    assert bad.status_code == 400 and "lintang harus antara -90 dan 90" in bad.get_data(as_text=True)
    saved = client.post(
        f"/admin/access-points/{pond.id}",
        data={
            "csrf_token": token,
            "name": "Kolam",
            "location": "Tepi kolam",
            "latitude": "-10.2",
            "longitude": "123.7",
        },
    )
    assert saved.status_code == 302
    db.expire_all()
    assert (pond.name, pond.location_name, pond.latitude, pond.longitude) == (
        "Kolam",
        "Tepi kolam",
        -10.2,
        123.7,
    )
    assert db.scalar(select(AuditEvent.actor).where(AuditEvent.action == "access_point.edit")) == "admin-user"
    sessions_page = client.get("/admin/sessions").get_data(as_text=True)
    assert '<td class="access-point">Kolam</td>' in sessions_page
    assert '<td class="access-point">Gerbang</td>' in sessions_page


def test_console_map_sends_an_unplaced_radio_to_its_own_edit_form(client, login, radios):
    tirosa, lerik, gate, pond, ward = radios
    login("viewer")
    page = client.get("/admin/map").get_data(as_text=True)
    assert f'href="/admin/access-points?edit={ward.id}"' in page
    assert "Gerbang</a> (Taman Tirosa)" in page
