"""Alerts as the console, the API and the site watch see them: rules, open and closed alerts, channels.

`reconcile` turns the conditions that hold now into alerts: a new condition opens an alert, a
condition gone closes it, and each change queues one notification per configured channel in the
same transaction, so an alert is never opened without its notifications. Two evaluators racing
(two RADIUS hosts on one database) cannot open the same alert twice: `Alert.open_key` is unique.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hotspot.alert_rules import RULE_KINDS, Condition, Rule, default_rules, out_of_range
from hotspot.models import Alert, AlertRule, Notification
from hotspot.services import audit
from hotspot.settings import Settings
from hotspot.validation import ValidationError

CHANNELS = ("email", "webhook")
RECENT_ALERTS = 50
THRESHOLDS = ("minutes", "share", "min_count")
LIMIT_MESSAGES = {
    "minutes": "minutes must be more than 0 and at most a week (10080)",
    "share": "share must be between 0 and 1, e.g. 0.5 for half of the attempts",
    "min_count": "the minimum count must be a whole number from 1 to 1000000",
}


def load_rules(db: Session, settings: Settings) -> dict[str, Rule]:
    """The rules in force: the defaults, with each admin's change on top."""
    rules = default_rules(settings)
    for row in db.scalars(select(AlertRule).where(AlertRule.kind.in_(RULE_KINDS))):
        default = rules[row.kind]
        rules[row.kind] = default.replace(
            enabled=row.enabled,
            **{
                name: getattr(row, name)
                for name in THRESHOLDS
                if getattr(default, name) is not None and getattr(row, name) is not None
            },
        )
    return rules


def changed_rules(db: Session) -> set[str]:
    """The kinds an admin has changed (the others follow the settings)."""
    return set(db.scalars(select(AlertRule.kind)))


def save_rule(db: Session, settings: Settings, rule: Rule, actor: str, ip: str | None = None) -> Rule:
    """Store an admin's thresholds for one rule (audited, committed)."""
    default = default_rules(settings).get(rule.kind)
    if default is None:
        raise ValidationError(f"no alert rule {rule.kind!r}")
    wrong = out_of_range(rule, default)
    if wrong:
        raise ValidationError("; ".join(LIMIT_MESSAGES[name] for name in wrong))
    row = db.get(AlertRule, rule.kind) or AlertRule(kind=rule.kind)
    row.enabled, row.updated_by = rule.enabled, actor
    for name in THRESHOLDS:
        setattr(row, name, getattr(rule, name) if getattr(default, name) is not None else None)
    db.add(row)
    audit.record(
        db,
        actor,
        "alert_rule.update",
        rule.kind,
        {"enabled": rule.enabled, **{name: getattr(row, name) for name in THRESHOLDS}},
        ip=ip,
    )
    db.commit()
    return load_rules(db, settings)[rule.kind]


def reset_rule(db: Session, kind: str, actor: str, ip: str | None = None) -> None:
    """Forget an admin's change: the rule follows the settings' defaults again."""
    row = db.get(AlertRule, kind)
    if row is not None:
        db.delete(row)
        audit.record(db, actor, "alert_rule.reset", kind, ip=ip)
        db.commit()


def configured_channels(settings: Settings) -> list[str]:
    """The channels that have somewhere to send to."""
    channels = []
    if settings.smtp_url and settings.alert_recipients:
        channels.append("email")
    if settings.alert_webhook_url:
        channels.append("webhook")
    return channels


@dataclass(frozen=True)
class Changes:
    opened: list[Alert]
    closed: list[Alert]


def _queue(db: Session, alert: Alert, event: str, channels: Iterable[str], now: datetime) -> None:
    for channel in channels:
        db.add(
            Notification(
                alert=alert, event=event, channel=channel, status="pending", next_try_at=now, created_at=now
            )
        )


