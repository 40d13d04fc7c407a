"""Site alerts in the console: what is down now, each site's last packet and hour, the rules, the channels.

Everyone reads the page; only admins change a rule's thresholds or return it to the defaults
from the settings. The rules' names and the channels' states are shown in the console's language;
the database, API and notifications keep the stored English values.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from hotspot.alert_rules import (
    ACCOUNTING_MISSING,
    AP_SILENT,
    NAS_SILENT,
    REJECTS_HIGH,
    RULE_KINDS,
    Rule,
    default_rules,
    out_of_range,
)
from hotspot.clock import utcnow
from hotspot.services import alerts, site_health
from hotspot.validation import ValidationError
from portal import extensions
from portal.admin.roles import requires

bp = Blueprint("alerts", __name__)


def rule_titles() -> dict[str, str]:
    """Each rule's name as the admin reads it."""
    return {
        NAS_SILENT: _("Tidak ada lalu lintas RADIUS dari router"),
        ACCOUNTING_MISSING: _("Login diterima tetapi tanpa accounting"),
        REJECTS_HIGH: _("Terlalu banyak login ditolak"),
        AP_SILENT: _("Titik akses diam padahal routernya hidup"),
    }


def _duration(seconds: int) -> str:
    if seconds < 60:
        return ngettext("%(num)d detik", "%(num)d detik", seconds)
    return ngettext("%(num)d menit", "%(num)d menit", seconds // 60)


@bp.app_template_global("alert_detail")
def alert_detail(alert) -> str:
    """The alert's detail in the console's language, from its figures (the stored English line if none)."""
    figures = alert.figures or {}
    try:
        if alert.kind == NAS_SILENT:
            return _("tidak ada paket RADIUS selama %(duration)s", duration=_duration(figures["seconds"]))
        if alert.kind == ACCOUNTING_MISSING:
            return _(
                "%(accepts)d login diterima dalam jam terakhir, tanpa sesi accounting",
                accepts=figures["accepts"],
            )
        if alert.kind == REJECTS_HIGH:
            return _(
                "%(rejects)d dari %(attempts)d login ditolak dalam jam terakhir",
                rejects=figures["rejects"],
                attempts=figures["attempts"],
            )
        if alert.kind == AP_SILENT:
            return _(
                "tidak ada sesi dari radio ini selama %(duration)s; routernya hidup",
                duration=_duration(figures["seconds"]),
            )
    except KeyError:
        pass
    return alert.detail


def channel_words() -> dict[str, str]:
    """Channel names and states (stored in English) as the admin reads them."""
    return {
        "email": _("E-mail"),
        "webhook": _("Webhook"),
        "ok": _("lancar"),
        "failing": _("gagal"),
        "idle": _("belum dipakai"),
        "not configured": _("belum diatur"),
    }


def _limit_messages() -> dict[str, str]:
    return {
        "minutes": _("Menit harus lebih dari 0 dan paling lama seminggu (10080)."),
        "share": _("Porsi harus di antara 0 dan 1, mis. 0.5 untuk separuh percobaan."),
        "min_count": _("Jumlah minimum harus bilangan bulat dari 1 sampai 1000000."),
    }


def _form_value(name: str, kind: type):
    """A threshold typed in the form: empty is None, anything else must read as `kind`."""
    text = request.form.get(name, "").strip()
    if not text:
        return None
    try:
        return kind(text)
    except ValueError as exc:
        raise ValidationError(_limit_messages()[name]) from exc


def _rule_from_form(kind: str) -> Rule:
    rule = Rule(
        kind,
        enabled=request.form.get("enabled") == "on",
        minutes=_form_value("minutes", float),
        share=_form_value("share", float),
        min_count=_form_value("min_count", int),
    )
    wrong = out_of_range(rule, default_rules(extensions.settings())[kind])
    if wrong:
        raise ValidationError(" ".join(_limit_messages()[name] for name in wrong))
    return rule


def _render(status: int = 200):
    db, settings = extensions.db(), extensions.settings()
    return render_template(
        "admin/alerts/index.html",
        open_alerts=alerts.open_alerts(db),
        recent=alerts.recent_alerts(db),
        rules=alerts.load_rules(db, settings),
        changed=alerts.changed_rules(db),
        kinds=RULE_KINDS,
        titles=rule_titles(),
        words=channel_words(),
        channels=alerts.channel_states(db, settings),
        sites=site_health.nas_activity(db, utcnow()),
    ), status


@bp.get("/alerts")
@requires("viewer")
def index():
    return _render()


@bp.post("/alerts/rules/<kind>")
@requires("admin")
def update_rule(kind: str):
    db, settings = extensions.db(), extensions.settings()
    if kind not in RULE_KINDS:
        abort(404)
    title = rule_titles()[kind]
    try:
        if request.form.get("reset"):
            alerts.reset_rule(db, kind, current_user.username, request.remote_addr)
            flash(_("%(rule)s: kembali ke bawaan.", rule=title), "info")
        else:
            alerts.save_rule(db, settings, _rule_from_form(kind), current_user.username, request.remote_addr)
            flash(_("%(rule)s: disimpan.", rule=title), "info")
    except ValidationError as exc:
        db.rollback()
        flash(str(exc), "error")
        return _render(400)
    return redirect(url_for(".index"))
