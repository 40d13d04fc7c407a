"""Fair-use decisions, with `now` passed in and exact expected numbers."""

from datetime import UTC, datetime, timedelta

from hotspot.credentials import reply_message
from hotspot.policy import MB, Limits, Usage, allowance, day_start, next_reset, over_quota

KUPANG = "Asia/Makassar"  # UTC+8, no daylight saving
NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)  # 18:00 in Kupang
FREE = Limits(session_seconds=3600, daily_seconds=3600, daily_octets=500 * MB, down_kbps=2048, up_kbps=1024)


def test_day_starts_at_local_midnight():
    assert day_start(NOW, KUPANG) == datetime(2026, 11, 26, 16, 0, tzinfo=UTC)
    assert next_reset(NOW, KUPANG) == datetime(2026, 11, 27, 16, 0, tzinfo=UTC)


def test_fresh_device_gets_the_whole_session():
    result = allowance(FREE, Usage(), NOW, KUPANG)
    assert result.allowed
    assert result.session_timeout == 3600
    assert result.octets_left == 500 * MB


def test_session_timeout_is_time_left_today():
    result = allowance(FREE, Usage(seconds=3000, octets=100 * MB), NOW, KUPANG)
    assert result.session_timeout == 600
    assert result.octets_left == 400 * MB


def test_time_quota_used_up_is_rejected_until_midnight():
    result = allowance(FREE, Usage(seconds=3600), NOW, KUPANG)
    assert (result.allowed, result.reason) == (False, "quota_time")
    assert result.resets_at == datetime(2026, 11, 27, 16, 0, tzinfo=UTC)


def test_data_quota_used_up_is_rejected():
    result = allowance(FREE, Usage(seconds=10, octets=500 * MB + 1), NOW, KUPANG)
    assert (result.allowed, result.reason) == (False, "quota_data")


def test_voucher_expiry_shortens_the_session_and_then_rejects():
    unlimited = Limits(session_seconds=4 * 3600)
    result = allowance(unlimited, Usage(), NOW, KUPANG, valid_until=NOW + timedelta(minutes=30))
    assert result.session_timeout == 1800
    expired = allowance(unlimited, Usage(), NOW, KUPANG, valid_until=NOW)
    assert (expired.allowed, expired.reason) == (False, "expired")


def test_unlimited_plan_has_no_timeout():
    result = allowance(Limits(), Usage(seconds=10**6, octets=10**12), NOW, KUPANG)
    assert result.allowed and result.session_timeout is None and result.octets_left is None


def test_over_quota_for_running_sessions():
    assert not over_quota(FREE, Usage(seconds=3599, octets=500 * MB - 1))
    assert over_quota(FREE, Usage(seconds=3600))
    assert over_quota(FREE, Usage(octets=500 * MB))


def test_reject_messages_are_bilingual():
    assert reply_message("quota_time") == (
        "Kuota waktu hari ini sudah habis. Coba lagi besok. / "
        "Today's time quota is used up. Try again tomorrow."
    )
    assert reply_message("no-such-reason").startswith("Pengguna tidak dikenal.")
