"""The admin console for the city's network team, under /admin.

One parent blueprint (`admin`) holds the shared page filters; each page group
is its own module with its own blueprint nested under it, so endpoints read
`admin.sessions.index`, `admin.nas.detail` and so on.
"""

from __future__ import annotations

from flask import Blueprint
from flask_babel import format_decimal
from flask_login import current_user

from portal import extensions
from portal.admin import (
    access_points,
    alerts,
    audit,
    auth,
    auth_log,
    citizens,
    dashboard,
    formatting,
    groups,
    labels,
    maps,
    nas,
    plans,
    reports,
    sessions,
    vouchers,
)
from portal.admin.roles import allowed

bp = Blueprint("admin", __name__, url_prefix="/admin")
for child in (
    auth,
    dashboard,
    maps,
    sessions,
    auth_log,
    nas,
    access_points,
    groups,
    plans,
    vouchers,
    citizens,
    reports,
    audit,
    alerts,
):
    bp.register_blueprint(child.bp)

bp.add_app_template_filter(formatting.human_size, "size")
bp.add_app_template_filter(formatting.duration, "duration")
bp.add_app_template_filter(labels.label, "label")
bp.add_app_template_filter(format_decimal, "number")
bp.add_app_template_filter(labels.yes_no, "yes_no")


@bp.app_template_filter("local")
def local_time(value, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
    return formatting.local_time(value, extensions.settings().timezone, fmt)


@bp.context_processor
def role_helpers() -> dict:
    def can(needed: str) -> bool:
        return current_user.is_authenticated and allowed(current_user.role, needed)

    return {"can": can, "city_timezone": extensions.settings().timezone}
