"""Two weeks of simulated use for the demo hotspots, written by the code the RADIUS daemon runs.

`hotspot init --demo` calls `load_history` so that a newcomer's dashboard, reports, map, alerts and
failed-login log show a city at work on first start: several radios per site, a daily curve in the
city's timezone (quiet at night, busy at lunch and in the evening), a few refused logins, a handful of
phones online now, and one site (`DOWN_SITE`) that went silent yesterday afternoon. Every session goes
through `radius.accounting.record` and every login through `radius.authlog.write_events`, exactly as
packets from real routers do; the randomness is seeded, so two demos look alike.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, func, select, update

from hotspot.models import Nas, RadiusSession
from hotspot.validation import radio_of
from radius import accounting, authlog, store
from radius.packets import AccountingRequest
from radius.radios import Radios

DAYS = 14
DOWN_SITE = "Perumnas"
# Share of a day's logins in each local hour, 0..23: night, morning, lunch, afternoon, evening.
HOURLY = (1, 1, 0, 0, 0, 1, 2, 4, 5, 6, 7, 8, 9, 8, 6, 6, 7, 9, 10, 10, 9, 7, 4, 2)
REFUSALS = (
    ("ticket", "ticket_expired"),
    ("voucher", "unknown_voucher"),
    ("voucher", "bad_password"),
    ("ticket", "quota_time"),
    ("mac", "unknown_user"),
)
REFUSED_SHARE = 0.06
BATCH = 400


def _radios(rng: random.Random, nas: Nas) -> list[str]:
    """The Called-Station-Id of each radio at a site (two to four), `RADIO-MAC:SSID`."""
    return [f"0A-53-{nas.id:02X}-00-00-{n:02X}:Kupang WiFi Gratis" for n in range(1, rng.randint(2, 4) + 1)]


def _device(rng: random.Random, regulars: list[str]) -> str:
    """A returning phone most of the time, else a new one; a third use a private (random) MAC."""
    if regulars and rng.random() < 0.6:
        return rng.choice(regulars)
    first = rng.choice((0x02, 0x06, 0x0A, 0x0E)) if rng.random() < 0.35 else rng.choice((0x00, 0x3C, 0xA4))
    mac = ":".join(f"{b:02X}" for b in (first, *(rng.randrange(256) for _ in range(5))))
    regulars.append(mac)
    return mac


def _visits(rng: random.Random, nas: Nas, start: datetime, end: datetime, tz: ZoneInfo, daily: int):
    """(login time, minutes online) of each visit at a site, following HOURLY in local time."""
    weight = sum(HOURLY)
    hour = start.replace(minute=0, second=0, microsecond=0)
    while hour < end:
        expected = daily * HOURLY[hour.astimezone(tz).hour] / weight
        for _ in range(int(expected) + (rng.random() < expected - int(expected))):
            at = hour + timedelta(seconds=rng.randrange(3600))
            if start <= at < end:
                yield at, rng.choice((5, 10, 15, 20, 30, 45, 60, 60, 90))
        hour += timedelta(hours=1)


def load_history(engine: Engine, now: datetime, tz_name: str, seed: int = 2026) -> int:
    """Simulate DAYS of use at every active NAS; returns the sessions written. Nothing when any exists."""
    rng = random.Random(seed)
    tz = ZoneInfo(tz_name)
    with engine.connect() as conn:
        if conn.scalar(select(func.count()).select_from(RadiusSession)):
            return 0
        sites = conn.execute(
            select(Nas.id, Nas.name, Nas.ip_range).where(Nas.active.is_(True)).order_by(Nas.id)
        ).all()
    radios, regulars = Radios(), []
    arrivals, events, sessions = [], [], 0
    for site in sites:
        called = _radios(rng, site)
        end = now - timedelta(hours=26) if site.name == DOWN_SITE else now
        for at, minutes in _visits(rng, site, now - timedelta(days=DAYS), end, tz, rng.randint(25, 70)):
            mac, radio = _device(rng, regulars), rng.choice(called)
            if rng.random() < REFUSED_SHARE:
                method, reason = rng.choice(REFUSALS)
                events.append(
                    _event(site.id, radio, f"t-{rng.getrandbits(40):010x}", mac, at, method, False, reason)
                )
                continue
            username = f"t-{rng.getrandbits(40):010x}"
            events.append(_event(site.id, radio, username, mac, at, "ticket", True, "ok"))
            arrivals.extend(_session(rng, site, radio, username, mac, at, minutes, now))
            sessions += 1
    arrivals.sort(key=lambda a: a.request.event_time)
    for begin in range(0, len(arrivals), BATCH):
        with engine.begin() as conn:
            store.begin_write(conn)
            accounting.record(conn, arrivals[begin : begin + BATCH], radios)
        radios.committed()
    for begin in range(0, len(events), BATCH):
        with engine.begin() as conn:
            authlog.write_events(conn, events[begin : begin + BATCH], radios)
        radios.committed()
    with engine.begin() as conn:
        for site in sites:
            heard = now - timedelta(hours=26) if site.name == DOWN_SITE else now - timedelta(minutes=1)
            conn.execute(update(Nas).where(Nas.id == site.id).values(last_seen_at=heard))
    return sessions


def _event(nas_id, radio, username, mac, at, method, accepted, reason) -> dict:
    return {
        "time": at,
        "nas_id": nas_id,
        "radio": radio_of(radio),
        "username": username,
        "calling_station_id": mac,
        "method": method,
        "accepted": accepted,
        "reason": reason,
    }


def _session(rng, site, called, username, mac, at, minutes, now) -> list[accounting.Arrival]:
    """Start and Stop of one visit (Start and an Interim when it is still going on now)."""
    session_id = f"{rng.getrandbits(32):08X}"
    seconds = minutes * 60
    download = int(rng.lognormvariate(16.5, 1.0) * minutes / 30)  # median about 15 MB per half hour
    upload = download // rng.randint(6, 12)

    def packet(status, when, elapsed, cause=None, share=1.0):
        return accounting.Arrival(
            site.id,
            site.ip_range.split("/")[0],
            AccountingRequest(
                status=status,
                acct_session_id=session_id,
                username=username,
                calling_station_id=mac,
                called_station_id=called,
                nas_port_id="wlan1",
                framed_ip=f"10.5.50.{rng.randint(10, 250)}",
                session_time=elapsed,
                input_octets=int(upload * share),
                output_octets=int(download * share),
                terminate_cause=cause,
                event_time=when,
            ),
        )

    ends = at + timedelta(seconds=seconds)
    start = packet("Start", at, 0, share=0)
    if ends <= now:
        return [
            start,
            packet("Stop", ends, seconds, rng.choice(("User-Request", "Idle-Timeout", "Session-Timeout"))),
        ]
    elapsed = int((now - at).total_seconds())
    return [start, packet("Interim-Update", now, elapsed, share=elapsed / seconds)]
