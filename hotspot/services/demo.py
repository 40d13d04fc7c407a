"""Demo data: Kota Kupang's ten launch hotspots and the default free plan.

The coordinates are approximate (they place each access point on the
dashboard map); the IP ranges are placeholders an admin edits when the
routers are installed. Secrets are random and printed once by `hotspot init --demo`.
"""

from __future__ import annotations

import secrets

from sqlalchemy.orm import Session

from hotspot.crypto import SecretBox
from hotspot.services.nas import NasSpec, add_nas, find_nas
from hotspot.services.plans import PlanSpec, add_plan, find_plan

FREE_PLAN = PlanSpec(
    name="Gratis",
    session_minutes=60,
    daily_minutes=60,
    daily_mb=500,
    down_kbps=2048,
    up_kbps=1024,
    free_access=True,
    mac_relogin=True,
)
CITIZEN_PLAN = PlanSpec(
    name="Warga",
    session_minutes=120,
    daily_minutes=180,
    daily_mb=2000,
    down_kbps=4096,
    up_kbps=2048,
    mac_relogin=True,
)
EVENT_PLAN = PlanSpec(
    name="Acara", session_minutes=240, daily_minutes=480, down_kbps=4096, up_kbps=2048, valid_days=3
)

KUPANG_HOTSPOTS = (
    ("Taman Tirosa", -10.1702, 123.6078, "mikrotik"),
    ("Pantai Warna", -10.1469, 123.6247, "mikrotik"),
    ("Taman Fontein", -10.1685, 123.5836, "mikrotik"),
    ("Pusat Kuliner Kampung Solor", -10.1592, 123.5781, "chilli"),
    ("Pantai Ketapang Satu", -10.1527, 123.6066, "mikrotik"),
    ("Podium Kantor Wali Kota", -10.1639, 123.6213, "mikrotik"),
    ("RSUD S. K. Lerik", -10.1746, 123.6139, "chilli"),
    ("Lampu Hias Kelapa Lima", -10.1488, 123.6330, "mikrotik"),
    ("Taman Nostalgia", -10.1636, 123.6028, "mikrotik"),
    ("Perumnas", -10.1890, 123.6190, "chilli"),
)


def load_demo(db: Session, box: SecretBox) -> dict[str, str]:
    """Add the plans and hotspots that are missing; return {nas name: new shared secret}."""
    for spec in (FREE_PLAN, CITIZEN_PLAN, EVENT_PLAN):
        if find_plan(db, spec.name) is None:
            add_plan(db, spec, actor="demo")
    secrets_by_nas: dict[str, str] = {}
    for number, (name, latitude, longitude, vendor) in enumerate(KUPANG_HOTSPOTS, start=1):
        if find_nas(db, name) is not None:
            continue
        secret = secrets.token_urlsafe(18)
        add_nas(
            db,
            box,
            NasSpec(
                name=name,
                ip_range=f"10.53.{number}.1",
                secret=secret,
                vendor=vendor,
                location_name=name,
                latitude=latitude,
                longitude=longitude,
                require_message_authenticator=True,
                identifier=name.lower().replace(" ", "-").replace(".", ""),
            ),
            actor="demo",
        )
        secrets_by_nas[name] = secret
    return secrets_by_nas
