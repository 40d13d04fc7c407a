"""Who a credential is, whose quota it spends, and why it is refused: one decision for every way in.

The portal (free, account and voucher logins, the status page), RADIUS auth
(tickets, vouchers typed into the router, MAC re-login), accounting
attribution and quota enforcement all ask here, so a rule cannot drift apart
between them. Pure: the callers load the rows (plain mappings or ORM objects
with the same attribute names) and pass `now`; no database, socket or clock.

Two rules hold for every way in (DESIGN.md "RADIUS behaviour"): a login ticket
works only from the device (Calling-Station-Id) and the NAS it was issued for,
and blocks, quotas and accounting follow the Calling-Station-Id's device,
never a MAC a splash-page URL claimed.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from hotspot import policy
from hotspot.opening_hours import OpeningHours, is_open
from hotspot.services.quota import Subject
from hotspot.validation import is_mac, is_random_mac

TICKET_PREFIX = "t-"

# What a refused (or slowed) citizen reads, Indonesian and English; RADIUS sends both, the portal its
# page's language.
REFUSALS: dict[str, tuple[str, str]] = {
    "blocked": (
        "Akses diblokir. Hubungi petugas Wi-Fi kota.",
        "Access blocked. Please contact the city Wi-Fi team.",
    ),
    "quota_time": (
        "Kuota waktu hari ini sudah habis. Coba lagi besok.",
        "Today's time quota is used up. Try again tomorrow.",
    ),
    "quota_data": (
        "Kuota data hari ini sudah habis. Coba lagi besok.",
        "Today's data quota is used up. Try again tomorrow.",
    ),
    "expired": ("Voucher sudah kedaluwarsa.", "The voucher has expired."),
    "revoked": ("Voucher ini sudah dibatalkan.", "This voucher has been cancelled."),
    "unknown_voucher": (
        "Kode voucher tidak dikenal. Periksa lagi kodenya.",
        "Unknown voucher code. Please check the code.",
    ),
    "ticket_expired": (
        "Sesi login kedaluwarsa. Silakan login ulang.",
        "The login has expired. Please sign in again.",
    ),
    "ticket_used": (
        "Login ini sudah dipakai. Silakan login ulang.",
        "This login was already used. Please sign in again.",
    ),
    "ticket_wrong_device": (
        "Login ini dibuat untuk perangkat lain. Silakan login ulang dari perangkat Anda.",
        "This login was made for another device. Please sign in again from your own.",
    ),
    "ticket_wrong_nas": (
        "Login ini dibuat untuk titik akses lain. Silakan login ulang di sini.",
        "This login was made for another access point. Please sign in again here.",
    ),
    "bad_password": ("Kata sandi salah.", "Wrong password."),
    "unknown_user": ("Pengguna tidak dikenal.", "Unknown user."),
    "plan_inactive": ("Layanan ini sedang tidak tersedia.", "This service is not available right now."),
    "too_many_sessions": (
        "Akun atau voucher ini sudah dipakai di perangkat sebanyak yang diizinkan. "
        "Keluar dulu di perangkat lain.",
        "This account or voucher is already online on as many devices as it allows. "
        "Log out on another one first.",
    ),
    "throttled": (
        "Kuota hari ini sudah habis: internet tetap jalan, diperlambat sampai tengah malam.",
        "Today's quota is used up: you stay online, slowed down until midnight.",
    ),
    "closed": (
        "Wi-Fi gratis di lokasi ini sedang tutup. Lihat jam buka di halaman login.",
        "Free Wi-Fi at this place is closed now. The login page shows the opening hours.",
    ),
    "phone_login_required": (
        "Perangkat Anda memakai alamat MAC acak. Silakan masuk dengan nomor HP.",
        "Your device uses a random MAC address. Please sign in with your phone number.",
    ),
    "no_mac": (
        "Perangkat Anda tidak dikenali oleh router. Sambungkan ulang ke Wi-Fi.",
        "The router did not identify your device. Reconnect to the Wi-Fi.",
    ),
}


def refusal(reason: str, language: str = "id") -> str:
    """The sentence a citizen reads for a refusal, in `language` ("id" or "en").

    Finer reasons kept for the admin's auth log (mac_mismatch, no_mac_relogin, no_login_today)
    read as the unknown-user message: a stranger learns nothing about someone else's device."""
    indonesian, english = REFUSALS.get(reason, REFUSALS["unknown_user"])
    return english if language == "en" else indonesian


