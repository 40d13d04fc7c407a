"""Access-Request decisions: which credential this is, whether it is good, and how much is left.

Three credentials reach RADIUS (DESIGN.md): a portal-issued one-time login
ticket, a voucher code, or the MAC of a device that already logged in today on
a plan that allows MAC re-login. Fair-use arithmetic is `hotspot.policy`'s;
this module finds the subject, asks, and writes the decision as an AuthEvent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from hotspot import policy
from hotspot.models import Account, Device, Plan, Voucher
from hotspot.services import quota, tickets, vouchers
from hotspot.services.devices import find_device, touch_device
from hotspot.validation import is_mac, normalize_mac
from radius.packets import AuthRequest, Grant
from radius.store import touch_nas


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


def _grant(db: Session, plan: Plan, subject: quota.Subject, now: datetime, tz: str,
           method: str, valid_until: datetime | None = None) -> Decision:
    if not plan.active:
        return _reject(method, "plan_inactive")
    limits = policy.Limits.from_plan(plan)
    allowed = policy.allowance(limits, quota.usage_today(db, subject, now, tz), now, tz, valid_until)
    if not allowed.allowed:
        return _reject(method, allowed.reason)
    return Decision(True, method, "ok", Grant(
        session_timeout=allowed.session_timeout,
        idle_timeout=limits.idle_timeout,
        interim_interval=limits.interim_interval,
        down_kbps=limits.down_kbps,
        up_kbps=limits.up_kbps,
        octets_left=allowed.octets_left,
    ))


def _remember_login(db: Session, device: Device | None, plan: Plan, now: datetime) -> None:
    """So that the same device can log in again by MAC later the same day."""
    if device is not None:
        device.last_login_at = now
        device.plan_id = plan.id


def _ticket(db: Session, request: AuthRequest, now: datetime, tz: str) -> Decision:
    ticket = tickets.find_ticket(db, request.username)
    if ticket is None:
        return _reject("ticket", "unknown_user")
    if not request.password_matches(ticket.secret):
        return _reject("ticket", "bad_password")
    if ticket.used_at is not None:
        return _reject("ticket", "ticket_used")
    if now >= ticket.expires_at:
        return _reject("ticket", "ticket_expired")
    device = db.get(Device, ticket.device_id) if ticket.device_id else None
    account = db.get(Account, ticket.account_id) if ticket.account_id else None
    if (device is not None and device.blocked) or (account is not None and account.blocked):
        return _reject("ticket", "blocked")
    valid_until = None
    if ticket.kind == "voucher" and ticket.voucher_id:
        voucher = db.get(Voucher, ticket.voucher_id)
        if voucher is None or voucher.revoked:
            return _reject("ticket", "expired")
        subject, valid_until = quota.Subject(voucher_id=voucher.id), voucher.expires_at
    elif ticket.kind == "account" and account is not None:
        subject = quota.Subject(account_id=account.id)
    elif ticket.device_id:
        subject = quota.Subject(device_id=ticket.device_id)
    else:
        return _reject("ticket", "unknown_user")
    decision = _grant(db, ticket.plan, subject, now, tz, "ticket", valid_until)
    if not decision.accepted:
        return decision
    if not tickets.mark_used(db, ticket, now):
        return _reject("ticket", "ticket_used")
    if ticket.kind != "voucher":
        _remember_login(db, device, ticket.plan, now)
    if account is not None:
        account.last_login_at = now
    return decision


def _voucher(db: Session, request: AuthRequest, now: datetime, tz: str) -> Decision | None:
    voucher = vouchers.find_voucher(db, request.username)
    if voucher is None:
        return None
    if not (request.password_matches(voucher.code) or request.password_matches(request.username)):
        return _reject("voucher", "bad_password")
    if voucher.revoked or (voucher.expires_at is not None and now >= voucher.expires_at):
        return _reject("voucher", "expired")
    first_use = voucher.first_used_at is None
    expires_at = voucher.expires_at
    if first_use and voucher.plan.valid_days:
        expires_at = now + timedelta(days=voucher.plan.valid_days)
    decision = _grant(db, voucher.plan, quota.Subject(voucher_id=voucher.id), now, tz, "voucher", expires_at)
    if decision.accepted and first_use:
        voucher.first_used_at, voucher.expires_at = now, expires_at
    if decision.accepted and request.mac:
        touch_device(db, request.mac, now)
    return decision


def _mac(db: Session, request: AuthRequest, now: datetime, tz: str) -> Decision:
    if request.mac != normalize_mac(request.username):
        # A citizen can type someone else's MAC into the router's login page; the
        # router then sends it as User-Name but the typist's own Calling-Station-Id.
        return _reject("mac", "mac_mismatch")
    device = find_device(db, request.username)
    if device is None:
        return _reject("mac", "unknown_user")
    if device.blocked or (device.account is not None and device.account.blocked):
        return _reject("mac", "blocked")
    plan = db.get(Plan, device.plan_id) if device.plan_id else None
    if plan is None or not plan.mac_relogin:
        return _reject("mac", "no_mac_relogin")
    if device.last_login_at is None or device.last_login_at < policy.day_start(now, tz):
        return _reject("mac", "no_login_today")
    subject = quota.Subject(account_id=device.account_id) if device.account_id else quota.Subject(device_id=device.id)
    decision = _grant(db, plan, subject, now, tz, "mac")
    if decision.accepted:
        device.last_seen = now
    return decision


def decide(db: Session, request: AuthRequest, now: datetime, tz: str) -> Decision:
    """Pick the credential by the User-Name's shape and check it; changes are flushed, not committed."""
    if request.username.startswith(tickets.TICKET_PREFIX):
        return _ticket(db, request, now, tz)
    if is_mac(request.username):
        return _mac(db, request, now, tz)
    return _voucher(db, request, now, tz) or _reject("unknown", "unknown_user")


def event(request: AuthRequest, decision: Decision, nas_id: int, now: datetime) -> dict:
    """The AuthEvent row of a decision (written in batches by radius.authlog)."""
    station = request.mac or request.calling_station_id
    return {"time": now, "nas_id": nas_id, "username": request.username[:64],
            "calling_station_id": station[:32] if station else None, "method": decision.method,
            "accepted": decision.accepted, "reason": decision.reason}


def authenticate(db: Session, request: AuthRequest, nas_id: int, now: datetime, tz: str,
                 nas_seen: bool = False) -> Decision:
    """Decide and commit what the decision changed (ticket claimed, voucher started, device's last login)."""
    decision = decide(db, request, now, tz)
    if nas_seen:
        touch_nas(db.connection(), [nas_id], now)
    db.commit()
    return decision
