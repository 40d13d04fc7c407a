"""RFC 8908 Captive Portal API: phones ask whether they are still captive and what is left.

The client is found by its IP (the open RADIUS session's Framed-IP-Address)
or by `?mac=`; an unknown client is captive and is pointed at the splash page.
"""

from __future__ import annotations

from flask import Blueprint, Response, json, request

from hotspot.clock import utcnow
from hotspot.services import logins
from hotspot.validation import ValidationError, normalize_mac
from portal import extensions

bp = Blueprint("captive", __name__)
CONTENT_TYPE = "application/captive+json"


@bp.get("/api/captive")
def captive():
    settings = extensions.settings()
    mac = None
    if request.args.get("mac"):
        try:
            mac = normalize_mac(request.args["mac"][:32])
        except ValidationError:
            return Response(json.dumps({"error": "not a MAC address"}), 400, content_type=CONTENT_TYPE)
    db, now = extensions.db(), utcnow()
    session = logins.open_session(db, ip=None if mac else request.remote_addr, mac=mac)
    body = {"captive": True, "user-portal-url": settings.portal_url.rstrip("/") + "/"}
    if session is not None:
        left = logins.session_remaining(db, session, now, settings.timezone)
        if left is not None:
            body["captive"] = False
            if left.seconds is not None:
                body["seconds-remaining"] = left.seconds
            if left.octets is not None:
                body["bytes-remaining"] = left.octets
            body["can-extend-session"] = left.can_extend
    response = Response(json.dumps(body), content_type=CONTENT_TYPE)
    response.headers["Cache-Control"] = "private, no-store"
    return response
