"""The failed-login log: the helpdesk's "why can't this citizen get online?" page, and its CSV export."""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request, stream_with_context
from flask_babel import force_locale

from hotspot import credentials
from hotspot.clock import utcnow
from hotspot.services import auth_log
from hotspot.services.nas import list_nas
from hotspot.validation import ValidationError
from portal import extensions, splash
from portal.admin.roles import record_export, requires
from portal.admin.service_messages import explain

bp = Blueprint("auth_log", __name__)


def citizen_message(event, language: str = "id") -> str | None:
    """What the citizen read: the splash page's refusal, or the Reply-Message RADIUS sent."""
    if auth_log.from_portal(event) and event.reason not in credentials.REFUSALS:
        with force_locale(language):
            return splash.refusal_message(event.reason, None, utcnow())
    return auth_log.citizen_message(event.reason, language)


def filter_args() -> dict[str, str]:
    """The filter parameters present in this request, to carry into links (next page, CSV)."""
    return {k: v for k in auth_log.FILTER_PARAMETERS if (v := request.args.get(k, "").strip())}


@bp.get("/auth-log")
@requires("viewer")
def index():
    db = extensions.db()
    try:
        event_filter = auth_log.filter_from_query(request.args)
        after = auth_log.Cursor.decode(request.args["after"]) if request.args.get("after") else None
        page, error, status = auth_log.page_events(db, event_filter, after), None, 200
    except ValidationError as exc:
        page, error, status = None, explain(exc), 400
    return render_template(
        "admin/auth_log/index.html",
        page=page,
        error=error,
        args=filter_args(),
        all_nas=list_nas(db),
        message=citizen_message,
    ), status


@bp.get("/auth-log.csv")
@requires("viewer")
def export():
    """The whole filtered log as CSV; the export of personal data is written to the audit log."""
    try:
        event_filter = auth_log.filter_from_query(request.args)
    except ValidationError as exc:
        return Response(f"{exc}\n", status=400, mimetype="text/plain")
    record_export("auth_log", filter_args())
    filename = f"auth-log-{utcnow():%Y%m%d-%H%M%S}.csv"
    open_session = extensions.state().db.session_factory

    def generate():
        # The request's session is closed once the view returns; the stream reads through its own.
        with open_session() as export_db:
            yield from auth_log.csv_chunks(export_db, event_filter, citizen_message)

    return Response(
        stream_with_context(generate()),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
