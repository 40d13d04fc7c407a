"""Accounting against a real database: idempotent, out of order, 64-bit, rolled up per NAS and hour and
per access point (radio) and hour."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from hotspot.models import AccessPoint, Nas, RadiusSession, UsageHour, UsageHourAp
from hotspot.services.devices import touch_device
from hotspot.services.tickets import issue_ticket
from radius import accounting
from radius.packets import AccountingRequest
from radius.radios import Radios

NOW = datetime(2026, 11, 27, 10, 20, tzinfo=UTC)
GIB4 = 2**32


@pytest.fixture
def nas(db):
    nas = Nas(name="Taman Tirosa", ip_range="10.53.1.1/32", secret_encrypted="x", vendor="mikrotik")
    other = Nas(name="Pantai Lasiana", ip_range="10.53.2.1/32", secret_encrypted="x")
    db.add_all([nas, other])
    db.commit()
    return nas


def packet(
    status,
    session="81a00001",
    *,
    at=NOW,
    seconds=0,
    octets_in=0,
    octets_out=0,
    user="t-user",
    mac="AA:BB:CC:DD:EE:01",
    cause=None,
    called="hs-tirosa",
):
    return AccountingRequest(
        status=status,
        acct_session_id=session,
        username=user,
        calling_station_id=mac,
        called_station_id=called,
        nas_port_id="bridge1",
        framed_ip="10.5.50.7",
        session_time=seconds,
        input_octets=octets_in,
        output_octets=octets_out,
        terminate_cause=cause,
        event_time=at,
    )


def record(engine, nas, *requests, radios=None):
    """One batch, as a worker's batcher commits it (a fresh worker's memory of radios unless given)."""
    radios = radios or Radios()
    with engine.begin() as conn:
        running = accounting.record(
            conn, [accounting.Arrival(nas.id, "10.53.1.1", r) for r in requests], radios
        )
    radios.committed()
    return running


def sessions(db):
    db.expire_all()
    return list(db.scalars(select(RadiusSession).order_by(RadiusSession.id)))


def usage(db, nas):
    db.expire_all()
    return db.scalar(select(UsageHour).where(UsageHour.nas_id == nas.id))


def test_start_interim_stop_and_their_retransmissions_count_once(engine, db, nas):
    start = packet("Start")
    interim = packet(
        "Interim-Update", at=NOW + timedelta(minutes=5), seconds=300, octets_in=1000, octets_out=9000
    )
    stop = packet(
        "Stop",
        at=NOW + timedelta(minutes=8),
        seconds=480,
        octets_in=1500,
        octets_out=20000,
        cause="User-Request",
    )
    for request in (start, start, interim, interim, stop, interim, stop, start):
        record(engine, nas, request)
    [session] = sessions(db)
    assert (session.status, session.session_time, session.input_octets, session.output_octets) == (
        "closed",
        480,
        1500,
        20000,
    )
    assert session.start_time == NOW
    assert session.stop_time == NOW + timedelta(minutes=8)
    assert session.terminate_cause == "User-Request"
    assert session.nas_ip_address == "10.53.1.1"
    hour = usage(db, nas)
    assert (
        hour.sessions,
        hour.unique_users,
        hour.input_octets,
        hour.output_octets,
        hour.session_seconds,
    ) == (1, 1, 1500, 20000, 480)


def test_stop_without_start_creates_the_closed_session_backdated(engine, db, nas):
    record(engine, nas, packet("Stop", seconds=600, octets_in=5, octets_out=6, cause="Idle-Timeout"))
    record(engine, nas, packet("Start", at=NOW - timedelta(seconds=600)))
    [session] = sessions(db)
    assert session.status == "closed"
    assert session.start_time == NOW - timedelta(seconds=600)
    assert session.stop_time == NOW
    assert usage(db, nas).sessions == 1


def test_counters_never_go_backwards_and_gigawords_cross_4_gib(engine, db, nas):
    record(engine, nas, packet("Interim-Update", seconds=600, octets_in=GIB4 - 10, octets_out=3 * GIB4 + 5))
    record(
        engine,
        nas,
        packet("Interim-Update", at=NOW - timedelta(minutes=5), seconds=300, octets_in=10, octets_out=10),
    )
    record(
        engine,
        nas,
        packet(
            "Interim-Update",
            at=NOW + timedelta(minutes=5),
            seconds=900,
            octets_in=GIB4 + 90,
            octets_out=3 * GIB4 + 5,
        ),
    )
    [session] = sessions(db)
    assert (session.session_time, session.input_octets, session.output_octets) == (
        900,
        GIB4 + 90,
        3 * GIB4 + 5,
    )
    hour = usage(db, nas)
    assert (hour.input_octets, hour.output_octets, hour.session_seconds) == (GIB4 + 90, 3 * GIB4 + 5, 900)


def test_a_batch_with_the_whole_session_in_it_inserts_it_once(engine, db, nas):
    record(
        engine,
        nas,
        packet("Start"),
        packet("Interim-Update", seconds=60, octets_in=1, octets_out=2),
        packet("Stop", seconds=90, octets_in=3, octets_out=4),
    )
    [session] = sessions(db)
    assert (session.status, session.input_octets, session.output_octets) == ("closed", 3, 4)
    assert usage(db, nas).sessions == 1


def test_accounting_on_closes_that_nas_open_sessions_only(engine, db, nas):
    other = db.scalar(select(Nas).where(Nas.name == "Pantai Lasiana"))
    record(engine, nas, packet("Start", session="a"), packet("Start", session="b"))
    record(engine, other, packet("Start", session="c"))
    record(engine, nas, packet("Accounting-On", session="", user="", at=NOW + timedelta(minutes=1)))
    by_id = {s.acct_session_id: s for s in sessions(db)}
    assert (by_id["a"].status, by_id["a"].terminate_cause) == ("closed", "NAS-Reboot")
    assert by_id["b"].stop_time == NOW + timedelta(minutes=1)
    assert by_id["c"].status == "active"


def test_users_are_counted_once_per_hour(engine, db, nas):
    record(
        engine,
        nas,
        packet("Start", session="a", user="u1"),
        packet("Start", session="b", user="u1"),
        packet("Start", session="c", user="u2"),
    )
    record(engine, nas, packet("Interim-Update", session="a", user="u1", seconds=60))
    hour = usage(db, nas)
    assert (hour.sessions, hour.unique_users) == (3, 2)


def test_new_sessions_are_linked_to_the_ticket_that_authenticated_them(engine, db, nas, world):
    plan = world.plan("Gratis", daily_minutes=60, free_access=True, interim_interval_seconds=120)
    device = touch_device(db, "AA:BB:CC:DD:EE:01", NOW)
    ticket = issue_ticket(db, "free", plan, NOW, 120, device=device)
    running = record(engine, nas, packet("Interim-Update", user=ticket.username, seconds=60))
    [session] = sessions(db)
    assert (session.device_id, session.account_id, session.plan_id, session.interim_interval) == (
        device.id,
        None,
        plan.id,
        120,
    )
    assert [r.unique_id for r in running] == [session.unique_id]


def test_stale_sessions_are_swept(engine, db, nas):
    from radius import store

    record(
        engine,
        nas,
        packet("Start", session="old", at=NOW - timedelta(minutes=20)),
        packet("Start", session="fresh", at=NOW - timedelta(minutes=2), mac="AA:BB:CC:DD:EE:02"),
    )
    with engine.begin() as conn:
        assert store.sweep_stale(conn, NOW, grace=120, default_interval=300) == 1
    by_id = {s.acct_session_id: s for s in sessions(db)}
    assert (by_id["old"].status, by_id["old"].stop_time) == ("stale", NOW - timedelta(minutes=20))
    assert by_id["fresh"].status == "active"


def test_one_batch_with_several_packets_of_a_session_folds_like_one_by_one(engine, db, nas):
    """A batch holds a session's Start, Interims and Stop out of order and twice: counted once, stop wins."""
    start = packet("Start")
    interim = packet(
        "Interim-Update", at=NOW + timedelta(minutes=5), seconds=300, octets_in=GIB4 + 10, octets_out=900
    )
    stop = packet(
        "Stop",
        at=NOW + timedelta(minutes=8),
        seconds=480,
        octets_in=GIB4 + 15,
        octets_out=2000,
        cause="User-Request",
    )
    running = record(engine, nas, interim, start, stop, interim, start, packet("Start", session="b"))
    record(engine, nas, interim, stop)
    by_id = {s.acct_session_id: s for s in sessions(db)}
    a = by_id["81a00001"]
    assert (a.status, a.session_time, a.input_octets, a.output_octets, a.terminate_cause) == (
        "closed",
        480,
        GIB4 + 15,
        2000,
        "User-Request",
    )
    assert (a.start_time, a.stop_time) == (NOW, NOW + timedelta(minutes=8))
    hour = usage(db, nas)
    assert (hour.sessions, hour.input_octets, hour.output_octets, hour.session_seconds) == (
        2,
        GIB4 + 15,
        2000,
        480,
    )
    assert running == []


