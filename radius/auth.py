"""Access-Request decisions, a batch at a time: which credential, whether it is good, how much is left.

Three credentials reach RADIUS (DESIGN.md): a portal-issued one-time login
ticket, a voucher code, or the MAC of a device that already logged in today on
a plan that allows MAC re-login. Who a credential is, whose quota it spends
and why it is refused is `hotspot.credentials`' (the portal asks the same
module); fair-use arithmetic is `hotspot.policy`'s; the SQL is
`radius.credential_store`'s. This module loads, asks and writes.

The server decides every Access-Request waiting in its queue together, in one
transaction: one query per table for the rows they name, one grouped query per
kind of quota subject, a few writes and one commit. Per request that is a
fraction of a round trip instead of a dozen, and one WAL flush per batch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection

from hotspot import credentials, policy
from hotspot.locations import group_of
from hotspot.services import ap_groups
from hotspot.services.quota import Subject, open_sessions_many, usage_today_many
from hotspot.services.random_macs import random_macs_let_in
from hotspot.services.vouchers import normalize_code
from hotspot.settings import Settings
from hotspot.validation import normalize_mac, radio_of
from radius import credential_store
from radius.credential_store import Effects, Rows
from radius.packets import AcceptLimits, AuthRequest

STALE_GRACE = Settings.radius_stale_grace_seconds


@dataclass(frozen=True)
class Decision:
    """Accept with limits, or reject with a reason (a key of credentials.REFUSALS or a finer label)."""

    accepted: bool
    method: str
    reason: str
    limits: AcceptLimits | None = None

    @property
    def reply_message(self) -> str:
        return credentials.reply_message(self.reason)


def _reject(method: str, reason: str) -> Decision:
    return Decision(False, method, reason)


@dataclass
class Candidate:
    """A request whose credential is good; whether it is accepted depends on today's usage."""

    method: str
    plan: object
    subject: Subject
    valid_until: datetime | None = None
    effects: Effects = field(default_factory=Effects)


def _station(rows: Rows, request: AuthRequest):
    """The device of the request's Calling-Station-Id: the phone really asking, whatever a URL claimed."""
    return rows.devices.get(request.mac) if request.mac else None


def _ticket(
    rows: Rows, request: AuthRequest, nas_id: int | None, now: datetime, claimed: set[int]
) -> Decision | Candidate:
    ticket = rows.tickets.get(request.username)
    if ticket is None:
        return _reject("ticket", "unknown_user")
    bound = rows.device_ids.get(ticket.device_id)
    reason = credentials.ticket_refusal(
        ticket,
        request.password_matches(ticket.secret),
        ticket.used_at is not None or ticket.id in claimed,
        bound.mac if bound is not None else None,
        request.mac,
        nas_id,
        now,
    )
    if reason:
        return _reject("ticket", reason)
    device = _station(rows, request) if request.mac else bound
    account = rows.accounts.get(ticket.account_id)
    if credentials.blocked(device, bound, account):
        return _reject("ticket", "blocked")
    effects = Effects(ticket_id=ticket.id, account_login=account.id if account is not None else None)
    valid_until = None
    if ticket.kind == "voucher":
        voucher = rows.voucher_ids.get(ticket.voucher_id)
        if voucher is None:
            return _reject("ticket", "expired")
        valid_days = rows.plans[voucher.plan_id].valid_days
        valid_until, first_use = credentials.voucher_validity(voucher, valid_days, now)
        reason = credentials.voucher_refusal(voucher, valid_until, now)
        if reason:
            return _reject("ticket", reason)
        if first_use:
            effects.voucher_start = (voucher.id, valid_until)
    holder = credentials.ticket_holder(ticket, device.id if device is not None else None)
    if holder is None:
        return _reject("ticket", "unknown_user")
    claimed.add(ticket.id)
    if ticket.kind != "voucher" and device is not None:
        effects.device_login = (device.id, ticket.plan_id)
    return Candidate("ticket", rows.plans[ticket.plan_id], holder.subject, valid_until, effects)