def reconcile(db: Session, conditions: Iterable[Condition], channels: list[str], now: datetime) -> Changes:
    """Open an alert for each new condition, close those whose condition cleared; queue notifications."""
    holding = {c.key: c for c in conditions}
    open_alerts = {a.open_key: a for a in db.scalars(select(Alert).where(Alert.open_key.is_not(None)))}
    opened, closed = [], []
    for key, condition in holding.items():
        if key not in open_alerts:
            alert = Alert(
                kind=condition.kind,
                nas_id=condition.nas_id,
                access_point=condition.access_point,
                subject=condition.subject[:128],
                detail=condition.detail[:255],
                figures=dict(condition.figures),
                open_key=key,
                opened_at=now,
            )
            db.add(alert)
            _queue(db, alert, "opened", channels, now)
            opened.append(alert)
    for key, alert in open_alerts.items():
        if key not in holding:
            claimed = db.execute(
                update(Alert)
                .where(Alert.id == alert.id, Alert.open_key.is_not(None))
                .values(open_key=None, closed_at=now)
            ).rowcount
            if claimed:
                _queue(db, alert, "closed", channels, now)
                closed.append(alert)
    try:
        db.commit()
    except IntegrityError:
        db.rollback()
        return Changes([], [])
    for alert in closed:
        db.refresh(alert)
    return Changes(opened, closed)


def open_alerts(db: Session) -> list[Alert]:
    return list(db.scalars(select(Alert).where(Alert.open_key.is_not(None)).order_by(Alert.opened_at.desc())))


def recent_alerts(db: Session, limit: int = RECENT_ALERTS, status: str | None = None) -> list[Alert]:
    """Newest first; `status` open or closed narrows them."""
    query = select(Alert).order_by(Alert.opened_at.desc(), Alert.id.desc()).limit(limit)
    if status == "open":
        query = query.where(Alert.open_key.is_not(None))
    elif status == "closed":
        query = query.where(Alert.open_key.is_(None))
    elif status is not None:
        raise ValidationError("status must be open or closed")
    return list(db.scalars(query))


def alert_to_dict(alert: Alert) -> dict:
    """An alert as the API and the webhook give it."""
    return {
        "id": alert.id,
        "rule": alert.kind,
        "status": "open" if alert.open_key else "closed",
        "nas": alert.nas.name if alert.nas else None,
        "access_point": alert.access_point,
        "subject": alert.subject,
        "detail": alert.detail,
        "opened_at": alert.opened_at.isoformat(),
        "closed_at": alert.closed_at.isoformat() if alert.closed_at else None,
    }


@dataclass(frozen=True)
class ChannelState:
    """How a channel is doing, for the console: its latest attempt decides ok or failing."""

    channel: str
    configured: bool
    state: str
    pending: int
    failed: int
    last_sent_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None


def queue_counts(db: Session) -> dict[tuple[str, str], int]:
    """Notifications waiting or given up, per (channel, status)."""
    return {
        (channel, status): count
        for channel, status, count in db.execute(
            select(Notification.channel, Notification.status, func.count())
            .where(Notification.status.in_(("pending", "failed")))
            .group_by(Notification.channel, Notification.status)
        )
    }


def channel_states(db: Session, settings: Settings) -> list[ChannelState]:
    configured = configured_channels(settings)
    counts = queue_counts(db)
    states = []
    for channel in CHANNELS:
        latest = db.scalar(
            select(Notification)
            .where(Notification.channel == channel, Notification.last_attempt_at.is_not(None))
            .order_by(Notification.last_attempt_at.desc())
            .limit(1)
        )
        last_sent = db.scalar(select(func.max(Notification.sent_at)).where(Notification.channel == channel))
        failed_row = db.scalar(
            select(Notification)
            .where(Notification.channel == channel, Notification.last_error.is_not(None))
            .order_by(Notification.last_attempt_at.desc())
            .limit(1)
        )
        if latest is None:
            state = "idle" if channel in configured else "not configured"
        else:
            state = "ok" if latest.status == "sent" else "failing"
        states.append(
            ChannelState(
                channel,
                channel in configured,
                state,
                counts.get((channel, "pending"), 0),
                counts.get((channel, "failed"), 0),
                last_sent,
                failed_row.last_error if failed_row else None,
                failed_row.last_attempt_at if failed_row else None,
            )
        )
    return states
