"""Site alerts end to end: a real `hotspot radius`, real UDP accounting, a real SMTP server (aiosmtpd)
and a loopback HTTP receiver for the webhook; plus the rules over real roll-ups and the console and API."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from hotspot import notify, site_watch
from hotspot.clock import utcnow
from hotspot.crypto import SecretBox
from hotspot.models import AccessPoint, Alert, AlertRule, Nas, Notification, UsageHour
from hotspot.services import alerts
from hotspot.services.admins import create_admin, create_api_token
from hotspot.services.nas import NasSpec, add_nas
from testbed.helpers import free_port, wait_for
from testbed.radius_daemon import RadiusDaemon, exchange
from testbed.radius_packets import accounting_request
from tests.conftest import csrf_token_from
from tests.support.admin_data import add_session

SECRET = b"router-secret"
SILENT_SECONDS = 3


class Inbox:
    """aiosmtpd handler keeping every message it is given."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content, policy=policy.default)))
        return "250 OK"

    def subjects(self) -> list[str]:
        return [message["Subject"] for _, message in self.messages]


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    handler, port = Inbox(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


class Receiver(ThreadingHTTPServer):
    """A webhook endpoint on loopback: records each JSON body, answers with `status`."""

    def __init__(self, port: int):
        self.bodies: list[dict] = []
        self.attempts = 0
        self.status = 200
        super().__init__(("127.0.0.1", port), ReceiverHandler)

    def events(self) -> list[str]:
        return [body["event"] for body in self.bodies]


class ReceiverHandler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.attempts += 1
        if self.server.status < 300:
            self.server.bodies.append(body)
        self.send_response(self.server.status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *_):
        pass


@contextmanager
def receiver_on(port: int) -> Iterator[Receiver]:
    server = Receiver(port)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with receiver_on(free_port()) as server:
        yield server


@pytest.fixture
def router(db, settings) -> Nas:
    return add_nas(
        db,
        SecretBox(settings.secret_key),
        NasSpec(name="Taman Tirosa", ip_range="127.0.0.1", secret=SECRET.decode(), vendor="mikrotik"),
        actor="test",
    )


def alerting(settings, **overrides):
    return settings.with_overrides(
        alert_silent_minutes=SILENT_SECONDS / 60,
        alert_check_seconds=0.3,
        alert_retry_seconds=1.0,
        **overrides,
    )


def account(status: str, identifier: int) -> bytes:
    return accounting_request(
        SECRET,
        status,
        "80000001",
        "t-user",
        identifier=identifier,
        Calling_Station_Id="AA:BB:CC:DD:EE:01",
        Acct_Session_Time=identifier,
    )


def alerts_of(db) -> list[Alert]:
    db.expire_all()
    return list(db.scalars(select(Alert).order_by(Alert.id)))


@pytest.mark.slow
def test_router_falls_silent_then_speaks_again_mail_and_webhook_both_ways(
    db, settings, router, inbox, receiver, tmp_path
):
    handler, smtp_port = inbox
    watched = alerting(
        settings,
        smtp_url=f"smtp://127.0.0.1:{smtp_port}",
        mail_from="wifi@kupangkota.go.id",
        alert_emails="noc@kupangkota.go.id, budi@kupangkota.go.id",
        alert_webhook_url=f"http://127.0.0.1:{receiver.server_port}/hook",
    )
    daemon = RadiusDaemon(watched, tmp_path / "radius.log").start(SECRET)
    try:
        assert exchange(account("Start", 1), daemon.acct_port) is not None
        first_heard = utcnow()
        wait_for(
            lambda: receiver.bodies and handler.messages, timeout=20, what="the alert by mail and webhook"
        )
        opened = receiver.bodies[0]
        assert opened["event"] == "alert.opened"
        assert opened["alert"]["rule"] == "nas_silent"
        assert opened["alert"]["nas"] == "Taman Tirosa"
        assert opened["alert"]["status"] == "open"
        assert opened["text"].startswith(
            "[DOWN] Taman Tirosa: No RADIUS traffic from a router (no RADIUS packet for "
        )
        assert opened["console_url"] == f"{watched.portal_url}/admin/alerts"
        recipients, mail = handler.messages[0]
        assert recipients == ["noc@kupangkota.go.id", "budi@kupangkota.go.id"]
        assert mail["From"] == "wifi@kupangkota.go.id"
        assert mail["Subject"] == opened["text"]
        assert [a.open_key for a in alerts_of(db)] == [f"nas_silent:{router.id}:"]

        # The workers note a NAS at most once a minute: speak again once the next note is due.
        wait_for(
            lambda: utcnow() - first_heard > timedelta(seconds=61),
            timeout=70,
            interval=0.5,
            what="a minute since the first packet",
        )
        assert exchange(account("Interim-Update", 2), daemon.acct_port) is not None
        wait_for(
            lambda: "alert.closed" in receiver.events() and len(handler.messages) == 2,
            timeout=20,
            what="the close by mail and webhook",
        )
    finally:
        daemon.stop()
    closed = receiver.bodies[1]
    assert closed["alert"]["id"] == opened["alert"]["id"]
    assert closed["alert"]["status"] == "closed"
    assert closed["text"].startswith("[RESOLVED] Taman Tirosa")
    assert handler.messages[1][1]["Subject"] == closed["text"]
    [alert] = alerts_of(db)
    assert alert.open_key is None and alert.closed_at is not None
    assert sorted((n.event, n.channel, n.status) for n in db.scalars(select(Notification))) == [
        ("closed", "email", "sent"),
        ("closed", "webhook", "sent"),
        ("opened", "email", "sent"),
        ("opened", "webhook", "sent"),
    ]
    assert receiver.events() == ["alert.opened", "alert.closed"]
    assert "site_watch_started" in daemon.log()


def test_failing_webhook_is_retried_shown_in_the_console_and_sent_after_a_restart(
    db, settings, router, client, login, tmp_path
):
    port = free_port()
    watched = alerting(settings, alert_webhook_url=f"http://127.0.0.1:{port}/hook")
    with receiver_on(port) as receiver:
        receiver.status = 500
        daemon = RadiusDaemon(watched, tmp_path / "radius.log").start(SECRET)
        try:
            assert exchange(account("Start", 1), daemon.acct_port) is not None
            wait_for(lambda: receiver.attempts >= 2, timeout=20, what="the webhook tried twice")
        finally:
            daemon.stop()
        db.expire_all()
        [notification] = db.scalars(select(Notification))
        assert (notification.event, notification.status) == ("opened", "pending")
        assert notification.attempts >= 2
        assert notification.last_error == "HTTP 500 from the webhook"

        login("viewer")
        page = client.get("/admin/alerts").get_data(as_text=True)
        webhook_row = page.split('data-channel="webhook"')[1].split("</tr>")[0]
        assert '<td class="offline">gagal</td>' in webhook_row
        assert "HTTP 500 from the webhook" in webhook_row
        assert (
            "Tidak ada lalu lintas RADIUS dari router"
            in page.split('id="open-alerts"')[1].split("</table>")[0]
        )
        english = client.get("/admin/alerts?lang=en").get_data(as_text=True)
        assert '<td class="offline">failing</td>' in english.split('data-channel="webhook"')[1]
        assert "No RADIUS traffic from a router" in english.split('id="open-alerts"')[1].split("</table>")[0]

        receiver.status = 200
        daemon = RadiusDaemon(watched, tmp_path / "radius.log").start(SECRET)
        try:
            wait_for(lambda: receiver.bodies, timeout=20, what="the queued notification after the restart")
        finally:
            daemon.stop()
    assert receiver.events() == ["alert.opened"]
    db.expire_all()
    assert db.get(Notification, notification.id).status == "sent"
    page = client.get("/admin/alerts?lang=id").get_data(as_text=True)
    assert '<td class="online">lancar</td>' in page.split('data-channel="webhook"')[1].split("</tr>")[0]


def test_rules_over_the_roll_ups_open_and_close_alerts(db, settings, router):
    now = utcnow()
    hour = now.replace(minute=0, second=0, microsecond=0)
    router.last_seen_at = now
    db.add(UsageHour(nas_id=router.id, hour=hour, auth_accepts=6, auth_rejects=0, sessions=0))
    db.add(UsageHour(nas_id=router.id, hour=hour - timedelta(hours=2), auth_accepts=0, auth_rejects=90))
    db.commit()
    watched = settings.with_overrides(alert_webhook_url="http://127.0.0.1:9/unused")
    changes = site_watch.check(db, watched)
    assert [(a.kind, a.subject) for a in changes.opened] == [("accounting_missing", "Taman Tirosa")]
    assert changes.opened[0].detail == "6 logins accepted in the last hour, no accounting session"

    usage = db.scalar(select(UsageHour).where(UsageHour.hour == hour))
    usage.sessions, usage.auth_rejects = 6, 30
    db.commit()
    changes = site_watch.check(db, watched)
    assert [a.kind for a in changes.closed] == ["accounting_missing"]
    assert [(a.kind, a.detail) for a in changes.opened] == [
        ("rejects_high", "30 of 36 logins refused in the last hour")
    ]
    queued = sorted((n.alert.kind, n.event, n.channel) for n in db.scalars(select(Notification)))
    assert queued == [
        ("accounting_missing", "closed", "webhook"),
        ("accounting_missing", "opened", "webhook"),
        ("rejects_high", "opened", "webhook"),
    ]
    assert site_watch.check(db, watched).opened == []


def rule_post(client, token: str, **fields):
    return client.post(
        "/admin/alerts/rules/nas_silent", data={"enabled": "on", "csrf_token": token, **fields}
    )


def test_admin_changes_a_rule_and_viewer_cannot(db, settings, router, client, login):
    router.last_seen_at = utcnow() - timedelta(minutes=10)
    db.commit()
    assert site_watch.check(db, settings).opened == []
    login("viewer", "vera")
    token = csrf_token_from(client.get("/admin/alerts").get_data(as_text=True))
    refused = rule_post(client, token, minutes="5")
    assert refused.status_code == 403
    client.post("/admin/logout", data={"csrf_token": token})
    login("admin", "ani")
    token = csrf_token_from(client.get("/admin/alerts").get_data(as_text=True))
    bad = rule_post(client, token, minutes="0")
    assert bad.status_code == 400
    assert "Menit harus lebih dari 0 dan paling lama seminggu (10080)." in bad.get_data(as_text=True)
    assert db.get(AlertRule, "nas_silent") is None
    client.get("/admin/alerts?lang=en")
    assert "The share must be between 0 and 1" in client.post(
        "/admin/alerts/rules/rejects_high",
        data={"enabled": "on", "csrf_token": token, "share": "1", "min_count": "20"},
    ).get_data(as_text=True)
    client.get("/admin/alerts?lang=id")
    saved = rule_post(client, token, minutes="5")
    assert saved.status_code == 302
    [opened] = site_watch.check(db, settings).opened
    assert (opened.kind, opened.detail) == ("nas_silent", "no RADIUS packet for 10 min")

    dashboard = client.get("/admin/").get_data(as_text=True).split('id="open-alerts"')[1].split("</table>")[0]
    assert "Tidak ada lalu lintas RADIUS dari router" in dashboard
    assert "tidak ada paket RADIUS selama 10 menit" in dashboard
    english = client.get("/admin/?lang=en").get_data(as_text=True).split('id="open-alerts"')[1]
    assert "no RADIUS packet for 10 minutes" in english.split("</table>")[0]
    client.get("/admin/alerts?lang=id")
    rule_post(client, token, reset="1")
    assert [a.kind for a in site_watch.check(db, settings).closed] == ["nas_silent"]


def test_api_lists_alerts_with_a_bearer_token(db, settings, router, client):
    router.last_seen_at = utcnow() - timedelta(minutes=30)
    db.commit()
    [opened] = site_watch.check(db, settings).opened
    assert client.get("/api/v1/alerts").status_code == 401
    create_admin(db, "api-viewer", "api-password", "viewer", actor="test")
    headers = {"Authorization": f"Bearer {create_api_token(db, 'api-viewer')}"}
    response = client.get("/api/v1/alerts?status=open", headers=headers)
    assert response.status_code == 200
    assert response.json == [
        {
            "id": opened.id,
            "rule": "nas_silent",
            "status": "open",
            "nas": "Taman Tirosa",
            "access_point": None,
            "subject": "Taman Tirosa",
            "detail": "no RADIUS packet for 30 min",
            "opened_at": opened.opened_at.isoformat(),
            "closed_at": None,
        }
    ]
    assert client.get("/api/v1/alerts?status=closed", headers=headers).json == []
    assert client.get("/api/v1/alerts?status=gone", headers=headers).status_code == 400


def test_metrics_give_each_site_its_figures(db, router, client):
    now = utcnow()
    hour = now.replace(minute=0, second=0, microsecond=0)
    router.last_seen_at = now.replace(microsecond=0)
    db.add(
        UsageHour(
            nas_id=router.id,
            hour=hour,
            auth_accepts=7,
            auth_rejects=2,
            input_octets=1000,
            output_octets=9000,
            sessions=7,
        )
    )
    db.add(UsageHour(nas_id=router.id, hour=hour - timedelta(hours=3), auth_accepts=100))
    db.commit()
    text = client.get("/metrics").get_data(as_text=True)
    site = {
        sample.name: sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.labels == {"nas": "Taman Tirosa", "ap": ""}
    }
    assert site == {
        "hotspot_site_last_heard_timestamp_seconds": router.last_seen_at.timestamp(),
        "hotspot_site_auth_accepts_last_hour": 7,
        "hotspot_site_auth_rejects_last_hour": 2,
        "hotspot_site_input_octets_last_hour": 1000,
        "hotspot_site_output_octets_last_hour": 9000,
        "hotspot_site_sessions_online": 0,
    }


def test_a_dead_webhook_is_retried_with_doubling_waits_then_given_up(db, settings, router):
    router.last_seen_at = utcnow() - timedelta(hours=1)
    db.commit()
    watched = settings.with_overrides(
        alert_webhook_url=f"http://127.0.0.1:{free_port()}/hook", alert_retry_seconds=30.0
    )
    assert [a.kind for a in site_watch.check(db, watched).opened] == ["nas_silent"]
    [notification] = db.scalars(select(Notification))  # the check tried it once already
    waits = []
    while notification.status == "pending":
        waits.append(int((notification.next_try_at - notification.last_attempt_at).total_seconds()))
        attempts = notification.attempts
        assert notify.drain(db, watched, notification.next_try_at - timedelta(seconds=1)) == 0
        db.refresh(notification)
        assert notification.attempts == attempts  # not due yet
        assert notify.drain(db, watched, notification.next_try_at) == 0
        db.refresh(notification)
    assert waits == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]
    assert (notification.status, notification.attempts) == ("failed", notify.MAX_ATTEMPTS)
    assert notification.last_error.startswith("ConnectionError: ")
    assert "/hook" not in notification.last_error
    [webhook] = [c for c in alerts.channel_states(db, watched) if c.channel == "webhook"]
    assert (webhook.state, webhook.pending, webhook.failed) == ("failing", 0, 1)


