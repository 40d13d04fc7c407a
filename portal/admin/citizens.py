"""Citizens and devices: find a citizen by phone or a device by MAC, and block or unblock them."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from hotspot.clock import utcnow
from hotspot.models import Device
from hotspot.services import disconnects
from hotspot.services.blocking import find_accounts, set_account_blocked, set_device_blocked
from hotspot.validation import ValidationError, normalize_mac
from portal import extensions
from portal.admin.formatting import sessions_reached
from portal.admin.roles import requires
from portal.admin.service_messages import explain

bp = Blueprint("citizens", __name__)


def blocked_message(who: str, blocked: bool) -> str:
    return _("%(who)s diblokir.", who=who) if blocked else _("Blokir %(who)s dibuka.", who=who)


@bp.get("/citizens")
@requires("viewer")
def index():
    query = request.args.get("phone", "").strip()
    accounts = find_accounts(extensions.db(), query) if query else []
    return render_template("admin/citizens/index.html", query=query, accounts=accounts)


@bp.post("/citizens/block")
@requires("operator")
def block_account():
    blocked = request.form.get("blocked") == "1"
    try:
        account = set_account_blocked(
            extensions.db(),
            request.form.get("phone", ""),
            blocked,
            current_user.username,
            admin_id=current_user.id,
            ip=request.remote_addr,
        )
    except ValidationError as exc:
        flash(explain(exc), "error")
        return redirect(url_for(".index"))
    if account is None:
        flash(_("Tidak ada warga dengan nomor itu."), "error")
        return redirect(url_for(".index"))
    flash(blocked_message(account.phone, blocked), "info")
    if blocked:
        _cut_off(disconnects.open_sessions(extensions.db(), account_id=account.id), account.phone)
    return redirect(url_for(".index", phone=account.phone))


def _cut_off(sessions, target: str) -> None:
    """A block ends what is online now, not only the next login."""
    reached = disconnects.cut_off(
        extensions.db(),
        extensions.settings(),
        extensions.state().box,
        sessions,
        current_user.username,
        target,
        admin_id=current_user.id,
        ip=request.remote_addr,
    )
    if reached.results:
        flash(sessions_reached(reached), "info")


@bp.get("/devices")
@requires("viewer")
def devices():
    """A device by MAC, or the blocked ones when no MAC is given."""
    mac = request.args.get("mac", "").strip()
    query = select(Device).order_by(Device.last_seen.desc()).limit(100)
    try:
        query = (
            query.where(Device.mac == normalize_mac(mac)) if mac else query.where(Device.blocked.is_(True))
        )
    except ValidationError as exc:
        flash(explain(exc), "error")
        return render_template("admin/citizens/devices.html", mac=mac, devices=[]), 400
    return render_template(
        "admin/citizens/devices.html", mac=mac, devices=list(extensions.db().scalars(query))
    )


@bp.post("/devices/block")
@requires("operator")
def block_device():
    blocked = request.form.get("blocked") == "1"
    try:
        device = set_device_blocked(
            extensions.db(),
            request.form.get("mac", ""),
            blocked,
            utcnow(),
            current_user.username,
            admin_id=current_user.id,
            ip=request.remote_addr,
        )
    except ValidationError as exc:
        flash(explain(exc), "error")
        return redirect(url_for(".devices"))
    flash(blocked_message(device.mac, blocked), "info")
    if blocked:
        _cut_off(disconnects.open_sessions(extensions.db(), device_id=device.id), device.mac)
    return redirect(url_for(".devices", mac=device.mac))
