"""When is a site down: the alert rules as pure functions of what was heard, the thresholds and `now`.

No database, no clock: the site watch loads the figures (hotspot.services.site_health), calls
`evaluate`, and opens or closes alerts for the conditions it returns. Each rule lives here once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from hotspot.settings import Settings

NAS_SILENT = "nas_silent"
ACCOUNTING_MISSING = "accounting_missing"
REJECTS_HIGH = "rejects_high"
AP_SILENT = "ap_silent"
RULE_KINDS = (NAS_SILENT, ACCOUNTING_MISSING, REJECTS_HIGH, AP_SILENT)
RULE_TITLES = {
    NAS_SILENT: "No RADIUS traffic from a router",
    ACCOUNTING_MISSING: "Logins accepted but no accounting",
    REJECTS_HIGH: "Too many logins refused",
    AP_SILENT: "Access point silent while its router is alive",
}
DEFAULT_REJECT_SHARE = 0.5
DEFAULT_MIN_ATTEMPTS = 20
DEFAULT_MIN_ACCEPTS = 5
DEFAULT_AP_SILENT_MINUTES = 60.0


@dataclass(frozen=True)
class Rule:
    """One rule's thresholds; which of minutes, share and min_count apply depends on the kind."""

    kind: str
    enabled: bool = True
    minutes: float | None = None
    share: float | None = None
    min_count: int | None = None

    def replace(self, **changes) -> Rule:
        return dataclasses.replace(self, **changes)


def default_rules(settings: Settings) -> dict[str, Rule]:
    """The rules as shipped: router silence from the settings, shares and counts that ignore a quiet park.

    A radio is heard only while a client uses it, so its silence waits an hour by default, and counts
    only while its router has somebody online (on another radio): a whole site asleep is no fault.
    """
    silent = settings.alert_silent_minutes
    return {
        NAS_SILENT: Rule(NAS_SILENT, minutes=silent),
        ACCOUNTING_MISSING: Rule(ACCOUNTING_MISSING, min_count=DEFAULT_MIN_ACCEPTS),
        REJECTS_HIGH: Rule(REJECTS_HIGH, share=DEFAULT_REJECT_SHARE, min_count=DEFAULT_MIN_ATTEMPTS),
        AP_SILENT: Rule(AP_SILENT, minutes=DEFAULT_AP_SILENT_MINUTES),
    }


LIMITS = {"minutes": (0.0, 7 * 24 * 60), "share": (0.0, 1.0), "min_count": (1, 1_000_000)}


def out_of_range(rule: Rule, default: Rule) -> list[str]:
    """The thresholds of `rule` outside LIMITS, among those its kind uses (minutes and share above
    the low end, min_count from it; every one at most the high end, share below it)."""
    wrong = []
    for name, (low, high) in LIMITS.items():
        value = getattr(rule, name)
        if getattr(default, name) is None:
            continue
        if (
            value is None
            or value < low
            or value > high
            or (name != "min_count" and value == low)
            or (name == "share" and value == high)
        ):
            wrong.append(name)
    return wrong


@dataclass(frozen=True)
class OpeningHours:
    """A daily window in the city's local time; `closes` before `opens` runs past midnight."""

    opens: time
    closes: time

    def open_since(self, now: datetime, tz: str) -> datetime | None:
        """When the opening period `now` falls in began (aware), or None while closed."""
        local = now.astimezone(ZoneInfo(tz))
        today = local.date()
        for day in (today, today - timedelta(days=1)):
            start = datetime.combine(day, self.opens, local.tzinfo)
            end_day = day if self.closes > self.opens else day + timedelta(days=1)
            end = datetime.combine(end_day, self.closes, local.tzinfo)
            if start <= local < end:
                return start
        return None


@dataclass(frozen=True)
class NasActivity:
    """What one router did recently: last packet heard and the last-hour roll-up figures."""

    nas_id: int
    name: str
    last_heard: datetime | None
    sessions_online: int = 0
    accepts: int = 0
    rejects: int = 0
    sessions_started: int = 0
    input_octets: int = 0
    output_octets: int = 0


