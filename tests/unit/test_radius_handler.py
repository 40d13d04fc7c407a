"""The socket-free core: datagrams in, drops / replies / jobs out; duplicate cache and journal."""

from datetime import UTC, datetime

import pytest
from prometheus_client import CollectorRegistry
from sqlalchemy import select

from hotspot.crypto import SecretBox
from hotspot.models import Nas, Plan, Voucher
from hotspot.services.nas import NasSpec, add_nas
from radius.accounting import Arrival
from radius.clients import ClientTable
from radius.dupcache import PENDING, DuplicateCache
from radius.handler import AcctJob, AuthJob, Drop, Handler, Reply
from radius.journal import Journal
from radius.metrics import Metrics
from testbed.radius_packets import DICTIONARY, access_request, accounting_request, status_server

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
SECRET = b"tirosa-secret"
ROUTER = ("10.53.1.1", 40000)


@pytest.fixture
def handler(db, engine, settings):
    box = SecretBox(settings.secret_key)
    add_nas(db, box, NasSpec(name="tirosa", ip_range="10.53.1.1", secret=SECRET.decode(), vendor="mikrotik"))
    add_nas(
        db,
        box,
        NasSpec(
            name="kota",
            ip_range="10.53.0.0/16",
            secret="kota-secret",
            vendor="chilli",
            require_message_authenticator=True,
        ),
    )
    return Handler(
        engine,
        ClientTable(engine, box, 60),
        DICTIONARY,
        Metrics(CollectorRegistry()),
        "Asia/Makassar",
        auth_events=[].append,
    )


def test_most_specific_client_wins(handler):
    assert handler.clients.lookup("10.53.1.1").name == "tirosa"
    assert handler.clients.lookup("10.53.7.9").name == "kota"
    assert handler.clients.lookup("10.54.0.1") is None


def test_accounting_becomes_an_arrival_and_its_retransmission_a_cached_reply(handler):
    raw = accounting_request(SECRET, "Start", "s1", Calling_Station_Id="aa-bb-cc-dd-ee-01")
    job = handler.screen(raw, ROUTER, "acct", NOW)
    assert isinstance(job, AcctJob)
    assert (job.arrival.request.status, job.arrival.request.calling_station_id) == (
        "Start",
        "AA:BB:CC:DD:EE:01",
    )
    assert handler.screen(raw, ROUTER, "acct", NOW) == Drop("in_progress")
    handler.answer(job.key, job.reply)
    assert handler.screen(raw, ROUTER, "acct", NOW) == Reply(job.reply)
    assert isinstance(handler.screen(raw, ("10.53.1.1", 40001), "acct", NOW), AcctJob)


def test_message_authenticator_rules_and_status_server(handler):
    kota = ("10.53.7.9", 1812)
    assert handler.screen(access_request(b"kota-secret", "t-a", "pw"), kota, "auth", NOW) == Drop(
        "missing_message_authenticator"
    )
    assert isinstance(
        handler.screen(access_request(b"kota-secret", "t-a", "pw", signed=True), kota, "auth", NOW), AuthJob
    )
    assert handler.screen(access_request(SECRET, "t-a", "pw", proxy_state=b"x"), ROUTER, "auth", NOW) == Drop(
        "missing_message_authenticator"
    )
    assert isinstance(handler.screen(access_request(SECRET, "t-a", "pw"), ROUTER, "auth", NOW), AuthJob)
    assert isinstance(handler.screen(status_server(SECRET, "acct"), ROUTER, "acct", NOW), Reply)
    assert handler.screen(status_server(SECRET, "auth", signed=False), ROUTER, "auth", NOW) == Drop(
        "missing_message_authenticator"
    )
    assert handler.screen(accounting_request(b"wrong", "Start", "s"), ROUTER, "acct", NOW) == Drop(
        "bad_request_authenticator"
    )
    assert handler.screen(accounting_request(SECRET, "Start", "s"), ("192.0.2.1", 9), "acct", NOW) == Drop(
        "unknown_client"
    )


def test_a_dropped_request_is_processed_afresh_when_retransmitted(handler):
    raw = accounting_request(b"wrong", "Start", "s")
    assert handler.screen(raw, ROUTER, "acct", NOW) == Drop("bad_request_authenticator")
    assert handler.screen(raw, ROUTER, "acct", NOW) == Drop("bad_request_authenticator")


