"""Whose open RADIUS session a request to the portal comes from, without taking a URL's word for it.

The status page and RFC 8908's API tell a phone its allowance. A MAC in a URL is
anyone's to type, and private hotspot ranges (10.5.50.x) repeat from park to park,
so a session is only ever found when the request itself shows where it comes from:

- through a NAS: its source address is in that NAS's range (the router's NAT), and
  then the phone is the MAC the router put in the URL (CoovaChilli's `%{m}`);
- signed by the NAS: CoovaChilli's `md` vouched for the MAC in its redirect;
- from the phone itself: its source address is the session's Framed-IP-Address at
  the NAS the URL names (each router's API URL names it: `?nas=IDENTIFIER`).

Anything else (no NAS, several, a claim nobody vouches for) finds nothing, which
looks exactly like a phone that is not online: no oracle for who is.
"""

from __future__ import annotations

import ipaddress

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotspot.models import RadiusSession
from hotspot.services.attribution import Router


def _open_session(db: Session, nas: Router, mac: str | None, framed_ip: str | None) -> RadiusSession | None:
    query = select(RadiusSession).where(RadiusSession.status == "active", RadiusSession.nas_id == nas.id)
    if mac is not None:
        query = query.where(RadiusSession.calling_station_id == mac)
    if framed_ip is not None:
        query = query.where(RadiusSession.framed_ip == framed_ip)
    return db.scalar(query.order_by(RadiusSession.start_time.desc(), RadiusSession.id.desc()).limit(1))


def _address(text: str | None):
    try:
        return ipaddress.ip_address(text or "")
    except ValueError:
        return None


def client_session(
    db: Session,
    points: list[Router],
    source_ip: str | None,
    mac: str | None = None,
    named: Router | None = None,
    vouched: bool = False,
) -> RadiusSession | None:
    """The open session this request shows it belongs to, or None when it does not show it.

    `mac` and `named` are what the URL (or the remembered hand-off) claims; `vouched` says the named NAS
    signed that MAC itself."""
    if vouched and named is not None and mac is not None:
        return _open_session(db, named, mac, None)
    source = _address(source_ip)
    if source is None:
        return None
    through = [point for point in points if point.covers(source)]
    if through:
        if named is not None:
            through = [point for point in through if point.id == named.id]
        return _open_session(db, through[0], mac, None) if len(through) == 1 and mac is not None else None
    if named is None:
        return None
    return _open_session(db, named, mac, str(source))
