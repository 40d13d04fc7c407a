"""Sending the queued alert notifications: e-mail over SMTP and a JSON webhook, with retries.

The queue is the `notification` table, so a restart loses nothing. A notification is claimed by
moving its next try past a lease (a compare-and-set UPDATE, no lock held while sending), sent
outside any transaction, then marked sent, or retried with a doubling delay until MAX_ATTEMPTS.
A channel that fails is skipped for the rest of the round, so a dead mail server costs one
timeout per round, not one per message.

Webhook body (JSON, one POST per alert opened or closed), for a Telegram or WhatsApp gateway:
``event`` ("alert.opened" or "alert.closed"), ``text`` (one line a person can read),
``alert`` (``id, rule, status, nas, access_point, subject, detail, opened_at, closed_at``),
``console_url``.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Callable
from datetime import datetime, timedelta
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

import requests
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hotspot.alert_rules import RULE_TITLES
from hotspot.models import Notification
from hotspot.services.alerts import alert_to_dict
from hotspot.settings import Settings

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 10
LONGEST_DELAY = timedelta(hours=1)
LEASE = timedelta(minutes=2)
ROUND = 50
TIMEOUT_SECONDS = 10.0


class ChannelError(Exception):
    """The channel did not take the message; the text says why (shown in the console)."""


def message_text(notification: Notification) -> str:
    alert = notification.alert
    state = "DOWN" if notification.event == "opened" else "RESOLVED"
    return f"[{state}] {alert.subject}: {RULE_TITLES.get(alert.kind, alert.kind)} ({alert.detail})"


def webhook_body(notification: Notification, settings: Settings) -> dict:
    return {
        "event": f"alert.{notification.event}",
        "text": message_text(notification),
        "alert": alert_to_dict(notification.alert),
        "console_url": f"{settings.portal_url}/admin/alerts",
    }


def send_email(notification: Notification, settings: Settings) -> None:
    """One mail to every address in alert_emails, through smtp_url (STARTTLS when the server offers it)."""
    url = urlsplit(settings.smtp_url)
    if url.scheme not in ("smtp", "smtps") or not url.hostname:
        raise ChannelError(f"smtp_url must look like smtp://[user:password@]host:port, not {url.scheme}://…")
    recipients = settings.alert_recipients
    if not recipients:
        raise ChannelError("alert_emails is empty")
    message = EmailMessage()
    message["From"], message["To"] = settings.mail_from, ", ".join(recipients)
    message["Subject"] = message_text(notification)
    alert = notification.alert
    message.set_content(
        f"{message_text(notification)}\n\nOpened: {alert.opened_at.isoformat()}\n"
        + (f"Closed: {alert.closed_at.isoformat()}\n" if alert.closed_at else "")
        + f"\n{settings.portal_url}/admin/alerts\n"
    )
    smtp_class = smtplib.SMTP_SSL if url.scheme == "smtps" else smtplib.SMTP
    try:
        with smtp_class(
            url.hostname, url.port or (465 if url.scheme == "smtps" else 25), timeout=TIMEOUT_SECONDS
        ) as smtp:
            if url.scheme == "smtp":
                smtp.ehlo()
                if smtp.has_extn("starttls"):
                    smtp.starttls(context=ssl.create_default_context())
            if url.username:
                smtp.login(unquote(url.username), unquote(url.password or ""))
            smtp.send_message(message)
    except (smtplib.SMTPException, OSError) as exc:
        raise ChannelError(f"{exc.__class__.__name__}: {exc}") from exc


def send_webhook(notification: Notification, settings: Settings) -> None:
    if not settings.alert_webhook_url:
        raise ChannelError("alert_webhook_url is empty")
    try:
        response = requests.post(
            settings.alert_webhook_url, json=webhook_body(notification, settings), timeout=TIMEOUT_SECONDS
        )
    except requests.RequestException as exc:
        text = _without_url(f"{exc.__class__.__name__}: {exc}", settings.alert_webhook_url)
        raise ChannelError(text) from exc
    if response.status_code >= 300:
        raise ChannelError(f"HTTP {response.status_code} from the webhook")


def _without_url(text: str, url: str) -> str:
    """The error without the webhook's path and query, which often carry a chat gateway's token."""
    parts = urlsplit(url)
    for secret in (url, parts.path + (f"?{parts.query}" if parts.query else "")):
        if secret.strip("/"):
            text = text.replace(secret, "…")
    return text


SENDERS: dict[str, Callable[[Notification, Settings], None]] = {"email": send_email, "webhook": send_webhook}


def retry_delay(attempts: int, base_seconds: float) -> timedelta:
    """Wait after the n-th failed attempt: base, 2 x base, 4 x base, … at most an hour."""
    return min(timedelta(seconds=base_seconds * 2 ** (attempts - 1)), LONGEST_DELAY)


def _claim(db: Session, notification_id: int, due: datetime, now: datetime) -> bool:
    claimed = db.execute(
        update(Notification)
        .where(
            Notification.id == notification_id,
            Notification.status == "pending",
            Notification.next_try_at == due,
        )
        .values(next_try_at=now + LEASE)
    ).rowcount
    db.commit()
    return bool(claimed)


def drain(db: Session, settings: Settings, now: datetime) -> int:
    """Send the notifications due at `now` (a round of at most ROUND); returns how many went out."""
    due = db.execute(
        select(Notification.id, Notification.next_try_at, Notification.channel)
        .where(
            Notification.status == "pending",
            Notification.next_try_at <= now,
        )
        .order_by(Notification.next_try_at, Notification.id)
        .limit(ROUND)
    ).all()
    failing: set[str] = set()
    sent = 0
    for notification_id, next_try_at, channel in due:
        if channel in failing or not _claim(db, notification_id, next_try_at, now):
            continue
        notification = db.get(Notification, notification_id)
        notification.attempts += 1
        notification.last_attempt_at = now
        try:
            SENDERS[notification.channel](notification, settings)
        except ChannelError as exc:
            failing.add(channel)
            notification.last_error = str(exc)[:1000]
            if notification.attempts >= MAX_ATTEMPTS:
                notification.status = "failed"
            else:
                delay = retry_delay(notification.attempts, settings.alert_retry_seconds)
                notification.next_try_at = now + delay
            log.warning(
                "alert_notification_failed id=%d channel=%s attempt=%d error=%s",
                notification.id,
                channel,
                notification.attempts,
                notification.last_error,
            )
        else:
            notification.status, notification.sent_at = "sent", now
            sent += 1
            log.info(
                "alert_notification_sent id=%d channel=%s event=%s alert=%d",
                notification.id,
                channel,
                notification.event,
                notification.alert_id,
            )
        db.commit()
    return sent
