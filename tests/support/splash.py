"""Shared by the splash-page tests: the city's plans and two routers, and reading the pages' forms."""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

from hotspot.crypto import SecretBox
from hotspot.services.nas import NasSpec, add_nas
from hotspot.services.plans import PlanSpec, add_plan
from hotspot.simulate import parse_page
from testbed.helpers import free_port
from tests.support.world import FREE_PLAN

UAM_SECRET = "uamsecret-perumnas"
RADIUS_SECRET = "radius-secret-123"


def add_city(db, settings, mikrotik_ip: str = "10.53.1.1/32", chilli_ip: str = "10.53.10.1") -> dict:
    """Free, citizen and event plans; a MikroTik at Taman Tirosa and a CoovaChilli at Perumnas."""
    box = SecretBox(settings.secret_key)
    plans = {
        "free": add_plan(db, PlanSpec("Gratis", free_access=True, **{**FREE_PLAN, "session_minutes": 60})),
        "citizen": add_plan(
            db, PlanSpec(name="Warga", session_minutes=120, daily_minutes=180, daily_mb=2000)
        ),
        "event": add_plan(db, PlanSpec(name="Acara", session_minutes=240, daily_minutes=480, valid_days=3)),
    }
    mikrotik = add_nas(
        db,
        box,
        NasSpec(
            name="Taman Tirosa",
            ip_range=mikrotik_ip,
            secret=RADIUS_SECRET,
            vendor="mikrotik",
            location_name="Taman Tirosa",
            identifier="taman-tirosa",
        ),
    )
    chilli = add_nas(
        db,
        box,
        NasSpec(
            name="Perumnas",
            ip_range=chilli_ip,
            secret=RADIUS_SECRET,
            vendor="chilli",
            location_name="Perumnas",
            identifier="perumnas",
            uam_secret=UAM_SECRET,
        ),
    )
    return {"plans": plans, "mikrotik": mikrotik, "chilli": chilli}


def form(html: str, action_suffix: str) -> dict:
    """The form whose action ends with this path (or the hand-off form for 'handoff')."""
    for found in parse_page(html).forms:
        if found["id"] == action_suffix or found["action"].endswith(action_suffix):
            return found
    raise AssertionError(f"no form {action_suffix!r} on the page")


def alert(html: str) -> str:
    return " ".join(parse_page(html).alert)


def sms_code(caplog, phone: str) -> str:
    """The one-time code the console SMS sender logged for this phone (the newest)."""
    codes = re.findall(rf"SMS to {re.escape(phone)}: .*?(\d{{6}})", caplog.text)
    assert codes, f"no SMS to {phone} in the log"
    return codes[-1]


class SmsInbox:
    """A local SMS provider for the webhook sender: `/sms` accepts and keeps each message, other paths
    fail."""

    def __init__(self):
        self.messages: list[tuple[str, dict]] = []
        inbox = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                inbox.messages.append((self.headers["Content-Type"], json.loads(body)))
                self.send_response(202 if self.path == "/sms" else 500)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/sms"
        self._server = HTTPServer(("127.0.0.1", self.port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> SmsInbox:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def code_for(self, phone: str) -> str:
        codes = [re.search(r"\d{6}", m["message"]).group(0) for _, m in self.messages if m["to"] == phone]
        assert codes, f"no SMS to {phone}"
        return codes[-1]
