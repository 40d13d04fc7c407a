"""Access-Request decisions, a batch at a time: which credential, whether it is good, how much is left.

Three credentials reach RADIUS (DESIGN.md): a portal-issued one-time login
ticket, a voucher code, or the MAC of a device that already logged in today on
a plan that allows MAC re-login. Fair-use arithmetic is `hotspot.policy`'s.

The server decides every Access-Request waiting in its queue together, in one
transaction: one query per table for the rows they name, one grouped query per
kind of quota subject, a few writes and one commit. Per request that is a
fraction of a round trip instead of a dozen, and one WAL flush per batch.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Connection, bindparam, or_, select, update
from sqlalchemy.orm import Session

from hotspot import policy
from hotspot.db import insert_for
from hotspot.models import Account, Device, LoginTicket, Plan, Voucher
from hotspot.services.quota import Subject, usage_today_many
from hotspot.services.tickets import TICKET_PREFIX
from hotspot.services.vouchers import normalize_code
from hotspot.validation import is_mac, normalize_mac
from radius import store
from radius.packets import AuthRequest, Grant


@dataclass(frozen=True)
class Decision:
    """Accept with a grant, or reject with a reason (a key of policy.REJECT_MESSAGES or a finer label)."""

    accepted: bool
    method: str
    reason: str
    grant: Grant | None = None

    @property
    def reply_message(self) -> str:
        return policy.reject_message(self.reason)


def _reject(method: str, reason: str) -> Decision:
    return Decision(False, method, reason)


@dataclass
class Effects:
    """What an accepted login changes in the database."""

    ticket_id: int | None = None
    voucher_start: tuple[int, datetime | None] | None = None  # id, expires: first used now
    device_login: tuple[int, int] | None = None  # device id, plan id: MAC re-login later today
    device_seen: int | None = None
    mac_seen: str | None = None  # voucher logins register the phone
    account_login: int | None = None


@dataclass
class Candidate:
    """A request whose credential is good; whether it is accepted depends on today's usage."""

    method: str
    plan: object
    subject: Subject
    valid_until: datetime | None = None
    effects: Effects = field(default_factory=Effects)


@dataclass
class Rows:
    """The rows a batch of requests names, loaded up front: plain mappings, keyed as they are looked up."""

    plans: dict[int, object]
    tickets: dict[str, object]
    vouchers: dict[str, object]  # by code
    voucher_ids: dict[int, object]
    devices: dict[str, object]  # by MAC
    device_ids: dict[int, object]
    accounts: dict[int, object]
    claimed: set[int] = field(default_factory=set)  # tickets an earlier request of the batch used


def _expanding(name: str):
    return bindparam(name, expanding=True)


# Built once: a statement object that is reused skips SQLAlchemy's per-call cache-key work.
PLANS = select(Plan.__table__)
TICKETS = select(LoginTicket.__table__).where(LoginTicket.username.in_(_expanding("names")))
VOUCHERS = select(Voucher.__table__).where(or_(Voucher.code.in_(_expanding("codes")),
                                               Voucher.id.in_(_expanding("ids"))))
DEVICES = select(Device.__table__).where(or_(Device.mac.in_(_expanding("macs")), Device.id.in_(_expanding("ids"))))
ACCOUNTS = select(Account.id, Account.blocked).where(Account.id.in_(_expanding("ids")))
CLAIM_TICKETS = (update(LoginTicket).where(LoginTicket.id.in_(_expanding("ids")), LoginTicket.used_at.is_(None))
                 .values(used_at=bindparam("now")).returning(LoginTicket.id))
START_VOUCHERS = update(Voucher).where(Voucher.id.in_(_expanding("ids"))).values(
    first_used_at=bindparam("now"), expires_at=bindparam("expires"))
DEVICE_LOGINS = update(Device).where(Device.id.in_(_expanding("ids"))).values(
    last_login_at=bindparam("now"), plan_id=bindparam("plan"))
DEVICES_SEEN = update(Device).where(Device.id.in_(_expanding("ids"))).values(last_seen=bindparam("now"))
ACCOUNT_LOGINS = update(Account).where(Account.id.in_(_expanding("ids"))).values(last_login_at=bindparam("now"))


def load_plans(conn: Connection) -> dict[int, object]:
    """Every plan by id (a handful of rows); the server keeps them a few seconds between batches."""
    return {row.id: row for row in conn.execute(PLANS)}


def _kind(username: str) -> str:
    if username.startswith(TICKET_PREFIX):
        return "ticket"
    return "mac" if is_mac(username) else "voucher"


def _by(rows, key: str) -> dict:
    return {getattr(row, key): row for row in rows}


