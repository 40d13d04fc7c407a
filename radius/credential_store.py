"""Queries behind the credential decision: the rows a batch of logins or new sessions names, and the
changes accepted logins make.

One query per table for a whole batch (the auth thread decides up to a queue's
worth of Access-Requests per transaction), writes grouped set-wise and in key
order so that workers never deadlock. The decision itself is
`hotspot.credentials`'; nothing here decides.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, bindparam, or_, select, update

from hotspot.db import insert_for
from hotspot.models import Account, Device, LoginTicket, Plan, Voucher


def _expanding(name: str):
    return bindparam(name, expanding=True)


# Built once: a statement object that is reused skips SQLAlchemy's per-call cache-key work.
PLANS = select(Plan.__table__)
TICKETS = select(LoginTicket.__table__).where(LoginTicket.username.in_(_expanding("names")))
VOUCHERS = select(Voucher.__table__).where(
    or_(Voucher.code.in_(_expanding("codes")), Voucher.id.in_(_expanding("ids")))
)
DEVICES = select(Device.__table__).where(
    or_(Device.mac.in_(_expanding("macs")), Device.id.in_(_expanding("ids")))
)
ACCOUNTS = select(Account.id, Account.blocked).where(Account.id.in_(_expanding("ids")))
CLAIM_TICKETS = (
    update(LoginTicket)
    .where(LoginTicket.id.in_(_expanding("ids")), LoginTicket.used_at.is_(None))
    .values(used_at=bindparam("now"))
    .returning(LoginTicket.id)
)
START_VOUCHERS = (
    update(Voucher)
    .where(Voucher.id.in_(_expanding("ids")), Voucher.first_used_at.is_(None))
    .values(first_used_at=bindparam("now"), expires_at=bindparam("expires"))
)
DEVICE_LOGINS = (
    update(Device)
    .where(Device.id.in_(_expanding("ids")))
    .values(last_login_at=bindparam("now"), plan_id=bindparam("plan"))
)
DEVICES_SEEN = update(Device).where(Device.id.in_(_expanding("ids"))).values(last_seen=bindparam("now"))
ACCOUNT_LOGINS = (
    update(Account).where(Account.id.in_(_expanding("ids"))).values(last_login_at=bindparam("now"))
)


@dataclass
class Rows:
    """The rows a batch names, loaded up front: plain mappings, keyed as they are looked up."""

    plans: dict[int, object]
    tickets: dict[str, object]  # by username
    vouchers: dict[str, object]  # by code
    voucher_ids: dict[int, object]
    devices: dict[str, object]  # by MAC
    device_ids: dict[int, object]
    accounts: dict[int, object]


@dataclass
class Effects:
    """What an accepted login changes in the database."""

    ticket_id: int | None = None
    voucher_start: tuple[int, datetime | None] | None = None  # id, expires: first used now
    device_login: tuple[int, int] | None = None  # device id, plan id: MAC re-login later today
    device_seen: int | None = None
    mac_seen: str | None = None  # a voucher typed into the router registers the phone
    account_login: int | None = None


def load_plans(conn: Connection) -> dict[int, object]:
    """Every plan by id (a handful of rows); the server keeps them a few seconds between batches."""
    return {row.id: row for row in conn.execute(PLANS)}


def _by(rows, key: str) -> dict:
    return {getattr(row, key): row for row in rows}


def load_rows(
    conn: Connection,
    ticket_names: Iterable[str],
    voucher_codes: Iterable[str],
    macs: Iterable[str],
    plans: dict[int, object] | None = None,
) -> Rows:
    """Tickets, vouchers, devices (by MAC and the tickets' own) and accounts named; plans unless given."""
    names, codes, macs = sorted(set(ticket_names)), sorted(set(voucher_codes)), sorted(set(macs))
    tickets = _by(conn.execute(TICKETS, {"names": names}), "username") if names else {}
    voucher_ids = sorted({t.voucher_id for t in tickets.values() if t.voucher_id})
    wanted = {"codes": codes, "ids": voucher_ids}
    vouchers = list(conn.execute(VOUCHERS, wanted)) if codes or voucher_ids else []
    device_ids = sorted({t.device_id for t in tickets.values() if t.device_id})
    devices = list(conn.execute(DEVICES, {"macs": macs, "ids": device_ids})) if macs or device_ids else []
    account_ids = sorted(
        {t.account_id for t in tickets.values() if t.account_id}
        | {d.account_id for d in devices if d.account_id}
    )
    accounts = _by(conn.execute(ACCOUNTS, {"ids": account_ids}), "id") if account_ids else {}
    named = {row.plan_id for row in [*tickets.values(), *vouchers, *devices] if row.plan_id is not None}
    if plans is None or not named <= plans.keys():  # a plan newer than the server's copy
        plans = load_plans(conn)
    return Rows(
        plans=plans,
        tickets=tickets,
        vouchers=_by(vouchers, "code"),
        voucher_ids=_by(vouchers, "id"),
        devices=_by(devices, "mac"),
        device_ids=_by(devices, "id"),
        accounts=accounts,
    )


def claim_tickets(conn: Connection, ids: list[int], now: datetime) -> set[int]:
    """Mark tickets used, atomically; the ones another worker used meanwhile are not returned."""
    return set(conn.execute(CLAIM_TICKETS, {"ids": ids, "now": now}).scalars()) if ids else set()


def _grouped(pairs) -> dict:
    """{value: sorted ids} from (id, value) pairs: one UPDATE ... WHERE id IN (...) per value."""
    groups: dict = {}
    for key, value in sorted(set(pairs), key=lambda pair: pair[0]):
        groups.setdefault(value, []).append(key)
    return groups


@functools.lru_cache(maxsize=2)
def _device_upsert(dialect: str):
    """A device seen now: created, or its last_seen moved on; built once, so executemany reuses it."""
    insert = insert_for(dialect)(Device.__table__)
    return insert.on_conflict_do_update(
        index_elements=[Device.mac], set_={"last_seen": insert.excluded.last_seen}
    )


def write_effects(conn: Connection, effects: list[Effects], now: datetime) -> None:
    """Apply accepted logins' changes in a few set-wise statements, rows in key order (no deadlocks).

    A voucher starts once: when two workers redeem it at the same moment, the first start stands."""
    for expires, ids in _grouped(e.voucher_start for e in effects if e.voucher_start).items():
        conn.execute(START_VOUCHERS, {"ids": ids, "now": now, "expires": expires})
    for plan_id, ids in _grouped(e.device_login for e in effects if e.device_login).items():
        conn.execute(DEVICE_LOGINS, {"ids": ids, "now": now, "plan": plan_id})
    for statement, ids in (
        (DEVICES_SEEN, {e.device_seen for e in effects if e.device_seen}),
        (ACCOUNT_LOGINS, {e.account_login for e in effects if e.account_login}),
    ):
        if ids:
            conn.execute(statement, {"ids": sorted(ids), "now": now})
    macs = sorted({e.mac_seen for e in effects if e.mac_seen})
    if macs:
        conn.execute(
            _device_upsert(conn.dialect.name),
            [{"mac": mac, "first_seen": now, "last_seen": now} for mac in macs],
        )
