"""The maps in a real Chromium: the console's map and the citizens' /map draw every placed access point,
coloured by state, with tiles from a loopback tile server or with no tiles at all."""

from __future__ import annotations

import struct
import threading
import zlib
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from hotspot.clock import utcnow
from portal import create_app
from tests.browser.conftest import ARTIFACTS, serving
from tests.conftest import ADMIN_PASSWORD
from tests.support.admin_data import add_ap, add_session

pytestmark = pytest.mark.browser
COLOURS = {"up": "#1a9850", "busy": "#f28e2b", "down": "#d73027", "never": "#8c8c8c"}


def _png() -> bytes:
    """A 1 x 1 grey PNG: enough for Leaflet to draw a tile."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack("!I", len(data)) + kind + data + struct.pack("!I", zlib.crc32(kind + data))

    header = struct.pack("!IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xc0"))
        + chunk(b"IEND", b"")
    )


class TileServer:
    """Answers every GET with the same PNG and remembers the paths asked for."""

    def __init__(self):
        requested = self.requested = []
        tile = _png()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                requested.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(tile)))
                self.end_headers()
                self.wfile.write(tile)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/{{z}}/{{x}}/{{y}}.png"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def tiles():
    server = TileServer()
    yield server
    server.close()


@pytest.fixture
def app_with(settings):
    """A portal with some settings overridden; its database connections are closed after the test."""
    apps = []

    def make(**overrides):
        apps.append(create_app(settings.with_overrides(**overrides)))
        return apps[-1]

    yield make
    for app in apps:
        app.extensions["hotspot"].engine.dispose()


def city_with_four_states(db):
    """Access points up, busy (2 sessions with map_busy_sessions=2), down, never heard; one without
    position."""
    now = utcnow()
    up = add_ap(
        db, "Taman Tirosa", "10.53.1.1", latitude=-10.1702, longitude=123.6078, location_name="Oebobo"
    )
    busy = add_ap(db, "Pantai Warna", "10.53.2.1", latitude=-10.1469, longitude=123.6247)
    down = add_ap(db, "RSUD Lerik", "10.53.3.1", latitude=-10.1746, longitude=123.6139)
    add_ap(db, "Perumnas", "10.53.4.1", latitude=-10.1890, longitude=123.6190)
    add_ap(db, "Kantor Lurah", "10.53.5.1")
    up.last_seen_at = busy.last_seen_at = now
    down.last_seen_at = now - timedelta(hours=2)
    add_session(db, up, 1, now - timedelta(minutes=5), status="active", stop_time=None)
    for n in (2, 3):
        add_session(db, busy, n, now - timedelta(minutes=5), status="active", stop_time=None)
    db.commit()


def markers(page) -> dict[str, str]:
    """Marker class state -> fill colour, as Leaflet drew them (SVG paths)."""
    page.wait_for_selector("path.ap-marker")
    found = {}
    for path in page.locator("path.ap-marker").all():
        state = next(c for c in path.get_attribute("class").split() if c.startswith("ap-marker-"))
        found[state.removeprefix("ap-marker-")] = path.get_attribute("fill")
    return found


def test_console_map_draws_every_placed_access_point_with_tiles_from_the_configured_server(
    browser, db, app_with, tiles
):
    city_with_four_states(db)
    app = app_with(map_tile_url=tiles.url, map_busy_sessions=2)
    violations = []
    with serving(app) as url:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.on(
            "console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None
        )
        from hotspot.services.admins import create_admin

        create_admin(db, "budi", ADMIN_PASSWORD, "viewer", actor="test")
        page.goto(f"{url}/admin/login")
        page.fill("input[name=username]", "budi")
        page.fill("input[name=password]", ADMIN_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{url}/admin/")
        page.click("nav >> text=Peta")
        page.wait_for_url(f"{url}/admin/map")
        assert markers(page) == COLOURS
        page.wait_for_selector("img.leaflet-tile-loaded")
        page.screenshot(path=str(ARTIFACTS / "admin-map.png"), full_page=True)
        assert page.locator("#ap-map-list tr[data-state]").count() == 5
        assert "belum ditempatkan" in page.locator("#ap-map-list tr", has_text="Kantor Lurah").inner_text()

        page.locator("path.ap-marker-busy").click()
        popup = page.locator(".leaflet-popup-content")
        assert "Pantai Warna" in popup.inner_text() and "2 sesi online" in popup.inner_text()
        popup.locator("a.ap-map-link").click()
        page.wait_for_url(f"{url}/admin/nas/*")
        assert "Pantai Warna" in page.locator("h1").inner_text()
        context.close()
    assert tiles.requested and all(path.endswith(".png") for path in tiles.requested)
    assert violations == []


def test_citizens_map_shows_up_and_down_without_tiles_and_without_personal_data(browser, db, app_with):
    city_with_four_states(db)
    app = app_with(map_tile_url="", map_busy_sessions=2)
    with serving(app) as url:
        context = browser.new_context(viewport={"width": 412, "height": 900})  # a cheap Android phone
        page = context.new_page()
        page.goto(f"{url}/map")
        assert markers(page) == {"up": COLOURS["up"], "down": COLOURS["down"], "never": COLOURS["never"]}
        assert page.locator("path.ap-marker").count() == 4
        assert page.locator("img.leaflet-tile").count() == 0
        listing = page.locator("#ap-map-list").inner_text()
        assert "Pantai Warna" in listing and "aktif" in listing and "gangguan" in listing
        page.screenshot(path=str(ARTIFACTS / "public-map.png"), full_page=True)
        page.locator("path.ap-marker-down").click()
        assert "RSUD Lerik" in page.locator(".leaflet-popup-content").inner_text()
        assert page.locator(".leaflet-popup-content a").count() == 0
        page.goto(f"{url}/map?lang=en")
        assert "working" in page.locator("#ap-map-list").inner_text()
        context.close()
