"""Access points (the radios behind each NAS): everyone reads the list, admins name and place them."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from hotspot.clock import utcnow
from hotspot.models import AccessPoint
from hotspot.services import access_points
from hotspot.validation import ValidationError, database_id
from portal import extensions
from portal.admin.forms import AccessPointForm
from portal.admin.roles import requires
from portal.admin.service_messages import explain

bp = Blueprint("access_points", __name__)


def _render(status: int = 200, editing: AccessPoint | None = None):
    db = extensions.db()
    rows = access_points.list_access_points(
        db, utcnow(), extensions.settings(), request.args.get("nas") or None
    )
    return render_template(
        "admin/access_points/index.html", rows=rows, editing=editing, form=request.form
    ), status


@bp.get("/access-points")
@requires("viewer")
def index():
    return _render(editing=extensions.db().get(AccessPoint, request.args.get("edit", 0, type=database_id)))


@bp.post("/access-points/<int:ap_id>")
@requires("admin")
def update(ap_id: int):
    db = extensions.db()
    point = db.get(AccessPoint, ap_id) or abort(404)
    try:
        form = AccessPointForm().checked()
        access_points.update_access_point(
            db,
            point,
            form.name.data,
            form.location.data,
            form.latitude.data,
            form.longitude.data,
            actor=current_user.username,
            ip=request.remote_addr,
        )
    except ValidationError as exc:
        db.rollback()
        flash(explain(exc), "error")
        return _render(400, point)
    flash(_("%(name)s disimpan.", name=point.label), "info")
    return redirect(url_for(".index"))