def test_an_interim_reopens_a_stale_session_in_the_same_batch_as_others(engine, db, nas):
    record(engine, nas, packet("Start"), packet("Start", session="b"))
    with engine.begin() as conn:
        conn.execute(RadiusSession.__table__.update().values(status="stale", stop_time=NOW))
    running = record(
        engine,
        nas,
        packet("Interim-Update", at=NOW + timedelta(minutes=10), seconds=600),
        packet("Start", session="b"),
    )
    by_id = {s.acct_session_id: s for s in sessions(db)}
    assert (by_id["81a00001"].status, by_id["81a00001"].stop_time) == ("active", None)
    assert (by_id["b"].status, by_id["b"].stop_time) == ("stale", NOW)
    assert [r.acct_session_id for r in running] == ["81a00001"]


def test_each_radio_behind_a_router_is_an_access_point_with_its_own_roll_up(engine, db, nas):
    """CAPsMAN: one NAS, two radios (Called-Station-Id `RADIO-MAC:SSID`, two spellings of one MAC)."""
    beach, kiosk = "0A-00-00-00-00-01:Kupang WiFi", "0a:00:00:00:00:02:Kupang WiFi"
    worker = Radios()
    record(
        engine,
        nas,
        packet("Start", "s1", called=beach),
        packet("Start", "s2", mac="AA:BB:CC:DD:EE:02", user="u2", called=kiosk),
        radios=worker,
    )
    record(
        engine,
        nas,
        packet(
            "Interim-Update",
            "s1",
            at=NOW + timedelta(minutes=5),
            seconds=300,
            octets_in=100,
            octets_out=900,
            called="0a00.0000.0001:Kupang WiFi",
        ),
        radios=worker,
    )
    record(
        engine,
        nas,
        packet(
            "Stop",
            "s2",
            at=NOW + timedelta(minutes=6),
            seconds=360,
            octets_in=20,
            octets_out=80,
            user="u2",
            mac="AA:BB:CC:DD:EE:02",
            called=kiosk,
        ),
    )  # another worker
    db.expire_all()
    points = {p.radio_mac: p for p in db.scalars(select(AccessPoint))}
    assert sorted(points) == ["0A:00:00:00:00:01", "0A:00:00:00:00:02"]
    assert {p.nas_id for p in points.values()} == {nas.id} and all(p.last_seen_at for p in points.values())
    by_session = {s.acct_session_id: s.access_point_id for s in sessions(db)}
    assert by_session == {"s1": points["0A:00:00:00:00:01"].id, "s2": points["0A:00:00:00:00:02"].id}
    rows = {
        db.get(AccessPoint, r.access_point_id).radio_mac: (
            r.sessions,
            r.input_octets,
            r.output_octets,
            r.session_seconds,
        )
        for r in db.scalars(select(UsageHourAp))
    }
    assert rows == {"0A:00:00:00:00:01": (1, 100, 900, 300), "0A:00:00:00:00:02": (1, 20, 80, 360)}
    total = usage(db, nas)
    assert (total.sessions, total.input_octets, total.output_octets) == (2, 120, 980)


