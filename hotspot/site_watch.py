"""The site watch: a thread that checks the alert rules and sends the queued notifications.

It runs in the RADIUS supervisor (never in a worker, so no packet waits for it) with its own
small database engine. Every `alert_check_seconds` it loads what each site did, evaluates the
rules, opens and closes alerts, then drains the notification queue. A database or channel
failure is one log line and the next round tries again.
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy.exc import SQLAlchemyError

from hotspot import alert_rules, notify
from hotspot.clock import utcnow
from hotspot.db import make_engine, make_session_factory
from hotspot.services import alerts, site_health
from hotspot.settings import Settings

log = logging.getLogger(__name__)
STOP_WAIT_SECONDS = 5.0


def check(db, settings: Settings) -> alerts.Changes:
    """One round: evaluate every rule at the current time, reconcile the alerts, send what is due."""
    now = utcnow()
    conditions = alert_rules.evaluate(
        alerts.load_rules(db, settings),
        site_health.nas_activity(db, now),
        site_health.access_points_heard(db, now),
        site_health.opening_hours(db),
        now,
        settings.timezone,
    )
    changes = alerts.reconcile(db, conditions, alerts.configured_channels(settings), now)
    for alert in changes.opened:
        log.warning(
            "alert_opened id=%d rule=%s subject=%r detail=%r",
            alert.id,
            alert.kind,
            alert.subject,
            alert.detail,
        )
    for alert in changes.closed:
        log.info("alert_closed id=%d rule=%s subject=%r", alert.id, alert.kind, alert.subject)
    notify.drain(db, settings, utcnow())
    return changes


class SiteWatch(threading.Thread):
    """Runs `check` now and then every alert_check_seconds until stopped."""

    def __init__(self, settings: Settings):
        super().__init__(name="site-watch", daemon=True)
        self.settings = settings
        self.stopping = threading.Event()
        self.engine = make_engine(settings, pool_size=1, max_overflow=1)
        self.sessions = make_session_factory(self.engine)

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                with self.sessions() as db:
                    check(db, self.settings)
            except SQLAlchemyError as exc:
                log.error("site_watch_failed error=%s", exc.__class__.__name__)
            except Exception:
                log.exception("site_watch_failed")
            self.stopping.wait(self.settings.alert_check_seconds)
        self.engine.dispose()

    def stop(self) -> None:
        """Ask the thread to end after its current round (a send in progress gets STOP_WAIT_SECONDS)."""
        self.stopping.set()
        self.join(timeout=STOP_WAIT_SECONDS)


def start(settings: Settings) -> SiteWatch:
    """Start the site watch thread and return it (call its stop() on shutdown)."""
    watch = SiteWatch(settings)
    watch.start()
    log.info(
        "site_watch_started every=%ss channels=%s",
        settings.alert_check_seconds,
        ",".join(alerts.configured_channels(settings)) or "none",
    )
    return watch
