"""Fair-use plans: list, add, edit, retire (admins only change them; everyone reads them)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from hotspot.clock import utcnow
from hotspot.models import Plan
from hotspot.services import disconnects
from hotspot.services.plans import add_plan, list_plans, set_plan_active, update_plan
from hotspot.validation import ValidationError, database_id
from portal import extensions
from portal.admin.formatting import sessions_reached
from portal.admin.forms import LIMIT_FIELDS, PlanForm
from portal.admin.roles import requires
from portal.admin.service_messages import explain

bp = Blueprint("plans", __name__)


def field_labels() -> dict[str, str]:
    """What the form calls each limit."""
    return {name: PlanForm()[name].label.text for name in LIMIT_FIELDS}


def _render_list(status: int = 200, form=None, editing: Plan | None = None):
    return render_template(
        "admin/plans/index.html",
        plans=list_plans(extensions.db()),
        form=form or {},
        editing=editing,
        fields=LIMIT_FIELDS,
        field_labels=field_labels(),
    ), status


@bp.get("/plans")
@requires("viewer")
def index():
    editing = extensions.db().get(Plan, request.args.get("edit", 0, type=database_id))
    return _render_list(editing=editing)


@bp.post("/plans")
@requires("admin")
def create():
    try:
        plan = add_plan(extensions.db(), PlanForm().spec(), actor=current_user.username)
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
        update_plan(
            extensions.db(), plan, PlanForm().spec(), actor=current_user.username, ip=request.remote_addr
        )
    except ValidationError as exc:
        extensions.db().rollback()
        flash(explain(exc), "error")
        return _render_list(400, request.form, plan)
    flash(_("Paket %(name)s disimpan.", name=plan.name), "info")
    reached = disconnects.apply_plan(
        extensions.db(),
        extensions.settings(),
        extensions.state().box,
        plan,
        utcnow(),
        current_user.username,
        admin_id=current_user.id,
        ip=request.remote_addr,
    )
    if reached.results:
        flash(sessions_reached(reached), "info")
    return redirect(url_for(".index"))


@bp.post("/plans/<int:plan_id>/active")
@requires("admin")
def set_active(plan_id: int):
    plan = extensions.db().get(Plan, plan_id) or abort(404)
    set_plan_active(
        extensions.db(),
        plan,
        request.form.get("active") == "1",
        actor=current_user.username,
        ip=request.remote_addr,
    )
    if plan.active:
        flash(_("Paket %(name)s aktif.", name=plan.name), "info")
    else:
        flash(_("Paket %(name)s dipensiunkan.", name=plan.name), "info")
    return redirect(url_for(".index"))
