"""The console's front page: who is online now, today's figures, each access point's status, charts.

Everything but "online now" comes from the hourly roll-ups, so the page costs
the same on the first day and after a year of sessions.
"""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import gettext as _

from hotspot.clock import utcnow
from hotspot.models import Nas
from hotspot.services import alerts, ap_map, usage_reports
from hotspot.services.nas import list_nas
from hotspot.validation import database_id
from portal import extensions
from portal.admin import charts
from portal.admin.alerts import rule_titles
from portal.admin.formatting import human_size
from portal.admin.roles import requires

bp = Blueprint("dashboard", __name__)


def online_window_seconds() -> int:
    return ap_map.online_window_seconds(extensions.settings())


def usage_charts(nas_id: int | None) -> dict:
    """The three dashboard charts (24 h traffic, 30 day traffic, logins per hour), for one AP or all."""
    db, tz, now = extensions.db(), extensions.settings().timezone, utcnow()
    hours = usage_reports.hourly(db, now, 24, tz, nas_id)
    days = usage_reports.daily(db, now, 30, tz, nas_id)
    return {
        "traffic_24h": charts.bar_chart(
            _("Trafik per jam, 24 jam terakhir"),
            [b.label for b in hours],
            [b.octets for b in hours],
            human_size,
        ),
        "traffic_30d": charts.bar_chart(
            _("Trafik per hari, 30 hari terakhir"),
            [b.label for b in days],
            [b.octets for b in days],
            human_size,
        ),
        "logins_24h": charts.bar_chart(
            _("Login per jam, 24 jam terakhir"), [b.label for b in hours], [b.sessions for b in hours]
        ),
    }


@bp.get("/")
@requires("viewer")
def index():
    db, settings, now = extensions.db(), extensions.settings(), utcnow()
    nas_id = request.args.get("nas", type=database_id)
    selected = db.get(Nas, nas_id) if nas_id else None
    return render_template(
        "admin/dashboard/index.html",
        overview=usage_reports.overview(db, now, settings.timezone),
        statuses=usage_reports.ap_statuses(db, now, online_window_seconds()),
        all_nas=list_nas(db),
        selected=selected,
        now=now,
        open_alerts=alerts.open_alerts(db),
        titles=rule_titles(),
        **usage_charts(selected.id if selected else None),
    )