def load_rows(conn: Connection, requests: list[AuthRequest], plans: dict[int, object] | None = None) -> Rows:
    """Tickets, vouchers, devices and accounts the requests name (and the plans unless given): few queries."""
    kinds = [(_kind(r.username), r.username) for r in requests]
    names = sorted({name for kind, name in kinds if kind == "ticket"})
    tickets = _by(conn.execute(TICKETS, {"names": names}), "username") if names else {}
    codes = sorted({normalize_code(name) for kind, name in kinds if kind == "voucher"})
    voucher_ids = sorted({t.voucher_id for t in tickets.values() if t.voucher_id})
    vouchers = list(conn.execute(VOUCHERS, {"codes": codes, "ids": voucher_ids})) if codes or voucher_ids else []
    macs = sorted({normalize_mac(name) for kind, name in kinds if kind == "mac"})
    device_ids = sorted({t.device_id for t in tickets.values() if t.device_id})
    devices = list(conn.execute(DEVICES, {"macs": macs, "ids": device_ids})) if macs or device_ids else []
    account_ids = sorted({t.account_id for t in tickets.values() if t.account_id}
                         | {d.account_id for d in devices if d.account_id})
    accounts = _by(conn.execute(ACCOUNTS, {"ids": account_ids}), "id") if account_ids else {}
    named = {row.plan_id for row in [*tickets.values(), *vouchers, *devices] if row.plan_id is not None}
    if plans is None or not named <= plans.keys():  # a plan newer than the server's copy
        plans = load_plans(conn)
    return Rows(plans=plans, tickets=tickets, vouchers=_by(vouchers, "code"),
                voucher_ids=_by(vouchers, "id"), devices=_by(devices, "mac"), device_ids=_by(devices, "id"),
                accounts=accounts)


def _ticket(rows: Rows, request: AuthRequest, now: datetime) -> Decision | Candidate:
    ticket = rows.tickets.get(request.username)
    if ticket is None:
        return _reject("ticket", "unknown_user")
    if not request.password_matches(ticket.secret):
        return _reject("ticket", "bad_password")
    if ticket.used_at is not None or ticket.id in rows.claimed:
        return _reject("ticket", "ticket_used")
    if now >= ticket.expires_at:
        return _reject("ticket", "ticket_expired")
    device = rows.device_ids.get(ticket.device_id)
    account = rows.accounts.get(ticket.account_id)
    if (device is not None and device.blocked) or (account is not None and account.blocked):
        return _reject("ticket", "blocked")
    valid_until = None
    if ticket.kind == "voucher" and ticket.voucher_id:
        voucher = rows.voucher_ids.get(ticket.voucher_id)
        if voucher is None or voucher.revoked:
            return _reject("ticket", "expired")
        subject, valid_until = Subject(voucher_id=voucher.id), voucher.expires_at
    elif ticket.kind == "account" and account is not None:
        subject = Subject(account_id=account.id)
    elif ticket.device_id:
        subject = Subject(device_id=ticket.device_id)
    else:
        return _reject("ticket", "unknown_user")
    rows.claimed.add(ticket.id)
    effects = Effects(ticket_id=ticket.id, account_login=account.id if account is not None else None)
    if ticket.kind != "voucher" and device is not None:
        effects.device_login = (device.id, ticket.plan_id)
    return Candidate("ticket", rows.plans[ticket.plan_id], subject, valid_until, effects)


def _voucher(rows: Rows, request: AuthRequest, now: datetime) -> Decision | Candidate:
    voucher = rows.vouchers.get(normalize_code(request.username))
    if voucher is None:
        return _reject("unknown", "unknown_user")
    if not (request.password_matches(voucher.code) or request.password_matches(request.username)):
        return _reject("voucher", "bad_password")
    if voucher.revoked or (voucher.expires_at is not None and now >= voucher.expires_at):
        return _reject("voucher", "expired")
    plan = rows.plans[voucher.plan_id]
    effects = Effects(mac_seen=request.mac)
    expires_at = voucher.expires_at
    if voucher.first_used_at is None:
        if plan.valid_days:
            expires_at = now + timedelta(days=plan.valid_days)
        effects.voucher_start = (voucher.id, expires_at)
    return Candidate("voucher", plan, Subject(voucher_id=voucher.id), expires_at, effects)


def _mac(rows: Rows, request: AuthRequest, now: datetime, tz: str) -> Decision | Candidate:
    if request.mac != normalize_mac(request.username):
        # A citizen can type someone else's MAC into the router's login page; the
        # router then sends it as User-Name but the typist's own Calling-Station-Id.
        return _reject("mac", "mac_mismatch")
    device = rows.devices.get(request.mac)
    if device is None:
        return _reject("mac", "unknown_user")
    account = rows.accounts.get(device.account_id)
    if device.blocked or (account is not None and account.blocked):
        return _reject("mac", "blocked")
    plan = rows.plans.get(device.plan_id)
    if plan is None or not plan.mac_relogin:
        return _reject("mac", "no_mac_relogin")
    if device.last_login_at is None or device.last_login_at < policy.day_start(now, tz):
        return _reject("mac", "no_login_today")
    subject = Subject(account_id=device.account_id) if device.account_id else Subject(device_id=device.id)
    return Candidate("mac", plan, subject, effects=Effects(device_seen=device.id))


