"""What a quota subject used today, read from the session table.

The subject depends on how the citizen came in: free access counts per device
(MAC), a registered citizen's quota is shared across all their devices, a
voucher counts on its own. The RADIUS server (Session-Timeout, data limit) and
the portal (the status page) both ask here, with the same `now`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotspot.models import RadiusSession
from hotspot.policy import Usage, day_start


@dataclass(frozen=True)
class Subject:
    """Whose quota a login spends: exactly one of the three is set."""

    device_id: int | None = None
    account_id: int | None = None
    voucher_id: int | None = None

    def __post_init__(self):
        if sum(x is not None for x in (self.device_id, self.account_id, self.voucher_id)) != 1:
            raise ValueError("a quota subject is one device, one account or one voucher")

    def condition(self):
        if self.account_id is not None:
            return RadiusSession.account_id == self.account_id
        if self.voucher_id is not None:
            return RadiusSession.voucher_id == self.voucher_id
        return (RadiusSession.device_id == self.device_id) & RadiusSession.account_id.is_(None) & (
            RadiusSession.voucher_id.is_(None))


def usage_today(db: Session, subject: Subject, now: datetime, tz: str) -> Usage:
    """Seconds and octets of the subject's sessions that started since local midnight."""
    seconds, octets = db.execute(
        select(
            func.coalesce(func.sum(RadiusSession.session_time), 0),
            func.coalesce(func.sum(RadiusSession.input_octets + RadiusSession.output_octets), 0),
        ).where(subject.condition(), RadiusSession.start_time >= day_start(now, tz))
    ).one()
    return Usage(seconds=int(seconds), octets=int(octets))
