"""The audit log: every state-changing action, newest first, paged by id; admins only."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from sqlalchemy import select

from hotspot.models import AuditEvent
from hotspot.validation import database_id
from portal import extensions
from portal.admin.roles import requires

bp = Blueprint("audit", __name__)
PAGE_SIZE = 100


@bp.get("/audit")
@requires("admin")
def index():
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(PAGE_SIZE + 1)
    actor, action = request.args.get("actor", "").strip(), request.args.get("action", "").strip()
    if actor:
        query = query.where(AuditEvent.actor == actor)
    if action:
        query = query.where(AuditEvent.action.startswith(action, autoescape=True))
    before = request.args.get("before", type=database_id)
    if before:
        query = query.where(AuditEvent.id < before)
    events = list(extensions.db().scalars(query))
    more = len(events) > PAGE_SIZE
    return render_template(
        "admin/audit/index.html",
        events=events[:PAGE_SIZE],
        actor=actor,
        action=action,
        next_before=events[PAGE_SIZE - 1].id if more else None,
    )