@dataclass(frozen=True)
class ApHeard:
    """An access point (radio behind a NAS) and when it was last named in a packet."""

    nas_id: int
    radio_mac: str
    name: str
    last_heard: datetime | None


@dataclass(frozen=True)
class Condition:
    """A rule that holds now for one NAS (or one of its access points).

    `detail` is the English line for notifications and the API; `figures` its numbers, from which
    the console writes the line in its own language.
    """

    kind: str
    nas_id: int
    subject: str
    detail: str
    access_point: str | None = None
    figures: Mapping[str, int] = dataclasses.field(default_factory=dict, hash=False)

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.nas_id}:{self.access_point or ''}"


def _silent_for(
    last_heard: datetime | None, hours: OpeningHours | None, now: datetime, tz: str
) -> timedelta | None:
    """How long a thing heard before has been silent within its opening hours (None: never heard, closed)."""
    if last_heard is None:
        return None
    since = last_heard
    if hours is not None:
        opened = hours.open_since(now, tz)
        if opened is None:
            return None
        since = max(since, opened)
    return now - since


def _minutes(delta: timedelta) -> str:
    return (
        f"{int(delta.total_seconds() // 60)} min"
        if delta >= timedelta(minutes=1)
        else f"{int(delta.total_seconds())} s"
    )


def evaluate(
    rules: Mapping[str, Rule],
    activity: Sequence[NasActivity],
    access_points: Sequence[ApHeard],
    opening_hours: Mapping[int, OpeningHours],
    now: datetime,
    tz: str,
) -> list[Condition]:
    """Every condition that holds at `now`; a NAS without opening hours is open all day."""
    found: list[Condition] = []
    by_id = {nas.nas_id: nas for nas in activity}
    for nas in activity:
        hours = opening_hours.get(nas.nas_id)
        rule = rules[NAS_SILENT]
        silent = _silent_for(nas.last_heard, hours, now, tz)
        if rule.enabled and silent is not None and silent >= timedelta(minutes=rule.minutes):
            found.append(
                Condition(
                    NAS_SILENT,
                    nas.nas_id,
                    nas.name,
                    f"no RADIUS packet for {_minutes(silent)}",
                    figures={"seconds": int(silent.total_seconds())},
                )
            )
        rule = rules[ACCOUNTING_MISSING]
        if rule.enabled and nas.accepts >= rule.min_count and nas.sessions_started == 0:
            found.append(
                Condition(
                    ACCOUNTING_MISSING,
                    nas.nas_id,
                    nas.name,
                    f"{nas.accepts} logins accepted in the last hour, no accounting session",
                    figures={"accepts": nas.accepts},
                )
            )
        rule = rules[REJECTS_HIGH]
        attempts = nas.accepts + nas.rejects
        if rule.enabled and attempts >= rule.min_count and nas.rejects > rule.share * attempts:
            found.append(
                Condition(
                    REJECTS_HIGH,
                    nas.nas_id,
                    nas.name,
                    f"{nas.rejects} of {attempts} logins refused in the last hour",
                    figures={"rejects": nas.rejects, "attempts": attempts},
                )
            )
    rule, alive_within = rules[AP_SILENT], timedelta(minutes=rules[NAS_SILENT].minutes)
    for ap in access_points if rule.enabled else ():
        nas = by_id.get(ap.nas_id)
        if (
            nas is None
            or nas.last_heard is None
            or now - nas.last_heard >= alive_within
            or not nas.sessions_online
        ):  # a router with nobody online (a park at night): nothing to compare
            continue
        silent = _silent_for(ap.last_heard, opening_hours.get(ap.nas_id), now, tz)
        if silent is not None and silent >= timedelta(minutes=rule.minutes):
            found.append(
                Condition(
                    AP_SILENT,
                    ap.nas_id,
                    f"{nas.name} / {ap.name}",
                    f"no session from this radio for {_minutes(silent)}; the router is alive",
                    access_point=ap.radio_mac,
                    figures={"seconds": int(silent.total_seconds())},
                )
            )
    return found
