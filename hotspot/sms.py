"""Sending one-time codes to citizens' phones, through a sender the city chooses in the settings.

`console` writes the message to the log (development, and cities that relay
the log to an SMS gateway); `webhook` POSTs JSON `{"to": "+62…", "message": "…"}`
to `sms_webhook_url`, which most Indonesian SMS providers accept directly or
through a small relay.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from dataclasses import dataclass

from hotspot.settings import Settings

log = logging.getLogger(__name__)
SMS_SENDERS = ("console", "webhook")


class SmsError(Exception):
    """The message could not be handed to the SMS provider."""


@dataclass(frozen=True)
class ConsoleSender:
    """Logs each message (one line, easy to grep or relay)."""

    def send(self, phone: str, message: str) -> None:
        log.info("SMS to %s: %s", phone, message)


@dataclass(frozen=True)
class WebhookSender:
    """POSTs each message as JSON to the provider's (or a relay's) URL."""

    url: str
    timeout: float = 5.0

    def send(self, phone: str, message: str) -> None:
        body = json.dumps({"to": phone, "message": message}).encode()
        request = urllib.request.Request(
            self.url, data=body, method="POST", headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                response.read()
        except (urllib.error.URLError, OSError) as exc:
            log.warning("SMS webhook failed for %s: %s", phone, exc)
            raise SmsError(str(exc)) from exc


def make_sender(settings: Settings) -> ConsoleSender | WebhookSender:
    """The sender named by `sms_sender`."""
    if settings.sms_sender == "webhook":
        if not settings.sms_webhook_url:
            raise ValueError("sms_sender is 'webhook' but sms_webhook_url is empty")
        return WebhookSender(settings.sms_webhook_url)
    if settings.sms_sender != "console":
        raise ValueError(f"sms_sender must be one of {', '.join(SMS_SENDERS)}, not {settings.sms_sender!r}")
    return ConsoleSender()