def _voucher(rows: Rows, request: AuthRequest, now: datetime) -> Decision | Candidate:
    voucher = rows.vouchers.get(normalize_code(request.username))
    if voucher is None:
        return _reject("unknown", "unknown_user")
    if not (request.password_matches(voucher.code) or request.password_matches(request.username)):
        return _reject("voucher", "bad_password")
    plan = rows.plans[voucher.plan_id]
    valid_until, first_use = credentials.voucher_validity(voucher, plan.valid_days, now)
    reason = credentials.voucher_refusal(voucher, valid_until, now)
    if reason:
        return _reject("voucher", reason)
    if credentials.blocked(_station(rows, request)):
        return _reject("voucher", "blocked")
    effects = Effects(mac_seen=request.mac)
    if first_use:
        effects.voucher_start = (voucher.id, valid_until)
    return Candidate("voucher", plan, Subject(voucher_id=voucher.id), valid_until, effects)


def _mac(rows: Rows, request: AuthRequest, now: datetime, tz: str) -> Decision | Candidate:
    mac = normalize_mac(request.username)
    device = rows.devices.get(mac)
    account = rows.accounts.get(device.account_id) if device is not None else None
    plan = rows.plans.get(device.plan_id) if device is not None else None
    reason = credentials.mac_refusal(mac, request.mac, device, account, plan, policy.day_start(now, tz))
    if reason:
        return _reject("mac", reason)
    subject = credentials.quota_subject(device.id, device.account_id, None)
    return Candidate("mac", plan, subject, effects=Effects(device_seen=device.id))


def check(
    rows: Rows, request: AuthRequest, nas_id: int | None, now: datetime, tz: str, claimed: set[int]
) -> Decision | Candidate:
    """Pick the credential by the User-Name's shape and check it; quota comes later, for the whole batch.

    `claimed` holds the tickets earlier requests of the batch used."""
    kind = credentials.kind_of(request.username)
    if kind == "ticket":
        return _ticket(rows, request, nas_id, now, claimed)
    if kind == "mac":
        return _mac(rows, request, now, tz)
    return _voucher(rows, request, now)


def load_rows(conn: Connection, requests: list[AuthRequest], plans: dict[int, object] | None) -> Rows:
    """The rows a batch names, one query per table: tickets, voucher codes, MACs named or calling."""
    kinds = [(credentials.kind_of(r.username), r.username) for r in requests]
    macs = {normalize_mac(name) for kind, name in kinds if kind == "mac"} | {r.mac for r in requests if r.mac}
    return credential_store.load_rows(
        conn,
        (name for kind, name in kinds if kind == "ticket"),
        (normalize_code(name) for kind, name in kinds if kind == "voucher"),
        macs,
        plans,
    )


def site_refusals(
    conn: Connection, requests: list[AuthRequest], checked: list, nas_ids: list, now: datetime, tz: str
) -> None:
    """Free (per-device) candidates that their site refuses become rejections, in place: outside the
    site's group's opening hours, or one random MAC too many today (`credentials.free_refusal`)."""
    free = [
        i
        for i, c in enumerate(checked)
        if isinstance(c, Candidate) and c.subject.device_id is not None and nas_ids[i] is not None
    ]
    if not free:
        return
    groups = ap_groups.nas_groups(conn, (nas_ids[i] for i in free))
    rules = ap_groups.load_rules(conn) if groups else {}
    counted = [nas_ids[i] for i in free if credentials.counts_random_macs(checked[i].plan, requests[i].mac)]
    let_in = random_macs_let_in(conn, counted, policy.day_start(now, tz))
    for i in free:
        group = group_of(rules, groups.get(nas_ids[i]))
        reason = credentials.free_refusal(
            checked[i].plan,
            requests[i].mac,
            group.hours if group else None,
            let_in.get(nas_ids[i], set()),
            now,
            tz,
        )
        if reason:
            checked[i] = _reject(checked[i].method, reason)


