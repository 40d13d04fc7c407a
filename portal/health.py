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
from hotspot.models import Alert, HealthBeat, Nas, RadiusSession
from hotspot.services import alerts, site_health
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
        db.execute(
            insert_for(db.get_bind().dialect.name)(HealthBeat)
            .values(name=BEAT_NAME, beat_at=utcnow())
            .on_conflict_do_update(index_elements=["name"], set_={"beat_at": utcnow()})
        )
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
        yield from site_gauges(db)


SITE_GAUGES = (
    ("hotspot_site_last_heard_timestamp_seconds", "When the router last sent any RADIUS packet (Unix time)"),
    ("hotspot_site_sessions_online", "Open RADIUS sessions"),
    ("hotspot_site_auth_accepts_last_hour", "Access-Accepts in this clock hour and the one before"),
    ("hotspot_site_auth_rejects_last_hour", "Access-Rejects in this clock hour and the one before"),
    ("hotspot_site_input_octets_last_hour", "Bytes from the clients in this clock hour and the one before"),
    ("hotspot_site_output_octets_last_hour", "Bytes to the clients in this clock hour and the one before"),
)


SITE_LABELS = ("nas", "ap")


def site_series(db, now):
    """Each labelled row of the site gauges: ((nas, ap), figures). The one place that names the series.

    A router as a whole has ap ""; each of its access points has a row of its own, ap = its label.
    """
    for site in site_health.nas_activity(db, now):
        yield (site.name, ""), site
    for nas_name, point in site_health.access_point_activity(db, now):
        yield (nas_name, point.name), point


def site_gauges(db):
    """Per site gauges (labels SITE_LABELS) and the alert gauges."""
    families = [GaugeMetricFamily(name, help_text, labels=SITE_LABELS) for name, help_text in SITE_GAUGES]
    for labels, site in site_series(db, utcnow()):
        heard = site.last_heard.timestamp() if site.last_heard else 0
        for family, value in zip(
            families,
            (heard, site.sessions_online, site.accepts, site.rejects, site.input_octets, site.output_octets),
        ):
            family.add_metric(labels, value)
    yield from families
    open_alerts = GaugeMetricFamily("hotspot_alerts_open", "Open site alerts", labels=["rule"])
    for kind, count in db.execute(
        select(Alert.kind, func.count()).where(Alert.open_key.is_not(None)).group_by(Alert.kind)
    ):
        open_alerts.add_metric([kind], count)
    yield open_alerts
    queued = GaugeMetricFamily(
        "hotspot_alert_notifications", "Alert notifications waiting or given up", labels=["channel", "status"]
    )
    for (channel, status), count in alerts.queue_counts(db).items():
        queued.add_metric([channel, status], count)
    yield queued


@bp.get("/metrics")
def metrics():
    registry = CollectorRegistry()
    registry.register(DatabaseCollector())
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)
