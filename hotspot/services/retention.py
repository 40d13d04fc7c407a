"""Retention of personal data: past the period, everything that names a citizen is pseudonymised or deleted,
in every table.

What identifies a person: a phone number, a MAC address, an IP address, and the links between them.
Sessions and auth events keep their times, bytes and access point for the statistics, under a keyed
pseudonym (HMAC with a key derived from the secret key: without the key a pseudonym cannot be
recomputed from a guessed phone number, and the same user keeps one pseudonym, so the statistics can still
count users). Per-hour user rows, old tickets and codes, unverified or long-unused accounts and devices,
and old sign-in throttle rows are deleted; the audit log loses IPs, phone numbers and MACs.

Work goes in batches of `batch_size` rows, one commit each, so a large purge holds no lock for long and
reports its progress (`on_progress`) as it goes; it can be stopped and run again (each step only picks
rows that still carry personal data).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable

from sqlalchemy import and_, bindparam, delete, func, or_, select, update
from sqlalchemy.orm import Session

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
from hotspot.services import audit
from hotspot.validation import ValidationError

ANONYMOUS_PREFIX = "anon-"
BATCH_SIZE = 1000
# A MAC in any common spelling, a phone number (E.164 or the local 08... form), an IPv4 or IPv6 address.
PERSONAL_TEXT = re.compile(
    r"(?<![0-9A-Za-z])(?:[0-9A-Fa-f]{2}[:.-]?){5}[0-9A-Fa-f]{2}(?![0-9A-Za-z])"
    r"|(?<![\w.])\+?\d{9,15}(?!\w)"
    r"|(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w.])"
    r"|(?<![\w:])(?:[0-9A-Fa-f]{1,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])"
)
TABLES = ("radius_session", "auth_event", "usage_hour_user", "login_ticket", "one_time_code", "device",
          "account", "audit_event", "sign_in_throttle")


@dataclass
class PurgeResult:
    """Rows anonymised or deleted, per table."""

    rows: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TABLES, 0))

    def summary(self) -> str:
        r = self.rows
        return (f"Anonymised {r['radius_session']} sessions and {r['auth_event']} auth events; "
                f"deleted {r['login_ticket']} login tickets and {r['one_time_code']} one-time codes; "
                f"purged {r['usage_hour_user']} per-hour user rows, {r['device']} devices, {r['account']} accounts, "
                f"{r['sign_in_throttle']} sign-in counters and {r['audit_event']} audit entries.")


class Pseudonyms:
    """Keyed, one-way pseudonyms: the same value gives the same pseudonym under one secret key."""

    def __init__(self, secret_key: str):
        self._key = hmac.new(secret_key.encode(), b"hotspot-retention-pseudonym", hashlib.sha256).digest()

    def __call__(self, value: str) -> str:
        if value.startswith(ANONYMOUS_PREFIX):
            return value
        return ANONYMOUS_PREFIX + hmac.new(self._key, value.encode(), hashlib.sha256).hexdigest()[:16]

    def scrub(self, text: str) -> str:
        """Text with every MAC, phone number and IP address in it replaced by its pseudonym."""
        return PERSONAL_TEXT.sub(lambda match: self(match.group(0)), text)


Progress = Callable[[PurgeResult], None]


class _Purge:
    """One run: the cut-off, the pseudonyms, the running counts; one method per table."""

    def __init__(self, db: Session, pseudonym: Pseudonyms, cutoff: datetime, batch_size: int, on_progress: Progress):
        self.db, self.pseudonym, self.cutoff, self.batch_size = db, pseudonym, cutoff, batch_size
        self.on_progress = on_progress
        self.result = PurgeResult()

    def _done(self, table: str, count: int) -> None:
        self.db.commit()
        self.result.rows[table] += count
        self.on_progress(self.result)

    def _deleting(self, table: str, model, *conditions) -> None:
        """Delete the matching rows batch by batch (by primary key, so each batch is short)."""
        keys = model.__table__.primary_key.columns
        while True:
            batch = self.db.execute(select(*keys).where(*conditions).limit(self.batch_size)).all()
            if not batch:
                return
            if len(keys) == 1:
                key = next(iter(keys))
                self.db.execute(delete(model).where(key.in_([row[0] for row in batch])))
            else:
                self.db.execute(delete(model).where(or_(*[and_(*[c == v for c, v in zip(keys, row)])
                                                          for row in batch])))
            self._done(table, len(batch))

    def sessions(self) -> None:
        rs = RadiusSession
        personal = or_(~rs.username.startswith(ANONYMOUS_PREFIX), rs.calling_station_id.is_not(None),
                       rs.framed_ip.is_not(None), rs.device_id.is_not(None), rs.account_id.is_not(None))
        table = rs.__table__
        statement = update(table).where(table.c.id == bindparam("b_id")).values(
            username=bindparam("b_name"), calling_station_id=None, framed_ip=None, device_id=None,
            account_id=None)
        while True:
            batch = self.db.execute(select(rs.id, rs.username).where(
                rs.status != "active", rs.update_time < self.cutoff, personal).limit(self.batch_size)).all()
            if not batch:
                return
            self.db.execute(statement, [{"b_id": i, "b_name": self.pseudonym(name)} for i, name in batch])
            self._done("radius_session", len(batch))

    def auth_events(self) -> None:
        ae = AuthEvent
        table = ae.__table__
        statement = update(table).where(table.c.id == bindparam("b_id")).values(
            username=bindparam("b_name"), calling_station_id=None)
        while True:
            batch = self.db.execute(select(ae.id, ae.username).where(
                ae.time < self.cutoff,
                or_(~ae.username.startswith(ANONYMOUS_PREFIX), ae.calling_station_id.is_not(None)),
            ).limit(self.batch_size)).all()
            if not batch:
                return
            self.db.execute(statement, [{"b_id": i, "b_name": self.pseudonym(name)} for i, name in batch])
            self._done("auth_event", len(batch))

    def audit_events(self) -> None:
        """IPs go; phone numbers and MACs in actor, target and detail become pseudonyms."""
        ev = AuditEvent
        table = ev.__table__
        statement = update(table).where(table.c.id == bindparam("b_id")).values(
            actor=bindparam("b_actor"), target=bindparam("b_target"), detail=bindparam("b_detail"), ip=None)
        last_id = 0
        while True:
            batch = self.db.execute(select(ev.id, ev.actor, ev.target, ev.detail, ev.ip).where(
                ev.time < self.cutoff, ev.id > last_id).order_by(ev.id).limit(self.batch_size)).all()
            if not batch:
                return
            last_id = batch[-1].id
            changed = []
            for row in batch:
                clean = {"b_id": row.id, "b_actor": self.pseudonym.scrub(row.actor),
                         "b_target": self.pseudonym.scrub(row.target), "b_detail": self._scrub_detail(row.detail)}
                if row.ip is not None or (clean["b_actor"], clean["b_target"], clean["b_detail"]) != (
                        row.actor, row.target, row.detail):
                    changed.append(clean)
            if changed:
                self.db.execute(statement, changed)
            self._done("audit_event", len(changed))

    def _scrub_detail(self, detail: str) -> str:
        try:
            parsed = json.loads(detail or "{}")
        except ValueError:
            return self.pseudonym.scrub(detail)
        cleaned = json.loads(self.pseudonym.scrub(json.dumps(parsed)))
        return detail if cleaned == parsed else json.dumps(cleaned, sort_keys=True)

    def run(self) -> PurgeResult:
        cutoff = self.cutoff
        self.sessions()
        self.auth_events()
        self._deleting("usage_hour_user", UsageHourUser, UsageHourUser.hour < cutoff)
        self._deleting("login_ticket", LoginTicket, LoginTicket.expires_at < cutoff)
        self._deleting("one_time_code", OneTimeCode, OneTimeCode.expires_at < cutoff)
        # A blocked device keeps its MAC (the block must hold) but loses its link to a phone number.
        unlinked = self.db.execute(update(Device).where(
            Device.blocked.is_(True), Device.last_seen < cutoff, Device.account_id.is_not(None))
            .values(account_id=None)).rowcount
        self._done("device", unlinked)
        self._deleting("device", Device, Device.blocked.is_(False), Device.last_seen < cutoff)
        # Accounts never verified, or not used for the whole period; a blocked account stays blocked.
        last_use = func.coalesce(Account.last_login_at, Account.created_at)
        self._deleting("account", Account, Account.blocked.is_(False), Account.created_at < cutoff,
                       or_(Account.verified.is_(False), last_use < cutoff))
        self._deleting("sign_in_throttle", SignInThrottle, SignInThrottle.window_start < cutoff,
                       or_(SignInThrottle.locked_until.is_(None), SignInThrottle.locked_until < cutoff))
        self.audit_events()
        return self.result


def purge(db: Session, secret_key: str, older_than_days: int, now: datetime, actor: str = "cli",
          batch_size: int = BATCH_SIZE, on_progress: Progress = lambda result: None) -> PurgeResult:
    """Pseudonymise or delete personal data older than `older_than_days`, in every table, batch by batch."""
    if older_than_days < 1:
        raise ValidationError("--older-than must be at least 1 day")
    cutoff = now - timedelta(days=older_than_days)
    result = _Purge(db, Pseudonyms(secret_key), cutoff, batch_size, on_progress).run()
    audit.record(db, actor, "purge", f"older than {older_than_days} days", result.rows)
    db.commit()
    return result