def test_a_router_that_names_no_radio_is_its_own_access_point(engine, db, nas):
    record(engine, nas, packet("Start", called=None))
    record(
        engine,
        nas,
        packet("Interim-Update", at=NOW + timedelta(minutes=5), seconds=300, octets_in=7, called=None),
    )
    [point] = db.scalars(select(AccessPoint))
    assert (point.nas_id, point.radio_mac, point.name) == (nas.id, "", "")
    assert point.label == "Taman Tirosa"
    [row] = db.scalars(select(UsageHourAp))
    assert (row.access_point_id, row.sessions, row.input_octets) == (point.id, 1, 7)


def test_a_session_from_before_access_points_still_counts_beside_new_ones(engine, db, nas):
    """A database upgraded from before the access_points migration: an open session with no radio."""
    record(engine, nas, packet("Start", "old"))
    db.execute(RadiusSession.__table__.update().values(access_point_id=None))
    db.commit()
    record(
        engine,
        nas,
        packet("Interim-Update", "old", at=NOW + timedelta(minutes=5), seconds=300, octets_in=40),
        packet("Start", "new", mac="AA:BB:CC:DD:EE:02", user="u2"),
    )
    assert usage(db, nas).input_octets == 40
    # its next packet names the radio, so the old session counts there from then on
    assert [(r.sessions, r.input_octets) for r in db.scalars(select(UsageHourAp))] == [(2, 40)]


def test_each_replaced_session_ends_when_its_device_next_started_also_within_one_batch(engine, db, nas):
    record(engine, nas, packet("Start", "81a00000", at=NOW - timedelta(hours=1)))
    record(engine, nas, packet("Start", "81a00099", at=NOW, mac="AA:BB:CC:DD:EE:99"))
    record(
        engine,
        nas,
        packet("Start", "81a00002", at=NOW + timedelta(minutes=20)),
        packet("Start", "81a00001", at=NOW + timedelta(minutes=10)),
        packet("Start", "81a00003", at=NOW + timedelta(minutes=30)),
    )
    by_id = {s.acct_session_id: s for s in sessions(db)}
    ended = {k: (s.status, s.stop_time, s.terminate_cause) for k, s in by_id.items()}
    assert ended == {
        "81a00000": ("closed", NOW + timedelta(minutes=10), "Replaced"),
        "81a00001": ("closed", NOW + timedelta(minutes=20), "Replaced"),
        "81a00002": ("closed", NOW + timedelta(minutes=30), "Replaced"),
        "81a00003": ("active", None, None),
        "81a00099": ("active", None, None),
    }


def test_text_is_stored_exactly_whatever_characters_it_holds(engine, db, nas):
    odd = 'a"b\\c,{d} NULL é\t'
    record(engine, nas, packet("Start", 'id "1", {x}', user=odd, called=f"{odd}:SSID"))
    record(engine, nas, packet("Interim-Update", 'id "1", {x}', user=odd, called=f"{odd}:SSID", seconds=60))
    [session] = sessions(db)
    assert (session.acct_session_id, session.username, session.called_station_id) == (
        'id "1", {x}',
        odd,
        f"{odd}:SSID",
    )
    assert session.session_time == 60
