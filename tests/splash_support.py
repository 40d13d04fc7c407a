"""Shared by the splash-page tests: the city's plans and two routers, and reading the pages' forms."""

from __future__ import annotations

import re

from hotspot.crypto import SecretBox
from hotspot.services.nas import NasSpec, add_nas
from hotspot.services.plans import PlanSpec, add_plan
from hotspot.simulate import parse_page

UAM_SECRET = "uamsecret-perumnas"
RADIUS_SECRET = "radius-secret-123"


def add_city(db, settings, nas_ip: str = "10.53.1.1/32") -> dict:
    """Free, citizen and event plans; a MikroTik at Taman Tirosa and a CoovaChilli at Perumnas."""
    box = SecretBox(settings.secret_key)
    plans = {
        "free": add_plan(db, PlanSpec(name="Gratis", session_minutes=60, daily_minutes=60, daily_mb=500,
                                      down_kbps=2048, up_kbps=1024, free_access=True, mac_relogin=True)),
        "citizen": add_plan(db, PlanSpec(name="Warga", session_minutes=120, daily_minutes=180, daily_mb=2000)),
        "event": add_plan(db, PlanSpec(name="Acara", session_minutes=240, daily_minutes=480, valid_days=3)),
    }
    mikrotik = add_nas(db, box, NasSpec(name="Taman Tirosa", ip_range=nas_ip, secret=RADIUS_SECRET,
                                        vendor="mikrotik", location_name="Taman Tirosa", identifier="taman-tirosa"))
    chilli = add_nas(db, box, NasSpec(name="Perumnas", ip_range="10.53.10.1", secret=RADIUS_SECRET, vendor="chilli",
                                      location_name="Perumnas", identifier="perumnas", uam_secret=UAM_SECRET))
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
