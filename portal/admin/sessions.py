"""The session log: filter, sort, page by cursor, totals, CSV export, and disconnecting active sessions."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from hotspot.clock import utcnow
from hotspot.models import SESSION_STATUSES, RadiusSession
from hotspot.services import session_log
from hotspot.services.disconnects import disconnect_session
from hotspot.services.nas import list_nas
from hotspot.validation import ValidationError
from portal import extensions
from portal.admin.roles import record_export, requires
from portal.admin.service_messages import explain

bp = Blueprint("sessions", __name__)


def filter_args() -> dict[str, str]:
    """The filter parameters present in this request, to carry into links (next page, CSV, sort)."""
    return {k: v for k in session_log.FILTER_PARAMETERS if (v := request.args.get(k, "").strip())}


@bp.get("/sessions")
@requires("viewer")
def index():
    db = extensions.db()
    sort = request.args.get("sort", "desc")
    try:
        session_filter = session_log.filter_from_query(request.args)
        after = session_log.Cursor.decode(request.args["after"]) if request.args.get("after") else None
        page = session_log.page_sessions(db, session_filter, after, sort)
        totals = session_log.totals(db, session_filter)
    except ValidationError as exc:
        return render_template(
            "admin/sessions/index.html",
            error=explain(exc),
            page=None,
            totals=None,
            args=filter_args(),
            sort=sort,
            all_nas=list_nas(db),
            statuses=SESSION_STATUSES,
        ), 400
    return render_template(
        "admin/sessions/index.html",
        error=None,
        page=page,
        totals=totals,
        args=filter_args(),
        sort=sort,
        all_nas=list_nas(db),
        statuses=SESSION_STATUSES,
    )


@bp.get("/sessions.csv")
@requires("viewer")
def export():
    """The whole filtered log as CSV, streamed from a server-side cursor (flat memory for any size)."""
    try:
        session_filter = session_log.filter_from_query(request.args)
        session_log.export_query(session_filter)
    except ValidationError as exc:
        return Response(f"{exc}\n", status=400, mimetype="text/plain")
    record_export("sessions", filter_args())
    engine = extensions.state().engine

    def generate():
        with engine.connect() as conn:
            yield from session_log.csv_chunks(conn, session_filter)

    filename = f"sessions-{utcnow():%Y%m%d-%H%M%S}.csv"
    return Response(
        stream_with_context(generate()),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.post("/sessions/<int:session_id>/disconnect")
@requires("operator")
def disconnect(session_id: int):
    """RFC 5176 Disconnect-Request to the session's router; its ACK or NAK (and Error-Cause) is flashed."""
    db = extensions.db()
    session = db.get(RadiusSession, session_id) or abort(404)
    result = disconnect_session(
        db,
        extensions.settings(),
        extensions.state().box,
        session,
        current_user.username,
        admin_id=current_user.id,
        ip=request.remote_addr,
    )
    message = _(
        "%(user)s di %(nas)s: %(result)s",
        user=session.username,
        nas=session.nas.name,
        result=result.describe(),
    )
    if result.error_cause is None and result.error_text:
        message += f" ({result.error_text})"
    flash(message, "info" if result.acknowledged else "error")
    return redirect(_back_to_log())


def _back_to_log() -> str:
    """Back to the log page the button was on (same host only), else the online-now list."""
    referrer = request.referrer or ""
    parts = urlsplit(referrer)
    if parts.netloc == request.host and parts.path.startswith("/admin/"):
        return referrer
    return url_for(".index", status="active")
