"""The console's words for stored values (session status, voucher status, role, yes/no).

The database, CSV, API and CLI keep the English value (`active`, `revoked`,
`operator`); only what the admin reads on a page goes through the catalog.
"""

from __future__ import annotations

from flask_babel import gettext as _


def _labels() -> dict[str, str]:
    return {
        "active": _("berjalan"),
        "closed": _("selesai"),
        "stale": _("terputus"),
        "new": _("baru"),
        "expired": _("kedaluwarsa"),
        "revoked": _("dicabut"),
        "viewer": _("pengamat"),
        "operator": _("operator"),
        "admin": _("admin"),
        "day": _("hari"),
        "week": _("minggu"),
        "month": _("bulan"),
    }


def label(value: str | None) -> str:
    """The admin-facing word for a stored value; an unknown value is shown as stored."""
    if value is None:
        return ""
    return _labels().get(value, value)


def yes_no(value: bool) -> str:
    return _("ya") if value else _("tidak")
