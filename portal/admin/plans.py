"""Fair-use plans: list, add, edit, retire (admins only change them; everyone reads them)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from hotspot.clock import utcnow
from hotspot.models import Plan
from hotspot.services import disconnects
from hotspot.services.plans import PlanSpec, add_plan, list_plans, set_plan_active, update_plan
from hotspot.validation import ValidationError, database_id
from portal import extensions
from portal.admin.formatting import sessions_reached
from portal.admin.roles import requires
from portal.admin.service_messages import explain

bp = Blueprint("plans", __name__)
LIMIT_FIELDS = ("session_minutes", "daily_minutes", "daily_mb", "down_kbps", "up_kbps", "valid_days",
                "throttle_kbps", "max_sessions")


def field_labels() -> dict[str, str]:
    """What the form and its errors call each limit."""
    return {"session_minutes": _("Menit per sesi"), "daily_minutes": _("Menit per hari"),
            "daily_mb": _("MB per hari"), "down_kbps": _("Unduh kbit/s"), "up_kbps": _("Unggah kbit/s"),
            "valid_days": _("Berlaku (hari)"), "idle_timeout_seconds": _("Batas diam (detik)"),
            "interim_interval_seconds": _("Interval interim (detik)")}


def spec_from_form() -> PlanSpec:
    form = request.form
    values: dict = {}
    for name in (*LIMIT_FIELDS, "idle_timeout_seconds", "interim_interval_seconds", "random_mac_limit"):
        text = form.get(name, "").strip()
        if text:
            try:
                values[name] = int(text)
            except ValueError as exc:
                message = _("%(field)s harus bilangan bulat", field=field_labels()[name])
                raise ValidationError(message) from exc
    return PlanSpec(name=form.get("name", ""), free_access=form.get("free_access") == "on",
                    mac_relogin=form.get("mac_relogin") == "on", **values)


def _render_list(status: int = 200, form=None, editing: Plan | None = None):
    return render_template("admin/plans/index.html", plans=list_plans(extensions.db()), form=form or {},
                           editing=editing, fields=LIMIT_FIELDS,
                           field_labels=field_labels()), status


@bp.get("/plans")
@requires("viewer")
def index():
    editing = extensions.db().get(Plan, request.args.get("edit", 0, type=database_id))
    return _render_list(editing=editing)


@bp.post("/plans")
@requires("admin")
def create():
    try:
        plan = add_plan(extensions.db(), spec_from_form(), actor=current_user.username)
    except ValidationError as exc:
        extensions.db().rollback()
        flash(explain(exc), "error")
        return _render_list(400, request.form)
    flash(_("Paket %(name)s ditambahkan.", name=plan.name), "info")
    return redirect(url_for(".index"))


@bp.post("/plans/<int:plan_id>")
@requires("admin")
def update(plan_id: int):
    plan = extensions.db().get(Plan, plan_id) or abort(404)
    try:
        update_plan(extensions.db(), plan, spec_from_form(), actor=current_user.username, ip=request.remote_addr)
    except ValidationError as exc:
        extensions.db().rollback()
        flash(explain(exc), "error")
        return _render_list(400, request.form, plan)
    flash(_("Paket %(name)s disimpan.", name=plan.name), "info")
    reached = disconnects.apply_plan(extensions.db(), extensions.settings(), extensions.state().box, plan,
                                     utcnow(), current_user.username, admin_id=current_user.id,
                                     ip=request.remote_addr)
    if reached.results:
        flash(sessions_reached(reached), "info")
    return redirect(url_for(".index"))


@bp.post("/plans/<int:plan_id>/active")
@requires("admin")
def set_active(plan_id: int):
    plan = extensions.db().get(Plan, plan_id) or abort(404)
    set_plan_active(extensions.db(), plan, request.form.get("active") == "1", actor=current_user.username,
                    ip=request.remote_addr)
    if plan.active:
        flash(_("Paket %(name)s aktif.", name=plan.name), "info")
    else:
        flash(_("Paket %(name)s dipensiunkan.", name=plan.name), "info")
    return redirect(url_for(".index"))
