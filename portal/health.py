"""Liveness and metrics for load balancers and Prometheus."""

from __future__ import annotations

import logging

from flask import Blueprint, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from hotspot.clock import utcnow
from hotspot.db import insert_for
from hotspot.models import HealthBeat, Nas, RadiusSession
from portal import extensions

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)
BEAT_NAME = "portal"


@bp.get("/healthz")
def healthz():
    """200 when the database takes a write, 503 otherwise: a database that answers reads but refuses
    writes (read-only after a failover, a read-only file, a write lock never released) cannot record a single
    login. The probe row is written and rolled back, so a check leaves nothing behind."""
    db = extensions.db()
    try:
        db.execute(insert_for(db.get_bind().dialect.name)(HealthBeat).values(name=BEAT_NAME, beat_at=utcnow())
                   .on_conflict_do_update(index_elements=["name"], set_={"beat_at": utcnow()}))
    except SQLAlchemyError as exc:
        log.warning("health check: database unavailable or refusing writes: %s", exc.__class__.__name__)
        return {"status": "error", "database": "unavailable"}, 503
    finally:
        db.rollback()
    return {"status": "ok", "database": "ok"}


class DatabaseCollector:
    """Gauges read from the database at scrape time, so every portal worker reports the same."""

    def collect(self):
        db = extensions.db()
        active = GaugeMetricFamily("hotspot_active_sessions", "Open RADIUS sessions", labels=["nas"])
        for name, count in db.execute(
            select(Nas.name, func.count(RadiusSession.id))
            .join(RadiusSession, RadiusSession.nas_id == Nas.id)
            .where(RadiusSession.status == "active")
            .group_by(Nas.name)
        ):
            active.add_metric([name], count)
        yield active
        nas_count = GaugeMetricFamily("hotspot_nas", "Registered access points", labels=["active"])
        for is_active, count in db.execute(select(Nas.active, func.count()).group_by(Nas.active)):
            nas_count.add_metric(["true" if is_active else "false"], count)
        yield nas_count


@bp.get("/metrics")
def metrics():
    registry = CollectorRegistry()
    registry.register(DatabaseCollector())
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)
