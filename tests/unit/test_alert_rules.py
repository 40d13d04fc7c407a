"""The alert rules as pure functions: what was heard, the thresholds and `now` in, conditions out."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from hotspot.alert_rules import (
    ACCOUNTING_MISSING,
    AP_SILENT,
    NAS_SILENT,
    REJECTS_HIGH,
    ApHeard,
    NasActivity,
    OpeningHours,
    default_rules,
    evaluate,
)
from hotspot.settings import Settings
from hotspot.validation import radio_of

NOW = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)  # 12:00 in Kupang (UTC+8)
TZ = "Asia/Makassar"
RULES = default_rules(Settings())


def nas(last_heard_minutes_ago: float | None = 1, **figures) -> NasActivity:
    heard = None if last_heard_minutes_ago is None else NOW - timedelta(minutes=last_heard_minutes_ago)
    return NasActivity(7, "Taman Tirosa", heard, **figures)


def kinds(activity, aps=(), hours=None, rules=RULES, now=NOW) -> list[tuple[str, str]]:
    return [(c.kind, c.key) for c in evaluate(rules, activity, aps, hours or {}, now, TZ)]


def test_a_router_silent_for_the_threshold_is_down_and_one_heard_recently_is_not():
    assert kinds([nas(15)]) == [(NAS_SILENT, "nas_silent:7:")]
    assert kinds([nas(14.9)]) == []


def test_a_router_never_heard_from_is_not_down():
    assert kinds([nas(None)]) == []


def test_the_threshold_comes_from_the_rule():
    assert kinds([nas(5)], rules={**RULES, NAS_SILENT: RULES[NAS_SILENT].replace(minutes=5)}) == [
        (NAS_SILENT, "nas_silent:7:")
    ]
    assert kinds([nas(60)], rules={**RULES, NAS_SILENT: RULES[NAS_SILENT].replace(enabled=False)}) == []


def test_silence_counts_only_within_opening_hours():
    park = {7: OpeningHours(time(6, 0), time(22, 0))}
    # Closed at 23:00 local: no alert however long the silence.
    assert kinds([nas(600)], hours=park, now=datetime(2026, 12, 1, 15, 0, tzinfo=UTC)) == []
    # 06:10 local, silent since last night: only ten minutes of opening hours have passed.
    assert kinds([nas(600)], hours=park, now=datetime(2026, 11, 30, 22, 10, tzinfo=UTC)) == []
    # 06:15 local: fifteen minutes open and still silent.
    assert kinds([nas(600)], hours=park, now=datetime(2026, 11, 30, 22, 15, tzinfo=UTC)) == [
        (NAS_SILENT, "nas_silent:7:")
    ]


def test_opening_hours_past_midnight():
    night_market = OpeningHours(time(18, 0), time(2, 0))
    assert night_market.open_since(datetime(2026, 12, 1, 17, 30, tzinfo=UTC), TZ) == datetime(
        2026, 12, 1, 10, 0, tzinfo=UTC
    )  # 01:30 local belongs to the evening before
    assert night_market.open_since(datetime(2026, 12, 1, 19, 0, tzinfo=UTC), TZ) is None  # 03:00


def test_accepts_without_accounting():
    assert kinds([nas(accepts=5, sessions_started=0)]) == [(ACCOUNTING_MISSING, "accounting_missing:7:")]
    assert kinds([nas(accepts=4, sessions_started=0)]) == []
    assert kinds([nas(accepts=50, sessions_started=1)]) == []


def test_rejects_above_their_share_of_attempts():
    assert kinds([nas(accepts=9, rejects=11, sessions_started=9)]) == [(REJECTS_HIGH, "rejects_high:7:")]
    assert kinds([nas(accepts=10, rejects=10, sessions_started=10)]) == []  # exactly half is not above it
    assert kinds([nas(accepts=0, rejects=19)]) == []  # too few attempts to judge


def test_an_access_point_silent_while_its_router_is_alive():
    radio = ApHeard(7, "AA:BB:CC:00:00:01", "Pantai timur", NOW - timedelta(minutes=60))
    assert kinds([nas(1, sessions_online=3)], aps=[radio]) == [(AP_SILENT, "ap_silent:7:AA:BB:CC:00:00:01")]
    # Router down too: that is the router's alert, not the radio's.
    assert kinds([nas(20, sessions_online=3)], aps=[radio]) == [(NAS_SILENT, "nas_silent:7:")]
    # Nobody online at the whole site (the park at night): no radio is at fault.
    assert kinds([nas(1)], aps=[radio]) == []
    heard = ApHeard(7, "AA:BB:CC:00:00:01", "Pantai timur", NOW - timedelta(minutes=59))
    assert kinds([nas(1, sessions_online=3)], aps=[heard]) == []


def test_a_radio_is_named_by_the_mac_of_its_called_station_id_in_any_spelling():
    assert radio_of("02-00-00-00-00-aa:Kupang WiFi") == "02:00:00:00:00:AA"
    assert radio_of("02:00:00:00:00:AA:Kupang WiFi") == "02:00:00:00:00:AA"
    assert radio_of("020000.0000aa") == "02:00:00:00:00:AA"
    assert radio_of("hotspot1") == "hotspot1"  # MikroTik: the hotspot server, one per router
