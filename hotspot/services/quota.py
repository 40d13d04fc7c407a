"""What a quota subject used today, read from the session table.

The subject depends on how the citizen came in: free access counts per device
(MAC), a registered citizen's quota is shared across all their devices, a
voucher counts on its own. The RADIUS server (Session-Timeout, data limit) and
the portal (the status page) both ask here, with the same `now`.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Row, and_, bindparam, func, select
from sqlalchemy.orm import Session

from hotspot.models import Device, RadiusSession
from hotspot.policy import Usage, day_start
from hotspot.validation import normalize_mac


@dataclass(frozen=True)
class Subject:
    """Whose quota a login spends: exactly one of the three is set."""

    device_id: int | None = None
    account_id: int | None = None
    voucher_id: int | None = None

    def __post_init__(self):
        if sum(x is not None for x in (self.device_id, self.account_id, self.voucher_id)) != 1:
            raise ValueError("a quota subject is one device, one account or one voucher")

    @property
    def kind(self) -> str:
        """The RadiusSession column that names this subject."""
        if self.account_id is not None:
            return "account_id"
        return "voucher_id" if self.voucher_id is not None else "device_id"


def usage_today(db: Session | Connection, subject: Subject, now: datetime, tz: str) -> Usage:
    """Seconds and octets of the subject's sessions that started since local midnight."""
    return usage_today_many(db, [subject], now, tz)[subject]


_SINCE = RadiusSession.start_time >= bindparam("since")
_DEVICE_ONLY = (RadiusSession.account_id.is_(None), RadiusSession.voucher_id.is_(None))
_USED = (
    func.coalesce(func.sum(RadiusSession.session_time), 0),
    func.coalesce(func.sum(RadiusSession.input_octets + RadiusSession.output_octets), 0),
)


@functools.cache
def _usage_statement(kind: str):
    """Today's seconds and octets per subject of one kind, built once (kinds: the three Subject fields).

    A free-access device counts only its own sessions, not those it had as a
    citizen's device or with a voucher: those count against the account or voucher.
    """
    column = getattr(RadiusSession, kind)
    conditions = [column.in_(bindparam("ids", expanding=True)), _SINCE]
    if kind == "device_id":
        conditions += _DEVICE_ONLY
    return select(column, *_USED).where(*conditions).group_by(column)


def usage_today_many(
    db: Session | Connection, subjects: Iterable[Subject], now: datetime, tz: str
) -> dict[Subject, Usage]:
    """`usage_today` for many subjects at once: one grouped query per kind of subject."""
    since = day_start(now, tz)
    wanted = set(subjects)
    usage = dict.fromkeys(wanted, Usage(seconds=0, octets=0))
    for kind in ("device_id", "account_id", "voucher_id"):
        ids = sorted({getattr(s, kind) for s in wanted if s.kind == kind})
        if ids:
            for subject_id, seconds, octets in db.execute(
                _usage_statement(kind), {"ids": ids, "since": since}
            ):
                usage[Subject(**{kind: subject_id})] = Usage(seconds=int(seconds), octets=int(octets))
    return usage


_DEVICE_USAGE = (
    select(Device.id, Device.blocked, *_USED)
    .select_from(Device)
    .outerjoin(RadiusSession, and_(RadiusSession.device_id == Device.id, _SINCE, *_DEVICE_ONLY))
    .where(Device.mac == bindparam("mac"))
    .group_by(Device.id, Device.blocked)
)


def device_usage_today(db: Session, mac: str, now: datetime, tz: str) -> tuple[Row | None, Usage]:
    """The device with this MAC (`id`, `blocked`; None when new) and what it used today, in one round trip:
    the free login's only read."""
    row = db.execute(_DEVICE_USAGE, {"mac": normalize_mac(mac), "since": day_start(now, tz)}).first()
    if row is None:
        return None, Usage()
    return row, Usage(seconds=int(row[2]), octets=int(row[3]))


_OPEN = select(
    RadiusSession.account_id,
    RadiusSession.voucher_id,
    RadiusSession.calling_station_id,
    RadiusSession.update_time,
    RadiusSession.interim_interval,
).where(RadiusSession.status == "active")
_OPEN_BY = {
    kind: _OPEN.where(getattr(RadiusSession, kind).in_(bindparam("ids", expanding=True)))
    for kind in ("account_id", "voucher_id")
}


def open_sessions_many(db: Session | Connection, subjects: Iterable[Subject]) -> dict[Subject, list[Row]]:
    """The open sessions of accounts and vouchers (a plan may cap them), one query per kind; devices: none."""
    wanted = {s for s in subjects if s.kind in _OPEN_BY}
    found: dict[Subject, list[Row]] = {s: [] for s in wanted}
    for kind, statement in _OPEN_BY.items():
        ids = sorted({getattr(s, kind) for s in wanted if s.kind == kind})
        for row in db.execute(statement, {"ids": ids}) if ids else ():
            found[Subject(**{kind: getattr(row, kind)})].append(row)
    return found
