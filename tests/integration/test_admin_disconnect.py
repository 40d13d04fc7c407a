"""The Disconnect button and API call reach a test router over real UDP and show its ACK or NAK."""

from __future__ import annotations

import json

import pytest
from pyrad import packet
from sqlalchemy import select

from hotspot.crypto import SecretBox
from hotspot.models import AuditEvent
from hotspot.services.admins import create_admin, create_api_token
from hotspot.services.nas import NasSpec, add_nas
from tests.conftest import csrf_token_from
from tests.integration.test_coa import SECRET, RouterListener
from tests.support.admin_data import T0, add_session


def nak(request, reply):
    reply.code = packet.DisconnectNAK
    reply["Error-Cause"] = "Session-Context-Not-Found"


@pytest.fixture
def online(db, settings):
    """An AP on loopback and one active session on it, with the router's address recorded by accounting."""

    def make(port: int):
        nas = add_nas(
            db,
            SecretBox(settings.secret_key),
            NasSpec(name="Taman Tirosa", ip_range="10.53.1.0/24", secret=SECRET.decode(), vendor="mikrotik"),
            actor="test",
        )
        nas.coa_port = port
        session = add_session(
            db,
            nas,
            42,
            T0,
            status="active",
            stop_time=None,
            terminate_cause=None,
            username="t-0123456789abcdef",
            framed_ip="10.5.50.23",
            nas_ip_address="127.0.0.1",
            calling_station_id="AA:BB:CC:DD:EE:01",
        )
        db.commit()
        return session

    return make


@pytest.mark.parametrize(
    "answer,flash,acknowledged",
    [
        (lambda request, reply: None, "t-0123456789abcdef di Taman Tirosa: Disconnect-ACK", True),
        (nak, "t-0123456789abcdef di Taman Tirosa: Disconnect-NAK: Session-Context-Not-Found (503)", False),
    ],
)
def test_disconnect_button_shows_the_routers_answer(
    client, login, db, settings, online, answer, flash, acknowledged
):
    router = RouterListener(settings, answer)
    try:
        session = online(router.port)
        login("operator")
        page = client.get("/admin/sessions?status=active").get_data(as_text=True)
        assert f'action="/admin/sessions/{session.id}/disconnect"' in page
        response = client.post(
            f"/admin/sessions/{session.id}/disconnect",
            data={"csrf_token": csrf_token_from(page)},
            headers={"Referer": "http://localhost/admin/sessions?status=active"},
            follow_redirects=True,
        )
    finally:
        router.close()
    assert response.request.path == "/admin/sessions"
    body = response.get_data(as_text=True)
    assert flash in body
    assert ('class="flash info"' if acknowledged else 'class="flash error"') in body
    request = router.received[0]
    assert request.code == packet.DisconnectRequest
    assert router.valid == [(True, True)]
    assert (request["User-Name"], request["Acct-Session-Id"], request["Framed-IP-Address"]) == (
        ["t-0123456789abcdef"],
        ["0000002A"],
        ["10.5.50.23"],
    )
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "session.disconnect"))
    assert (event.actor, event.target) == ("operator-user", "Taman Tirosa/0000002A")
    assert json.loads(event.detail)["result"] == ("Disconnect-ACK" if acknowledged else "Disconnect-NAK")


def test_disconnect_through_the_api(client, db, settings, online):
    router = RouterListener(settings, nak)
    try:
        session = online(router.port)
        create_admin(db, "noc", "noc-password", "operator", actor="test")
        token = create_api_token(db, "noc")
        response = client.post(
            f"/api/v1/sessions/{session.id}/disconnect", headers={"Authorization": f"Bearer {token}"}
        )
    finally:
        router.close()
    assert response.status_code == 200
    assert response.json == {
        "acknowledged": False,
        "code": "Disconnect-NAK",
        "error_cause": 503,
        "error_text": "Session-Context-Not-Found",
    }
    assert db.scalar(select(AuditEvent.actor).where(AuditEvent.action == "session.disconnect")) == "api:noc"


def test_disconnect_without_a_router_address_says_so(client, login, db, settings):
    nas = add_nas(
        db,
        SecretBox(settings.secret_key),
        NasSpec(name="Pantai Warna", ip_range="10.53.2.0/24", secret=SECRET.decode()),
        actor="test",
    )
    session = add_session(db, nas, 7, T0, status="active", stop_time=None, terminate_cause=None)
    db.commit()
    login("operator")
    token = csrf_token_from(client.get("/admin/sessions").get_data(as_text=True))
    body = client.post(
        f"/admin/sessions/{session.id}/disconnect", data={"csrf_token": token}, follow_redirects=True
    ).get_data(as_text=True)
    assert (
        "no-target (NAS &#39;Pantai Warna&#39; covers 10.53.2.0/24; "
        "no single address to send a Disconnect to)" in body
    )