def test_a_radio_silent_behind_a_live_router_opens_an_alert_and_closes_when_heard(db, settings, router):
    now = utcnow()
    router.last_seen_at = now
    quiet = AccessPoint(
        nas_id=router.id, radio_mac="02:00:00:00:00:AA", last_seen_at=now - timedelta(minutes=61)
    )
    db.add_all(
        [
            quiet,
            AccessPoint(
                nas_id=router.id, radio_mac="02:00:00:00:00:BB", last_seen_at=now - timedelta(minutes=2)
            ),
            AccessPoint(
                nas_id=router.id, radio_mac="02:00:00:00:00:CC", last_seen_at=now - timedelta(days=3)
            ),  # forgotten: not heard for longer than AP_MEMORY
            AccessPoint(nas_id=router.id, radio_mac="", last_seen_at=now - timedelta(minutes=90)),
        ]
    )
    db.commit()
    assert site_watch.check(db, settings).opened == []  # nobody online at the whole site: nothing at fault
    add_session(
        db,
        router,
        2,
        now - timedelta(minutes=30),
        status="active",
        stop_time=None,
        terminate_cause=None,
        update_time=now - timedelta(minutes=2),
    )  # a phone on radio BB
    db.commit()
    [opened] = site_watch.check(db, settings).opened
    assert (opened.kind, opened.access_point, opened.subject) == (
        "ap_silent",
        "02:00:00:00:00:AA",
        "Taman Tirosa / 02:00:00:00:00:AA",
    )
    assert opened.detail == "no session from this radio for 61 min; the router is alive"

    quiet.last_seen_at = utcnow()
    db.commit()
    changes = site_watch.check(db, settings)
    assert [a.id for a in changes.closed] == [opened.id]
    assert changes.opened == []


class Stalled:
    """A TCP listener that accepts and never answers: a mail server or gateway hung mid-conversation."""

    def __init__(self):
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        self.held: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                self.held.append(self.socket.accept()[0])
            except OSError:
                return

    def close(self):
        for held in self.held:
            held.close()
        self.socket.close()


@pytest.mark.slow
def test_a_hung_channel_never_delays_radius(db, settings, router, tmp_path):
    stalled = Stalled()
    watched = alerting(
        settings,
        smtp_url=f"smtp://127.0.0.1:{stalled.port}",
        alert_emails="noc@kota.go.id",
        alert_webhook_url=f"http://127.0.0.1:{stalled.port}/hook",
    )
    daemon = RadiusDaemon(watched, tmp_path / "radius.log").start(SECRET)
    try:
        assert exchange(account("Start", 1), daemon.acct_port) is not None
        wait_for(lambda: stalled.held, timeout=20, what="the site watch stuck on the hung channel")
        for identifier in range(2, 12):
            started = time.monotonic()
            assert exchange(account("Interim-Update", identifier), daemon.acct_port) is not None
            assert time.monotonic() - started < 0.5
    finally:
        daemon.stop()
        stalled.close()
    assert "site_watch_started" in daemon.log()