def decide_candidate(
    candidate: Candidate, used: policy.Usage, now: datetime, tz: str, refusal: str | None = None
) -> Decision:
    """Accept with the plan's limits and what is left of today's quota (or its throttle rate), or reject.

    `refusal`: why the batch's session count already refuses it (the plan's sessions-at-once cap)."""
    plan = candidate.plan
    if not plan.active:
        return _reject(candidate.method, "plan_inactive")
    if refusal:
        return _reject(candidate.method, refusal)
    limits = policy.Limits.from_plan(plan)
    allowed = policy.allowance(limits, used, now, tz, candidate.valid_until)
    if not allowed.allowed:
        return _reject(candidate.method, allowed.reason)
    down, up = limits.rate(allowed.throttled)
    return Decision(
        True,
        candidate.method,
        "throttled" if allowed.throttled else "ok",
        AcceptLimits(
            session_timeout=allowed.session_timeout,
            idle_timeout=limits.idle_timeout,
            interim_interval=limits.interim_interval,
            down_kbps=down,
            up_kbps=up,
            octets_left=None if limits.throttle_kbps is not None else allowed.octets_left,
            message=credentials.reply_message("throttled") if allowed.throttled else None,
        ),
    )


def cap_refusals(
    conn: Connection, candidates: list[Candidate], requests: list[AuthRequest], now: datetime, grace: int
) -> list[str | None]:
    """Per candidate, whether its plan's sessions-at-once cap refuses it (one query for the batch)."""
    capped = [c.subject for c in candidates if c.plan.max_sessions is not None]
    sessions = open_sessions_many(conn, capped) if capped else {}
    return [
        credentials.session_cap_refusal(
            c.plan.max_sessions,
            sessions.get(c.subject, ()),
            request.mac,
            c.plan.interim_interval_seconds,
            now,
            grace,
        )
        for c, request in zip(candidates, requests)
    ]


def decide_batch(
    conn: Connection,
    requests: list[AuthRequest],
    now: datetime,
    tz: str,
    plans: dict[int, object] | None = None,
    nas_ids: list[int] | None = None,
    stale_grace: int = STALE_GRACE,
) -> list[Decision]:
    """Decide every request and write what the accepted ones change, inside the caller's transaction.

    `nas_ids`: the NAS each request came from (a login ticket works only through its own)."""
    rows = load_rows(conn, requests, plans)
    claimed: set[int] = set()
    nas_ids = nas_ids or [None] * len(requests)
    checked = [check(rows, request, nas_id, now, tz, claimed) for request, nas_id in zip(requests, nas_ids)]
    site_refusals(conn, requests, checked, nas_ids, now, tz)
    picked = [(c, r) for c, r in zip(checked, requests) if isinstance(c, Candidate)]
    candidates = [c for c, _ in picked]
    usage = usage_today_many(conn, (c.subject for c in candidates), now, tz)
    refusals = dict(
        zip(map(id, candidates), cap_refusals(conn, candidates, [r for _, r in picked], now, stale_grace))
    )
    decisions = [
        decide_candidate(c, usage[c.subject], now, tz, refusals[id(c)]) if isinstance(c, Candidate) else c
        for c in checked
    ]
    accepted = [i for i, d in enumerate(decisions) if d.accepted]
    tickets = [checked[i].effects.ticket_id for i in accepted if checked[i].effects.ticket_id]
    taken = credential_store.claim_tickets(conn, sorted(tickets), now)
    for i in accepted:
        ticket = checked[i].effects.ticket_id
        if ticket is not None and ticket not in taken:
            decisions[i] = _reject("ticket", "ticket_used")
    credential_store.write_effects(conn, [checked[i].effects for i in accepted if decisions[i].accepted], now)
    return decisions


def event(request: AuthRequest, decision: Decision, nas_id: int, now: datetime) -> dict:
    """The AuthEvent row of a decision (written in batches by radius.authlog, which turns `radio` into
    the access point's id)."""
    station = request.mac or request.calling_station_id
    return {
        "time": now,
        "nas_id": nas_id,
        "radio": radio_of(request.called_station_id),
        "username": request.username[:64],
        "calling_station_id": station[:32] if station else None,
        "method": decision.method,
        "accepted": decision.accepted,
        "reason": decision.reason,
    }
