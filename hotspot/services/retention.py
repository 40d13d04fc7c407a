"""Retention of personal data: past the period, every phone number, MAC, IP address and user name in every
table becomes its keyed pseudonym (hotspot.pseudonyms), and the links between a session, a device and an
account are cut.

What is kept: times, bytes, access points, plans, terms versions, and the pseudonyms themselves, so that
reports still count sessions, distinct devices and distinct users. Rows with no use for statistics (login
tickets, SMS codes, sign-in counters) are deleted. A blocked device or account keeps its MAC or phone
while it is blocked (the block must hold) but loses the link between the two. Open sessions are left to
the stale rule. Console admins' own names are not citizens' data and stay.

Work goes in batches of `batch_size` rows, one commit each, so a large purge holds no lock for long and
reports its progress (`on_progress`) as it goes; it can be stopped and run again (each step picks only
rows that still carry a raw value).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, bindparam, delete, func, or_, select, update
from sqlalchemy.orm import Session

from hotspot.db import insert_for
from hotspot.models import (
    Account,
    AuditEvent,
    AuthEvent,
    Device,
    LoginTicket,
    OneTimeCode,
    RadiusSession,
    SignInThrottle,
    UsageHourUser,
)
from hotspot.pseudonyms import Pseudonyms
from hotspot.services import audit
from hotspot.validation import PSEUDONYM_PREFIX, ValidationError

BATCH_SIZE = 1000
TABLES = (
    "radius_session",
    "auth_event",
    "usage_hour_user",
    "login_ticket",
    "one_time_code",
    "device",
    "account",
    "audit_event",
    "sign_in_throttle",
)


@dataclass
class PurgeResult:
    """Rows anonymised or deleted, per table."""

    rows: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TABLES, 0))

    def summary(self) -> str:
        r = self.rows
        return (
            f"Anonymised {r['radius_session']} sessions and {r['auth_event']} auth events; "
            f"deleted {r['login_ticket']} login tickets and {r['one_time_code']} one-time codes; "
            f"purged {r['usage_hour_user']} per-hour user rows, {r['device']} devices, "
            f"{r['account']} accounts, "
            f"{r['sign_in_throttle']} sign-in counters and {r['audit_event']} audit entries."
        )


@dataclass(frozen=True)
class Personal:
    """One table's personal columns: `pseudonymised` get their pseudonym, `cut` (links) become NULL,
    `fixed` get a constant; `past(cutoff)` picks the rows that are past the period. `unique`: the one
    pseudonymised column is unique, and a row whose pseudonym is already taken (the same phone came back
    after an earlier purge, and left again) is deleted, the earlier row standing for it."""

    table: str
    model: type
    past: Callable[[datetime], tuple]
    pseudonymised: tuple[str, ...]
    cut: tuple[str, ...] = ()
    fixed: tuple[tuple[str, object], ...] = ()
    unique: bool = False


def _last_use(cutoff: datetime) -> tuple:
    last_use = func.coalesce(Account.last_login_at, Account.created_at)
    return (
        Account.blocked.is_(False),
        Account.created_at < cutoff,
        or_(Account.verified.is_(False), last_use < cutoff),
    )


PERSONAL = (
    Personal(
        "radius_session",
        RadiusSession,
        lambda cutoff: (RadiusSession.status != "active", RadiusSession.update_time < cutoff),
        ("username", "calling_station_id", "framed_ip"),
        cut=("device_id", "account_id"),
    ),
    Personal(
        "auth_event", AuthEvent, lambda cutoff: (AuthEvent.time < cutoff,), ("username", "calling_station_id")
    ),
    Personal("usage_hour_user", UsageHourUser, lambda cutoff: (UsageHourUser.hour < cutoff,), ("username",)),
    Personal(
        "device",
        Device,
        lambda cutoff: (Device.blocked.is_(False), Device.last_seen < cutoff),
        ("mac",),
        cut=("account_id",),
        unique=True,
    ),
    # Accounts never verified, or not used for the whole period; the password hash goes with the phone.
    Personal("account", Account, _last_use, ("phone",), fixed=(("password_hash", ""),), unique=True),
)


def _raw(column):
    """The column still holds a value that is not a pseudonym."""
    return and_(column.is_not(None), ~column.startswith(PSEUDONYM_PREFIX))


Progress = Callable[[PurgeResult], None]


class _Purge:
    """One run: the cut-off, the pseudonyms, the running counts."""

    def __init__(
        self, db: Session, pseudonym: Pseudonyms, cutoff: datetime, batch_size: int, on_progress: Progress
    ):
        self.db, self.pseudonym, self.cutoff, self.batch_size = db, pseudonym, cutoff, batch_size
        self.on_progress = on_progress
        self.result = PurgeResult()

    def _done(self, table: str, count: int) -> None:
        self.db.commit()
        self.result.rows[table] += count
        self.on_progress(self.result)

    def pseudonymise(self, spec: Personal) -> None:
        """Give the past rows' personal columns their pseudonyms, batch by batch (keyed by primary key)."""
        table = spec.model.__table__
        keys = list(table.primary_key.columns)
        if any(key.name in spec.pseudonymised for key in keys):
            return self._rekey(spec)
        columns = [table.c[name] for name in spec.pseudonymised]
        still_personal = or_(*[_raw(c) for c in columns], *[table.c[name].is_not(None) for name in spec.cut])
        statement = (
            update(table)
            .where(*[key == bindparam(f"k_{key.name}") for key in keys])
            .values(
                **{name: bindparam(f"v_{name}") for name in spec.pseudonymised},
                **{name: None for name in spec.cut},
                **dict(spec.fixed),
            )
        )
        while True:
            batch = self.db.execute(
                select(*keys, *columns).where(*spec.past(self.cutoff), still_personal).limit(self.batch_size)
            ).all()
            if not batch:
                return
            values = [
                {
                    **{f"k_{key.name}": row[i] for i, key in enumerate(keys)},
                    **{
                        f"v_{name}": self.pseudonym(value)
                        for name, value in zip(spec.pseudonymised, row[len(keys) :])
                    },
                }
                for row in batch
            ]
            if spec.unique:
                values = self._drop_taken(spec, values)
            if values:
                self.db.execute(statement, values)
            self._done(spec.table, len(batch))

    def _drop_taken(self, spec: Personal, values: list[dict]) -> list[dict]:
        """Delete the rows whose pseudonym another row already has; the others, to be updated."""
        column = spec.model.__table__.c[spec.pseudonymised[0]]
        key = next(iter(spec.model.__table__.primary_key.columns))
        name = f"v_{column.name}"
        taken = set(self.db.scalars(select(column).where(column.in_([v[name] for v in values]))))
        gone = [v[f"k_{key.name}"] for v in values if v[name] in taken]
        if gone:
            self.db.execute(delete(spec.model.__table__).where(key.in_(gone)))
        return [v for v in values if v[name] not in taken]

    def _rekey(self, spec: Personal) -> None:
        """A pseudonym that is part of the primary key: the rows are replaced, and two spellings of one MAC
        (one user) become one row."""
        table = spec.model.__table__
        keys = list(table.primary_key.columns)
        insert = insert_for(self.db.get_bind().dialect.name)(table).on_conflict_do_nothing()
        while True:
            batch = (
                self.db.execute(
                    select(table)
                    .where(
                        *spec.past(self.cutoff), or_(*[_raw(table.c[name]) for name in spec.pseudonymised])
                    )
                    .limit(self.batch_size)
                )
                .mappings()
                .all()
            )
            if not batch:
                return
            self.db.execute(
                delete(table).where(or_(*[and_(*[k == row[k.name] for k in keys]) for row in batch]))
            )
            self.db.execute(
                insert,
                [
                    {**row, **{name: self.pseudonym(row[name]) for name in spec.pseudonymised}}
                    for row in batch
                ],
            )
            self._done(spec.table, len(batch))

    def delete(self, table: str, model, *conditions) -> None:
        """Delete the matching rows batch by batch (by primary key, so each batch is short)."""
        keys = model.__table__.primary_key.columns
        while True:
            batch = self.db.execute(select(*keys).where(*conditions).limit(self.batch_size)).all()
            if not batch:
                return
            self.db.execute(
                delete(model).where(or_(*[and_(*[c == v for c, v in zip(keys, row)]) for row in batch]))
            )
            self._done(table, len(batch))

    def unlink_blocked_devices(self) -> None:
        """A blocked device keeps its MAC (the block must hold) but loses its link to a phone number."""
        unlinked = self.db.execute(
            update(Device)
            .where(Device.blocked.is_(True), Device.last_seen < self.cutoff, Device.account_id.is_not(None))
            .values(account_id=None)
        ).rowcount
        self._done("device", unlinked)

    def audit_events(self) -> None:
        """Phone numbers, MACs and IPs in actor, target, detail and ip become pseudonyms."""
        ev = AuditEvent
        statement = (
            update(ev.__table__)
            .where(ev.__table__.c.id == bindparam("b_id"))
            .values(
                actor=bindparam("b_actor"),
                target=bindparam("b_target"),
                detail=bindparam("b_detail"),
                ip=bindparam("b_ip"),
            )
        )
        last_id = 0
        while True:
            batch = self.db.execute(
                select(ev.id, ev.actor, ev.target, ev.detail, ev.ip)
                .where(ev.time < self.cutoff, ev.id > last_id)
                .order_by(ev.id)
                .limit(self.batch_size)
            ).all()
            if not batch:
                return
            last_id = batch[-1].id
            changed = []
            for row in batch:
                clean = {
                    "b_id": row.id,
                    "b_actor": self.pseudonym.scrub(row.actor),
                    "b_target": self.pseudonym.scrub(row.target),
                    "b_detail": self.pseudonym.scrub_json(row.detail),
                    "b_ip": self.pseudonym(row.ip),
                }
                if (clean["b_actor"], clean["b_target"], clean["b_detail"], clean["b_ip"]) != tuple(row[1:]):
                    changed.append(clean)
            if changed:
                self.db.execute(statement, changed)
            self._done("audit_event", len(changed))

    def run(self) -> PurgeResult:
        cutoff = self.cutoff
        for spec in PERSONAL:
            self.pseudonymise(spec)
        self.unlink_blocked_devices()
        self.delete("login_ticket", LoginTicket, LoginTicket.expires_at < cutoff)
        self.delete("one_time_code", OneTimeCode, OneTimeCode.expires_at < cutoff)
        self.delete(
            "sign_in_throttle",
            SignInThrottle,
            SignInThrottle.window_start < cutoff,
            or_(SignInThrottle.locked_until.is_(None), SignInThrottle.locked_until < cutoff),
        )
        self.audit_events()
        return self.result


def purge(
    db: Session,
    secret_key: str,
    older_than_days: int,
    now: datetime,
    actor: str = "cli",
    batch_size: int = BATCH_SIZE,
    on_progress: Progress = lambda result: None,
) -> PurgeResult:
    """Pseudonymise or delete personal data older than `older_than_days`, in every table, batch by batch."""
    if older_than_days < 1:
        raise ValidationError("--older-than must be at least 1 day")
    cutoff = now - timedelta(days=older_than_days)
    result = _Purge(db, Pseudonyms(secret_key), cutoff, batch_size, on_progress).run()
    audit.record(db, actor, "purge", f"older than {older_than_days} days", result.rows)
    db.commit()
    return result