def reply_message(reason: str) -> str:
    """RADIUS Reply-Message: the router shows it as is, so both languages, Indonesian first."""
    return f"{refusal(reason, 'id')} / {refusal(reason, 'en')}"


def kind_of(username: str) -> str:
    """Which credential a User-Name is by its shape: a portal ticket, a device's MAC, else a voucher code."""
    if username.startswith(TICKET_PREFIX):
        return "ticket"
    return "mac" if is_mac(username) else "voucher"


def quota_subject(device_id: int | None, account_id: int | None, voucher_id: int | None) -> Subject | None:
    """Whose quota a login or a session spends: its voucher, else its citizen, else its device."""
    if voucher_id is not None:
        return Subject(voucher_id=voucher_id)
    if account_id is not None:
        return Subject(account_id=account_id)
    if device_id is not None:
        return Subject(device_id=device_id)
    return None


def blocked(*holders) -> bool:
    """Whether any device or account the login involves is blocked (None: not involved)."""
    return any(holder is not None and holder.blocked for holder in holders)


def voucher_validity(voucher, valid_days: int | None, now: datetime) -> tuple[datetime | None, bool]:
    """Until when a voucher is good, and whether this login is its first use (which starts the clock).

    Validity counts from first use, whichever way the voucher is redeemed (typed
    into the router, or through the splash page's ticket)."""
    if voucher.first_used_at is None:
        return (now + timedelta(days=valid_days) if valid_days else None), True
    if voucher.expires_at is None and valid_days:
        return voucher.first_used_at + timedelta(days=valid_days), False
    return voucher.expires_at, False


VOUCHER_STATUSES = ("new", "active", "expired", "revoked")


def voucher_status(voucher, valid_days: int | None, now: datetime) -> str:
    """What the console shows for a voucher: new (never used, can be printed), active, expired or revoked."""
    if voucher.revoked:
        return "revoked"
    if voucher.first_used_at is None:
        return "new"
    valid_until, _ = voucher_validity(voucher, valid_days, now)
    return "expired" if valid_until is not None and now >= valid_until else "active"


def voucher_refusal(voucher, valid_until: datetime | None, now: datetime) -> str | None:
    """Why a voucher cannot be used now, or None."""
    if voucher is None:
        return "unknown_voucher"
    if voucher.revoked:
        return "revoked"
    if valid_until is not None and now >= valid_until:
        return "expired"
    return None


def ticket_refusal(
    ticket,
    password_ok: bool,
    used: bool,
    bound_mac: str | None,
    station_mac: str | None,
    nas_id: int | None,
    now: datetime,
) -> str | None:
    """Why a login ticket is refused, or None.

    A ticket is bound to what the portal issued it for: the device whose MAC the
    router handed over and the NAS the splash visit came through. A request from
    another Calling-Station-Id is a MAC edited in the splash URL (or a ticket
    carried to another phone); one without Calling-Station-Id cannot be compared."""
    if not password_ok:
        return "bad_password"
    if used:
        return "ticket_used"
    if now >= ticket.expires_at:
        return "ticket_expired"
    if bound_mac is not None and station_mac is not None and station_mac != bound_mac:
        return "ticket_wrong_device"
    if ticket.nas_id is not None and nas_id is not None and ticket.nas_id != nas_id:
        return "ticket_wrong_nas"
    return None


@dataclass(frozen=True)
class Holder:
    """Who a good ticket is and whose quota it spends: the decision both RADIUS auth and attribution use."""

    subject: Subject
    device_id: int | None
    account_id: int | None
    voucher_id: int | None


