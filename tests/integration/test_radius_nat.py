"""Routers behind one NAT address, told apart by NAS-Identifier: real UDP against a real `hotspot radius`."""

from __future__ import annotations

import json
import time

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from hotspot.cli import main
from hotspot.models import AuthEvent, Nas, RadiusSession, Voucher
from hotspot.services.admins import create_admin, create_api_token
from testbed.helpers import settings_env, wait_for
from testbed.radius_daemon import exchange, radclient
from testbed.radius_packets import accounting_request
from tests.conftest import csrf_token_from
from tests.integration.test_coa import RouterListener

SECRETS = {"pasar": "pasar-inpres-secret", "oesapa": "oesapa-secret", "kantor": "kantor-secret"}
IDENTIFIERS = {"pasar": "pasar-inpres", "oesapa": "oesapa"}


@pytest.fixture
def routers(world, db):
    """Two routers behind one NAT (the whole loopback range) and one with a fixed address, 127.0.0.1."""
    for name in ("pasar", "oesapa"):
        world.nas(name, "127.0.0.0/8", SECRETS[name], vendor="mikrotik", identifier=IDENTIFIERS[name])
    world.nas("kantor", "127.0.0.1", SECRETS["kantor"])
    plan = world.plan("Acara", daily_minutes=240)
    db.add_all([Voucher(code=f"PASAR{i}", plan=plan, batch="b") for i in range(4)])
    db.commit()
    return {nas.name: nas for nas in db.scalars(select(Nas))}


@pytest.fixture
def radius(world, routers):
    return world.radius(SECRETS["kantor"].encode())


def pap(radius, secret: str, code: str, identifier: str | None, signed: bool = True) -> str:
    lines = [f'User-Name = "{code}"', f'User-Password = "{code}"']
    if identifier:
        lines.append(f'NAS-Identifier = "{identifier}"')
    if signed:
        lines.append("Message-Authenticator = 0x00")
    return radclient(radius.auth_port, "auth", secret, "\n".join(lines) + "\n", wait=1)


def start(radius, secret: str, identifier: str, session: str) -> str:
    text = (
        f'Acct-Status-Type = Start\nAcct-Session-Id = "{session}"\nUser-Name = "PASAR0"\n'
        f'NAS-Identifier = "{identifier}"\n'
    )
    return radclient(radius.acct_port, "acct", secret, text, wait=1)


def dropped(radius, reason: str) -> float:
    return radius.metric(f'radius_drops_total{{reason="{reason}"}}') or 0


def test_each_router_behind_the_address_is_accepted_only_with_its_own_secret(radius, db, routers):
    assert "Received Access-Accept" in pap(radius, SECRETS["pasar"], "PASAR1", "pasar-inpres")
    assert "Received Access-Accept" in pap(radius, SECRETS["oesapa"], "PASAR2", "oesapa")
    assert "Received" not in pap(radius, SECRETS["pasar"], "PASAR3", "oesapa")
    assert "Received" not in pap(radius, SECRETS["oesapa"], "PASAR3", "pasar-inpres")
    assert dropped(radius, "bad_message_authenticator") == 2
    assert "Received Accounting-Response" in start(radius, SECRETS["oesapa"], "oesapa", "s-oesapa")
    assert "Received" not in start(radius, SECRETS["pasar"], "oesapa", "s-forged")
    assert dropped(radius, "bad_request_authenticator") == 1
    events = wait_for(
        lambda: (
            db.execute(select(AuthEvent.username, AuthEvent.nas_id).order_by(AuthEvent.username)).all()
            or None
        ),
        what="auth events",
    )
    assert events == [("PASAR1", routers["pasar"].id), ("PASAR2", routers["oesapa"].id)]
    sessions = wait_for(
        lambda: db.execute(select(RadiusSession.acct_session_id, RadiusSession.nas_id)).all(),
        what="the session",
    )
    assert sessions == [("s-oesapa", routers["oesapa"].id)]


def test_the_fixed_address_router_still_answers_under_its_own_secret(radius):
    assert "Received Access-Accept" in pap(radius, SECRETS["kantor"], "PASAR1", "MikroTik")
    assert "Received Access-Accept" in pap(radius, SECRETS["kantor"], "PASAR2", None, signed=False)


def test_a_named_router_must_sign_its_access_requests(radius):
    assert "Received" not in pap(radius, SECRETS["pasar"], "PASAR1", "pasar-inpres", signed=False)
    assert dropped(radius, "missing_message_authenticator") == 1
    assert "radius_drop reason=missing_message_authenticator source=127.0.0.1" in radius.log()


def test_an_unknown_identifier_is_dropped_logged_and_counted(radius):
    raw = accounting_request(SECRETS["pasar"].encode(), "Start", "s-1", NAS_Identifier="pasar-baru")
    assert exchange(raw, radius.acct_port, source="127.0.0.9") is None
    assert (
        exchange(
            accounting_request(SECRETS["pasar"].encode(), "Start", "s-2"),
            radius.acct_port,
            source="127.0.0.9",
        )
        is None
    )
    assert dropped(radius, "unknown_nas_identifier") == 2
    assert "radius_drop reason=unknown_nas_identifier source=127.0.0.9" in radius.log()
    assert "detail='pasar-baru'" in radius.log()


