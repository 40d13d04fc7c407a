"""Who may do what in the console and the API: one ladder of roles, one decorator.

viewer reads everything but the audit log; operator also disconnects users,
makes vouchers and blocks citizens and devices; admin also manages access
points, plans, retention and sees the audit log.
"""

from __future__ import annotations

import functools

from flask import abort, request
from flask_login import current_user

from hotspot.services import audit
from portal import extensions

ROLE_RANK = {"viewer": 0, "operator": 1, "admin": 2}


def allowed(role: str, needed: str) -> bool:
    """True when `role` is at least `needed` on the ladder."""
    return ROLE_RANK.get(role, -1) >= ROLE_RANK[needed]


def requires(needed: str):
    """Guard a console view: sign-in page when signed out, 403 when the role is too low."""
    if needed not in ROLE_RANK:
        raise ValueError(f"unknown role {needed!r}")

    def decorator(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated:
                return extensions.login_manager.unauthorized()
            if not allowed(current_user.role, needed):
                abort(403)
            return view(*args, **kwargs)

        return wrapper

    return decorator


def record_export(what: str, filters: dict, target: str = "") -> None:
    """Every CSV download is in the audit log as `<what>.export` (who took which personal data out, with
    which filters)."""
    audit.record(
        extensions.db(),
        current_user.username,
        f"{what}.export",
        target,
        filters,
        admin_id=current_user.id,
        ip=request.remote_addr,
    )
    extensions.db().commit()
