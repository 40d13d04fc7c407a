"""Random (locally administered) MACs per site: who a free plan let in today, and their share in reports.

Phones make up a private MAC per network and a new one after "forget network", which resets a
per-MAC free quota; these queries tell how often that happens where. A site is a NAS today: `SITE`
is the one column both queries group by, so per-radio sites change it here only.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, distinct, func, select

from hotspot.models import Device, Nas, RadiusSession

SITE = RadiusSession.nas_id
# The second hex digit of a locally administered MAC: bit 1 of the first octet set.
RANDOM_DIGITS = ("2", "3", "6", "7", "A", "B", "E", "F", "a", "b", "e", "f")


def _random(mac_column):
    return func.substr(mac_column, 2, 1).in_(RANDOM_DIGITS)


def random_macs_let_in(db, site_ids, since: datetime) -> dict[int, set[str]]:
    """Per site, the random MACs with a free (per-device) session that started since `since`.

    Works on a Session or a Connection; reads sessions through their (nas_id, start_time) index."""
    ids = sorted(set(site_ids))
    if not ids:
        return {}
    query = (
        select(SITE, Device.mac)
        .distinct()
        .join(Device, Device.id == RadiusSession.device_id)
        .where(
            SITE.in_(ids),
            RadiusSession.start_time >= since,
            RadiusSession.account_id.is_(None),
            RadiusSession.voucher_id.is_(None),
            _random(Device.mac),
        )
    )
    found: dict[int, set[str]] = {site: set() for site in ids}
    for site, mac in db.execute(query):
        found[site].add(mac)
    return found


SHARE_COLUMNS = ("nas", "sessions", "random_sessions", "devices", "random_devices", "random_share")


def random_mac_share(
    db, since: datetime | None = None, until: datetime | None = None, nas_id: int | None = None
) -> list[dict]:
    """Per site (NAS name): sessions and devices (MACs), how many were random ones, their share of
    sessions."""
    random = _random(RadiusSession.calling_station_id)
    query = (
        select(
            Nas.name.label("nas"),
            func.count().label("sessions"),
            func.sum(case((random, 1), else_=0)).label("random_sessions"),
            func.count(distinct(RadiusSession.calling_station_id)).label("devices"),
            func.count(distinct(case((random, RadiusSession.calling_station_id)))).label("random_devices"),
        )
        .join(Nas, Nas.id == SITE)
        .group_by(Nas.name)
        .order_by(Nas.name)
    )
    if since is not None:
        query = query.where(RadiusSession.start_time >= since)
    if until is not None:
        query = query.where(RadiusSession.start_time < until)
    if nas_id is not None:
        query = query.where(SITE == nas_id)
    rows = []
    for row in db.execute(query):
        item = {
            "nas": row.nas,
            **{
                name: int(getattr(row, name) or 0)
                for name in ("sessions", "random_sessions", "devices", "random_devices")
            },
        }
        item["random_share"] = (
            round(item["random_sessions"] / item["sessions"], 3) if item["sessions"] else 0.0
        )
        rows.append(item)
    return rows
