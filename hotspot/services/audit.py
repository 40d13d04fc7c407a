"""The audit log of state-changing actions by admins, the API and the CLI."""

from __future__ import annotations

import json

from sqlalchemy.orm import Session

from hotspot.models import AuditEvent


def record(
    db: Session,
    actor: str,
    action: str,
    target: str = "",
    detail: dict | None = None,
    admin_id: int | None = None,
    ip: str | None = None,
) -> AuditEvent:
    """Add an audit entry to the caller's transaction (committed with the change it describes)."""
    event = AuditEvent(
        actor=actor,
        action=action,
        target=target,
        admin_id=admin_id,
        ip=ip,
        detail=json.dumps(detail or {}, sort_keys=True, default=str),
    )
    db.add(event)
    return event
