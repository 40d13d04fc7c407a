"""Slowing instead of cutting off, and sessions at once: the pure decisions, with exact numbers."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from hotspot.credentials import session_cap_refusal
from hotspot.policy import MB, Limits, Usage, allowance, running_limits, session_is_stale

KUPANG = "Asia/Makassar"
NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
SLOWED = Limits(
    session_seconds=3600,
    daily_seconds=1800,
    daily_octets=100 * MB,
    down_kbps=4096,
    up_kbps=1024,
    throttle_kbps=256,
)


def test_a_throttle_plan_lets_the_login_run_its_session_length_with_no_data_limit_from_the_quota():
    fresh = allowance(SLOWED, Usage(seconds=600, octets=10 * MB), NOW, KUPANG)
    assert (fresh.allowed, fresh.throttled, fresh.session_timeout) == (True, False, 3600)
    assert (fresh.seconds_left_today, fresh.octets_left) == (1200, 90 * MB)  # still shown on the status page
    assert SLOWED.rate(fresh.throttled) == (4096, 1024)


def test_a_used_quota_on_a_throttle_plan_is_a_slowed_login_not_a_refusal():
    for used in (Usage(seconds=1800), Usage(octets=100 * MB)):
        slowed = allowance(SLOWED, used, NOW, KUPANG)
        assert (slowed.allowed, slowed.reason, slowed.throttled, slowed.session_timeout) == (
            True,
            "throttled",
            True,
            3600,
        )
        assert SLOWED.rate(slowed.throttled) == (256, 256)
    refused = allowance(replace(SLOWED, throttle_kbps=None), Usage(seconds=1800), NOW, KUPANG)
    assert (refused.allowed, refused.reason) == (False, "quota_time")


def test_a_vouchers_expiry_still_ends_a_throttled_login():
    expiry = NOW + timedelta(minutes=10)
    assert allowance(SLOWED, Usage(seconds=1800), NOW, KUPANG, expiry).session_timeout == 600


def test_what_a_plan_edit_sends_a_running_session():
    assert running_limits(SLOWED, Usage(seconds=100), elapsed=100) == (4096, 1024, 3600)
    assert running_limits(SLOWED, Usage(octets=100 * MB), elapsed=100) == (256, 256, 3600)
    cut_off = replace(SLOWED, throttle_kbps=None)
    assert running_limits(cut_off, Usage(seconds=1500), elapsed=900) == (4096, 1024, 1200)  # 900 + 300 left


def open_session(mac, minutes_quiet, interval=300):
    return SimpleNamespace(
        calling_station_id=mac, update_time=NOW - timedelta(minutes=minutes_quiet), interim_interval=interval
    )


def test_a_session_is_stale_after_two_intervals_and_the_grace():
    assert not session_is_stale(NOW - timedelta(seconds=720), 300, NOW, 120)
    assert session_is_stale(NOW - timedelta(seconds=721), 300, NOW, 120)


def test_the_sessions_at_once_cap_counts_other_live_devices_only():
    two = [open_session("AA:00:00:00:00:01", 1), open_session("AA:00:00:00:00:02", 1)]
    assert session_cap_refusal(2, two, "AA:00:00:00:00:03", 300, NOW, 120) == "too_many_sessions"
    assert session_cap_refusal(2, two, "AA:00:00:00:00:02", 300, NOW, 120) is None
    assert session_cap_refusal(3, two, "AA:00:00:00:00:03", 300, NOW, 120) is None
    assert session_cap_refusal(None, two, "AA:00:00:00:00:03", 300, NOW, 120) is None
    quiet = [two[0], open_session("AA:00:00:00:00:02", 13, interval=None)]  # the plan's 300 s then
    assert session_cap_refusal(2, quiet, "AA:00:00:00:00:03", 300, NOW, 120) is None
