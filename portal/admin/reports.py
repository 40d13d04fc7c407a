"""Reports: usage per access point per day/week/month, peak hours, top users, as pages and CSV; retention.

Usage per period comes from the daily roll-up (today from the hourly one);
peak hours come from the hourly roll-up over at most the last PEAK_DAYS days
of the range, top users from sessions over at most its last TOP_USERS_DAYS
days, so that no page scans a year.
"""

from __future__ import annotations

import io
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from hotspot.clock import utcnow
from hotspot.csvsafe import SafeDictWriter
from hotspot.services import purge_jobs, random_macs, usage_reports
from hotspot.services.nas import list_nas
from hotspot.validation import ValidationError, database_id
from portal import extensions
from portal.admin import charts
from portal.admin.roles import record_export, requires
from portal.admin.service_messages import explain

bp = Blueprint("reports", __name__)
DEFAULT_DAYS = {"day": 30, "week": 84, "month": 365}
PEAK_DAYS = 31
HTML_ROWS = 1000
TOP_USERS_DAYS = 7
# How long the purge button waits for its job before showing the progress instead.
QUICK_PURGE_SECONDS = 3
USAGE_COLUMNS = ("period", "nas", "sessions", "session_seconds", "input_octets", "output_octets")
CSV_COLUMNS = {
    "usage": USAGE_COLUMNS,
    "peak": ("hour", "sessions", "input_octets", "output_octets"),
    "top": ("username", "sessions", "session_seconds", "input_octets", "output_octets"),
    "random": random_macs.SHARE_COLUMNS,
}


def report_range() -> tuple[str, datetime, datetime, int | None]:
    """Period, start and end (UTC) and optional AP from the query string; dates are local days."""
    period = request.args.get("period", "day")
    if period not in usage_reports.PERIODS:
        raise ValidationError(
            _("period harus salah satu dari %(choices)s", choices=", ".join(usage_reports.PERIODS))
        )
    zone = ZoneInfo(extensions.settings().timezone)
    today = utcnow().astimezone(zone).date()

    def day(name: str, default):
        text = request.args.get(name, "").strip()
        try:
            return datetime.strptime(text, "%Y-%m-%d").date() if text else default
        except ValueError as exc:
            raise ValidationError(_("%(field)s harus tanggal seperti 2026-11-01", field=name)) from exc

    until_day = day("until", today)
    since_day = day("since", until_day - timedelta(days=DEFAULT_DAYS[period] - 1))
    if since_day > until_day:
        raise ValidationError(_("since lebih lambat dari until"))
    since = datetime.combine(since_day, time.min, zone)
    until = datetime.combine(until_day + timedelta(days=1), time.min, zone)
    return period, since, until, request.args.get("nas", type=database_id)


def _report(kind: str):
    period, since, until, nas_id = report_range()
    db, tz, now = extensions.db(), extensions.settings().timezone, utcnow()
    if kind == "usage":
        return [
            {"period": r.period, "nas": r.nas, **{c: getattr(r.bucket, c) for c in USAGE_COLUMNS[2:]}}
            for r in usage_reports.usage_by_period(db, period, since, until, tz, now, nas_id)
        ]
    if kind == "peak":
        peak_since = max(since, until - timedelta(days=PEAK_DAYS))
        return [
            {
                "hour": b.label,
                "sessions": b.sessions,
                "input_octets": b.input_octets,
                "output_octets": b.output_octets,
            }
            for b in usage_reports.peak_hours(db, peak_since, until, tz, nas_id)
        ]
    if kind == "top":
        return usage_reports.top_users(
            db, max(since, until - timedelta(days=TOP_USERS_DAYS)), until, 50, nas_id
        )
    if kind == "random":
        return random_macs.random_mac_share(
            db, max(since, until - timedelta(days=TOP_USERS_DAYS)), until, nas_id
        )
    raise ValidationError(_("kind harus usage, peak, top, atau random"))


@bp.get("/reports")
@requires("viewer")
def index():
    try:
        period, since, until, nas_id = report_range()
        usage, peak, top, random = _report("usage"), _report("peak"), _report("top"), _report("random")
    except ValidationError as exc:
        flash(explain(exc), "error")
        return redirect(url_for(".index"))
    peak_chart = charts.bar_chart(
        _("Sesi per jam dalam sehari"), [p["hour"] for p in peak], [p["sessions"] for p in peak]
    )
    return render_template(
        "admin/reports/index.html",
        period=period,
        since=since,
        until=until,
        nas_id=nas_id,
        all_nas=list_nas(extensions.db()),
        usage=usage[:HTML_ROWS],
        usage_rows=len(usage),
        peak_chart=peak_chart,
        top=top,
        random_macs=random,
        peak_days=PEAK_DAYS,
        top_days=TOP_USERS_DAYS,
        args=request.args.to_dict(),
    )


@bp.get("/reports.csv")
@requires("viewer")
def export():
    kind = request.args.get("kind", "usage")
    try:
        rows = _report(kind)
    except ValidationError as exc:
        return Response(f"{exc}\n", status=400, mimetype="text/plain")
    record_export("reports", request.args.to_dict(), target=kind)
    buffer = io.StringIO()
    writer = SafeDictWriter(buffer, CSV_COLUMNS[kind])
    writer.writeheader()
    writer.writerows(rows)
    return Response(
        buffer.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="report-{kind}.csv"'},
    )


@bp.get("/retention")
@requires("viewer")
def retention_page():
    """The retention period and the console's purge job: its progress while it runs, its result after."""
    db = extensions.db()
    job = purge_jobs.latest_job(db)
    running = purge_jobs.running_job(db, utcnow()) is not None
    return render_template(
        "admin/reports/retention.html",
        days=extensions.settings().retention_days,
        job=job,
        running=running,
        rows=purge_jobs.rows(job) if job else {},
    )


@bp.post("/retention/purge")
@requires("admin")
def purge_now():
    """Start the purge with the configured period as a background job; a small one is done before the
    page comes back, a large one shows its progress there."""
    settings = extensions.settings()
    try:
        job_id = purge_jobs.start(
            extensions.state().engine,
            settings.secret_key,
            settings.retention_days,
            current_user.username,
            utcnow(),
        )
    except purge_jobs.AlreadyRunning:
        flash(_("Pembersihan data sedang berjalan; tunggu sampai selesai."), "error")
        return redirect(url_for(".retention_page"))
    purge_jobs.wait(extensions.db(), job_id, QUICK_PURGE_SECONDS)
    return redirect(url_for(".retention_page"))