def test_duplicate_cache_is_bounded_in_size_and_age():
    clock = [0.0]
    cache = DuplicateCache(ttl=30, max_entries=2, clock=lambda: clock[0])
    assert cache.claim(("a", 1, 1, b"x")) is None
    cache.answer(("a", 1, 1, b"x"), b"reply")
    assert cache.claim(("a", 1, 1, b"x")) == b"reply"
    assert cache.claim(("a", 1, 2, b"x")) is None
    assert cache.claim(("a", 1, 2, b"x")) == PENDING
    assert cache.claim(("a", 1, 3, b"x")) is None
    assert len(cache) == 2
    clock[0] = 31
    assert cache.claim(("a", 1, 2, b"x")) is None


def test_journal_survives_a_torn_last_line_and_is_adopted_when_its_worker_is_gone(tmp_path, handler):
    raw = accounting_request(SECRET, "Stop", "s9", Acct_Input_Octets=5, Acct_Input_Gigawords=1)
    arrival = handler.screen(raw, ROUTER, "acct", NOW).arrival
    first = Journal(tmp_path, 0)
    first.append([arrival, arrival])
    first.close()
    with open(tmp_path / "accounting-0.jsonl", "ab") as torn:
        torn.write(b'{"nas_id": 1, "sou')
    again = Journal(tmp_path, 0)
    assert again.depth == 2
    assert again.records() == [arrival, arrival]
    assert again.records()[0].request.input_octets == 2**32 + 5
    again.append([arrival])
    assert again.records() == [arrival] * 3
    again.close()
    adopted: list[list[Arrival]] = []
    other = Journal(tmp_path, 1)
    other.adopt_orphans(lambda records: adopted.append(records) or True)
    assert adopted == [[arrival] * 3]
    assert not (tmp_path / "accounting-0.jsonl").exists()
    other.close()


ACCESS_ACCEPT = 2
REFUSED_MAC = "AA:BB:CC:DD:EE:66"
REFUSE_DEVICE = {
    "sqlite": [
        f"CREATE TRIGGER refuse_device BEFORE INSERT ON device WHEN NEW.mac = '{REFUSED_MAC}' "
        "BEGIN SELECT RAISE(ABORT, 'refused by test'); END"
    ],
    "postgresql": [
        f"CREATE FUNCTION refuse_device() RETURNS trigger AS $$ BEGIN IF NEW.mac = '{REFUSED_MAC}' THEN "
        "RAISE EXCEPTION 'refused by test'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql",
        "CREATE TRIGGER refuse_device BEFORE INSERT ON device FOR EACH ROW EXECUTE FUNCTION refuse_device()",
    ],
}


def test_a_request_the_database_refuses_costs_only_its_own_answer(handler, db, engine):
    """A batch is one transaction; when a statement fails, its requests are decided one by one."""
    plan = Plan(name="Acara", daily_minutes=240)
    db.add_all([plan, *(Voucher(code=f"VOUCHER{i}", plan=plan, batch="b") for i in range(3))])
    db.commit()
    with engine.begin() as conn:
        for statement in REFUSE_DEVICE[engine.dialect.name]:
            conn.exec_driver_sql(statement)
    macs = ["AA:BB:CC:DD:EE:01", REFUSED_MAC, "AA:BB:CC:DD:EE:03"]
    jobs = [
        handler.screen(
            access_request(SECRET, f"VOUCHER{i}", f"VOUCHER{i}", identifier=i, Calling_Station_Id=mac),
            ROUTER,
            "auth",
            NOW,
        )
        for i, mac in enumerate(macs)
    ]
    first, refused, third = handler.decide_auth(jobs, NOW)
    assert [first.data[0], third.data[0]] == [ACCESS_ACCEPT] * 2
    assert isinstance(refused, Drop) and refused.reason.startswith("database_refused:")


def test_an_answered_access_request_notes_its_router_as_heard(handler, db):
    """The auth batch's transaction also moves the router's last_seen_at (what the NAS page shows)."""
    job = handler.screen(access_request(SECRET, "someone", "pw"), ROUTER, "auth", NOW)
    assert db.scalar(select(Nas.last_seen_at).where(Nas.name == "tirosa")) is None
    (reply,) = handler.decide_auth([job], NOW)
    assert isinstance(reply, Reply)
    assert db.scalar(select(Nas.last_seen_at).where(Nas.name == "tirosa")) == NOW
