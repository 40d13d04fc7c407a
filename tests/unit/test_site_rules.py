"""Random MACs and opening hours: the pure rules the portal and RADIUS share."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from hotspot import credentials
from hotspot.opening_hours import is_open, next_opening, parse_hours
from hotspot.validation import ValidationError, is_random_mac

TZ = "Asia/Makassar"  # Kupang, UTC+8
WEDNESDAY_NOON = datetime(2026, 12, 2, 4, 0, tzinfo=UTC)  # 12:00 local


@pytest.mark.parametrize(
    "mac, random",
    [
        ("02:00:00:00:00:01", True),
        ("da-11-22-33-44-55", True),
        ("3a11.2233.4455", True),
        ("00:1A:2B:3C:4D:5E", False),
        ("F0:00:00:00:00:00", False),
        ("not a mac", False),
        (None, False),
    ],
)
def test_locally_administered_macs_are_random(mac, random):
    assert is_random_mac(mac) is random


def test_opening_hours_in_local_time_and_the_next_opening():
    hours = parse_hours("Mon-Fri 07:00-11:30; sat,sun 08:00-24:00")
    assert hours.text == "mon-fri 07:00-11:30; sat,sun 08:00-24:00"
    assert not is_open(hours, WEDNESDAY_NOON, TZ)
    assert next_opening(hours, WEDNESDAY_NOON, TZ).isoformat() == "2026-12-03T07:00:00+08:00"
    assert is_open(hours, WEDNESDAY_NOON.replace(hour=3), TZ)  # 11:00 local
    assert next_opening(hours, WEDNESDAY_NOON.replace(hour=3), TZ) is None
    friday_evening = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
    assert next_opening(hours, friday_evening, TZ).isoformat() == "2026-12-05T08:00:00+08:00"
    assert is_open(parse_hours(""), WEDNESDAY_NOON, TZ)
    assert is_open(parse_hours("fri-tue 06:00-18:00"), datetime(2026, 11, 30, 4, tzinfo=UTC), TZ)


@pytest.mark.parametrize(
    "text, message",
    [
        ("mon 7-17", "look like"),
        ("mon 18:00-07:00", "end comes before"),
        ("mon 07:00-25:00", "not a time"),
        ("xyz 07:00-08:00", "days are"),
    ],
)
def test_bad_opening_hours_say_what_to_change(text, message):
    with pytest.raises(ValidationError, match=message):
        parse_hours(text)


def test_free_access_is_refused_when_closed_and_for_one_random_mac_too_many():
    plan = SimpleNamespace(random_mac_limit=2)
    closed = parse_hours("thu 07:00-17:00")
    seen = {"02:00:00:00:00:01", "02:00:00:00:00:02"}
    refuse = credentials.free_refusal
    assert refuse(plan, "00:1A:2B:3C:4D:5E", closed, set(), WEDNESDAY_NOON, TZ) == "closed"
    assert refuse(plan, "02:00:00:00:00:03", None, seen, WEDNESDAY_NOON, TZ) == "phone_login_required"
    assert refuse(plan, "02:00:00:00:00:02", None, seen, WEDNESDAY_NOON, TZ) is None  # let in earlier today
    assert refuse(plan, "00:1A:2B:3C:4D:5E", None, seen, WEDNESDAY_NOON, TZ) is None  # its own address
    assert (
        refuse(SimpleNamespace(random_mac_limit=None), "02:00:00:00:00:03", None, seen, WEDNESDAY_NOON, TZ)
        is None
    )
