"""Attribution of new accounting sessions: which ticket, voucher, device or account a session belongs to.

Accounting asks here once per batch, for the packets that start a session it
has not stored yet, so that the session's usage counts against the right quota.
The answer is keyed by (User-Name, Calling-Station-Id): the device charged is
the one really online, never the MAC a splash-page URL claimed for the ticket.
Who is whose is `hotspot.credentials`' decision, the same one auth makes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Connection

from hotspot import credentials
from hotspot.services.vouchers import normalize_code
from hotspot.validation import is_mac, normalize_mac
from radius import credential_store

if TYPE_CHECKING:
    from radius.accounting import Arrival


def links(conn: Connection, arrivals: list[Arrival]) -> dict[tuple[str, str | None], dict]:
    """Who each new session is, by (User-Name, Calling-Station-Id): ticket, voucher, device, plan."""
    pairs = {(a.request.username, a.request.calling_station_id) for a in arrivals}
    kinds = {name: credentials.kind_of(name) for name, _ in pairs}
    stations = {station for _, station in pairs if station and is_mac(station)}
    rows = credential_store.load_rows(
        conn,
        (n for n, k in kinds.items() if k == "ticket"),
        (normalize_code(n) for n, k in kinds.items() if k == "voucher"),
        {normalize_mac(n) for n, k in kinds.items() if k == "mac"} | {normalize_mac(s) for s in stations},
        plans={},
    )  # only the plans the rows name are read
    answer = {}
    for name, station in pairs:
        calling = rows.devices.get(normalize_mac(station)) if station in stations else None
        kind = kinds[name]
        voucher = rows.vouchers.get(normalize_code(name)) if kind == "voucher" else None
        named = rows.devices.get(normalize_mac(name)) if kind == "mac" else None
        link = credentials.session_link(
            kind,
            rows.tickets.get(name),
            voucher,
            named,
            calling.id if calling is not None else None,
            station in stations,
        )
        plan = rows.plans.get(link.get("plan_id"))
        link["interim_interval"] = plan.interim_interval_seconds if plan is not None else None
        answer[(name, station)] = link
    return answer
