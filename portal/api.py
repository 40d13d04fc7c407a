"""The JSON API for scripts and dashboards, /api/v1, with per-admin bearer tokens.

A token acts with its admin's role (see portal.admin.roles): 401 without a
valid token, 403 beyond the role. No cookies are involved, so CSRF does not
apply. The OpenAPI document at /api/v1/openapi.json lists every endpoint.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from datetime import timedelta
from pathlib import Path

from flask import Blueprint, Response, g, jsonify, request, url_for
from sqlalchemy import select

from hotspot.clock import utcnow
from hotspot.crypto import hash_token
from hotspot.models import ApiToken, AuditEvent, RadiusSession
from hotspot.services import alerts, ap_map, auth_log, session_log
from hotspot.services.disconnects import disconnect_session
from hotspot.services.nas import list_nas
from hotspot.services.sessions import SessionFilter, parse_time, session_to_dict
from hotspot.services.usage import usage
from hotspot.services.vouchers import generate_vouchers
from hotspot.validation import ValidationError
from portal import extensions
from portal.admin.auth_log import citizen_message
from portal.admin.roles import allowed

bp = Blueprint("api", __name__, url_prefix="/api/v1")
extensions.csrf.exempt(bp)
OPENAPI_FILE = Path(__file__).parent / "static" / "openapi.json"
MAX_LIMIT = 1000
TOKEN_TOUCH_INTERVAL = timedelta(minutes=1)


class ApiError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


@bp.errorhandler(ApiError)
def api_error(exc: ApiError):
    response = jsonify({"error": str(exc)})
    response.status_code = exc.status
    if exc.status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="hotspot"'
    return response


@bp.errorhandler(ValidationError)
def bad_input(exc: ValidationError):
    return jsonify({"error": str(exc)}), 400


def authenticated_token() -> ApiToken:
    """The valid, unrevoked token of an active admin named by the Authorization header, or 401."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "send Authorization: Bearer TOKEN")
    db = extensions.db()
    record = db.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token.strip())))
    if record is None or record.revoked or not record.admin.active:
        raise ApiError(401, "invalid or revoked token")
    now = utcnow()
    if record.last_used_at is None or now - record.last_used_at > TOKEN_TOUCH_INTERVAL:
        record.last_used_at = now
        db.commit()
    return record


