"""Access point states for the maps, the JSON and GeoJSON feeds, and the map pages' tile policy."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hotspot.clock import utcnow
from portal.maps import tile_origin
from tests.integration.test_api import bearer  # noqa: F401  (a fixture, used by name)
from tests.support.admin_data import add_ap, add_session


@pytest.fixture
def settings(settings):
    return settings.with_overrides(
        map_busy_sessions=2, map_tile_url="https://{s}.tiles.example.org/{z}/{x}/{y}.png"
    )


@pytest.fixture
def city(db):
    now = utcnow()
    tirosa = add_ap(
        db, "Taman Tirosa", "10.53.1.1", latitude=-10.1702, longitude=123.6078, location_name="Oebobo"
    )
    lerik = add_ap(db, "RSUD Lerik", "10.53.3.1", latitude=-10.1746, longitude=123.6139)
    add_ap(db, "Kantor Lurah", "10.53.5.1")
    tirosa.last_seen_at = now - timedelta(minutes=3)
    lerik.last_seen_at = now - timedelta(hours=3)
    for n in (1, 2):
        add_session(
            db,
            tirosa,
            n,
            now - timedelta(minutes=5),
            status="active",
            stop_time=None,
            calling_station_id=f"AA:BB:CC:DD:EE:0{n}",
            framed_ip=f"10.5.50.{n}",
        )
    db.commit()
    return tirosa, lerik


def test_access_points_json_gives_each_state_and_placement(client, city, bearer):
    tirosa, lerik = city
    rows = client.get("/api/v1/access-points", headers=bearer()).json
    assert [(r["name"], r["state"], r["active_sessions"], r["latitude"]) for r in rows] == [
        ("Kantor Lurah", "never", 0, None),
        ("RSUD Lerik", "down", 0, -10.1746),
        ("Taman Tirosa", "busy", 2, -10.1702),
    ]
    assert rows[2]["last_seen_at"] == tirosa.last_seen_at.isoformat()


def test_geojson_puts_longitude_first_and_leaves_out_unplaced_points(client, city, bearer):
    response = client.get("/api/v1/access-points.geojson", headers=bearer())
    assert response.mimetype == "application/geo+json"
    document = response.json
    assert document["type"] == "FeatureCollection"
    assert [(f["properties"]["name"], f["geometry"]["coordinates"]) for f in document["features"]] == [
        ("RSUD Lerik", [123.6139, -10.1746]),
        ("Taman Tirosa", [123.6078, -10.1702]),
    ]
    assert client.get("/api/v1/access-points.geojson").status_code == 401


def test_public_map_names_places_and_up_or_down_but_nothing_personal(client, city):
    page = client.get("/map").get_data(as_text=True)
    assert "Taman Tirosa" in page and "RSUD Lerik" in page and "Oebobo" in page
    assert "busy" not in page and "active_sessions" not in page
    for personal in ("AA:BB:CC", "10.5.50.", "user1", "10.53.1.1"):
        assert personal not in page
    assert "&#34;state&#34;: &#34;up&#34;" in page and "&#34;state&#34;: &#34;down&#34;" in page


def test_only_map_pages_may_load_images_from_the_tile_server(client, login, city):
    login("viewer")
    for path in ("/map", "/admin/map"):
        assert (
            "img-src 'self' data: https://*.tiles.example.org;"
            in client.get(path).headers["Content-Security-Policy"]
        )
    assert "img-src 'self' data:;" in client.get("/admin/").headers["Content-Security-Policy"]


@pytest.mark.parametrize(
    "url, origin",
    [
        ("https://tile.openstreetmap.org/{z}/{x}/{y}.png", "https://tile.openstreetmap.org"),
        ("https://{s}.tile.example.org/{z}/{x}/{y}.png", "https://*.tile.example.org"),
        ("http://10.0.0.5:8081/tiles/{z}/{x}/{y}.png", "http://10.0.0.5:8081"),
        ("", None),
        ("javascript:alert(1)//{z}", None),
        ("https://{z}.example.org/x.png", None),
    ],
)
def test_tile_origin(url, origin):
    assert tile_origin(url) == origin
