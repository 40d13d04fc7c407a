"""Which router (NAS) a splash-page visit comes from, so every login is attributed to a NAS.

The router names itself (CoovaChilli `nasid`/`called`, MikroTik
`identity`/`server-name`); failing that, its login address lies within the
NAS's IP range or equals its configured login host. The splash page is the
hottest path of the portal, so each worker keeps the (small) list of access
routers in memory and re-reads it every few seconds, like the RADIUS server does.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hotspot.gateways import GatewayHandoff
from hotspot.models import Nas
from hotspot.services.reloading import Reloading


@dataclass(frozen=True)
class Router:
    """What the portal needs of a NAS (a router; its radios are `models.AccessPoint`), detached from any
    database session."""

    id: int
    name: str
    location_name: str
    identifier: str | None
    ip_range: str
    login_host: str | None
    uam_secret_encrypted: str | None
    vendor: str = "generic"
    group_id: int | None = None

    @classmethod
    def of(cls, nas: Nas) -> Router:
        return cls(
            nas.id,
            nas.name,
            nas.location_name,
            nas.identifier,
            nas.ip_range,
            nas.login_host,
            nas.uam_secret_encrypted,
            nas.vendor,
            nas.group_id,
        )

    def is_named(self, name: str | None) -> bool:
        """Whether a router's own name for itself (identity, nasid) is this NAS's identifier or name."""
        return bool(name) and name in (self.identifier, self.name)

    def covers(self, address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
        try:
            return address in ipaddress.ip_network(self.ip_range, strict=False)
        except ValueError:
            return False


def find_router(points: list[Router], handoff: GatewayHandoff) -> Router | None:
    """By identifier, then by name, then by the login address (IP range or configured login host)."""
    names = [value for value in (handoff.nas_id, handoff.called) if value]
    for attribute in ("identifier", "name"):
        for point in points:
            if getattr(point, attribute) in names:
                return point
    host = handoff.login_host
    if not host:
        return None
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return next((p for p in points if p.login_host and p.login_host.lower() == host.lower()), None)
    return next((p for p in points if p.covers(address)), None)


def active_routers(db: Session) -> list[Router]:
    return [Router.of(nas) for nas in db.scalars(select(Nas).where(Nas.active.is_(True)).order_by(Nas.id))]


class Routers:
    """The active routers of one worker, re-read from the database at most every `ttl` seconds."""

    def __init__(self, session_factory: sessionmaker[Session], ttl: float):
        self._points = Reloading(session_factory, active_routers, ttl)

    def all(self) -> list[Router]:
        return self._points.get()

    def find(self, handoff: GatewayHandoff) -> Router | None:
        return find_router(self.all(), handoff)

    def get(self, nas_id: int | None) -> Router | None:
        return next((p for p in self.all() if p.id == nas_id), None) if nas_id else None
