"""Weekly opening hours of an access point group, in the city's local time: parse, ask, find the next opening.

A hospital's Wi-Fi may be free only in visiting hours, a school's only on school days. Admins write the
hours as they would on a sign, `mon-fri 07:00-17:00; sat 08:00-12:00`; an empty text means always open.
Pure: the caller passes `now` and the timezone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from hotspot.validation import ValidationError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SPAN = re.compile(
    r"^(?P<days>[a-z]{3}(?:-[a-z]{3})?(?:,[a-z]{3}(?:-[a-z]{3})?)*)\s+"
    r"(?P<start>\d{1,2}:\d{2})-(?P<end>\d{1,2}:\d{2})$"
)


@dataclass(frozen=True)
class OpeningHours:
    """Per weekday (0 = Monday) the open intervals as (start, end) minutes after local midnight."""

    days: tuple[tuple[tuple[int, int], ...], ...] = ()
    text: str = ""

    @property
    def always_open(self) -> bool:
        return not self.days


def _minutes(text: str, spec: str) -> int:
    hours, minutes = (int(part) for part in text.split(":"))
    if minutes > 59 or hours > 24 or (hours == 24 and minutes):
        raise ValidationError(f"not a time of day in {spec!r}: {text}")
    return hours * 60 + minutes


def _weekdays(text: str, spec: str) -> list[int]:
    found = []
    for part in text.split(","):
        first, _, last = part.partition("-")
        if first not in DAYS or (last and last not in DAYS):
            raise ValidationError(f"days are {', '.join(DAYS)} in {spec!r}")
        start, end = DAYS.index(first), DAYS.index(last or first)
        found.extend(range(start, end + 1) if start <= end else [*range(start, 7), *range(0, end + 1)])
    return found


def parse_hours(spec: str) -> OpeningHours:
    """`mon-fri 07:00-17:00; sat 08:00-12:00` (24:00 ends a day); empty: always open."""
    text = " ".join((spec or "").lower().split())
    if not text:
        return OpeningHours()
    days: list[list[tuple[int, int]]] = [[] for _ in DAYS]
    for span in filter(None, (part.strip() for part in text.split(";"))):
        match = _SPAN.match(span)
        if not match:
            raise ValidationError(
                f"opening hours look like 'mon-fri 07:00-17:00; sat 08:00-12:00', not {span!r}"
            )
        start, end = _minutes(match["start"], span), _minutes(match["end"], span)
        if end <= start:
            raise ValidationError(f"the end comes before the start in {span!r}")
        for day in _weekdays(match["days"], span):
            days[day].append((start, end))
    return OpeningHours(tuple(tuple(sorted(intervals)) for intervals in days), text)


def is_open(hours: OpeningHours, now: datetime, tz: str) -> bool:
    if hours.always_open:
        return True
    local = now.astimezone(ZoneInfo(tz))
    minute = local.hour * 60 + local.minute
    return any(start <= minute < end for start, end in hours.days[local.weekday()])


def next_opening(hours: OpeningHours, now: datetime, tz: str) -> datetime | None:
    """When a closed place opens next (aware, local time), or None when it is open now or never opens."""
    if is_open(hours, now, tz):
        return None
    zone = ZoneInfo(tz)
    local = now.astimezone(zone)
    minute = local.hour * 60 + local.minute
    for ahead in range(8):
        day = local.date() + timedelta(days=ahead)
        for start, _end in hours.days[day.weekday()]:
            if ahead or start > minute:
                return datetime.combine(day, time(start // 60, start % 60), zone)
    return None