def token_requires(needed: str):
    """Guard an API endpoint by the token's role."""

    def decorator(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            g.api_token = authenticated_token()
            if not allowed(g.api_token.admin.role, needed):
                raise ApiError(
                    403, f"this needs the {needed} role; the token's admin is {g.api_token.admin.role}"
                )
            return view(*args, **kwargs)

        return wrapper

    return decorator


def _limit() -> int:
    limit = request.args.get("limit", 100, type=int)
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationError(f"limit must be between 1 and {MAX_LIMIT}")
    return limit


def _session_page(session_filter: SessionFilter) -> Response:
    """A JSON array of sessions, newest first; a Link header (rel=next) carries the cursor to the next
    page."""
    after = session_log.Cursor.decode(request.args["after"]) if request.args.get("after") else None
    page = session_log.page_sessions(
        extensions.db(), session_filter, after, request.args.get("sort", "desc"), _limit()
    )
    response = jsonify([session_to_dict(s) for s in page.rows])
    if page.next_cursor is not None:
        args = {**request.args.to_dict(), "after": page.next_cursor.encode()}
        response.headers["Link"] = f'<{url_for(request.endpoint, _external=True, **args)}>; rel="next"'
    return response


@bp.get("/openapi.json")
def openapi():
    return Response(OPENAPI_FILE.read_text(), mimetype="application/json")


@bp.get("/sessions")
@token_requires("viewer")
def sessions():
    return _session_page(session_log.filter_from_query(request.args))


@bp.get("/sessions/active")
@token_requires("viewer")
def active_sessions():
    return _session_page(session_log.filter_from_query({**request.args.to_dict(), "status": "active"}))


@bp.get("/auth-events")
@token_requires("viewer")
def auth_events():
    """The login log, newest first, with the console's filters; a Link header (rel=next) pages on."""
    after = auth_log.Cursor.decode(request.args["after"]) if request.args.get("after") else None
    language = request.args.get("lang", "id")
    if language not in auth_log.LANGUAGES:
        raise ValidationError("lang must be id or en")
    page = auth_log.page_events(extensions.db(), auth_log.filter_from_query(request.args), after, _limit())
    response = jsonify(
        [
            auth_log.event_to_dict(event, nas, citizen_message(event, language), ap)
            for event, nas, ap in page.rows
        ]
    )
    if page.next_cursor is not None:
        args = {**request.args.to_dict(), "after": page.next_cursor.encode()}
        response.headers["Link"] = f'<{url_for(request.endpoint, _external=True, **args)}>; rel="next"'
    return response


@bp.get("/usage")
@token_requires("viewer")
def usage_report():
    by = request.args.get("by", "nas")
    if by not in ("nas", "ap", "hour"):
        raise ValidationError("by must be nas, ap or hour")
    return jsonify(usage(extensions.db(), by, parse_time(request.args.get("since"))))


@bp.get("/nas")
@token_requires("viewer")
def nas_list():
    return jsonify(
        [
            {
                "id": n.id,
                "name": n.name,
                "ip_range": n.ip_range,
                "vendor": n.vendor,
                "location": n.location_name,
                "latitude": n.latitude,
                "longitude": n.longitude,
                "identifier": n.identifier,
                "active": n.active,
                "require_message_authenticator": n.require_message_authenticator,
                "last_seen_at": n.last_seen_at.isoformat() if n.last_seen_at else None,
                "last_address": n.last_address,
            }
            for n in list_nas(extensions.db())
        ]
    )


def _map_points() -> list[ap_map.MapPoint]:
    return ap_map.map_points(extensions.db(), utcnow(), extensions.settings())


@bp.get("/access-points")
@token_requires("viewer")
def access_points():
    return jsonify([ap_map.point_to_dict(p) for p in _map_points()])


@bp.get("/access-points.geojson")
@token_requires("viewer")
def access_points_geojson():
    return Response(
        json.dumps(ap_map.feature_collection(_map_points(), public=False)), mimetype="application/geo+json"
    )


@bp.get("/alerts")
@token_requires("viewer")
def alert_list():
    """Site alerts, newest first; ?status=open|closed narrows them."""
    status = request.args.get("status") or None
    return jsonify([alerts.alert_to_dict(a) for a in alerts.recent_alerts(extensions.db(), _limit(), status)])


@bp.post("/vouchers")
@token_requires("operator")
def create_vouchers():
    """Generate a batch: {"plan": NAME, "count": N, "batch": optional label} -> 201 with the codes."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("count"), int):
        raise ValidationError('send JSON like {"plan": "Acara", "count": 10}')
    created = generate_vouchers(
        extensions.db(),
        str(body.get("plan", "")),
        body["count"],
        body.get("batch"),
        actor=f"api:{g.api_token.admin.username}",
    )
    return jsonify(
        {"batch": created[0].batch, "plan": created[0].plan.name, "codes": [v.code for v in created]}
    ), 201


@bp.get("/audit")
@token_requires("admin")
def audit_log():
    events = extensions.db().scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(_limit()))
    return jsonify(
        [
            {
                "id": e.id,
                "time": e.time.isoformat(),
                "actor": e.actor,
                "action": e.action,
                "target": e.target,
                "detail": json.loads(e.detail or "{}"),
                "ip": e.ip,
            }
            for e in events
        ]
    )


@bp.post("/sessions/<int:session_id>/disconnect")
@token_requires("operator")
def disconnect(session_id: int):
    """RFC 5176 Disconnect-Request; the router's answer is returned as is (200 even for a NAK)."""
    db = extensions.db()
    session = db.get(RadiusSession, session_id)
    if session is None:
        raise ApiError(404, "no such session")
    admin = g.api_token.admin
    result = disconnect_session(
        db,
        extensions.settings(),
        extensions.state().box,
        session,
        f"api:{admin.username}",
        admin_id=admin.id,
        ip=request.remote_addr,
    )
    return jsonify(dataclasses.asdict(result))
