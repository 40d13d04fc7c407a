"""RFC 8908 Captive Portal API: phones ask whether they are still captive and what is left.

A router's API URL (DHCP option 114) names the router and, where the router can
(CoovaChilli 1.9's `%{m}`), the phone: `/api/captive?nas=perumnas&mac=…`. The
phone's session is found only when the request shows it comes from that phone
(`hotspot.services.client_sessions`); otherwise the answer is `captive: true`
with the portal's address and nothing about anyone.
"""

from __future__ import annotations

from flask import Blueprint, Response, json, request

from hotspot.clock import utcnow
from hotspot.services import logins
from hotspot.services.client_sessions import client_session
from hotspot.validation import ValidationError, normalize_mac
from portal import extensions
from portal.admin.formatting import local_time
from portal.splash import routers

bp = Blueprint("captive", __name__)
CONTENT_TYPE = "application/captive+json"


def _answer(body: dict, status: int = 200) -> Response:
    response = Response(json.dumps(body), status, content_type=CONTENT_TYPE)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/api/captive")
def captive():
    settings = extensions.settings()
    mac = None
    if request.args.get("mac"):
        try:
            mac = normalize_mac(request.args["mac"][:32])
        except ValidationError:
            return _answer({"error": "not a MAC address"}, 400)
    points = routers().all()
    wanted = request.args.get("nas", "")[:128]
    named = next((point for point in points if point.is_named(wanted)), None)
    db, now = extensions.db(), utcnow()
    session = client_session(db, points, request.remote_addr, mac=mac, named=named)
    body = {
        "captive": True,
        "user-portal-url": settings.portal_url.rstrip("/") + "/",
        "venue-info-url": settings.landing_url,
    }
    if session is not None:
        left = logins.session_remaining(db, session, now, settings.timezone)
        if left is not None:
            body["captive"] = False
            if left.seconds is not None:
                body["seconds-remaining"] = left.seconds
            if left.octets is not None:
                body["bytes-remaining"] = left.octets
            body["can-extend-session"] = left.can_extend
            if left.slowed_until is not None:
                body["slowed-until"] = local_time(left.slowed_until, settings.timezone, "%H:%M")
    return _answer(body)
