"""Disconnecting one session from the console or the API (RFC 5176), with the router's answer audited."""

from __future__ import annotations

from sqlalchemy.orm import Session

from hotspot import coa
from hotspot.crypto import SecretBox
from hotspot.models import RadiusSession
from hotspot.services import audit
from hotspot.settings import Settings


def disconnect_session(db: Session, settings: Settings, box: SecretBox, session: RadiusSession, actor: str,
                       admin_id: int | None = None, ip: str | None = None) -> coa.CoaResult:
    """Ask the session's router to end it; the ACK/NAK (or timeout) is returned and written to the audit log.

    The session row is left to accounting: the router's Stop closes it with its
    own counters and terminate cause.
    """
    try:
        result = coa.disconnect(settings, session.nas, box, username=session.username,
                                acct_session_id=session.acct_session_id, framed_ip=session.framed_ip,
                                calling_station_id=session.calling_station_id, nas_address=session.nas_ip_address)
    except coa.CoaTargetError as exc:
        result = coa.CoaResult(False, "no-target", None, str(exc))
    audit.record(db, actor, "session.disconnect", f"{session.nas.name}/{session.acct_session_id}",
                 {"username": session.username, "result": result.code, "error_cause": result.error_cause,
                  "error_text": result.error_text}, admin_id=admin_id, ip=ip)
    db.commit()
    return result