def ticket_holder(ticket, device_id: int | None) -> Holder | None:
    """A ticket's quota subject; `device_id` is the Calling-Station-Id's device (the ticket's own if absent).

    Free access spends the device's quota, a citizen's login the citizen's, a
    voucher's login the voucher's; a free ticket never carries an account."""
    account_id = ticket.account_id if ticket.kind == "account" else None
    voucher_id = ticket.voucher_id if ticket.kind == "voucher" else None
    subject = quota_subject(device_id, account_id, voucher_id)
    if subject is None:
        return None
    return Holder(subject, device_id, account_id, voucher_id)


def free_refusal(
    plan,
    station_mac: str | None,
    hours: OpeningHours | None,
    let_in_today: Collection[str],
    now: datetime,
    tz: str,
) -> str | None:
    """Why free (per-device) access at a site is refused now, or None.

    Outside its group's opening hours a site gives no free access. A phone can make up a new random
    MAC (forget the network) and with it a fresh free quota, so a free plan may let only
    `random_mac_limit` random MACs in per site and day; `let_in_today` are the random MACs that had a
    free session there today: those keep their access, a new one is asked for a phone login."""
    if hours is not None and not is_open(hours, now, tz):
        return "closed"
    if (
        counts_random_macs(plan, station_mac)
        and station_mac not in let_in_today
        and len(let_in_today) >= plan.random_mac_limit
    ):
        return "phone_login_required"
    return None


def counts_random_macs(plan, station_mac: str | None) -> bool:
    """Whether `free_refusal` needs the site's random MACs of today (skip the query otherwise)."""
    return plan.random_mac_limit is not None and is_random_mac(station_mac)


def mac_refusal(
    username_mac: str, station_mac: str | None, device, account, plan, day_start: datetime
) -> str | None:
    """Why a MAC re-login is refused, or None: the device logged in today on a plan that allows it.

    A citizen can type someone else's MAC into the router's login page; the router then sends it as
    User-Name but the typist's own Calling-Station-Id."""
    if station_mac != username_mac:
        return "mac_mismatch"
    if device is None:
        return "unknown_user"
    if blocked(device, account):
        return "blocked"
    if plan is None or not plan.mac_relogin:
        return "no_mac_relogin"
    if device.last_login_at is None or device.last_login_at < day_start:
        return "no_login_today"
    return None


def session_link(
    kind: str, ticket, voucher, named_device, station_device_id: int | None, has_station: bool
) -> dict:
    """Whose a new accounting session is: the device is always the Calling-Station-Id's one.

    `named_device` is the device a MAC User-Name names; a ticket's own device
    counts only when the packet has no Calling-Station-Id to go by."""
    if kind == "ticket" and ticket is not None:
        device_id = station_device_id if has_station else ticket.device_id
        holder = ticket_holder(ticket, device_id)
        return {
            "device_id": device_id,
            "account_id": holder.account_id if holder else None,
            "voucher_id": holder.voucher_id if holder else None,
            "plan_id": ticket.plan_id,
        }
    if kind == "mac" and named_device is not None:
        return {
            "device_id": named_device.id,
            "account_id": named_device.account_id,
            "plan_id": named_device.plan_id,
        }
    if kind == "voucher" and voucher is not None:
        return {"device_id": station_device_id, "voucher_id": voucher.id, "plan_id": voucher.plan_id}
    return {"device_id": station_device_id}


def session_cap_refusal(
    max_sessions: int | None,
    open_sessions,
    station_mac: str | None,
    interim_default: int,
    now: datetime,
    grace: int,
) -> str | None:
    """Why one more session of an account or voucher is refused (the plan's sessions-at-once cap), or None.

    `open_sessions` are its open sessions (`calling_station_id`, `update_time`, `interim_interval`). A stale
    one (the router went quiet) never counts, nor one of the device asking: its new session replaces it."""
    if max_sessions is None:
        return None

    def live(s) -> bool:
        return not policy.session_is_stale(s.update_time, s.interim_interval or interim_default, now, grace)

    counted = [
        s for s in open_sessions if (station_mac is None or s.calling_station_id != station_mac) and live(s)
    ]
    return "too_many_sessions" if len(counted) >= max_sessions else None
