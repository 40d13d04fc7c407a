"""Access points: list, add, edit, rotate the shared secret, deactivate; per-AP usage, sessions and router
set-up.

A shared secret is shown once, on the page that answers its creation or
rotation, and never again (it is stored encrypted and never logged).
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from hotspot.clock import utcnow
from hotspot.models import NAS_VENDORS, Nas
from hotspot.services import access_points, router_setup, session_log, usage_reports
from hotspot.services.nas import add_nas, list_nas, rotate_secret, set_nas_active, update_nas
from hotspot.services.sessions import SessionFilter
from hotspot.validation import ValidationError
from portal import extensions
from portal.admin.dashboard import online_window_seconds, usage_charts
from portal.admin.forms import NasForm
from portal.admin.roles import requires
from portal.admin.service_messages import explain

bp = Blueprint("nas", __name__)


def _get(nas_id: int) -> Nas:
    return extensions.db().get(Nas, nas_id) or abort(404)


def _snippets(nas: Nas, secret: str | None = None, uam_secret: str | None = None) -> dict[str, str]:
    settings = extensions.settings()
    return {
        "MikroTik RouterOS": router_setup.mikrotik(nas, settings, secret),
        "CoovaChilli (/etc/chilli/config)": router_setup.chilli(nas, settings, secret, uam_secret),
    }


@bp.get("/nas")
@requires("viewer")
def index():
    db = extensions.db()
    statuses = {s.nas.id: s for s in usage_reports.ap_statuses(db, utcnow(), online_window_seconds())}
    return render_template("admin/nas/index.html", all_nas=list_nas(db), statuses=statuses)


@bp.get("/nas/new")
@requires("admin")
def new():
    return render_template("admin/nas/form.html", nas=None, vendors=NAS_VENDORS, form={})


@bp.post("/nas")
@requires("admin")
def create():
    """Add an access point; a random secret unless the admin typed one (the router may already have it)."""
    form = NasForm()
    secret = form.secret.data.strip() or secrets.token_urlsafe(18)
    try:
        nas = add_nas(extensions.db(), extensions.state().box, form.spec(secret), actor=current_user.username)
    except ValidationError as exc:
        extensions.db().rollback()
        flash(explain(exc), "error")
        return render_template("admin/nas/form.html", nas=None, vendors=NAS_VENDORS, form=request.form), 400
    return render_template(
        "admin/nas/secret.html",
        nas=nas,
        secret=secret,
        created=True,
        snippets=_snippets(nas, secret, form.uam_secret.data.strip() or None),
    ), 201


@bp.get("/nas/<int:nas_id>")
@requires("viewer")
def detail(nas_id: int):
    """One access point: status, usage charts, 30-day totals and its latest sessions."""
    nas, db, now = _get(nas_id), extensions.db(), utcnow()
    recent = session_log.page_sessions(db, SessionFilter(nas=nas.name), size=20)
    month = usage_reports.usage_by_period(
        db, "month", now - timedelta(days=365), now, extensions.settings().timezone, now, nas_id=nas.id
    )
    online = any(
        s.online for s in usage_reports.ap_statuses(db, now, online_window_seconds()) if s.nas.id == nas.id
    )
    radios = [
        row.access_point for row in access_points.list_access_points(db, now, extensions.settings(), nas.name)
    ]
    return render_template(
        "admin/nas/detail.html",
        nas=nas,
        recent=recent.rows,
        months=month,
        online=online,
        radios=radios,
        snippets=_snippets(nas),
        **usage_charts(nas.id),
    )


@bp.get("/nas/<int:nas_id>/edit")
@requires("admin")
def edit(nas_id: int):
    return render_template("admin/nas/form.html", nas=_get(nas_id), vendors=NAS_VENDORS, form={})


@bp.post("/nas/<int:nas_id>")
@requires("admin")
def update(nas_id: int):
    nas = _get(nas_id)
    try:
        update_nas(
            extensions.db(),
            extensions.state().box,
            nas,
            NasForm().spec(""),
            actor=current_user.username,
            ip=request.remote_addr,
        )
    except ValidationError as exc:
        extensions.db().rollback()
        flash(explain(exc), "error")
        return render_template("admin/nas/form.html", nas=nas, vendors=NAS_VENDORS, form=request.form), 400
    flash(_("%(name)s disimpan.", name=nas.name), "info")
    return redirect(url_for(".detail", nas_id=nas.id))


@bp.post("/nas/<int:nas_id>/rotate")
@requires("admin")
def rotate(nas_id: int):
    """New random shared secret, shown on this response only; the router must be updated with it."""
    nas = _get(nas_id)
    secret = rotate_secret(
        extensions.db(), extensions.state().box, nas, actor=current_user.username, ip=request.remote_addr
    )
    return render_template(
        "admin/nas/secret.html", nas=nas, secret=secret, created=False, snippets=_snippets(nas, secret)
    )


@bp.post("/nas/<int:nas_id>/active")
@requires("admin")
def set_active(nas_id: int):
    nas = _get(nas_id)
    active = request.form.get("active") == "1"
    set_nas_active(extensions.db(), nas, active, actor=current_user.username, ip=request.remote_addr)
    flash(
        _("%(name)s aktif lagi.", name=nas.name) if active else _("%(name)s dinonaktifkan.", name=nas.name),
        "info",
    )
    return redirect(url_for(".detail", nas_id=nas.id))
