"""Which NAS row a packet belongs to when several share an address range: by NAS-Identifier, then address."""

from datetime import UTC, datetime

import pytest
from prometheus_client import CollectorRegistry

from hotspot.crypto import SecretBox
from hotspot.services.nas import NasSpec, add_nas
from hotspot.validation import ValidationError
from radius.clients import ClientTable
from radius.handler import AcctJob, AuthJob, Drop, Handler
from radius.journal import Journal
from radius.metrics import Metrics
from radius.store import NasLiveness
from testbed.radius_packets import DICTIONARY, access_request, accounting_request

NOW = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
BEHIND_NAT = ("198.51.100.7", 40000)


@pytest.fixture
def table(db, engine, settings):
    box = SecretBox(settings.secret_key)
    anywhere = "0.0.0.0/0"
    for spec in (
        NasSpec(name="pasar", ip_range=anywhere, secret="pasar-secret", identifier="pasar-inpres"),
        NasSpec(name="oesapa", ip_range=anywhere, secret="oesapa-secret", identifier="oesapa"),
        NasSpec(name="kantor", ip_range="10.53.1.1", secret="kantor-secret", identifier="kantor"),
        NasSpec(name="kampus", ip_range="10.53.2.0/24", secret="kampus-secret"),
        NasSpec(name="lte-a", ip_range="203.0.113.9", secret="lte-a-secret", identifier="lte-a"),
        NasSpec(name="lte-b", ip_range="203.0.113.9", secret="lte-b-secret", identifier="lte-b"),
    ):
        add_nas(db, box, spec)
    return ClientTable(engine, box, 60)


def names(table, address, identifiers):
    return [getattr(table.lookup(address, identifier), "name", None) for identifier in identifiers]


def test_rows_sharing_a_range_are_told_apart_by_nas_identifier_only(table):
    assert names(table, BEHIND_NAT[0], ["pasar-inpres", "oesapa", "stranger", None]) == [
        "pasar",
        "oesapa",
        None,
        None,
    ]
    assert names(table, "203.0.113.9", ["lte-a", "lte-b", "stranger", None]) == ["lte-a", "lte-b", None, None]
    assert table.lookup(BEHIND_NAT[0], "pasar-inpres").require_message_authenticator


def test_an_address_row_is_the_fallback_and_a_one_address_identifier_only_a_label(table):
    assert names(table, "10.53.1.1", ["kantor", "MikroTik", None, "oesapa"]) == [
        "kantor",
        "kantor",
        "kantor",
        "oesapa",
    ]
    assert names(table, "10.53.2.40", ["MikroTik", None, "pasar-inpres"]) == ["kampus", "kampus", "pasar"]
    assert not table.lookup("10.53.1.1").require_message_authenticator
    assert not table.lookup("10.53.2.40").require_message_authenticator


def test_one_identifier_names_one_router(db, settings, table):
    with pytest.raises(ValidationError, match="'pasar' already has the identifier 'pasar-inpres'"):
        add_nas(
            db,
            SecretBox(settings.secret_key),
            NasSpec(
                name="pasar-2", ip_range="10.9.0.0/16", secret="another-secret", identifier="pasar-inpres"
            ),
        )


def test_the_packet_is_verified_with_the_named_rows_secret_and_keyed_by_it(table, engine):
    handler = Handler(
        engine, table, DICTIONARY, Metrics(CollectorRegistry()), "Asia/Makassar", auth_events=[].append
    )
    own = accounting_request(b"oesapa-secret", "Start", "s1", NAS_Identifier="oesapa")
    job = handler.screen(own, BEHIND_NAT, "acct", NOW)
    oesapa = table.lookup(BEHIND_NAT[0], "oesapa").nas_id
    assert isinstance(job, AcctJob) and job.key[-1] == job.arrival.nas_id == oesapa
    other = accounting_request(b"pasar-secret", "Start", "s1", NAS_Identifier="oesapa")
    assert handler.screen(other, BEHIND_NAT, "acct", NOW) == Drop("bad_request_authenticator")
    assert handler.screen(
        accounting_request(b"pasar-secret", "Start", "s2", NAS_Identifier="nobody"), BEHIND_NAT, "acct", NOW
    ) == Drop("unknown_nas_identifier")
    unsigned = access_request(b"pasar-secret", "t-a", "pw", NAS_Identifier="pasar-inpres")
    assert handler.screen(unsigned, BEHIND_NAT, "auth", NOW) == Drop("missing_message_authenticator")
    signed = access_request(b"pasar-secret", "t-a", "pw", signed=True, NAS_Identifier="pasar-inpres")
    assert isinstance(handler.screen(signed, BEHIND_NAT, "auth", NOW), AuthJob)
    assert handler.metrics.drops.labels("unknown_nas_identifier")._value.get() == 1


def test_a_new_address_is_written_soon_and_a_steady_one_once_a_minute():
    clock = [1000.0]
    liveness = NasLiveness(clock=lambda: clock[0])
    due = liveness.due([(1, "10.0.0.1"), (2, "10.0.0.2")])
    assert due == {1: "10.0.0.1", 2: "10.0.0.2"}
    liveness.noted(due)
    clock[0] += 0.5
    assert liveness.due([(1, "10.0.0.9"), (2, "10.0.0.2")]) == {}
    clock[0] += 1
    assert liveness.due([(1, "10.0.0.9"), (2, "10.0.0.2")]) == {1: "10.0.0.9"}
    clock[0] += 60
    assert liveness.due([(2, "10.0.0.2")]) == {2: "10.0.0.2"}


def test_a_journalled_arrival_remembers_its_router_was_named(table, engine, tmp_path):
    handler = Handler(
        engine, table, DICTIONARY, Metrics(CollectorRegistry()), "Asia/Makassar", auth_events=[].append
    )
    reboot = accounting_request(b"oesapa-secret", "Accounting-On", "", "", NAS_Identifier="oesapa")
    named = handler.screen(reboot, BEHIND_NAT, "acct", NOW).arrival
    fixed = handler.screen(
        accounting_request(b"kantor-secret", "Accounting-On", "", ""), ("10.53.1.1", 1813), "acct", NOW
    ).arrival
    assert (named.router_address, fixed.router_address) == (None, "10.53.1.1")
    journal = Journal(tmp_path, 0)
    journal.append([named, fixed])
    assert journal.records() == [named, fixed]
    journal.close()
