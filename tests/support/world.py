"""What a test's world holds, built with defaults that suit most tests and keyword overrides for the rest.

One helper instead of a `world` fixture per file (openwisp-radius's `_create_nas(**kwargs)`, flaskr's
`AuthActions`): routers (NAS rows), plans (the city's usual free plan among them), login tickets as the
portal issues them, and `hotspot radius` running as a real process, stopped when the test ends.
Everything goes through the same services the console and the CLI use.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session

from hotspot.clock import utcnow
from hotspot.crypto import SecretBox
from hotspot.models import LoginTicket, Nas, Plan
from hotspot.services.devices import touch_device
from hotspot.services.nas import NasSpec, add_nas
from hotspot.services.plans import PlanSpec, add_plan
from hotspot.services.tickets import issue_ticket
from hotspot.settings import Settings
from testbed.radius_daemon import RadiusDaemon

PHONE_MAC = "AA:BB:CC:DD:EE:01"
# The free plan most tests give a phone: half an hour a session, an hour and 500 MB a day, 2/1 Mbit/s.
FREE_PLAN = {
    "session_minutes": 30,
    "daily_minutes": 60,
    "daily_mb": 500,
    "down_kbps": 2048,
    "up_kbps": 1024,
    "mac_relogin": True,
}


@dataclass
class World:
    db: Session
    settings: Settings
    tmp_path: Path
    daemons: list[RadiusDaemon] = field(default_factory=list)

    def nas(
        self, name: str = "Taman Tirosa", ip_range: str = "127.0.0.1", secret: str = "testing123", **spec
    ) -> Nas:
        """A router, as `hotspot nas add` makes it (its secret encrypted with the settings' key)."""
        spec = NasSpec(name=name, ip_range=ip_range, secret=secret, **spec)
        return add_nas(self.db, SecretBox(self.settings.secret_key), spec, actor="test")

    def plan(self, name: str, **spec) -> Plan:
        return add_plan(self.db, PlanSpec(name, **spec), actor="test")

    def free_plan(self, name: str = "Gratis", **overrides) -> Plan:
        """The click-through plan: FREE_PLAN's limits, any changed or dropped (None) by `overrides`."""
        return self.plan(name, free_access=True, **{**FREE_PLAN, **overrides})

    def ticket(self, plan: Plan, mac: str = PHONE_MAC, kind: str = "free", **links) -> LoginTicket:
        """The one-time login the splash page hands the router for this phone."""
        now = utcnow()
        return issue_ticket(self.db, kind, plan, now, 120, device=touch_device(self.db, mac, now), **links)

    def radius(self, secret: bytes, workers: int = 1, **overrides) -> RadiusDaemon:
        """`hotspot radius` on free loopback ports, answering; `secret` is a NAS's that 127.0.0.1 may use."""
        daemon = RadiusDaemon(
            self.settings.with_overrides(**overrides),
            self.tmp_path / f"radius-{len(self.daemons)}.log",
            workers=workers,
        )
        self.daemons.append(daemon)
        return daemon.start(secret)

    def close(self) -> None:
        for daemon in self.daemons:
            daemon.stop()
