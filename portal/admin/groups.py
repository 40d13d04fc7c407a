"""Access point groups: their own free plan, opening hours and splash text, and which sites follow them
(admins change them; everyone reads them)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from hotspot.models import ApGroup
from hotspot.services import ap_groups
from hotspot.services.nas import list_nas
from hotspot.services.plans import list_plans
from hotspot.validation import ValidationError, database_id
from portal import extensions
from portal.admin.forms import GroupForm
from portal.admin.roles import requires

bp = Blueprint("groups", __name__)


def _sites() -> list[int]:
    try:
        return [database_id(value) for value in request.form.getlist("nas")]
    except ValueError as exc:
        raise ValidationError(_("bukan id NAS")) from exc


def _render(status: int = 200, editing: ApGroup | None = None):
    db = extensions.db()
    groups = [(group, ap_groups.members(db, group)) for group in ap_groups.list_groups(db)]
    return render_template(
        "admin/groups/index.html",
        groups=groups,
        editing=editing,
        form=request.form,
        plans=list_plans(db),
        nas_rows=list_nas(db),
    ), status


@bp.get("/groups")
@requires("viewer")
def index():
    return _render(editing=extensions.db().get(ApGroup, request.args.get("edit", 0, type=database_id)))


def _save(group: ApGroup | None):
    db = extensions.db()
    try:
        spec = GroupForm().spec()
        if group is None:
            group = ap_groups.add_group(db, spec, actor=current_user.username, ip=request.remote_addr)
        else:
            ap_groups.update_group(db, group, spec, actor=current_user.username, ip=request.remote_addr)
        ap_groups.set_member_ids(db, group, _sites(), current_user.username, request.remote_addr)
    except ValidationError as exc:
        db.rollback()
        flash(str(exc), "error")
        return _render(400, group if group is not None and group.id else None)
    flash(_("Grup %(name)s disimpan.", name=group.name), "info")
    return redirect(url_for(".index"))


@bp.post("/groups")
@requires("admin")
def create():
    return _save(None)


@bp.post("/groups/<int:group_id>")
@requires("admin")
def update(group_id: int):
    return _save(extensions.db().get(ApGroup, group_id) or abort(404))
