"""Attribution of new accounting sessions: which ticket, voucher, device or account a session belongs to.

Accounting asks here once per batch, for the packets that start a session it
has not stored yet, so that the session's usage counts against the right quota.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Connection

from hotspot.services.tickets import TICKET_PREFIX
from hotspot.services.vouchers import normalize_code
from hotspot.validation import is_mac, normalize_mac
from radius import store

if TYPE_CHECKING:
    from radius.accounting import Arrival


def links(conn: Connection, arrivals: list[Arrival]) -> dict[str, dict]:
    """Who each new session's User-Name is: its ticket, voucher or device, and its plan."""
    names = {a.request.username for a in arrivals}
    macs = {normalize_mac(n) for n in names if is_mac(n)}
    macs |= {a.request.calling_station_id for a in arrivals if a.request.calling_station_id
             and is_mac(a.request.calling_station_id)}
    tickets = store.find_tickets(conn, (n for n in names if n.startswith(TICKET_PREFIX)))
    vouchers = store.find_vouchers(conn, (normalize_code(n) for n in names
                                          if not n.startswith(TICKET_PREFIX) and not is_mac(n)))
    devices = store.find_devices(conn, macs)
    intervals = store.plan_intervals(conn) if tickets or vouchers or devices else {}
    links = {}
    for arrival in arrivals:
        name, station = arrival.request.username, arrival.request.calling_station_id
        device = devices.get(station or "", {})
        if name in tickets:
            t = tickets[name]
            link = {"device_id": t["device_id"] or device.get("id"), "account_id": t["account_id"],
                    "voucher_id": t["voucher_id"], "plan_id": t["plan_id"]}
            if t["kind"] == "free":
                link["account_id"] = None
        elif is_mac(name) and normalize_mac(name) in devices:
            d = devices[normalize_mac(name)]
            link = {"device_id": d["id"], "account_id": d["account_id"], "plan_id": d["plan_id"]}
        elif normalize_code(name) in vouchers:
            v = vouchers[normalize_code(name)]
            link = {"device_id": device.get("id"), "voucher_id": v["id"], "plan_id": v["plan_id"]}
        else:
            link = {"device_id": device.get("id")}
        link["interim_interval"] = intervals.get(link.get("plan_id"))
        links[name] = link
    return links