def check(rows: Rows, request: AuthRequest, now: datetime, tz: str) -> Decision | Candidate:
    """Pick the credential by the User-Name's shape and check it; quota comes later, for the whole batch."""
    kind = _kind(request.username)
    if kind == "ticket":
        return _ticket(rows, request, now)
    if kind == "mac":
        return _mac(rows, request, now, tz)
    return _voucher(rows, request, now)


def grant(candidate: Candidate, used: policy.Usage, now: datetime, tz: str) -> Decision:
    """Accept with the plan's limits and what is left of today's quota, or reject."""
    plan = candidate.plan
    if not plan.active:
        return _reject(candidate.method, "plan_inactive")
    limits = policy.Limits.from_plan(plan)
    allowed = policy.allowance(limits, used, now, tz, candidate.valid_until)
    if not allowed.allowed:
        return _reject(candidate.method, allowed.reason)
    return Decision(True, candidate.method, "ok", Grant(
        session_timeout=allowed.session_timeout,
        idle_timeout=limits.idle_timeout,
        interim_interval=limits.interim_interval,
        down_kbps=limits.down_kbps,
        up_kbps=limits.up_kbps,
        octets_left=allowed.octets_left,
    ))


def _claim_tickets(conn: Connection, ids: list[int], now: datetime) -> set[int]:
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
    return insert.on_conflict_do_update(index_elements=[Device.mac], set_={"last_seen": insert.excluded.last_seen})


def write_effects(conn: Connection, effects: list[Effects], now: datetime) -> None:
    """Apply accepted logins' changes in a few set-wise statements, rows in key order (no deadlocks)."""
    for expires, ids in _grouped(e.voucher_start for e in effects if e.voucher_start).items():
        conn.execute(START_VOUCHERS, {"ids": ids, "now": now, "expires": expires})
    for plan_id, ids in _grouped(e.device_login for e in effects if e.device_login).items():
        conn.execute(DEVICE_LOGINS, {"ids": ids, "now": now, "plan": plan_id})
    for statement, ids in ((DEVICES_SEEN, {e.device_seen for e in effects if e.device_seen}),
                           (ACCOUNT_LOGINS, {e.account_login for e in effects if e.account_login})):
        if ids:
            conn.execute(statement, {"ids": sorted(ids), "now": now})
    macs = sorted({e.mac_seen for e in effects if e.mac_seen})
    if macs:
        conn.execute(_device_upsert(conn.dialect.name), [{"mac": mac, "first_seen": now, "last_seen": now}
                                                         for mac in macs])


def decide_batch(conn: Connection, requests: list[AuthRequest], now: datetime, tz: str,
                 plans: dict[int, object] | None = None) -> list[Decision]:
    """Decide every request and write what the accepted ones change, inside the caller's transaction."""
    rows = load_rows(conn, requests, plans)
    checked = [check(rows, request, now, tz) for request in requests]
    candidates = [c for c in checked if isinstance(c, Candidate)]
    usage = usage_today_many(conn, (c.subject for c in candidates), now, tz)
    decisions = [grant(c, usage[c.subject], now, tz) if isinstance(c, Candidate) else c for c in checked]
    accepted = [i for i, d in enumerate(decisions) if d.accepted]
    tickets = [checked[i].effects.ticket_id for i in accepted if checked[i].effects.ticket_id]
    claimed = _claim_tickets(conn, sorted(tickets), now)
    for i in accepted:
        ticket = checked[i].effects.ticket_id
        if ticket is not None and ticket not in claimed:
            decisions[i] = _reject("ticket", "ticket_used")
    write_effects(conn, [checked[i].effects for i in accepted if decisions[i].accepted], now)
    return decisions


def event(request: AuthRequest, decision: Decision, nas_id: int, now: datetime) -> dict:
    """The AuthEvent row of a decision (written in batches by radius.authlog)."""
    station = request.mac or request.calling_station_id
    return {"time": now, "nas_id": nas_id, "username": request.username[:64],
            "calling_station_id": station[:32] if station else None, "method": decision.method,
            "accepted": decision.accepted, "reason": decision.reason}


def authenticate(db: Session, request: AuthRequest, nas_id: int, now: datetime, tz: str,
                 nas_seen: bool = False) -> Decision:
    """Decide one request and commit what it changed (ticket claimed, voucher started, device's last login)."""
    conn = db.connection()
    decision = decide_batch(conn, [request], now, tz)[0]
    if nas_seen:
        store.touch_nas(conn, [nas_id], now)
    db.commit()
    return decision
