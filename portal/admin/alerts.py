"""Site alerts in the console: what is down now, each site's last packet and hour, the rules, the channels.

Everyone reads the page; only admins change a rule's thresholds or return it to the defaults
from the settings.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from hotspot.alert_rules import RULE_KINDS, RULE_TITLES, Rule
from hotspot.clock import utcnow
from hotspot.services import alerts, site_health
from hotspot.validation import ValidationError
from portal import extensions
from portal.admin.roles import requires

bp = Blueprint("alerts", __name__)


def _number(name: str, kind: type):
    text = request.form.get(name, "").strip()
    if not text:
        return None
    try:
        return kind(text)
    except ValueError as exc:
        whole = "whole " if kind is int else ""
        raise ValidationError(f"{name.replace('_', ' ')} must be a {whole}number") from exc


def _render(status: int = 200):
    db, settings = extensions.db(), extensions.settings()
    return render_template(
        "admin/alerts/index.html", open_alerts=alerts.open_alerts(db), recent=alerts.recent_alerts(db),
        rules=alerts.load_rules(db, settings), changed=alerts.changed_rules(db), kinds=RULE_KINDS,
        titles=RULE_TITLES, channels=alerts.channel_states(db, settings),
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
    try:
        if request.form.get("reset"):
            alerts.reset_rule(db, kind, current_user.username, request.remote_addr)
            flash(f"{RULE_TITLES[kind]}: back to the defaults.", "info")
        else:
            rule = Rule(kind, enabled=request.form.get("enabled") == "on", minutes=_number("minutes", float),
                        share=_number("share", float), min_count=_number("min_count", int))
            alerts.save_rule(db, settings, rule, current_user.username, request.remote_addr)
            flash(f"{RULE_TITLES[kind]}: saved.", "info")
    except ValidationError as exc:
        db.rollback()
        flash(str(exc), "error")
        return _render(400)
    return redirect(url_for(".index"))
