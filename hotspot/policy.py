"""Fair-use decisions: how much a login may still use today.

Pure functions (no database, no socket, no clock): the caller passes the plan's
limits, what was used today and `now`. The RADIUS server turns the answer into
Session-Timeout and data-limit attributes; the portal shows it to the citizen.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

MB = 1_000_000


@dataclass(frozen=True)
class Limits:
    """A plan's limits in the units the protocols use (seconds, octets, kbit/s); None = unlimited."""

    session_seconds: int | None = None
    daily_seconds: int | None = None
    daily_octets: int | None = None
    down_kbps: int | None = None
    up_kbps: int | None = None
    idle_timeout: int = 600
    interim_interval: int = 300
    throttle_kbps: int | None = None
    max_sessions: int | None = None

    @classmethod
    def from_plan(cls, plan) -> Limits:
        def minutes(value):
            return None if value is None else value * 60

        return cls(
            session_seconds=minutes(plan.session_minutes),
            daily_seconds=minutes(plan.daily_minutes),
            daily_octets=None if plan.daily_mb is None else plan.daily_mb * MB,
            down_kbps=plan.down_kbps,
            up_kbps=plan.up_kbps,
            idle_timeout=plan.idle_timeout_seconds,
            interim_interval=plan.interim_interval_seconds,
            throttle_kbps=plan.throttle_kbps,
            max_sessions=plan.max_sessions,
        )

    def rate(self, throttled: bool) -> tuple[int | None, int | None]:
        """(down, up) kbit/s a session gets: the throttle rate once today's quota is used, else the plan's."""
        return (self.throttle_kbps, self.throttle_kbps) if throttled else (self.down_kbps, self.up_kbps)


@dataclass(frozen=True)
class Usage:
    """What one quota subject (device, citizen or voucher) used since the day began."""

    seconds: int = 0
    octets: int = 0


@dataclass(frozen=True)
class Allowance:
    """The decision: allowed or not, and if allowed, how much is left for this login."""

    allowed: bool
    reason: str | None
    session_timeout: int | None
    octets_left: int | None
    seconds_left_today: int | None
    resets_at: datetime
    throttled: bool = False


def day_start(now: datetime, tz: str) -> datetime:
    """Midnight of `now`'s local day (the city's timezone), in UTC."""
    local = now.astimezone(ZoneInfo(tz))
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight.astimezone(UTC)


def next_reset(now: datetime, tz: str) -> datetime:
    """When today's quotas are renewed: the next local midnight, in UTC."""
    local = now.astimezone(ZoneInfo(tz))
    tomorrow = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return tomorrow.astimezone(UTC)


def _min_known(*values: int | None) -> int | None:
    known = [v for v in values if v is not None]
    return min(known) if known else None


def allowance(
    limits: Limits,
    used: Usage,
    now: datetime,
    tz: str,
    valid_until: datetime | None = None,
) -> Allowance:
    """Decide whether a login may start and with which Session-Timeout and data limit.

    Session-Timeout = min(session length, time left today, time until the
    voucher expires); the data limit is what is left of today's data quota.
    A plan with a throttle rate never cuts off for the day's quota: the login
    gets the plan's session length (the router is sent no data limit), and is
    `throttled` once the quota is used (accounting slows a running session
    when it gets there).
    """
    resets_at = next_reset(now, tz)
    if valid_until is not None and now >= valid_until:
        return Allowance(False, "expired", None, None, None, resets_at)
    seconds_left = None if limits.daily_seconds is None else max(0, limits.daily_seconds - used.seconds)
    octets_left = None if limits.daily_octets is None else max(0, limits.daily_octets - used.octets)
    until_expiry = None if valid_until is None else max(1, int((valid_until - now).total_seconds()))
    if limits.throttle_kbps is not None:
        throttled = seconds_left == 0 or octets_left == 0
        timeout = _min_known(limits.session_seconds, until_expiry)
        return Allowance(
            True, "throttled" if throttled else None, timeout, octets_left, seconds_left, resets_at, throttled
        )
    if seconds_left == 0:
        return Allowance(False, "quota_time", None, None, 0, resets_at)
    if octets_left == 0:
        return Allowance(False, "quota_data", None, 0, seconds_left, resets_at)
    timeout = _min_known(limits.session_seconds, seconds_left, until_expiry)
    return Allowance(True, None, timeout, octets_left, seconds_left, resets_at)


def over_quota(limits: Limits, used: Usage) -> bool:
    """Whether a running session has used up today's quota (accounting slows it by CoA, or disconnects it)."""
    if limits.daily_seconds is not None and used.seconds >= limits.daily_seconds:
        return True
    return limits.daily_octets is not None and used.octets >= limits.daily_octets


def session_is_stale(update_time: datetime, interim_interval: int, now: datetime, grace: int) -> bool:
    """A session no update reached for two interim intervals plus a grace: the router lost it silently."""
    return update_time < now - timedelta(seconds=2 * interim_interval + grace)


def running_limits(limits: Limits, used: Usage, elapsed: int) -> tuple[int | None, int | None, int | None]:
    """(down kbit/s, up kbit/s, Session-Timeout from the session's start) for a session already running,
    as a plan edit sends them by CoA: the throttle rate once today's quota is used; a plan without one
    still ends the session when today's time runs out."""
    throttled = limits.throttle_kbps is not None and over_quota(limits, used)
    down, up = limits.rate(throttled)
    if limits.throttle_kbps is not None or limits.daily_seconds is None:
        return down, up, limits.session_seconds
    return down, up, _min_known(limits.session_seconds, elapsed + max(0, limits.daily_seconds - used.seconds))