def last_address(db, nas_id: int) -> str | None:
    db.expire_all()
    return db.get(Nas, nas_id).last_address


def test_disconnect_goes_to_the_address_the_router_last_spoke_from(
    radius, db, routers, settings, client, login
):
    secret, pasar = SECRETS["pasar"].encode(), routers["pasar"].id
    start = accounting_request(
        secret, "Start", "s-lte", "PASAR0", NAS_Identifier="pasar-inpres", Framed_IP_Address="10.5.50.23"
    )
    assert exchange(start, radius.acct_port, source="127.0.0.2") is not None
    wait_for(lambda: last_address(db, pasar) == "127.0.0.2", what="the first address")
    time.sleep(1.1)  # a moved router's address is written at most every second
    interim = accounting_request(
        secret,
        "Interim-Update",
        "s-lte",
        "PASAR0",
        NAS_Identifier="pasar-inpres",
        Framed_IP_Address="10.5.50.23",
        Acct_Session_Time=60,
    )
    assert exchange(interim, radius.acct_port, source="127.0.0.3") is not None
    wait_for(lambda: last_address(db, pasar) == "127.0.0.3", what="the new address")
    session = db.scalar(select(RadiusSession))
    assert (session.nas_id, session.nas_ip_address) == (pasar, "127.0.0.2")
    router = RouterListener(settings, lambda request, reply: None, "127.0.0.3", secret)
    try:
        db.get(Nas, pasar).coa_port = router.port
        db.commit()
        login("operator")
        page = client.get("/admin/sessions?status=active&lang=en").get_data(as_text=True)
        response = client.post(
            f"/admin/sessions/{session.id}/disconnect",
            data={"csrf_token": csrf_token_from(page)},
            follow_redirects=True,
        )
    finally:
        router.close()
    assert "PASAR0 at pasar: Disconnect-ACK" in response.get_data(as_text=True)
    assert [r["Acct-Session-Id"] for r in router.received] == [["s-lte"]]
    assert router.valid == [(True, True)]


def test_a_named_router_back_on_a_new_address_closes_only_its_own_sessions(radius, db, routers):
    for name, source in (("pasar", "127.0.0.2"), ("oesapa", "127.0.0.2")):
        raw = accounting_request(
            SECRETS[name].encode(), "Start", f"s-{name}", NAS_Identifier=IDENTIFIERS[name]
        )
        assert exchange(raw, radius.acct_port, source=source) is not None
    reboot = accounting_request(
        SECRETS["pasar"].encode(), "Accounting-On", "", "", NAS_Identifier="pasar-inpres"
    )
    assert exchange(reboot, radius.acct_port, source="127.0.0.4") is not None

    def states():
        db.expire_all()
        rows = db.execute(
            select(
                RadiusSession.acct_session_id, RadiusSession.status, RadiusSession.terminate_cause
            ).order_by(RadiusSession.acct_session_id)
        ).all()
        return rows if len(rows) == 2 and rows[1].status == "closed" else None

    assert wait_for(states, what="the reboot") == [
        ("s-oesapa", "active", None),
        ("s-pasar", "closed", "NAS-Reboot"),
    ]


def test_the_console_api_and_cli_show_identifier_and_last_address(
    radius, db, routers, settings, client, login
):
    raw = accounting_request(SECRETS["oesapa"].encode(), "Start", "s-o", NAS_Identifier="oesapa")
    assert exchange(raw, radius.acct_port, source="127.0.0.7") is not None
    oesapa = routers["oesapa"].id
    wait_for(lambda: last_address(db, oesapa) == "127.0.0.7", what="the address")
    listed = CliRunner().invoke(main, ["nas", "list", "--format", "json"], env=settings_env(settings))
    rows = {row["name"]: row for row in json.loads(listed.output)}
    assert (rows["oesapa"]["identifier"], rows["oesapa"]["last_address"]) == ("oesapa", "127.0.0.7")
    assert (rows["kantor"]["identifier"], rows["kantor"]["last_address"]) == (None, None)
    create_admin(db, "api-viewer", "api-password", "viewer", actor="test")
    token = create_api_token(db, "api-viewer")
    api = client.get("/api/v1/nas", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert {n["name"]: (n["identifier"], n["last_address"]) for n in api} == {
        "kantor": (None, None),
        "oesapa": ("oesapa", "127.0.0.7"),
        "pasar": ("pasar-inpres", None),
    }
    login("viewer", "console-viewer")
    page = client.get(f"/admin/nas/{oesapa}?lang=en").get_data(as_text=True)
    assert '<th>Last address</th><td colspan="5">127.0.0.7</td>' in page
    assert "<td>pasar-inpres</td>" in client.get("/admin/nas").get_data(as_text=True)


def test_the_access_point_form_explains_the_nat_layout(client, login):
    login("admin")
    page = client.get("/admin/nas/new?lang=en").get_data(as_text=True)
    assert "RADIUS then picks this access point by its NAS-Identifier and requires" in page
