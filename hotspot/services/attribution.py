"""Which access point a splash-page visit comes from, so every login is attributed to a NAS.

The router names itself (CoovaChilli `nasid`/`called`, MikroTik
`identity`/`server-name`); failing that, its login address lies within the
NAS's IP range or equals its configured login host.
"""

from __future__ import annotations

import ipaddress

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from hotspot.gateways import GatewayHandoff
from hotspot.models import Nas


def find_gateway_nas(db: Session, handoff: GatewayHandoff) -> Nas | None:
    """The active NAS this hand-off came from, or None when no router matches."""
    names = [value for value in (handoff.nas_id, handoff.called) if value]
    if names:
        nas = db.scalar(
            select(Nas).where(Nas.active.is_(True), or_(Nas.identifier.in_(names), Nas.name.in_(names)))
            .order_by(Nas.identifier.in_(names).desc(), Nas.id).limit(1)
        )
        if nas is not None:
            return nas
    host = handoff.login_host
    if not host:
        return None
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return db.scalar(select(Nas).where(Nas.active.is_(True), func.lower(Nas.login_host) == host.lower()).limit(1))
    for nas in db.scalars(select(Nas).where(Nas.active.is_(True)).order_by(Nas.id)):
        try:
            if address in ipaddress.ip_network(nas.ip_range, strict=False):
                return nas
        except ValueError:
            continue
    return None
